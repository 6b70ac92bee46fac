"""PostgreSQL: the big tables (estimate path) are read on a second read-only connection while the
first reads the rest (``max_connections``); the observations, their order and a failing big
table's error are those of one connection."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sql_helpers import redmart_rows, redmart_table, scan

from auditor.models import Observation
from connectors.sql import Connector

pytestmark = pytest.mark.postgres
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
BIG = {"exact_count_max_rows": 1_000}  # tables above 1,000 rows take the estimate path


@pytest.fixture(scope="module")
def pg(pg_url):
    engine = sa.create_engine(pg_url)
    md = sa.MetaData()
    tables = [redmart_table(md, f"small_{i}") for i in range(6)]
    for name in ("big_a", "big_b"):
        sa.Table(name, md, sa.Column("id", sa.Integer), sa.Column("email", sa.String(100)),  # no key, as in
                 # test_locked_table_times_out_alone: the lock then stops the table's read alone
                 sa.Column("updated_at", sa.DateTime(timezone=True)))
    md.create_all(engine)
    with engine.begin() as c:
        for t in tables:
            c.execute(t.insert(), redmart_rows(40))
        for name in ("big_a", "big_b"):
            c.execute(sa.text(f"INSERT INTO {name} SELECT g, 'u' || g || '@example.com', timestamptz '2020-01-01 00:00+00'"
                              " + g * interval '1 minute' FROM generate_series(1, 20000) g"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text("ANALYZE"))
    try:
        yield {"url": pg_url, "engine": engine}
    finally:
        engine.dispose()


def _dump(items) -> list:
    return [(o.dataset.model_dump(), o.sample.model_dump() if o.sample else None) if isinstance(o, Observation)
            else o.model_dump() for o in items]


def test_read_ahead_reads_what_one_connection_reads_in_the_same_order(pg, monkeypatch):
    threads: set[str] = set()
    real = Connector._table_or_error

    def seen(self, conn, server, t, *after):
        threads.add(threading.current_thread().name)
        return real(self, conn, server, t, *after)

    monkeypatch.setattr(Connector, "_table_or_error", seen)
    two = scan(pg["url"], AS_OF, max_connections=2, **BIG)
    assert any(n.startswith("sql-read-ahead-") for n in threads), threads  # the big tables were read ahead
    threads.clear()
    one = scan(pg["url"], AS_OF, max_connections=1, **BIG)
    assert not any(n.startswith("sql-read-ahead-") for n in threads), threads
    assert _dump(two) == _dump(one)
    names = [o.dataset.name for o in two if isinstance(o, Observation)]
    assert names == sorted(names) and {"public.big_a", "public.big_b"} <= set(names)
    big = {o.dataset.name: o.dataset for o in two if isinstance(o, Observation) and o.dataset.name.startswith("public.big")}
    assert all(d.status == "assessed" and d.records_basis == "estimate" for d in big.values()), big


def test_a_big_table_that_times_out_on_the_read_ahead_connection_is_that_tables_error(pg):
    locker = pg["engine"].connect()
    try:
        locker.execute(sa.text("LOCK TABLE big_a IN ACCESS EXCLUSIVE MODE"))
        got = {o.dataset.name: o.dataset for o in scan(pg["url"], AS_OF, statement_timeout=1.5, **BIG)
               if isinstance(o, Observation)}
    finally:
        locker.rollback()
        locker.close()
    assert "public.big_a" in got, sorted(got)
    assert got["public.big_a"].status == "error" and "timeout" in got["public.big_a"].error
    assert got["public.big_b"].status == "assessed" and got["public.big_b"].records_basis == "estimate"
    assert all(d.status == "assessed" for n, d in got.items() if n.startswith("public.small_")), got


def test_without_a_second_connection_the_main_one_reads_the_big_tables(pg, monkeypatch):
    real = Connector._engine

    def refuse_second(self, watch=None):
        if watch is not None:
            raise OSError("no second connection")
        return real(self)

    monkeypatch.setattr(Connector, "_engine", refuse_second)
    got = {o.dataset.name: o.dataset for o in scan(pg["url"], AS_OF, **BIG) if isinstance(o, Observation)}
    assert len(got) == 8 and all(d.status == "assessed" for d in got.values()), got
    assert got["public.big_a"].records_basis == "estimate"
