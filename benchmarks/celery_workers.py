"""Benchmark: one estate of S3 sources behind a latency proxy, audited by 1, 2 and 4 Celery workers.

Needs Redis on 127.0.0.1:6379 (an empty db is claimed and flushed afterwards). moto runs in this
process; every request to it goes through a loopback proxy that adds ``--latency`` per request
(real object stores answer in tens of milliseconds). Workers are real `auditor worker`
processes (one unit at a time each); their start-up is not timed, the coordinator's
`auditor scan --executor celery` is. Prints the wall times and the 1-vs-N ratios.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import boto3
from _result import result  # noqa: E402 (run as a script from benchmarks/)

from auditor.emulators import s3_server

AUDITOR = str(Path(sys.executable).parent / "auditor")


class LatencyProxy:
    """Loopback TCP proxy adding ``delay`` before forwarding each chunk a client sends."""

    def __init__(self, target_port: int, delay: float) -> None:
        self.target_port, self.delay = target_port, delay
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        up = socket.create_connection(("127.0.0.1", self.target_port))

        def pump(a: socket.socket, b: socket.socket, delay: float) -> None:
            try:
                while data := a.recv(65536):
                    if delay:
                        time.sleep(delay)
                    b.sendall(data)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        threading.Thread(target=pump, args=(up, conn, 0.0), daemon=True).start()
        pump(conn, up, self.delay)


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
    end = time.monotonic() + 120
    while "ready." not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > end:
            raise SystemExit(f"worker did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="8 sources, 1 and 2 workers")
    ap.add_argument("--sources", type=int, default=16)
    ap.add_argument("--latency", type=float, default=0.03, help="seconds added per request (default 0.03)")
    args = ap.parse_args(argv)
    n_sources = 8 if args.quick else args.sources
    counts = (1, 2) if args.quick else (1, 2, 4)
    db = claim_redis_db()
    import redis

    try:
        with s3_server() as s3_url, tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            s3 = boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
            for i in range(n_sources):
                s3.create_bucket(Bucket=f"bench-{i}")
                for j in range(6):
                    s3.put_object(Bucket=f"bench-{i}", Key=f"p{j % 3}/export-{j}.csv",
                                  Body=b"id,email\n" + b"".join(b"%d,user%d@fastmail.com\n" % (k, k) for k in range(50)))
            proxy = LatencyProxy(urlparse(s3_url).port, args.latency)
            config = folder / "auditor.yaml"
            config.write_text("state: ${STATE_URL}\nvendors:\n  - id: v\nsources:\n" + "".join(
                f"  - {{id: s{i}, vendor: v, kind: s3, endpoint_url: {proxy.url}, region: us-east-1, "
                f"buckets: [bench-{i}]}}\n" for i in range(n_sources)))
            env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                   "AUDITOR_BROKER_URL": f"redis://127.0.0.1:6379/{db}", "AUDITOR_FINGERPRINT_KEY": "bench-" + "k" * 32,
                   "STATE_URL": f"sqlite:///{folder}/worker-unused.db"}
            walls: dict[int, float] = {}
            for n in counts:
                workers = [start_worker(config, env, f"bench{n}-{k}", folder) for k in range(n)]
                try:
                    for proc, log in workers:
                        wait_ready(log, proc)
                    run_env = {**env, "STATE_URL": f"sqlite:///{folder}/state-{n}.db"}
                    started = time.perf_counter()
                    done = subprocess.run([AUDITOR, "scan", "-c", str(config), "--executor", "celery"], env=run_env,
                                          capture_output=True, text=True, timeout=1800)
                    walls[n] = time.perf_counter() - started
                    if done.returncode not in (0, 1, 3) or "failed)" not in done.stdout or " (0 failed)" not in done.stdout:
                        raise SystemExit(f"run with {n} workers: exit {done.returncode}\n{done.stdout}{done.stderr}")
                finally:
                    for proc, _ in workers:
                        if proc.poll() is None:
                            os.killpg(proc.pid, signal.SIGTERM)
                    for proc, _ in workers:
                        try:
                            proc.wait(timeout=30)
                        except subprocess.TimeoutExpired:
                            os.killpg(proc.pid, signal.SIGKILL)
                print(f"{n} worker(s), {n_sources} sources, +{args.latency * 1000:.0f} ms per request: {walls[n]:.2f}s",
                      flush=True)
    finally:
        redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()
    for n in counts[1:]:
        ratio = walls[n] / walls[1]
        print(f"wall({n} workers) / wall(1 worker): {ratio:.2f}x (ideal {1 / n:.2f}x)")
        result("celery workers", f"wall({n} workers) / wall(1)", ratio, "x", f"< 1 (ideal {1 / n:.2f})", ratio < 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
