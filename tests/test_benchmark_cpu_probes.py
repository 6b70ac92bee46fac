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
