"""Faults of a Celery run, with real worker processes: a worker killed mid-unit, a unit past
its time limit, the broker going away mid-run, and two coordinators on one store."""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.integration.celery.conftest import (
    ARCHIVE,
    HUGE,
    BucketHoldProxy,
    GateProxy,
    Worker,
    base_env,
    private_redis,
    scan,
    start_scan,
    write_config,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def case(tmp_path, estate, s3_url, redis_db, request):
    """A fresh queue, store and worker list for one test; every worker stopped by PID after it."""
    queue = f"auditor-{request.node.name[:40]}-{tmp_path.name}"
    env = base_env(estate, s3_url, f"redis://127.0.0.1:6379/{redis_db}", queue, f"sqlite:///{tmp_path / 'state.db'}")
    workers: list[Worker] = []
    proxies: list[GateProxy] = []

    def worker(name: str, s3_endpoint: str, config, broker: str | None = None, pool: str = "prefork") -> Worker:
        wenv = {**env, "S3_ENDPOINT": s3_endpoint, **({"AUDITOR_BROKER_URL": broker} if broker else {})}
        w = Worker(config, wenv, f"{name}-{tmp_path.name}", tmp_path, pool)
        workers.append(w)
        return w

    def proxy() -> GateProxy:
        p = GateProxy(urlparse(s3_url).port)
        proxies.append(p)
        return p

    yield {"tmp": tmp_path, "env": env, "worker": worker, "proxy": proxy, "s3": s3_url}
    for w in workers:
        w.kill()
    for p in proxies:
        p.close()


def _wait(event, timeout: float, what: str) -> None:
    assert event.wait(timeout), f"{what} within {timeout}s"


def _wait_read(port: int, timeout: float) -> None:
    """Until the coordinator has read every finished unit's result from the Redis at ``port`` (it
    deletes each once read): the broker may then go away without taking a finished unit with it."""
    import redis

    client = redis.Redis(port=port)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        done = [k for k in client.scan_iter("celery-task-meta-*") if b'"SUCCESS"' in (client.get(k) or b"")]
        if not done:
            return
        time.sleep(0.1)
    pytest.fail(f"the coordinator did not read the finished units' results within {timeout}s")


def test_worker_killed_mid_unit_is_redelivered_and_the_run_completes(case, estate):
    config = write_config(case["tmp"] / "auditor.yaml", estate, visibility_timeout_seconds=5)
    held = case["proxy"]()  # worker A's S3 requests hang here: it is mid-unit when killed
    a = case["worker"]("a", held.url, config).wait_ready()
    run = start_scan(config, case["env"], "--executor", "celery", "--source", "exports", "--as-of", estate["as_of"],
                     "--json", str(case["tmp"] / "run.json"))
    _wait(held.accepted, 90, "worker A started the unit")
    b = case["worker"]("b", case["s3"], config).wait_ready()
    a.kill()  # SIGKILL to the worker and its pool child, by PID
    started = time.monotonic()
    out, err = run.communicate(timeout=120)
    redelivered_after = time.monotonic() - started
    assert run.returncode == 1, err + out  # 1: complete with findings (ACLs enabled are a finding, not an unknown)
    report = json.loads((case["tmp"] / "run.json").read_text())
    assert [(s["id"], s["status"], s["error"]) for s in report["sources"]] == [("exports", "ok", None)]
    assert {d["name"] for d in report["datasets"]} >= {"celery-exports", "celery-exports/customers/2024/"}
    assert "auditor.collect_unit" in b.log.read_text()  # worker B did it
    print(f"redelivered and finished {redelivered_after:.1f}s after the kill (visibility timeout 5s)")


def test_unit_past_its_time_limit_is_not_assessed(case, estate):
    config = write_config(case["tmp"] / "auditor.yaml", estate, time_limit_seconds=2)
    never = case["proxy"]()  # never opened: the unit cannot finish
    case["worker"]("slow", never.url, config).wait_ready()
    started = time.monotonic()
    r = scan(config, case["env"], "--executor", "celery", "--source", "exports", "--source", "shop-db",
             "--as-of", estate["as_of"], "--json", str(case["tmp"] / "run.json"), timeout=120)
    took = time.monotonic() - started
    assert r.returncode == 3, r.stderr + r.stdout
    report = json.loads((case["tmp"] / "run.json").read_text())
    status = {s["id"]: (s["status"], s["error"]) for s in report["sources"]}
    assert status["shop-db"] == ("ok", None)
    assert status["exports"][0] == "error" and "timed out after" in status["exports"][1]
    assert any(f["rule"] == "not-assessed" and f["dataset"] == "exports" for f in report["findings"])
    assert "NOT ASSESSED source exports: timed out" in r.stdout
    assert took < 60


def test_a_bucket_unit_past_its_time_limit_is_not_assessed_for_that_bucket_only(case, estate):
    """A source split into bucket units: the unit of one bucket hangs (its requests held) and runs
    out of time; that bucket is not-assessed, the source and its other buckets are assessed."""
    config = write_config(case["tmp"] / "auditor.yaml", estate, split_sources=True,
                          archive_endpoint="${ARCHIVE_ENDPOINT}", time_limit_seconds=15)
    r, report = _scan_with_held_requests(case, estate, config, "archive", "ARCHIVE_ENDPOINT", ARCHIVE[2].encode())
    assert [(s["id"], s["status"], s["error"]) for s in report["sources"]] == [("archive", "ok", None)]
    buckets = [d["name"] for d in report["datasets"] if d["kind"] == "bucket"]
    assert buckets == ARCHIVE[:2], report["errors"]
    assert [(e["dataset"], "timed out" in e["reason"]) for e in report["errors"]] == [(ARCHIVE[2], True)]
    not_assessed = [f for f in report["findings"] if f["rule"] == "not-assessed"]
    assert [f["dataset"] for f in not_assessed] == [ARCHIVE[2]]


def test_broker_gone_mid_run_exits_3_naming_the_units_not_done_and_the_run_lock_holds(case, estate):
    redis_proc, port = private_redis(case["tmp"])
    try:
        broker = f"redis://127.0.0.1:{port}/0"
        config = write_config(case["tmp"] / "auditor.yaml", estate, broker_timeout_seconds=3)
        held = case["proxy"]()
        case["worker"]("w", held.url, config, broker=broker).wait_ready()
        env = {**case["env"], "AUDITOR_BROKER_URL": broker}
        run = start_scan(config, env, "--executor", "celery", "--source", "shop-db", "--source", "exports",
                         "--as-of", estate["as_of"], "--json", str(case["tmp"] / "run.json"))
        _wait(held.accepted, 90, "the worker started the exports unit")
        _wait_read(port, 20)  # shop-db ran before it (one worker process): the coordinator has its result
        # a second coordinator on the same store is refused by the run lock, as with local runs
        second = scan(config, env, "--executor", "celery", "--as-of", estate["as_of"], timeout=60)
        assert second.returncode == 2 and "holds this state store" in second.stderr, second.stderr
        redis_proc.kill()  # the broker goes away mid-run
        redis_proc.wait(timeout=10)
        started = time.monotonic()
        out, err = run.communicate(timeout=120)
        took = time.monotonic() - started
    finally:
        if redis_proc.poll() is None:
            redis_proc.kill()
            redis_proc.wait(timeout=10)
    assert run.returncode == 3, err + out
    report = json.loads((case["tmp"] / "run.json").read_text())
    status = {s["id"]: (s["status"], s["error"]) for s in report["sources"]}
    assert status["shop-db"] == ("ok", None)
    assert status["exports"][0] == "error" and "went away" in status["exports"][1]
    assert "NOT ASSESSED source exports: not done: the broker" in out
    assert "units not done" not in out or "exports" in out
    assert took < 60
    print(f"broker gone: the run ended {took:.1f}s later (broker_timeout_seconds 3)")


def test_no_worker_at_all_ends_the_run_after_run_timeout_naming_every_unit(case, estate):
    config = write_config(case["tmp"] / "auditor.yaml", estate, run_timeout_seconds=2)
    r = scan(config, case["env"], "--executor", "celery", "--as-of", estate["as_of"],
             "--json", str(case["tmp"] / "run.json"), timeout=60)
    assert r.returncode == 3, r.stderr + r.stdout
    report = json.loads((case["tmp"] / "run.json").read_text())
    assert report["run"]["status"] == "failed"
    for s in report["sources"]:
        assert s["status"] == "error" and "no worker finished it within 2s" in s["error"]
        assert f"NOT ASSESSED source {s['id']}: not done" in r.stdout


def test_a_prefix_unit_past_its_time_limit_is_not_assessed_for_that_prefix_only(case, estate):
    """A bucket split into prefix units: the unit of one top-level prefix hangs (its listing held) and
    runs out of time; that prefix is not-assessed (exit 3), the bucket and its other prefixes stand, and
    the bucket's counts say which prefix they leave out."""
    config = write_config(case["tmp"] / "auditor.yaml", estate, split_sources=True,
                          huge_endpoint="${HUGE_ENDPOINT}", time_limit_seconds=15)
    # the logs/ unit's listing
    r, report = _scan_with_held_requests(case, estate, config, "huge", "HUGE_ENDPOINT", b"prefix=logs%2F")
    assert [(s["id"], s["status"], s["error"]) for s in report["sources"]] == [("huge", "ok", None)]
    names = [d["name"] for d in report["datasets"]]
    assert names[0] == HUGE and f"{HUGE}/customers/2024/" in names and f"{HUGE}/zeta/" in names
    assert not [n for n in names if n.startswith(f"{HUGE}/logs/")]
    assert [(e["dataset"], e["kind"], "timed out" in e["reason"]) for e in report["errors"]] == [
        (f"{HUGE}/logs/", "prefix", True)]
    bucket = report["datasets"][0]
    assert bucket["objects"] == 2 + 1 + 1 + 9  # every object but the 9 under logs/
    assert "objects under prefix logs/ not counted: its unit was not assessed" in bucket["notes"]
    not_assessed = [f for f in report["findings"] if f["rule"] == "not-assessed"]
    assert [f["dataset"] for f in not_assessed] == [f"{HUGE}/logs/"]


def _scan_with_held_requests(case: dict, estate: dict, config: Path, source: str, endpoint_var: str,
                             hold: bytes) -> tuple[subprocess.CompletedProcess, dict]:
    """A Celery scan of ``source`` whose worker reaches S3 through a proxy holding every request
    that names ``hold`` (the coordinator goes direct); the requests were held, the run exits 3."""
    proxy = BucketHoldProxy(urlparse(case["s3"]).port, hold)
    try:
        wenv = {**case["env"], endpoint_var: proxy.url}
        w = Worker(config, wenv, f"hold-{case['tmp'].name}", case["tmp"]).wait_ready()
        try:
            r = scan(config, {**case["env"], endpoint_var: case["s3"]}, "--executor", "celery",
                     "--source", source, "--as-of", estate["as_of"], "--json", str(case["tmp"] / "run.json"),
                     timeout=150)
        finally:
            w.kill()
    finally:
        proxy.close()
    assert proxy.held.is_set()
    assert r.returncode == 3, r.stderr + r.stdout
    return r, json.loads((case["tmp"] / "run.json").read_text())


def test_a_worker_whose_config_differs_refuses_the_unit_and_the_source_is_not_assessed(case, estate):
    """The worker's copy of the config names another store under the same source id (an older
    config on one machine): it must not audit that store and have it merged in as the coordinator's
    source; the unit is refused, the source is not-assessed (exit 3), and the reason says why."""
    import sqlite3

    other = case["tmp"] / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT)")
    con.execute("INSERT INTO orders VALUES (1, 'nothing personal')")
    con.commit()
    con.close()
    config = write_config(case["tmp"] / "auditor.yaml", estate)
    stale = case["tmp"] / "worker"
    stale.mkdir()
    worker_config = write_config(stale / "auditor.yaml", {**estate, "sqlite": f"sqlite:///{other}"})
    w = case["worker"]("stale", case["s3"], worker_config).wait_ready()
    r = scan(config, case["env"], "--executor", "celery", "--source", "shop-db", "--as-of", estate["as_of"],
             "--json", str(case["tmp"] / "run.json"), timeout=120)
    report = json.loads((case["tmp"] / "run.json").read_text())
    assert [d["name"] for d in report["datasets"] if "orders" in d["name"]] == [], "audited the worker's store"
    assert r.returncode == 3, r.stderr + r.stdout
    [src] = report["sources"]
    assert src["status"] == "error" and "differs from the coordinator's" in src["error"], src
    assert "NOT ASSESSED source shop-db" in r.stdout
    assert "differs from the coordinator's" in w.log.read_text()  # the worker's log says it refused


