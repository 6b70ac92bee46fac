"""A Celery unit reads its connector inline, never ahead in a thread of its own.

A Celery unit's time limit is a signal: the soft limit raises SoftTimeLimitExceeded in the worker
process's main thread, and the hard limit kills the process HARD_LIMIT_GRACE seconds later. Inline,
the exception interrupts the connector's read and the unit returns a source error with the datasets
found. Read ahead (auditor.overlap), the read would run in a thread no signal reaches: the unit would
wait for it past the hard limit (the worker killed, its datasets lost) and the store would still be
read after the unit ended. (Found by review of the read-ahead.)"""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime

import pytest

from auditor import engine, registry
from auditor.config import parse_config
from auditor.models import Dataset, Observation, Sample
from connectors.base import Options as BaseOptions

celery_exec = pytest.importorskip("auditor.executors.celery_exec")
SoftTimeLimitExceeded = pytest.importorskip("celery.exceptions").SoftTimeLimitExceeded

AS_OF = datetime(2026, 1, 15, tzinfo=UTC)
STUCK = threading.Event()  # the store's read: returns when set


class StuckConnector:
    kind = "stuckread"

    class Options(BaseOptions):
        pass

    def __init__(self, source, ctx):
        self.source, self.ctx = source, ctx

    def collect(self):
        for i in range(2):
            ds = Dataset(source=self.source.id, vendor=self.source.vendor.id, kind="table", name=f"t{i}",
                         uri=f"x://t{i}", records=2, columns=("email",))
            yield Observation(dataset=ds, sample=Sample(fields={"email": ["a@example.com", "b@example.com"]}))
        STUCK.wait()  # a read on a store that stopped answering (what the time limit is for)


def test_a_soft_time_limit_returns_the_units_error_and_datasets_before_the_hard_limit(tmp_path, monkeypatch):
    from connectors import load_builtin

    load_builtin()
    registry.connectors.add("stuckread", StuckConnector)
    monkeypatch.setattr(engine, "COLLECT_AHEAD", 4)  # the local executor's read-ahead is on
    cfg = parse_config(f"""
state: sqlite:///{tmp_path / 'state.db'}
vendors: [{{id: v}}]
sources:
  - {{id: s, vendor: v, kind: stuckread}}
""", str(tmp_path / "auditor.yaml"))
    monkeypatch.setattr(celery_exec, "_WORKER_CONFIG", cfg)
    STUCK.clear()

    def soft_limit(signum, frame):  # billiard's soft time limit handler does just this
        raise SoftTimeLimitExceeded()

    old = signal.signal(signal.SIGALRM, soft_limit)
    hard = threading.Timer(0.2 + celery_exec.HARD_LIMIT_GRACE, STUCK.set)  # the kill: here, the read ends
    hard.start()
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        out = celery_exec._collect_unit(None, "s", AS_OF.isoformat(), "", 0.2)
        killed = STUCK.is_set()  # the hard limit came first: the worker process would have been killed
        reader_left = [t for t in threading.enumerate() if t.name.endswith("-collect") and t.is_alive()]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        STUCK.set()
        hard.cancel()
        registry.connectors.remove("stuckread")
    assert not killed, "returned only after the hard time limit: the worker is killed, its datasets lost"
    assert out["result"]["status"] == "error" and "timed out" in out["result"]["error"]
    assert [d["name"] for d in out["datasets"]] == ["t0", "t1"]
    assert not reader_left, "the store is still being read after the unit ended"
