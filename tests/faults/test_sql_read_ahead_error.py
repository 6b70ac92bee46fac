"""A big table that fails on the read-ahead connection (any error inside its read, not a driver
error: those are the table's own) while the main connection has the next small table's query
sent ahead: the failure is that big table's alone. It used to clear the main connection's record
of its query in flight (one record, shared by both threads), so the main connection's next table
ran a statement over results still on the wire and was not assessed for nothing it did."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from fault_helpers import email_tables, scan, sql_source, write_config

from connectors.sql.connector import Connector

pytestmark = pytest.mark.postgres
SMALL = [f"small_{i:02d}" for i in range(30)]


@pytest.fixture(scope="module")
def db(pg_url: str) -> Iterator[str]:
    email_tables(pg_url, [(f"ra.{t}", n) for t, n in [("zz_big", 3000)] + [(s, 20) for s in SMALL]], schemas=("ra",))
    yield pg_url


def test_a_failure_on_the_read_ahead_connection_is_the_big_tables_alone(tmp_path, db, monkeypatch):
    """The two threads are held where the fault bites, whatever the machine's speed: the main one
    in small_10's description (small_11's query in flight: sent before a table is described) until
    the read-ahead thread's failed table has been settled; the big table fails only then."""
    real, real_settle = Connector._observation, Connector._settle
    reached, settled = threading.Event(), threading.Event()
    failed: list[bool] = []

    def observation(self, server, t, plan, read):
        if t.name == "zz_big":  # on the read-ahead thread
            assert reached.wait(10), "the main connection never reached small_10"
            failed.append(self._sent is not None)
            raise RuntimeError("injected: describing the big table failed")
        if t.name == "small_10":  # on the main thread, small_11's query sent ahead
            reached.set()
            assert settled.wait(10), "the big table's failure was never settled"
        return real(self, server, t, plan, read)

    def settle(self, conn, give_up=False):
        try:
            return real_settle(self, conn, give_up)
        finally:
            if threading.current_thread().name.startswith("sql-read-ahead-"):
                settled.set()

    monkeypatch.setattr(Connector, "_observation", observation)
    monkeypatch.setattr(Connector, "_settle", settle)
    s = scan(write_config(tmp_path, [sql_source("pg", db, schemas=["ra"], exact_count_max_rows=100)]))
    assert failed == [True], "the big table did not fail while a small table's query was in flight"
    big = s.dataset("pg", "ra.zz_big")
    assert big["status"] == "error" and "RuntimeError" in big["error"], big
    broken = {n: s.dataset("pg", f"ra.{n}")["error"] for n in SMALL if s.dataset("pg", f"ra.{n}")["status"] != "assessed"}
    assert not broken, broken
    assert all("email" in s.personal("pg", f"ra.{n}") for n in SMALL)
