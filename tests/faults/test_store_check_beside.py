"""The state store's integrity check (``PRAGMA quick_check``, a read of every page: seconds on a store
of a year of nightly runs, growing with every run kept) is made in a thread of its own while the
sources are read, not before them. Its verdict is awaited before the run reads the store's history
or writes anything more to it: a damaged store is still exit 2 with one line and nothing saved
(``test_store_save_faults``), and a run that ends otherwise stops the check at once."""

from __future__ import annotations

import sqlite3
import threading

from fault_helpers import now, write_config

import auditor.engine as engine
import auditor.executors as executors
from auditor.config import load_config
from auditor.engine import RunOptions, run_audit
from auditor.errors import StoreError
from auditor.store import Store

CLEAN = {"name": "public.orders", "public": False, "encryption_at_rest": "provider",
         "encryption_in_transit": "enforced", "has_retention": True, "retention_days": 30,
         "sample": {"sku": ["A-1", "B-2"]}}


def fake_source(**options):
    return {"id": "db", "vendor": "v1", "kind": "fake", "datasets": [CLEAN], **options}


def statuses(state) -> list[str]:
    with sqlite3.connect(state) as c:
        return [r[0] for r in c.execute("SELECT status FROM runs ORDER BY started_at")]


def checks_left() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "state-store-check"]


def test_the_check_is_made_while_the_sources_are_read(tmp_path, fake_connector, monkeypatch):
    reading = threading.Event()
    overlapped: list[bool] = []
    real_check, real_collect = Store.check, fake_connector.collect

    def check(self, *args, **kwargs):
        overlapped.append(reading.wait(10))  # set only once the source is being read
        return real_check(self, *args, **kwargs)

    def collect(self):
        reading.set()
        yield from real_collect(self)

    monkeypatch.setattr(Store, "check", check)
    monkeypatch.setattr(fake_connector, "collect", collect)
    config = load_config(write_config(tmp_path, [fake_source()]))
    run = run_audit(config, RunOptions(as_of=now()))
    assert overlapped == [True], "the integrity check was made before the sources were read, not beside them"
    assert run.status == "complete" and [d.name for d in run.datasets] == ["public.orders"]
    assert statuses(tmp_path / "state.db") == [run.status]
    assert not checks_left()


def test_a_damaged_verdict_comes_before_the_history_is_read_and_nothing_is_saved(tmp_path, fake_connector,
                                                                                 monkeypatch):
    def check(self, *args, **kwargs):
        raise StoreError("the state store sqlite:///state.db is damaged (injected): restore it from a backup")

    history: list[int] = []
    real_age = engine.age_from_history
    monkeypatch.setattr(engine, "age_from_history", lambda *a, **kw: (history.append(1), real_age(*a, **kw))[1])
    config = load_config(write_config(tmp_path, [fake_source()]))
    assert run_audit(config, RunOptions(as_of=now())).status == "complete"
    history.clear()
    monkeypatch.setattr(Store, "check", check)
    try:
        run_audit(config, RunOptions(as_of=now()))
    except StoreError as exc:
        assert "damaged" in str(exc)
    else:
        raise AssertionError("a damaged store gave a run")
    assert history == [], "the history of a damaged store was read"
    assert statuses(tmp_path / "state.db") == ["complete", "failed"]
    assert not checks_left()


def test_a_run_that_fails_while_the_check_runs_stops_it(tmp_path, fake_connector, monkeypatch):
    """An endless statement stands for the check of a very big store: the run that fails meanwhile
    (here its collection) interrupts it, marks itself failed and returns; nothing is left running."""
    started = threading.Event()

    def endless_check(self, connected=None):
        with self.engine.connect() as conn:
            connected(conn.connection.dbapi_connection)
            started.set()
            conn.exec_driver_sql("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                                 "SELECT count(*) FROM c").all()

    def failing_collect(*args, **kwargs):
        assert started.wait(10)
        raise RuntimeError("injected: the collection failed")

    config = load_config(write_config(tmp_path, [fake_source()]))
    monkeypatch.setattr(Store, "check", endless_check)
    monkeypatch.setattr(executors, "collect", failing_collect)
    done: list[BaseException] = []

    def run() -> None:
        try:
            run_audit(config, RunOptions(as_of=now()))
        except BaseException as exc:  # noqa: BLE001 - the test reads it
            done.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(30)
    assert not t.is_alive(), "the run waited for its integrity check after it failed"
    assert [str(e) for e in done] == ["injected: the collection failed"]
    assert statuses(tmp_path / "state.db") == ["failed"], "the check's read lock kept the run from being marked"
    assert not checks_left()
