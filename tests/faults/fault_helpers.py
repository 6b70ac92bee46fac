"""Helpers of the fault suite (imported by name; tests/faults has no conftest of its own).

- :class:`FaultProxy`: a tiny HTTP proxy in front of a real endpoint (moto, the GCS
  emulator) that answers chosen calls itself (503 SlowDown, 403, 500, 501) and passes
  every other request through, counting what it served;
- :func:`body_proxy`: a pass-through proxy whose chosen GETs have their body written by the test
  (cut short, trickled);
- :func:`silent_endpoint`: a socket that accepts connections and never answers;
- :func:`write_config` / :func:`scan`: drive ``auditor scan`` end to end with Click's runner;
- :func:`scan_process`: one real ``auditor -vv scan`` subprocess writing every report format, and
  every text it left behind (for leak checks);
- :func:`as_of`: the instant a run is judged at, derived from this process's clock (never a fixed date);
- :func:`report`: the JSON report, indexed for assertions.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from click.testing import CliRunner, Result

from auditor.cli import cli
from tests.sockets import accept_until

#: how long before a run the suite's vendor files were last written (see :func:`backdate`)
FILE_AGE = timedelta(days=30)


def now() -> datetime:
    """This process's clock (freezegun moves it in the shifted-clock guard, and with it moto and
    the GCS emulator, which run in this process)."""
    return datetime.now(UTC)


def as_of() -> str:
    """The instant a fault-suite run is judged at: a minute after what it audits was written.

    Everything the suite audits is written by this process just before the scan (objects in moto
    and the GCS emulator; SQLite files, which :func:`backdate` dates from the same clock), so it
    is derived from that clock, never fixed: a fixed date turns every file written today into a
    file from the future once the date has passed.
    """
    return (now() + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def backdate(path: Path, age: timedelta = FILE_AGE) -> None:
    """Give a vendor file a last write ``age`` before now on this process's clock."""
    ts = (now() - age).timestamp()
    os.utime(path, (ts, ts))
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

