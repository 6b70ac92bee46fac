"""PostgreSQL's 'infinity' and '-infinity' in a write-time column (a sentinel: "never expires",
"not yet"), and a year past 9999 or before Christ, are no write's time: the newest write is the
newest value a datetime holds, and a column that holds only such values says nothing of the age.
Before, the table's max() came back as 'infinity' (or year 12000), which the driver cannot load as
a datetime: the whole table was not assessed (DataError), every night, with its personal data
unread. On the real server."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sql_helpers import scan

from auditor.models import Observation

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def seeded(pg_url: str) -> str:
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.exec_driver_sql("CREATE TABLE inf_some (id integer primary key, email text, updated_at timestamp, "
                          "created_on date, seen_at timestamptz)")
        c.exec_driver_sql("INSERT INTO inf_some VALUES "
                          "(1, 'wl.tan@example.com', '2021-03-04 05:06:07', '2020-01-01', '2021-01-01 00:00:00+00'), "
                          "(2, 'a.lim@example.com', 'infinity', 'infinity', 'infinity'), "
                          "(3, 'b.ong@example.com', '-infinity', '-infinity', '-infinity')")
        c.exec_driver_sql("CREATE TABLE inf_only (id integer primary key, email text, updated_at timestamp)")
        c.exec_driver_sql("INSERT INTO inf_only VALUES (1, 'wl.tan@example.com', 'infinity'), "
                          "(2, 'a.lim@example.com', '-infinity')")
        c.exec_driver_sql("ANALYZE inf_some")  # estimates that do not wait on the statistics' flush
        c.exec_driver_sql("ANALYZE inf_only")
    engine.dispose()
    return pg_url


def _by_table(url: str, **options) -> dict[str, Observation]:
    return {o.dataset.name.split(".", 1)[1]: o for o in scan(url, AS_OF, **options) if isinstance(o, Observation)}


def test_the_newest_finite_write_dates_the_table(seeded: str) -> None:
    got = _by_table(seeded)["inf_some"].dataset
    assert got.status == "assessed", got.error
    assert got.last_modified == datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert got.last_modified_basis == "max(updated_at)"
    assert got.records == 3


def test_a_column_of_sentinels_alone_leaves_the_age_unknown_and_the_table_read(seeded: str) -> None:
    o = _by_table(seeded)["inf_only"]
    assert o.dataset.status == "assessed", o.dataset.error
    assert o.dataset.last_modified is None or o.dataset.last_modified_basis != "max(updated_at)"
    assert o.dataset.facts["age_signals"]["max(updated_at)"] is None
    assert o.sample is not None and len(o.sample.fields["email"]) == 2  # its rows were read all the same


@pytest.fixture(scope="module")
def indexed(seeded: str) -> str:
    """A table big enough that the planner prefers its index on the write-time column (and a
    legacy inheritance parent whose child holds later writes and an 'infinity')."""
    engine = sa.create_engine(seeded)
    with engine.begin() as c:
        c.exec_driver_sql("CREATE TABLE inf_indexed AS SELECT g AS id, 'user' || g || '@example.com' AS email, "
                          "timestamp '2021-01-01' + g * interval '1 second' AS updated_at "
                          "FROM generate_series(1, 50000) g")
        c.exec_driver_sql("INSERT INTO inf_indexed VALUES (0, 'x.tan@example.com', 'infinity')")
        c.exec_driver_sql("CREATE INDEX ON inf_indexed (updated_at)")
        c.exec_driver_sql("ANALYZE inf_indexed")
        c.exec_driver_sql("CREATE TABLE inf_parent (id integer, email text, updated_at timestamp)")
        c.exec_driver_sql("CREATE TABLE inf_child () INHERITS (inf_parent)")
        c.exec_driver_sql("INSERT INTO inf_parent VALUES (1, 'wl.tan@example.com', '2020-02-02'), "
                          "(2, 'a.lim@example.com', 'infinity')")
        c.exec_driver_sql("INSERT INTO inf_child VALUES (3, 'b.ong@example.com', '2024-04-04'), "
                          "(4, 'c.goh@example.com', 'infinity')")
    engine.dispose()
    return seeded


def _plan(url: str, table: str) -> tuple[str, datetime | None]:
    """The server's plan of the newest-write expression the dialect gives for ``table.updated_at``."""
    from connectors.sql.dialects import TableInfo, dialect_for

    engine = sa.create_engine(url)
    dialect = dialect_for(engine.url)
    t = dialect.table_clause("public", table, ["updated_at"], TableInfo())
    sql = str(sa.select(dialect.newest(t.c.updated_at)).compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as c:
        plan = "\n".join(r[0] for r in c.exec_driver_sql("EXPLAIN " + sql))
        newest = c.exec_driver_sql(sql).scalar()
    engine.dispose()
    return plan, newest


def test_an_index_on_the_write_time_column_still_answers_the_newest_write(indexed: str) -> None:
    """The newest finite value must not cost a scan of the whole table where an index answers
    max() (a 'FILTER (WHERE isfinite(c))' on the aggregate made the planner read every row: on a
    table of hundreds of millions of rows, a statement timeout and a table not assessed)."""
    plan, newest = _plan(indexed, "inf_indexed")
    assert "Index Only Scan Backward" in plan and "Seq Scan" not in plan, plan
    assert newest == datetime(2021, 1, 1, 13, 53, 20)  # the newest finite write, past the 'infinity'


@pytest.mark.parametrize("options", [{}, {"exact_count_max_rows": 0}], ids=["counted", "estimated"])
def test_the_newest_write_of_an_inheritance_parent_is_its_own(indexed: str, options) -> None:
    """Both statement forms read the parent's own rows (FROM ONLY, its sub-select's too)."""
    got = _by_table(indexed, **options)
    parent = got["inf_parent"].dataset
    assert parent.status == "assessed", parent.error
    assert parent.last_modified == datetime(2020, 2, 2, tzinfo=UTC)  # not its child's 2024 row
    assert got["inf_child"].dataset.last_modified == datetime(2024, 4, 4, tzinfo=UTC)
    indexed_table = got["inf_indexed"].dataset
    assert indexed_table.status == "assessed", indexed_table.error
    assert indexed_table.last_modified == datetime(2021, 1, 1, 13, 53, 20, tzinfo=UTC)


def _scan_sending(url: str, monkeypatch, **options) -> tuple[dict[str, Observation], list[str]]:
    """The scan's observations by table, and every statement it sent (ahead, or executed)."""
    from connectors.sql import sendahead

    sent: list[str] = []
    real = sendahead.send
    monkeypatch.setattr(sendahead, "send", lambda driver, sql: (sent.append(sql), real(driver, sql))[1])

    def seen(conn, cursor, statement, *_):
        sent.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", seen)
    try:
        return _by_table(url, **options), sent
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", seen)


def test_the_connectors_statement_for_a_big_table_reads_its_newest_write_from_the_index(indexed: str,
                                                                                      monkeypatch) -> None:
    """The statement the connector sends for a table on the estimate path (no count: max() alone)
    is planned as an index lookup, not a read of every row (its text taken as sent, planned again)."""
    got, sent = _scan_sending(indexed, monkeypatch, exact_count_max_rows=1000)  # inf_indexed's 50,001 rows: estimated
    assert got["inf_indexed"].dataset.last_modified == datetime(2021, 1, 1, 13, 53, 20, tzinfo=UTC)
    aggregate = [s for s in sent if "inf_indexed" in s and "max(" in s and "count(" not in s.lower()]
    assert aggregate, sent
    engine = sa.create_engine(indexed)
    with engine.connect() as c:
        statement = aggregate[0].split(";")[0]  # sent ahead: the aggregate first, then the sample
        plan = "\n".join(r[0] for r in c.exec_driver_sql("EXPLAIN " + statement))
    engine.dispose()
    assert "Index Only Scan Backward" in plan and "Seq Scan on inf_indexed " not in plan, plan


def test_a_small_counted_tables_newest_write_is_read_in_the_counts_own_scan(indexed: str, monkeypatch) -> None:
    """A table no bigger than the sample is counted (count(*) in its statement) and so read row by row
    whatever its indexes: its newest finite write comes from that one read (max() FILTER (WHERE the
    value is in Python's range)), with no sub-select for the server to plan per table (two fifths of the
    aggregate's server time on a 200-row table). A bigger counted table keeps the sub-select, planned
    once, where a test on each of its rows would cost more. The values are the tests' above."""
    got, sent = _scan_sending(indexed, monkeypatch)  # inf_indexed's 50,001 rows: counted, not small
    assert got["inf_some"].dataset.last_modified == datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert got["inf_only"].dataset.facts["age_signals"]["max(updated_at)"] is None
    assert got["inf_indexed"].dataset.last_modified == datetime(2021, 1, 1, 13, 53, 20, tzinfo=UTC)

    def aggregate(table: str) -> str:
        found = [s.split(";")[0] for s in sent if re.search(rf"\b{table}\b", s) and "count(" in s.lower()]
        assert found, sent
        return found[0]

    small, big = aggregate("inf_some"), aggregate("inf_indexed")
    assert "FILTER (WHERE" in small and "CASE" not in small, small
    assert "CASE" in big and "FILTER" not in big, big
    engine = sa.create_engine(indexed)
    with engine.connect() as c:
        plan = "\n".join(r[0] for r in c.exec_driver_sql("EXPLAIN " + small))
        newest = c.exec_driver_sql(small).one()
    engine.dispose()
    assert "InitPlan" not in plan and "SubPlan" not in plan and plan.count("Seq Scan") == 1, plan
    assert datetime(2021, 3, 4, 5, 6, 7) in tuple(newest), newest


@pytest.fixture(scope="module")
def out_of_range(seeded: str) -> str:
    """Write times PostgreSQL keeps and Python cannot hold: a year past 9999, a date before Christ."""
    engine = sa.create_engine(seeded)
    with engine.begin() as c:
        c.exec_driver_sql("CREATE TABLE far_some (id integer primary key, email text, updated_at timestamp, "
                          "created_on date, seen_at timestamptz)")
        c.exec_driver_sql("INSERT INTO far_some VALUES "
                          "(1, 'wl.tan@example.com', '2021-03-04 05:06:07', '2020-01-01', '2021-01-01 00:00:00+00'), "
                          "(2, 'a.lim@example.com', '12000-01-01', '12000-01-01', '9999-12-31 23:00:00-05'), "
                          "(3, 'b.ong@example.com', '0044-03-15 BC', '0044-03-15 BC', '0044-03-15 00:00:00+00 BC')")
        c.exec_driver_sql("CREATE TABLE far_before (id integer primary key, email text, updated_at timestamp, "
                          "modified_at timestamp)")
        c.exec_driver_sql("INSERT INTO far_before VALUES (1, 'wl.tan@example.com', '4713-01-01 BC', '12000-01-01'), "
                          "(2, 'a.lim@example.com', '-infinity', '0044-03-15 BC')")
        # the range's edges: the last instant a datetime holds, the first in UTC, and one before it
        c.exec_driver_sql("CREATE TABLE far_edges (id integer primary key, email text, updated_at timestamp, "
                          "created_at timestamptz, seen_at timestamptz)")
        c.exec_driver_sql("INSERT INTO far_edges VALUES "
                          "(1, 'wl.tan@example.com', '9999-12-31 23:59:59.999999', '0001-01-01 00:00:00+00', "
                          "'0001-01-01 00:00:00+05'), "
                          "(2, 'a.lim@example.com', NULL, '0001-01-01 00:00:00+05', NULL)")
        for table in ("far_some", "far_before", "far_edges"):
            c.exec_driver_sql(f"ANALYZE {table}")
    engine.dispose()
    return seeded


@pytest.mark.parametrize("options", [{}, {"exact_count_max_rows": 0}], ids=["counted", "estimated"])
def test_a_write_time_python_cannot_hold_is_no_write_and_the_table_is_read(out_of_range: str, options) -> None:
    """A year past 9999 or before Christ in a write-time column (a sentinel, or a typo) is a value the
    driver cannot load as a datetime: like 'infinity', it is no write's time. Before, the table's
    max() came back as year 12000 and the whole table was not assessed (DataError), every night,
    its personal data unread; a column holding only such values said nothing of the age, and the
    same table failed on it. Both statement forms: a small counted table's and the estimate path's."""
    got = _by_table(out_of_range, **options)
    some = got["far_some"].dataset
    assert some.status == "assessed", some.error
    assert some.last_modified == datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
    signals = some.facts["age_signals"]
    assert signals["max(created_on)"] == "2020-01-01T00:00:00+00:00", signals
    assert signals["max(seen_at)"] == "2021-01-01T00:00:00+00:00", signals  # 9999-12-31 23:00-05 is year 10000 in UTC
    before = got["far_before"]
    assert before.dataset.status == "assessed", before.dataset.error
    signals = before.dataset.facts["age_signals"]
    assert signals["max(updated_at)"] is None and signals["max(modified_at)"] is None, signals  # none in range
    assert before.sample is not None and len(before.sample.fields["email"]) == 2
    edges = got["far_edges"].dataset
    assert edges.status == "assessed", edges.error
    signals = edges.facts["age_signals"]
    assert signals["max(updated_at)"] == "9999-12-31T23:59:59.999999+00:00 (in the future: ignored)", signals
    assert signals["max(created_at)"] == "0001-01-01T00:00:00+00:00", signals  # 00:00+05 is 1 BC in UTC
    assert signals["max(seen_at)"] is None, signals