def test_no_worker_at_all_with_no_run_timeout_ends_the_run_naming_the_queue(case, estate):
    """No run_timeout_seconds set (the README's example config): with no worker consuming the queue
    the coordinator must not wait forever; the run ends not-assessed (exit 3) saying no worker
    consumes the queue, within worker_timeout_seconds (20 s here; 300 s by default) and a margin."""
    config = write_config(case["tmp"] / "auditor.yaml", estate, worker_timeout_seconds=20)
    started = time.monotonic()
    r = scan(config, case["env"], "--executor", "celery", "--source", "shop-db", "--as-of", estate["as_of"],
             "--json", str(case["tmp"] / "run.json"), timeout=150)
    took = time.monotonic() - started
    assert r.returncode == 3, r.stderr + r.stdout
    report = json.loads((case["tmp"] / "run.json").read_text())
    [src] = report["sources"]
    assert src["status"] == "error" and "no worker consumes queue" in src["error"], src
    assert case["env"]["AUDITOR_QUEUE"] in src["error"]
    assert "no worker consumes queue" in r.stderr  # the log says it too
    assert took < 120
    print(f"no worker: the run ended after {took:.1f}s")


def _pool_children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def test_a_unit_that_kills_its_pool_process_every_time_is_not_assessed_not_redelivered_forever(case, estate):
    """The pool process running the exports unit dies every time (the OOM killer, a crash in a
    parser): the worker's main process lives on. The unit may be tried again a bounded number of times,
    then it is not-assessed naming the lost worker process (exit 3); shop-db's result stands and the
    run ends, instead of the unit going back to the queue forever."""
    import os
    import signal

    class Counting(GateProxy):
        def __init__(self, port: int) -> None:
            self.count = 0
            super().__init__(port)

        def _admit(self) -> None:
            self.count += 1
            super()._admit()

    held = Counting(urlparse(case["s3"]).port)
    run: subprocess.Popen | None = None
    try:
        config = write_config(case["tmp"] / "auditor.yaml", estate, time_limit_seconds=90)
        w = case["worker"]("oom", held.url, config).wait_ready()
        run = start_scan(config, case["env"], "--executor", "celery", "--source", "shop-db", "--source", "exports",
                         "--as-of", estate["as_of"], "--json", str(case["tmp"] / "run.json"))
        kills, seen, end = 0, 0, time.monotonic() + 60
        while run.poll() is None and time.monotonic() < end:
            if held.count > seen:  # a pool process is mid-unit (its S3 request held here): it dies
                seen = held.count
                for child in _pool_children(w.proc.pid):
                    os.kill(child, signal.SIGKILL)
                kills += 1
            time.sleep(0.3)
        out, err = run.communicate(timeout=60)
    finally:
        held.close()
        if run is not None and run.poll() is None:
            run.kill()
            run.wait(timeout=10)
    assert run.returncode == 3, err + out
    report = json.loads((case["tmp"] / "run.json").read_text())
    status = {s["id"]: (s["status"], s["error"]) for s in report["sources"]}
    assert status["shop-db"] == ("ok", None)
    assert status["exports"][0] == "error" and "worker process" in status["exports"][1], status
    assert "timed out" not in status["exports"][1]
    assert 2 <= kills <= 4, kills
    print(f"the exports unit's pool process died {kills} times; then not-assessed")


