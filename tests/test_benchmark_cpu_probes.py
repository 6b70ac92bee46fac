"""The CPU accounting the SQL benchmark prints beside its floors: probes read around each run,
and the PostgreSQL server's CPU read from /proc (the benchmark's figures are not asserted)."""

import os
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.conftest import require_service

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import _result  # noqa: E402


def test_probes_record_the_difference_around_each_run():
    ticks = iter(range(0, 100, 5))  # 0, 5, 10, ...: each read 5 more than the last
    probed: dict = {}
    walls, cpus, last = _result.interleaved({"a": lambda: "A", "b": lambda: "B"}, 2,
                                            {"counter": lambda: float(next(ticks)), "none": lambda: None}, probed)
    assert last == {"a": "A", "b": "B"} and len(walls["a"]) == len(cpus["b"]) == 2
    assert probed == {"counter": {"a": [5.0, 5.0], "b": [5.0, 5.0]}}  # an unreadable probe records nothing


def test_machine_busy_seconds_grows_with_work():
    before = _result.machine_busy_seconds()
    if before is None:
        pytest.skip("no /proc/stat here")
    end = time.process_time() + 0.3
    while time.process_time() < end:
        pass
    assert _result.machine_busy_seconds() - before >= 0.2


def test_machine_steal_seconds_is_the_steal_column_and_never_decreases(tmp_path, monkeypatch):
    stat = tmp_path / "stat"
    stat.write_text("cpu  60657 0 16588 440648 2663 0 2753 5615 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n")
    real_open = open
    monkeypatch.setattr("builtins.open", lambda path, *a, **k: real_open(stat if path == "/proc/stat" else path, *a, **k))
    assert _result.machine_steal_seconds() == 5615 / _result._TICKS
    stat.write_text("cpu  60657 0 16588 440648 2663 0 2753\n")  # a kernel without the column
    assert _result.machine_steal_seconds() is None
    monkeypatch.undo()
    first = _result.machine_steal_seconds()
    if first is not None:
        assert _result.machine_steal_seconds() >= first


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="no /proc here")
def test_postgres_cpu_counts_a_backend_that_ended():
    """A query's CPU stays counted after its connection (and backend) ended: the postmaster's reaped children."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    import sql_inventory

    before = sql_inventory.postgres_cpu_seconds()
    if before is None:
        pytest.skip("the PostgreSQL server's processes are not visible in /proc here")
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        conn.execute("SET max_parallel_workers_per_gather = 0")
        conn.execute("SELECT count(*) FROM generate_series(1, 3000000)").fetchone()  # ~0.3 s of a backend's CPU
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.05)  # until the backend has ended and been reaped
    assert not os.path.exists(f"/proc/{pid}")
    spent = sql_inventory.postgres_cpu_seconds() - before
    assert spent >= 0.1, spent