# --------------------------------------------------------------------------- endpoints


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def loopback_endpoint(*, close: bool = False) -> Iterator[str]:
    """127.0.0.1:PORT that accepts TCP connections and then never says a word, or, with
    ``close``, shuts each one at once (a server going away)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        if close:
            conn.close()
        else:
            held.append(conn)

    t = threading.Thread(target=accept_until, args=(srv, stop, handle), daemon=True)
    t.start()
    try:
        yield f"127.0.0.1:{srv.getsockname()[1]}"
    finally:
        stop.set()
        t.join(2)
        for c in held:
            c.close()
        srv.close()


def silent_endpoint() -> AbstractContextManager[str]:
    """A socket that accepts connections and never answers."""
    return loopback_endpoint()


# A rule sees (method, path, query) and returns (status, body, headers) to answer itself, or None to pass.
Answer = tuple[int, bytes, dict[str, str]]
Rule = Callable[[str, str, str], Answer | None]


def s3_error(status: int, code: str, message: str = "injected") -> Answer:
    body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>{message}</Message><RequestId>fault</RequestId></Error>").encode()
    return status, body, {"Content-Type": "application/xml"}


def gcs_error(status: int, message: str = "injected") -> Answer:
    body = json.dumps({"error": {"code": status, "message": message,
                                 "errors": [{"message": message, "reason": "injected"}]}}).encode()
    return status, body, {"Content-Type": "application/json"}


@dataclass
class FaultProxy:
    upstream: str
    rule: Rule = lambda m, p, q: None
    seen: list[tuple[str, str, str, int]] = field(default_factory=list)  # method, path, query, status
    bytes_out: int = 0

    def calls(self, pattern: str) -> list[tuple[str, str, str, int]]:
        rx = re.compile(pattern)
        return [s for s in self.seen if rx.search(f"{s[0]} {s[1]}?{s[2]}")]

    @contextmanager
    def running(self) -> Iterator[str]:
        up = urlsplit(self.upstream)
        proxy = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                answer = proxy.rule(self.command, path, query)
                if answer is None:
                    conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    status, data = resp.status, resp.read()
                    out = [(k, v) for k, v in resp.getheaders()
                           if k.lower() not in ("transfer-encoding", "connection", "content-length")]
                    conn.close()
                else:
                    status, data, extra = answer
                    out = list(extra.items())
                with lock:
                    proxy.seen.append((self.command, path, query, status))
                    proxy.bytes_out += len(data)
                self.send_response(status)
                for k, v in out:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_PATCH = _handle

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        t = threading.Thread(target=server.serve_forever, daemon=True)
        t.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()


#: writes a passed-through body to the client (the headers, with the full Content-Length, are sent)
BodySender = Callable[[BaseHTTPRequestHandler, bytes], None]


@contextmanager
def body_proxy(upstream: str, pattern: str, send: BodySender) -> Iterator[str]:
    """A pass-through proxy in front of a real endpoint: the body of each successful GET whose path
    matches ``pattern`` is written by ``send(handler, data)``; every other answer is passed on whole.
    A write the client broke off (``OSError``) closes the connection."""
    up = urlsplit(upstream)
    rx = re.compile(pattern)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
            conn.request(self.command, self.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command == "HEAD":
                return
            try:
                if self.command == "GET" and rx.search(self.path) and resp.status < 300:
                    send(self, data)
                else:
                    self.wfile.write(data)
                    self.wfile.flush()
            except OSError:
                self.close_connection = True  # the reader gave up

        do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_PATCH = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- driving the CLI


def write_config(tmp: Path, sources: list[dict[str, Any]], vendors: list[dict[str, Any]] | None = None,
                 **extra: Any) -> Path:
    doc = {"state": f"sqlite:///{tmp / 'state.db'}", "vendors": vendors or [{"id": "v1"}],
           "sources": sources, **extra}
    p = tmp / "auditor.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return p


def s3_source(id_: str, endpoint: str, *buckets: str, **options: Any) -> dict[str, Any]:
    return {"id": id_, "vendor": "v1", "kind": "s3", "endpoint_url": endpoint, "region": "us-east-1",
            "buckets": list(buckets), "max_workers": 2, **options}


def gcs_source(id_: str, endpoint: str, *buckets: str, **options: Any) -> dict[str, Any]:
    return {"id": id_, "vendor": "v1", "kind": "gcs", "endpoint": endpoint, "project": "test-project",
            "buckets": list(buckets), "max_workers": 2, **options}


def sql_source(id_: str, url: str, **options: Any) -> dict[str, Any]:
    return {"id": id_, "vendor": "v1", "kind": "sql", "url": url, **options}


@dataclass
class Scan:
    result: Result
    doc: dict[str, Any]

    @property
    def code(self) -> int:
        return self.result.exit_code

    @property
    def output(self) -> str:
        return self.result.output

    def source(self, id_: str) -> dict[str, Any]:
        found = [s for s in self.doc["sources"] if s["id"] == id_]
        assert found, f"no source {id_!r} in {[s['id'] for s in self.doc['sources']]}"
        return found[0]

    def datasets(self, source: str) -> dict[str, dict[str, Any]]:
        return {d["name"]: d for d in self.doc["datasets"] if d["source"] == source}

    def dataset(self, source: str, name: str) -> dict[str, Any]:
        got = self.datasets(source)
        assert name in got, f"no dataset {name!r} in {source}: {sorted(got)}"
        return got[name]

    def not_assessed(self, source: str | None = None) -> list[dict[str, Any]]:
        return [f for f in self.doc["findings"] if f["rule"] == "not-assessed"
                and (source is None or f["source"] == source)]

    def na_on(self, source: str, dataset: str) -> list[dict[str, Any]]:
        # not-assessed findings are grouped by source and cause: the dataset may be one of several listed
        return [f for f in self.not_assessed(source)
                if f["dataset"] == dataset or dataset in f["evidence"].get("datasets", [])]

    def na_under(self, source: str, prefix: str) -> list[dict]:
        return [f for f in self.not_assessed(source)
                if any(d.startswith(prefix) for d in f["evidence"].get("datasets", [f["dataset"]]))]

    def personal(self, source: str, name: str) -> set[str]:
        return {p["type"] for p in self.dataset(source, name)["personal_data"]}


def scan(config: Path, *args: str, json_path: Path | None = None) -> Scan:
    out = json_path or config.parent / "report.json"
    result = CliRunner().invoke(cli, ["scan", "-c", str(config), "--as-of", as_of(), "--json", str(out), *args])
    doc = json.loads(out.read_text()) if out.exists() else {}
    return Scan(result, doc)


@dataclass
class ScanProcess:
    """An ``auditor -vv scan --json r.json --html r.html --csv r.csv`` run in a subprocess (in ``out``)."""
    proc: subprocess.CompletedProcess[str]
    out: Path  # the reports
    state: Path  # the SQLite state store

    def report(self) -> dict[str, Any]:
        return json.loads((self.out / "r.json").read_text())

    def outputs(self) -> dict[str, str]:
        """Every file the run wrote to ``out``, its stdout and stderr, and the state store ("state.db")."""
        texts = {p.name: p.read_bytes().decode("utf-8", "replace") for p in self.out.iterdir()}
        texts["stdout"], texts["stderr"] = self.proc.stdout, self.proc.stderr
        texts["state.db"] = self.state.read_bytes().decode("latin-1")
        return texts


def scan_process(tmp: Path, sources: list[dict[str, Any]], env: dict[str, str], as_of: str,
                 timeout: float) -> ScanProcess:
    """Run ``auditor -vv scan`` over ``sources`` (config and state in ``tmp``, reports in ``tmp/out``)
    as a subprocess, with ``env`` added to this process's environment."""
    out = tmp / "out"
    out.mkdir()
    cfg = write_config(tmp, sources)
    auditor = str(Path(sys.executable).parent / "auditor")
    proc = subprocess.run([auditor, "-vv", "scan", "-c", str(cfg), "--as-of", as_of, "--json", "r.json",
                           "--html", "r.html", "--csv", "r.csv"], cwd=out, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=timeout)
    return ScanProcess(proc, out, tmp / "state.db")