def test_a_result_larger_than_the_backend_takes_is_not_assessed_and_the_run_ends(case, estate):
    """A source of many tables: its result is larger than the result backend accepts (a private
    redis-server with proto-max-bulk-len 1mb). The unit is not-assessed with a reason that says so,
    the other source stands, and the run ends (exit 3)."""
    import sqlite3

    many = case["tmp"] / "many.db"
    con = sqlite3.connect(many)
    for i in range(2500):
        con.execute(f"CREATE TABLE t_{i:05d}_with_a_rather_long_table_name (id INTEGER, email TEXT)")
    con.commit()
    con.close()
    redis_proc, port = private_redis(case["tmp"], "--proto-max-bulk-len", "1mb")
    try:
        broker = f"redis://127.0.0.1:{port}/0"
        config = write_config(case["tmp"] / "auditor.yaml", {**estate, "sqlite": f"sqlite:///{many}"},
                              time_limit_seconds=120)
        w = case["worker"]("big", case["s3"], config, broker=broker).wait_ready()
        started = time.monotonic()
        r = scan(config, {**case["env"], "AUDITOR_BROKER_URL": broker}, "--executor", "celery",
                 "--source", "shop-db", "--source", "exports", "--as-of", estate["as_of"],
                 "--json", str(case["tmp"] / "run.json"), timeout=240)
        took = time.monotonic() - started
    finally:
        redis_proc.kill()
        redis_proc.wait(timeout=10)
    assert r.returncode == 3, r.stderr[-3000:] + r.stdout[-2000:]
    report = json.loads((case["tmp"] / "run.json").read_text())
    status = {s["id"]: (s["status"], s["error"]) for s in report["sources"]}
    assert status["exports"] == ("ok", None)
    assert status["shop-db"][0] == "error" and "could not store its result" in status["shop-db"][1], status
    assert re.search(r"unit shop-db: 2500 datasets, 0 errors, result \d+\.\d MB JSON", w.log.read_text())
    print(f"large result: {status['shop-db'][1]} after {took:.1f}s; worker log tail: {w.log.read_text()[-600:]}")


