"""PostgreSQL: the next small table's query is sent before this table's rows are described
(``connectors.sql.sendahead``), on the real server. A scan that sends ahead gives exactly what a
scan that does not gives; and what goes wrong while a query is in flight stays the business of
the table it belongs to: a statement error is that table's, a connection lost under it is that
table's and the scan goes on over a new connection, a failure in describing the table before
it leaves the next table read as if nothing had been sent, and a scan stopped with a query in
flight leaves no session behind."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sql_helpers import by_name, connector, dump_items, scan

from connectors.sql import Connector, sendahead

pytestmark = pytest.mark.postgres
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
ROWS = 25


@pytest.fixture(scope="module")
def engine(pg_url):
    e = sa.create_engine(pg_url)
    try:
        yield e
    finally:
        e.dispose()


def _seed(engine: sa.Engine, schema: str, n: int = 4) -> list[str]:
    """``n`` small tables of varied types in their own schema (the estimate known: analyzed)."""
    names = [f"t{i}" for i in range(n)]
    with engine.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        for name in names:
            c.execute(sa.text(
                f'CREATE TABLE "{schema}"."{name}" (id int PRIMARY KEY, name text, amount numeric(10, 2), '
                f'seen timestamptz, tags text[], doc jsonb, updated_at timestamp)'))
            rows = [{"id": i, "name": None if i % 7 == 0 else f"Name {i} \u00e9 {name}", "amount": i * 1.25,
                     "seen": datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=i),
                     "tags": [f"a{i}", None], "doc": f'{{"email": "u{i}@example.com", "n": {i}}}',
                     "updated_at": datetime(2024, 1, 1) + timedelta(days=i)} for i in range(1, ROWS + 1)]
            c.execute(sa.text(f'INSERT INTO "{schema}"."{name}" VALUES (:id, :name, :amount, :seen, :tags, '
                              f'CAST(:doc AS jsonb), :updated_at)'), rows)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text("ANALYZE"))
    return names


@pytest.fixture
def sends(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The queries sent ahead, in order (so a test sees the path it means to test was taken)."""
    sent: list[str] = []
    real = sendahead.send

    def counted(driver, sql):
        sent.append(sql)
        return real(driver, sql)

    monkeypatch.setattr(sendahead, "send", counted)
    return sent


def test_sending_ahead_reads_what_one_query_at_a_time_reads(engine, pg_url, sends, monkeypatch) -> None:
    _seed(engine, "same")
    with engine.begin() as c:  # a percent sign in a name: psycopg would read it, so sent by a cursor
        c.execute(sa.text('CREATE TABLE same."per%cent" AS SELECT * FROM same.t0'))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text("ANALYZE same.\"per%cent\""))
    ahead = scan(pg_url, AS_OF, schemas=["same"])
    assert len(sends) >= 3  # every table after the first (in order) went ahead, but the one named with %
    assert not any("per%cent" in s for s in sends)
    with monkeypatch.context() as m:
        m.setattr(sendahead, "available", lambda driver: False)
        plain = scan(pg_url, AS_OF, schemas=["same"])
    assert dump_items(ahead) == dump_items(plain)
    got = by_name(ahead)
    assert {n.split(".", 1)[1] for n in got} == {"t0", "t1", "t2", "t3", "per%cent"}
    assert all(o.dataset.status == "assessed" and o.dataset.records == ROWS for o in got.values())
    assert all(o.sample is not None and o.sample.fields for o in got.values())


def test_a_statement_error_in_flight_is_its_own_tables(engine, pg_url, sends, monkeypatch) -> None:
    _seed(engine, "gone")
    real = Connector._send_next

    def drop_first(self, conn, server, t):  # the table is dropped after the catalogue was read
        if t.name == "t2":
            with engine.begin() as c:
                c.execute(sa.text("DROP TABLE gone.t2"))
        return real(self, conn, server, t)

    monkeypatch.setattr(Connector, "_send_next", drop_first)
    got = {o.dataset.name.split(".", 1)[1]: o.dataset for o in scan(pg_url, AS_OF, schemas=["gone"])
           if hasattr(o, "dataset")}
    assert any('"t2"' in s or "gone.t2" in s for s in sends)  # its query was in flight when it failed
    assert got["t2"].status == "error", got["t2"]
    assert "does not exist" in got["t2"].error, got["t2"].error
    for name in ("t0", "t1", "t3"):
        assert got[name].status == "assessed" and got[name].records == ROWS, got[name].error