def assert_incomplete(s: Scan, faulty: str, healthy: str, healthy_dataset: str) -> None:
    """Exit 3, run partial, and the healthy source fully assessed and reported with its personal data."""
    assert s.code == 3, f"exit {s.code}: {s.output}"
    assert s.doc["run"]["status"] == "partial", s.doc["run"]
    assert s.source(healthy)["status"] == "ok"
    good = s.dataset(healthy, healthy_dataset)
    assert good["status"] == "assessed" and "email" in {p["type"] for p in good["personal_data"]}, good
    assert not s.not_assessed(healthy), s.not_assessed(healthy)
    assert s.not_assessed(faulty), f"nothing not-assessed on {faulty}"


@contextmanager
def table_locked(db: dict, table: str) -> Iterator[None]:
    """Another session holds ACCESS EXCLUSIVE on ``table`` (``db["engine"]``'s database) in an
    open transaction, rolled back on exit."""
    import sqlalchemy as sa

    conn = db["engine"].connect().execution_options(isolation_level="READ COMMITTED")
    tx = conn.begin()
    conn.execute(sa.text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
    try:
        yield
    finally:
        tx.rollback()
        conn.close()


def email_tables(url: str, tables: list[tuple[str, int]], schemas: tuple[str, ...] = ()) -> None:
    """``schemas`` created, then each ``(qualified name, rows)`` of ``tables``: an integer key, an
    e-mail address a row and a write time of now, analysed (the row estimate the connector reads)."""
    import sqlalchemy as sa

    eng = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        for schema in schemas:
            c.execute(sa.text(f"CREATE SCHEMA {schema}"))
        for t, n in tables:
            c.execute(sa.text(f"CREATE TABLE {t} (id int primary key, email text, updated_at timestamptz)"))
            c.execute(sa.text(f"INSERT INTO {t} SELECT g, 'person' || g || '@example.com', now() "
                              f"FROM generate_series(1, {n}) g"))
            c.execute(sa.text(f"ANALYZE {t}"))
    eng.dispose()