def test_a_broker_restarted_without_its_queue_ends_the_run_naming_the_lost_units(case, estate):
    """Redis restarts mid-run (no persistence: the queued units are gone) within broker_timeout_seconds,
    so the coordinator reconnects; the worker lives on and answers. The units that were lost never
    answer: they must be named not-assessed and the run must end (exit 3), not poll PENDING forever."""
    redis_proc, port = private_redis(case["tmp"])
    run: subprocess.Popen | None = None
    try:
        broker = f"redis://127.0.0.1:{port}/0"
        config = write_config(case["tmp"] / "auditor.yaml", estate, split_sources=True, time_limit_seconds=8,
                              visibility_timeout_seconds=5)
        held = case["proxy"]()  # the worker's S3 requests hang: it is stuck in the exports unit
        case["worker"]("w", held.url, config, broker=broker).wait_ready()
        env = {**case["env"], "AUDITOR_BROKER_URL": broker}
        run = start_scan(config, env, "--executor", "celery", "--as-of", estate["as_of"],
                         "--json", str(case["tmp"] / "run.json"))
        _wait(held.accepted, 90, "the worker started the exports unit")
        time.sleep(2)  # the coordinator has read the answers stored before (they would go with the broker too)
        redis_proc.kill()  # the queue (archive, crm-all, huge units) is lost with it
        redis_proc.wait(timeout=10)
        redis_proc, _ = private_redis(case["tmp"], port=port)  # back within broker_timeout_seconds
        started = time.monotonic()
        out, err = run.communicate(timeout=150)
        took = time.monotonic() - started
    finally:
        if run is not None and run.poll() is None:
            run.kill()
            run.wait(timeout=10)
        redis_proc.kill()
        redis_proc.wait(timeout=10)
    assert run.returncode == 3, err[-3000:] + out[-2000:]
    report = json.loads((case["tmp"] / "run.json").read_text())
    status = {s["id"]: (s["status"], s["error"]) for s in report["sources"]}
    assert status["shop-db"] == ("ok", None) and status["crm-pg"] == ("ok", None), status
    assert status["exports"][0] == "error" and "timed out" in status["exports"][1]
    for sid in ("archive", "crm-all", "huge"):
        assert status[sid][0] == "error" and "lost" in status[sid][1], status
    print(f"broker restarted: the run ended {took:.1f}s later")