def test_a_connection_lost_under_a_query_in_flight_fails_that_table_and_the_scan_goes_on(
        engine, pg_url, sends, monkeypatch) -> None:
    _seed(engine, "lost")
    real = Connector._send_next

    def kill_after_send(self, conn, server, t):
        real(self, conn, server, t)
        if t.name == "t1":
            pid = conn.connection.driver_connection.info.backend_pid
            with engine.connect() as c:
                c.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})

    monkeypatch.setattr(Connector, "_send_next", kill_after_send)
    got = {o.dataset.name.split(".", 1)[1]: o.dataset for o in scan(pg_url, AS_OF, schemas=["lost"])
           if hasattr(o, "dataset")}
    # t1's query was in flight when its session was ended: the server may have answered it before it
    # ended (then t2's is the query the lost connection fails); either way one table, named
    failed = {n: d for n, d in got.items() if d.status != "assessed"}
    assert len(failed) == 1 and set(failed) <= {"t1", "t2"}, failed
    # the socket closed under the read, or the server's notice of the end read with it: a lost connection
    error = next(iter(failed.values())).error
    assert "closed the connection" in error or error.startswith("connection lost: the server closed it"), error
    for name in set(got) - set(failed):  # the rest read, the later ones over a new connection
        assert got[name].status == "assessed" and got[name].records == ROWS, got[name].error
    assert got["t3"].status == "assessed"


def test_a_failure_describing_a_table_leaves_the_next_read_whole(engine, pg_url, sends, monkeypatch) -> None:
    _seed(engine, "desc")
    real = Connector._observation

    def broken(self, server, t, plan, read):
        if t.name == "t1":
            raise ValueError("a bug in describing t1")
        return real(self, server, t, plan, read)

    monkeypatch.setattr(Connector, "_observation", broken)
    got = {o.dataset.name.split(".", 1)[1]: o for o in scan(pg_url, AS_OF, schemas=["desc"])
           if hasattr(o, "dataset")}
    assert any('FROM "desc".t2' in s for s in sends)  # t2's query was in flight when t1 failed
    assert got["t1"].dataset.status == "error" and "ValueError" in got["t1"].dataset.error
    for name in ("t0", "t2", "t3"):
        ds = got[name].dataset
        assert ds.status == "assessed" and ds.records == ROWS, ds.error
        assert got[name].sample is not None and got[name].sample.fields


def test_a_scan_stopped_with_a_query_in_flight_leaves_no_session(engine, pg_url, sends) -> None:
    _seed(engine, "stop", n=6)
    items = connector(pg_url, AS_OF, schemas=["stop"]).collect()
    first = next(o for o in items if hasattr(o, "dataset"))
    assert first.dataset.status == "assessed"
    assert sends  # the next table's query is in flight now
    items.close()  # the consumer stops (a cancelled run, an error downstream)

    def sessions() -> int:
        with engine.connect() as c:
            return c.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                     "AND pid <> pg_backend_pid()")).scalar_one()

    deadline = time.monotonic() + 10  # the server notices a closed socket at its next read
    while sessions() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sessions() == 0


def test_a_slow_consumer_between_two_tables_is_not_a_silent_server(engine, pg_url, sends) -> None:
    """The next table's query goes out before this table's observation is handed over; whoever
    takes it may hold the connector there (classifying a big sample inline, or a full read-ahead
    buffer) longer than read_timeout. That wait is not the server's: the client-side deadline
    counts from when the connector waits for the answer, so the table is read, not cut off as a
    connection gone silent."""
    _seed(engine, "slowpoke", n=3)
    items = []
    for item in connector(pg_url, AS_OF, schemas=["slowpoke"], read_timeout=1.0).collect():
        items.append(item)
        time.sleep(1.7)  # longer than read_timeout (the watchdog looks every 0.5 s)
    assert len(sends) >= 2  # the path under test: tables after the first went ahead
    got = by_name(items)
    assert {n: (o.dataset.status, o.dataset.error) for n, o in got.items()} == {
        f"slowpoke.{n}": ("assessed", None) for n in ("t0", "t1", "t2")}


