"""Benchmark: an estate of 16 S3 sources behind 30 ms per request, audited by 1, 2 and 4 Celery workers.

Issue 21 (a). Needs Redis on 127.0.0.1:6379 (an empty db is claimed and flushed afterwards).
moto runs in a process of its own (benchmarks/_moto_proc.py: one bucket of small CSV exports
per source), behind a loopback proxy adding ``--latency`` per request
(benchmarks/latency_proxy.py), as real object stores answer in tens of milliseconds. Workers are
real `auditor worker` processes, one unit at a time each; the three pools (1, 2 and 4 workers)
run side by side on queues of their own, started before anything is timed, so the runs can be
interleaved: round r runs the 1-, 2- and 4-worker audits in rotating order. Timed: the
coordinator's whole `auditor scan --executor celery` (interpreter start, split, units, merge,
policies, store). Printed: each pool's wall times (min / median / max) and the ratios of the
medians to the 1-worker median, the floor measured in the same run.

    python benchmarks/celery_workers.py            # 16 sources, 1 / 2 / 4 workers, 3 rounds
    python benchmarks/celery_workers.py --quick    # 4 sources, 1 / 2 workers, 1 round
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _moto_proc import moto_process  # noqa: E402 (run as a script from benchmarks/)
from _result import interleaved, median, result, spread  # noqa: E402
from latency_proxy import LatencyProxy  # noqa: E402

AUDITOR = str(Path(sys.executable).parent / "auditor")


def claim_redis_db() -> int:
    import redis

    for db in random.sample(range(1, 16), 15):
        r = redis.Redis(host="127.0.0.1", port=6379, db=db)
        if r.dbsize() == 0 and r.set("auditor-bench-claim", os.getpid(), nx=True, ex=3600):
            return db
    raise SystemExit("no empty Redis db to claim")


def start_worker(config: Path, env: dict, name: str, folder: Path) -> tuple[subprocess.Popen, Path]:
    log = folder / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([AUDITOR, "-v", "worker", "-c", str(config), "--concurrency", "1", "--name",
                                 f"{name}@%h"], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, log


def wait_ready(log: Path, proc: subprocess.Popen) -> None:
    end = time.monotonic() + 180
    while "ready." not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > end:
            raise SystemExit(f"worker did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)


def stop(workers: list[tuple[subprocess.Popen, Path]]) -> None:
    for proc, _ in workers:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc, _ in workers:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="4 sources, 1 and 2 workers, one round")
    ap.add_argument("--sources", type=int, default=16)
    ap.add_argument("--repeats", type=int, help="interleaved rounds (default 3; quick 1)")
    ap.add_argument("--latency", type=float, default=0.03, help="seconds added per request (default 0.03)")
    args = ap.parse_args(argv)
    n_sources = 4 if args.quick else args.sources
    counts = (1, 2) if args.quick else (1, 2, 4)
    repeats = args.repeats or (1 if args.quick else 3)
    db = claim_redis_db()
    import redis

    pools: dict[int, list[tuple[subprocess.Popen, Path]]] = {}
    try:
        with moto_process([{"kind": "buckets", "tag": "celery", "buckets": n_sources, "per_bucket": 6}]) as (url, info), \
                tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            host, port = url.rsplit("/", 1)[-1].split(":")
            with LatencyProxy(host, int(port), delay=args.latency) as proxy:
                config = folder / "auditor.yaml"
                config.write_text("state: ${STATE_URL}\nexecutor:\n  kind: celery\n  queue: ${AUDITOR_QUEUE}\n"
                                  "vendors:\n  - id: v\nsources:\n" + "".join(
                                      f"  - {{id: s{i}, vendor: v, kind: s3, endpoint_url: {proxy.url}, "
                                      f"region: us-east-1, buckets: [{name}]}}\n"
                                      for i, name in enumerate(info["celery"])))
                env = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AUDITOR_BROKER_URL": f"redis://127.0.0.1:6379/{db}",
                       "AUDITOR_FINGERPRINT_KEY": "bench-" + "k" * 32,
                       "STATE_URL": f"sqlite:///{folder}/worker-unused.db"}
                for n in counts:  # every pool up before anything is timed, each on its own queue
                    wenv = {**env, "AUDITOR_QUEUE": f"bench-{n}"}
                    pools[n] = [start_worker(config, wenv, f"bench{n}-{k}", folder) for k in range(n)]
                for pool in pools.values():
                    for proc, log in pool:
                        wait_ready(log, proc)
                runs_done = [0]

                def audit(n: int):
                    def run() -> None:
                        runs_done[0] += 1
                        run_env = {**env, "AUDITOR_QUEUE": f"bench-{n}",
                                   "STATE_URL": f"sqlite:///{folder}/state-{n}-{runs_done[0]}.db"}
                        done = subprocess.run([AUDITOR, "scan", "-c", str(config), "--executor", "celery"],
                                              env=run_env, capture_output=True, text=True, timeout=1800)
                        if done.returncode not in (0, 1, 3) or " (0 failed)" not in done.stdout:
                            raise SystemExit(f"run with {n} workers: exit {done.returncode}\n{done.stdout}{done.stderr}")
                    return run

                before = proxy.requests
                walls, _, _ = interleaved({str(n): audit(n) for n in counts}, repeats)
                per_run = (proxy.requests - before) / (len(counts) * repeats)
    finally:
        for pool in pools.values():
            stop(pool)
        redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()
    print(f"{n_sources} sources (one bucket of 6 CSV exports each), +{args.latency * 1000:.0f} ms per request, "
          f"about {per_run:.0f} requests per audit, {repeats} interleaved round(s)")
    for n in counts:
        print(f"{n} worker(s): {spread(walls[str(n)])}")
    floor = walls["1"]
    for n in counts[1:]:
        ratio = median(walls[str(n)]) / median(floor)
        print(f"wall({n} workers) / wall(1 worker): {ratio:.2f}x (ideal {1 / n:.2f}x)")
        result("celery workers", f"wall({n} workers) / wall(1 worker), {n_sources} sources", ratio, "x",
               f"< 1 (ideal {1 / n:.2f})", None if args.quick else ratio < 1, floor=spread(floor),
               spread=spread(walls[str(n)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