def test_a_unit_delivered_twice_is_counted_once(case, estate):
    """A unit still running past the Redis visibility timeout is handed to a second worker (the README's
    "harmless, but twice the reads"): both finish; the report has each of its datasets once."""
    config = write_config(case["tmp"] / "auditor.yaml", estate, visibility_timeout_seconds=2)
    held = case["proxy"]()  # both workers' S3 requests wait here until the gate opens
    a = case["worker"]("a", held.url, config).wait_ready()
    b = case["worker"]("b", held.url, config).wait_ready()
    run = start_scan(config, case["env"], "--executor", "celery", "--source", "exports", "--as-of", estate["as_of"],
                     "--json", str(case["tmp"] / "run.json"))
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end and not all("auditor.collect_unit" in w.log.read_text() for w in (a, b)):
            time.sleep(0.5)
        held.gate.set()
        out, err = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(timeout=10)
    assert all("auditor.collect_unit" in w.log.read_text() for w in (a, b)), "the unit was not delivered twice"
    assert run.returncode == 1, err + out
    report = json.loads((case["tmp"] / "run.json").read_text())
    names = [d["name"] for d in report["datasets"]]
    assert names and len(names) == len(set(names)), names
    assert report["sources"][0]["datasets"] == len(names)
    assert len({f["id"] for f in report["findings"]}) == len(report["findings"])


def test_a_solo_worker_busy_with_a_long_unit_is_a_worker_the_run_waits_for(case, estate):
    """`auditor worker --pool solo` does not answer the coordinator's "which queues do you consume"
    while it runs a unit: a unit longer than worker_timeout_seconds made the run give up on every
    unit as "no worker consumes queue" (not-assessed, exit 3) while the worker was doing the work. A
    unit the worker has started is a worker consuming the queue."""
    config = write_config(case["tmp"] / "auditor.yaml", estate, worker_timeout_seconds=5)
    gate = case["proxy"]()  # held: the unit runs until the gate opens
    case["worker"]("solo", gate.url, config, pool="solo").wait_ready()
    threading.Timer(15, gate.gate.set).start()  # three worker timeouts into the unit
    r = scan(config, case["env"], "--executor", "celery", "--source", "exports", "--as-of", estate["as_of"],
             "--json", str(case["tmp"] / "run.json"), timeout=120)
    report = json.loads((case["tmp"] / "run.json").read_text())
    [src] = report["sources"]
    assert src["status"] == "ok", (src, r.stderr[-2000:])
    assert r.returncode in (0, 1), r.stderr + r.stdout