def test_the_next_query_goes_out_before_these_rows_load_and_a_load_error_stays_this_tables(
        engine, pg_url, sends, monkeypatch) -> None:
    """A table's rows are converted after the next table's query went out (the server reads the
    one while the client loads the other). A loader that fails on this table's rows is this
    table's error; the next table's query, already in flight, is taken off the wire and the table
    read as if it had not been sent."""
    import psycopg

    _seed(engine, "load", n=4)
    real = sendahead.load
    seen: list[str] = []  # the newest query sent when each table's rows were loaded

    def loading(pending):
        seen.append(sends[-1])
        if len(seen) == 1:  # t1's rows (t0 is read by a cursor, not sent ahead)
            raise psycopg.errors.DataError("a value its loader cannot convert")
        return real(pending)

    monkeypatch.setattr(sendahead, "load", loading)
    got = by_name(scan(pg_url, AS_OF, schemas=["load"]))
    assert "FROM load.t2" in seen[0], seen[0]  # t2's query was out before t1's rows were loaded
    assert got["load.t1"].dataset.status == "error", got["load.t1"].dataset
    assert "DataError" in got["load.t1"].dataset.error or "cannot convert" in got["load.t1"].dataset.error
    for name in ("t0", "t2", "t3"):
        ds = got[f"load.{name}"].dataset
        assert ds.status == "assessed" and ds.records == ROWS, ds.error
        assert got[f"load.{name}"].sample is not None and got[f"load.{name}"].sample.fields


def test_a_failure_planning_the_next_table_is_that_tables(engine, pg_url, sends, monkeypatch) -> None:
    """The next table's query is made while this table's answer is on its way; a failure in
    making it (a bug in planning that table) is the next table's own, never this one's."""
    _seed(engine, "plan")
    real = Connector._plan

    def broken(self, server, t):
        if t.name == "t2":
            raise ValueError("a bug in planning t2")
        return real(self, server, t)

    monkeypatch.setattr(Connector, "_plan", broken)
    got = by_name(scan(pg_url, AS_OF, schemas=["plan"]))
    assert got["plan.t2"].dataset.status == "error" and "ValueError" in got["plan.t2"].dataset.error
    for name in ("t0", "t1", "t3"):
        ds = got[f"plan.{name}"].dataset
        assert ds.status == "assessed" and ds.records == ROWS, ds.error


def test_a_load_error_is_its_tables_even_when_the_query_in_flight_then_goes_unanswered(
        engine, pg_url, sends, monkeypatch) -> None:
    """t1's rows fail to load after t2's query went out, and t2's query waits on a lock past
    read_timeout while it is taken off the wire: t1's error is its loader's, never the silence
    the watchdog saw while waiting for t2 (t2's own wait is t2's business)."""
    import psycopg

    _seed(engine, "sil", n=4)
    holder = engine.connect()
    real_send = Connector._send_next

    def lock_first(self, conn, server, t):  # t2 locked just before its query goes out
        if t.name == "t2" and not holder.in_transaction():
            holder.begin()
            holder.execute(sa.text('LOCK TABLE sil.t2 IN ACCESS EXCLUSIVE MODE'))
        return real_send(self, conn, server, t)

    real_load = sendahead.load
    loads: list[int] = []

    def loading(pending):
        loads.append(1)
        if len(loads) == 1:  # t1's rows
            raise psycopg.errors.DataError("a value its loader cannot convert")
        return real_load(pending)

    monkeypatch.setattr(Connector, "_send_next", lock_first)
    monkeypatch.setattr(sendahead, "load", loading)
    try:
        items = list(connector(pg_url, AS_OF, schemas=["sil"], statement_timeout=2, read_timeout=1.0).collect())
    finally:
        holder.rollback()
        holder.close()
    got = by_name(items)
    t1 = got["sil.t1"].dataset
    assert t1.status == "error" and "read_timeout" not in t1.error, t1.error
    assert "DataError" in t1.error or "cannot convert" in t1.error, t1.error
    assert got["sil.t0"].dataset.status == "assessed" and got["sil.t3"].dataset.status == "assessed"
