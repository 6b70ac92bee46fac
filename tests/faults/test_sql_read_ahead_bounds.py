"""The read-ahead connection's thread (the big tables, read while the main connection reads the
others) is bounded both ways: the observations it holds that the main thread has not taken hold
at most ``READ_AHEAD_CHARS`` sampled characters (one is always read: the engine bounds the samples
alive per source; samples of usual size are all read ahead, whatever the tables' order), and
a source that stops while a big table's statement runs cancels that statement rather than waiting
for it (a cancel, a closed run, a Celery time limit: the source's thread is not held for as long as
the server takes, up to ``statement_timeout`` a statement)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fault_helpers import email_tables

from connectors.base import CollectContext, SourceSpec
from connectors.sql import apart
from connectors.sql.connector import Connector
from auditor.models import Observation, Vendor

pytestmark = pytest.mark.postgres
SMALL = [f"m_{i:02d}" for i in range(10)]
BIG = [f"z_big_{i}" for i in range(6)]  # last in order: read ahead while the main thread reads the small ones


@pytest.fixture(scope="module")
def db(pg_url: str) -> Iterator[str]:
    email_tables(pg_url, [(s, 20) for s in SMALL] + [(b, 3000) for b in BIG])
    yield pg_url


def _connector(url: str, **options) -> Connector:
    spec = SourceSpec(id="db", kind="sql", vendor=Vendor(id="v"),
                      options=Connector.Options(url=url, exact_count_max_rows=100, **options))
    return Connector(spec, CollectContext(as_of=datetime.now(UTC)))


def _on_read_ahead_thread() -> bool:
    return threading.current_thread().name.startswith("sql-read-ahead-")


@pytest.mark.parametrize("budget, ahead", [(1, 1), (None, len(BIG))], ids=["one-sample-of-room", "default"])
def test_the_read_ahead_thread_holds_samples_not_taken_within_its_budget(db, monkeypatch, budget, ahead):
    """The main thread is held in its first table's description; meanwhile the read-ahead thread
    reads the big tables: with room for one sample, one; by default (samples of a few thousand
    characters), all six."""
    if budget is not None:
        monkeypatch.setattr(apart, "READ_AHEAD_CHARS", budget)
    real_table, real_observation = Connector._table_or_error, Connector._observation
    started: list[str] = []
    past = threading.Event()  # read further than it may, or read them all

    def table_or_error(self, conn, server, t, after=None):
        if _on_read_ahead_thread():
            started.append(t.name)
            if len(started) > ahead or len(started) == len(BIG):
                past.set()
        return real_table(self, conn, server, t, after)

    def observation(self, server, t, plan, read):
        if t.name == SMALL[0]:  # the main thread, before any big table is taken
            past.wait(3)  # what the read-ahead thread reads meanwhile (without a bound: all six)
            read_ahead_while_held.extend(started)
        return real_observation(self, server, t, plan, read)

    read_ahead_while_held: list[str] = []
    monkeypatch.setattr(Connector, "_table_or_error", table_or_error)
    monkeypatch.setattr(Connector, "_observation", observation)
    items = list(_connector(db).collect())
    assert read_ahead_while_held == BIG[:ahead], read_ahead_while_held
    assert sorted(started) == BIG, "every big table read on the read-ahead connection once taken"
    datasets = {o.dataset.name: o for o in items if isinstance(o, Observation)}
    assert sorted(datasets) == sorted(f"public.{n}" for n in SMALL + BIG)
    for name, o in datasets.items():
        assert o.dataset.status == "assessed", (name, o.dataset.error)
        assert o.sample is not None and "email" in o.sample.fields, name


@pytest.mark.parametrize("cancelled", [True, False], ids=["cancelled", "closed"])
def test_a_source_that_stops_cancels_the_read_ahead_statement_in_flight(db, monkeypatch, caplog, cancelled):
    """Cancelled (a timeout, a stop) or closed by its reader, the source cuts off the read-ahead
    statement in flight; the table cut off is never handed back, so it is not logged as a table
    that could not be read either (a cron mail would name a failure there was not)."""
    real_read = Connector._read
    sleeping = threading.Event()

    def read(self, conn, t, plan, cut=None):
        if t.name == BIG[0]:  # a big table's scan that the server takes 30 s over
            sleeping.set()
            conn.exec_driver_sql("SELECT pg_sleep(30)")
        return real_read(self, conn, t, plan, cut)

    monkeypatch.setattr(Connector, "_read", read)
    c = _connector(db, statement_timeout=60)
    gen = c.collect()
    first = next(gen)
    assert isinstance(first, Observation) and first.dataset.name == f"public.{SMALL[0]}"
    assert sleeping.wait(10), "the big table's statement never started"
    if cancelled:
        c.ctx.cancel.set()
    t0 = time.monotonic()
    gen.close()
    waited = time.monotonic() - t0
    assert waited < 10, f"closing the source waited {waited:.1f}s for the read-ahead statement (30s on the server)"
    eng = sa.create_engine(db)
    with eng.connect() as conn:  # the statement is gone from the server too, not left running
        running = conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%' "
                                       "AND state = 'active'")).scalar()
    eng.dispose()
    assert running == 0
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING], "a table cut off was logged"


def test_a_schema_named_twice_is_read_once(pg_url, monkeypatch):
    """``schemas: [a, a, b]`` listed each table of ``a`` twice: two datasets of one table, and once
    the read-ahead thread took only what it had room for, a main thread waiting for ever on the
    second copy of a big table already taken."""
    a = [f"twice_a.s_{i:02d}" for i in range(30)] + ["twice_a.k_big"]
    b = [f"twice_b.{t}" for t in ("x_big", "y_big", "z_big", "small")]
    email_tables(pg_url, [(t, 3000 if t.endswith("_big") else 20) for t in a + b], schemas=("twice_a", "twice_b"))
    monkeypatch.setattr(apart, "READ_AHEAD_CHARS", 1)  # room for one sample not taken
    done: list[list] = []
    c = _connector(pg_url, schemas=["twice_a", "twice_a", "twice_b"])
    worker = threading.Thread(target=lambda: done.append(list(c.collect())), daemon=True)
    worker.start()
    worker.join(60)
    if worker.is_alive():
        c.ctx.cancel.set()
        pytest.fail("the scan never ended")
    names = [o.dataset.name for o in done[0] if isinstance(o, Observation)]
    assert len(names) == len(set(names)) == 35, sorted(names)
