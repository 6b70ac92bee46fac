"""Celery executor fixtures: the machine's Redis (a db of its own per session), real
`auditor worker` processes (stopped by PID), a SQLite + PostgreSQL + moto-S3 estate seeded with
known raw values, and a gate proxy that holds a worker's S3 requests mid-unit."""

from __future__ import annotations

import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
import sqlalchemy as sa

from auditor.emulators import s3_server
from tests.conftest import free_port, require_service
from tests.sockets import shutdown_both

AUDITOR = str(Path(sys.executable).parent / "auditor")
BUCKET = "celery-exports"
ARCHIVE = ["celery-archive-a", "celery-archive-b", "celery-archive-c"]  # one source, one unit per bucket
HUGE = "celery-huge"  # one bucket, one unit per top-level prefix (prefix_units)
HUGE_PREFIXES = ["customers/", "exports.v2/", "logs/", "zeta/"]
SCHEMAS = ["billing", "support"]  # with public: one PostgreSQL source, one unit per schema
# raw values seeded into the estate: none may ever reach the broker
EMAILS = ["zelda.quinn.7731@fastmail.com", "marek.oduya.5520@fastmail.com",
          "ines.talbot.9043@fastmail.com"]
PG_PASSWORD = "pw-celery-Zq81xT"
AWS_SECRET = "aws-secret-celery-K7p2wQ9"


def luhn_complete(prefix: str) -> str:
    digits = [int(c) for c in prefix]
    for check in range(10):
        total = 0
        for i, d in enumerate(reversed(digits + [check])):
            d = d * 2 if i % 2 else d
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return prefix + str(check)
    raise AssertionError


CARDS = [luhn_complete("453957876362148"), luhn_complete("401288888888188"), luhn_complete("552500000000000")]


@pytest.fixture(scope="session")
def redis_db() -> Iterator[int]:
    """An empty Redis db claimed for this session (flushed at the end)."""
    require_service("Redis", "127.0.0.1", 6379)
    import redis

    for db in random.sample(range(1, 16), 15):
        r = redis.Redis(host="127.0.0.1", port=6379, db=db)
        if r.dbsize() == 0 and r.set("auditor-test-claim", os.getpid(), nx=True, ex=3 * 3600):
            try:
                yield db
            finally:
                r.flushdb()
            return
    pytest.fail("no empty Redis db (1..15) to claim")


@pytest.fixture(scope="session")
def s3_url() -> Iterator[str]:
    with s3_server() as url:
        yield url


