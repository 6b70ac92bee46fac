"""PostgreSQL: a table the estimate says fits in the sample is read in one round trip (its
aggregate and its "all rows" sample in one simple query), and reads exactly what the two
statements read; a stale estimate costs a second sample, never a wrong one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sql_helpers import by_name, count_queries, redmart_rows, redmart_table, scan

from connectors.sql import dialects

pytestmark = pytest.mark.postgres
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def pg(pg_url):
    engine = sa.create_engine(pg_url)
    md = sa.MetaData()
    customers = redmart_table(md)
    sa.Table("tags", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("doc", sa.JSON),
             sa.Column("note", sa.Text), sa.Column("pct", sa.Numeric(8, 2)))
    sa.Table('we"ird %s', md, sa.Column("50% off", sa.String(20)))
    # statistics say 10 rows, the table holds 3,010: the estimate is stale (no autovacuum to refresh it)
    sa.Table("stale", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("email", sa.String(100)),
             postgresql_with={"autovacuum_enabled": "false"})
    md.create_all(engine)
    with engine.begin() as c:
        c.execute(customers.insert(), redmart_rows(300))
        c.execute(md.tables["tags"].insert(), [
            {"id": i, "doc": {"email": f"t{i}@example.com", "n": i}, "note": "x" * (i * 7), "pct": i / 4}
            for i in range(1, 120)])
        c.execute(md.tables['we"ird %s'].insert(), [{"50% off": "a@example.com"}])
        c.execute(sa.text("INSERT INTO stale SELECT g, 's' || g || '@example.com' FROM generate_series(1, 10) g"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text("ANALYZE"))
        c.execute(sa.text("INSERT INTO stale SELECT g, 's' || g || '@example.com' FROM generate_series(11, 3010) g"))
        assert c.execute(sa.text("SELECT reltuples FROM pg_class WHERE relname = 'stale'")).scalar() == 10
    try:
        yield pg_url
    finally:
        engine.dispose()


def _seen(items) -> dict:
    """Everything an observation carries, by dataset name."""
    return {name: (o.dataset.model_dump(), o.sample.model_dump() if o.sample else None)
            for name, o in by_name(items).items()}


def test_small_tables_take_one_query_and_read_what_two_statements_read(pg, monkeypatch):
    with count_queries() as one:
        together = scan(pg, AS_OF, sample_rows=1000)
    monkeypatch.setattr(dialects.Postgres, "multi_statement_reads", False)
    with count_queries() as two:
        apart = scan(pg, AS_OF, sample_rows=1000)
    assert _seen(together) == _seen(apart)  # same records, ages, samples, fingerprints
    small = [n for n, o in by_name(together).items() if n != "public.stale"]
    assert len(small) == 3
    for name in small:
        assert by_name(together)[name].dataset.facts["sample"]["strategy"] == "all rows"
    # the small tables: one query each (aggregate and sample together); the stale one: aggregate
    # and sample together, then the random sample its real size calls for
    assert one["sample"] == len(small) + 2 and one["table"] == 0, one
    assert two["sample"] == len(small) + 1 and two["table"] == len(small) + 1, two


def test_a_stale_estimate_is_read_as_the_table_it_really_is(pg):
    got = by_name(scan(pg, AS_OF, sample_rows=1000))["public.stale"].dataset
    assert got.records == 3010 and got.records_basis == "exact"
    assert got.facts["sample"]["strategy"].startswith("tablesample"), got.facts["sample"]
    assert 0 < got.facts["sample"]["rows"] <= 1000
