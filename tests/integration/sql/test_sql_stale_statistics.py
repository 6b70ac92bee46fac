"""PostgreSQL statistics that say billions of rows for a table of twenty (a stale or forged
pg_class.reltuples, as after a bulk delete that no ANALYZE followed): the random sample at the
percentage such a size calls for comes back empty, and the plain read that follows returns every
row, fewer than its LIMIT: that is the table's size. The dataset said 3,000,000,000 records
(basis 'estimate') and the findings repeated it. It now says the rows counted, and keeps what
the statistics said as evidence. Real PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from sql_helpers import by_name, scan


def test_a_short_unfiltered_read_counts_the_table(pg_url):
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE ghost (id int primary key, email text)"))
        c.execute(sa.text("INSERT INTO ghost SELECT i, 'g' || i || '@example.com' FROM generate_series(1, 20) i"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text("ANALYZE ghost"))
        c.execute(sa.text("UPDATE pg_class SET reltuples = 3e9, relpages = 40000000 WHERE relname = 'ghost'"))
    engine.dispose()
    d = by_name(scan(pg_url))["public.ghost"].dataset
    assert d.status == "assessed"
    assert (d.records, d.records_basis) == (20, "exact"), (d.records, d.records_basis, d.facts.get("sample"))
    assert "3000000000" in str(d.facts.get("records_estimate_source")), d.facts.get("records_estimate_source")