@pytest.fixture(scope="module")
def estate(tmp_path_factory, s3_url, pg_url) -> dict:
    """Three sources holding the seeded raw values; as_of derived from the objects' own times."""
    root = tmp_path_factory.mktemp("celery-estate")
    s3 = boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    try:
        s3.create_bucket(Bucket=BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    rows = "\n".join(f"{i},{e},{c}" for i, (e, c) in enumerate(zip(EMAILS, CARDS)))
    s3.put_object(Bucket=BUCKET, Key="customers/2024/export.csv", Body=f"id,email,card\n{rows}\n".encode())
    s3.put_object(Bucket=BUCKET, Key="notes/readme.txt", Body=b"nothing personal here\n")
    for i, name in enumerate(ARCHIVE):
        try:
            s3.create_bucket(Bucket=name)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
        s3.put_object(Bucket=name, Key=f"exports/{i}/contacts.csv", Body=f"id,email\n{i},{EMAILS[i]}\n".encode())
        s3.put_object(Bucket=name, Key="logs/app.log", Body=b"started\nstopped\n")
    try:
        s3.create_bucket(Bucket=HUGE)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    # object ACLs disabled (as new AWS buckets are): the bucket's exposure needs no tally of its objects
    s3.put_bucket_ownership_controls(Bucket=HUGE, OwnershipControls={
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    huge = {"index.csv": f"id,email\n1,{EMAILS[0]}\n", "readme.txt": "the export bucket\n",
            "exports.v2/x.csv": f"id,card\n1,{CARDS[0]}\n", "zeta/deep/er/file.json": '{"ok": true}\n'}
    for i in range(9):  # more direct objects than sample_objects: the reservoir replaces picks
        huge[f"customers/2024/part-{i}.csv"] = f"id,email\n{i},{EMAILS[i % len(EMAILS)]}\n"
        huge[f"logs/app-{i}.log"] = "started\n" * (i + 1)
    for key, body in huge.items():
        s3.put_object(Bucket=HUGE, Key=key, Body=body.encode())
    written = s3.head_object(Bucket=BUCKET, Key="customers/2024/export.csv")["LastModified"]
    db = root / "shop.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, card TEXT, updated_at TEXT)")
    con.executemany("INSERT INTO customers VALUES (?, ?, ?, '2019-05-01T00:00:00')",
                    [(i, e, c) for i, (e, c) in enumerate(zip(EMAILS, CARDS))])
    con.execute("CREATE TABLE codes (code TEXT)")  # no times: fingerprint age from history
    con.executemany("INSERT INTO codes VALUES (?)", [("K1",), ("K2",)])
    con.commit()
    con.close()
    os.utime(db, (written.timestamp(), written.timestamp()))
    pg = sa.create_engine(pg_url)
    with pg.begin() as c:
        c.execute(sa.text("CREATE TABLE IF NOT EXISTS leads (id int, email text, updated_at timestamptz)"))
        c.execute(sa.text("DELETE FROM leads"))
        for i, e in enumerate(EMAILS):
            c.execute(sa.text("INSERT INTO leads VALUES (:i, :e, '2019-06-01T00:00:00Z')"), {"i": i, "e": e})
        for schema in SCHEMAS:
            c.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
            c.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {schema}.contacts (id int, email text, "
                              "updated_at timestamptz)"))
            c.execute(sa.text(f"DELETE FROM {schema}.contacts"))
            c.execute(sa.text(f"INSERT INTO {schema}.contacts VALUES (1, :e, '2019-07-01T00:00:00Z')"),
                      {"e": EMAILS[len(schema) % len(EMAILS)]})
            c.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {schema}.codes (code text)"))
    pg.dispose()
    pg_with_password = sa.engine.make_url(pg_url).set(password=PG_PASSWORD).render_as_string(hide_password=False)
    as_of = (written + timedelta(days=400)).isoformat()
    return {"root": root, "sqlite": f"sqlite:///{db}", "pg": pg_with_password, "as_of": as_of}


def write_config(path: Path, estate: dict, *, split_sources: bool = False, archive_endpoint: str = "${S3_ENDPOINT}",
                 huge_endpoint: str = "${S3_ENDPOINT}", **executor: object) -> Path:
    """The estate's config; ``split_sources``: also an S3 source of three buckets and a PostgreSQL
    source of three schemas (``archive``, ``crm-all``), each one a unit per bucket or schema, and an
    S3 source of one bucket split into prefix units (``huge``)."""
    ex = {"kind": "local", "broker": "${AUDITOR_BROKER_URL}", "queue": "${AUDITOR_QUEUE}", **executor}
    ex_lines = "\n".join(f"  {k}: {v}" for k, v in ex.items())
    path.write_text(f"""state: ${{STATE_URL}}
policies: [builtin:baseline]
executor:
{ex_lines}
vendors:
  - id: acme
    name: Acme Analytics
sources:
  - id: shop-db
    vendor: acme
    kind: sql
    url: {estate['sqlite']}
  - id: crm-pg
    vendor: acme
    kind: sql
    url: ${{VENDOR_PG_URL}}
    include: ["public.*"]
  - id: exports
    vendor: acme
    kind: s3
    endpoint_url: ${{S3_ENDPOINT}}
    region: us-east-1
    buckets: [{BUCKET}]
""" + ("" if not split_sources else f"""  - id: archive
    vendor: acme
    kind: s3
    endpoint_url: {archive_endpoint}
    region: us-east-1
    buckets: ["celery-archive-*"]
  - id: crm-all
    vendor: acme
    kind: sql
    url: ${{VENDOR_PG_URL}}
  - id: huge
    vendor: acme
    kind: s3
    endpoint_url: {huge_endpoint}
    region: us-east-1
    buckets: [{HUGE}]
    depth: 2
    sample_objects: 4
    prefix_units: true
"""))
    return path


def base_env(estate: dict, s3_url: str, broker: str, queue: str, state_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AUDITOR_"))}
    env.update(AWS_ACCESS_KEY_ID="testing-celery", AWS_SECRET_ACCESS_KEY=AWS_SECRET, VENDOR_PG_URL=estate["pg"],
               S3_ENDPOINT=s3_url, AUDITOR_BROKER_URL=broker, AUDITOR_QUEUE=queue, STATE_URL=state_url,
               AUDITOR_FINGERPRINT_KEY="celery-test-fingerprint-key-0123456789")
    return env


class Worker:
    def __init__(self, config: Path, env: dict, name: str, log_dir: Path, pool: str = "prefork") -> None:
        self.name = name
        self.log = log_dir / f"worker-{name}.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen([AUDITOR, "-v", "worker", "-c", str(config), "--concurrency", "1",
                                          "--pool", pool, "--name", f"{name}@%h"], env=env, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 90) -> Worker:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if "ready." in self.log.read_text(errors="replace"):
                return self
            if self.proc.poll() is not None:
                pytest.fail(f"worker {self.name} exited {self.proc.returncode}: {self.log.read_text()[-3000:]}")
            time.sleep(0.2)
        pytest.fail(f"worker {self.name} not ready after {timeout}s: {self.log.read_text()[-3000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """The worker and its pool children (its own process group), by its PID."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)


def scan(config: Path, env: dict, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([AUDITOR, "scan", "-c", str(config), *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def start_scan(config: Path, env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([AUDITOR, "-v", "scan", "-c", str(config), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


class _Proxy:
    """A loopback TCP proxy to ``target_port``; a subclass decides when a connection goes through
    (``_admit``) and which request bytes it holds (``_holds``)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.closed = threading.Event()
        self.accepted = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _admit(self) -> None:
        """Wait until a new connection may reach the target."""

    def _holds(self, data: bytes) -> bool:
        return False

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.set()
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        self._admit()
        try:
            up = socket.create_connection(("127.0.0.1", self.target_port))
        except OSError:
            conn.close()
            return

        def pump(a: socket.socket, b: socket.socket, check: bool) -> None:
            try:
                while data := a.recv(65536):
                    if check and self._holds(data):
                        self.closed.wait()
                        return
                    b.sendall(data)
            except OSError:
                pass
            finally:
                shutdown_both(a, b)

        threading.Thread(target=pump, args=(up, conn, False), daemon=True).start()
        pump(conn, up, True)

    def close(self) -> None:
        self.closed.set()
        self.sock.close()


class BucketHoldProxy(_Proxy):
    """A loopback TCP proxy that holds, until closed, every request that names ``hold`` (a bucket:
    path-style addressing puts it in the request line); the others pass."""

    def __init__(self, target_port: int, hold: bytes) -> None:
        self.hold = hold
        self.held = threading.Event()
        super().__init__(target_port)

    def _holds(self, data: bytes) -> bool:
        if self.hold in data:
            self.held.set()
            return True
        return False


class GateProxy(_Proxy):
    """A loopback TCP proxy that holds every connection until ``gate`` is set (or it is closed)."""

    def __init__(self, target_port: int) -> None:
        self.gate = threading.Event()
        super().__init__(target_port)

    def _admit(self) -> None:
        self.gate.wait()

    def close(self) -> None:
        self.gate.set()
        super().close()


def private_redis(tmp: Path, *extra: str, port: int | None = None) -> tuple[subprocess.Popen, int]:
    """`redis-server` on a port of its own (no persistence), or a skip when the binary is absent."""
    import shutil

    binary = shutil.which("redis-server")
    if not binary:
        pytest.skip("redis-server binary not installed")
    port = port or free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--save", "", "--appendonly", "no", "--daemonize", "no",
                             "--dir", str(tmp), *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.monotonic() + 20
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail("private redis-server did not start")
