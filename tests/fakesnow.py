"""fakesnow's Snowflake HTTP server on a free loopback port, talked to by the real Snowflake
connector (``snowflake-connector-python`` 5.x, through ``snowflake-sqlalchemy``).

The server runs in a venv of its own (fakesnow needs the 4.x connector; see
``.ci/fakesnow/requirements.txt``), installed by ``.ci/run`` (``provision_fakesnow``) into
``AUDITOR_FAKESNOW_DIR`` (default ``~/.cache/auditor-ci/fakesnow-<hash>``); found there or through
``FAKESNOW_PYTHON``. Where it is missing the tests skip; under CI they fail instead.
``.ci/fakesnow/serve.py`` says what it adds to fakesnow (the 5.x login fields, faults, a log).
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import free_port, server_process
from tests.file_servers import need

ROOT = Path(__file__).resolve().parent.parent
SERVE = ROOT / ".ci" / "fakesnow" / "serve.py"
USER, PASSWORD, ACCOUNT = "auditor", "snow-pw-7Qe2", "fakesnow"


def server_python() -> str | None:
    """FAKESNOW_PYTHON, else the venv .ci/run installed (AUDITOR_FAKESNOW_DIR, or its default)."""
    installed = sorted((Path.home() / ".cache" / "auditor-ci").glob("fakesnow-*/bin/python"))
    for candidate in (os.environ.get("FAKESNOW_PYTHON"),
                      str(Path(os.environ["AUDITOR_FAKESNOW_DIR"]) / "bin" / "python")
                      if os.environ.get("AUDITOR_FAKESNOW_DIR") else None,
                      *map(str, installed)):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


class FakeSnow:
    """A running server: how to reach it, seed it and make it misbehave."""

    def __init__(self, port: int) -> None:
        self.host, self.port = "127.0.0.1", port

    def url(self, database: str, password: str = PASSWORD, **query: str) -> str:
        """The auditor's source URL: ``protocol=http`` because the test server has no TLS."""
        q = "&".join(f"{k}={v}" for k, v in {"account": ACCOUNT, "protocol": "http", **query}.items())
        return f"snowflake://{USER}:{password}@{self.host}:{self.port}/{database}?{q}"

    def connect(self, **kw: Any) -> Any:
        """A connector session for seeding (as the vendor's admin, not the auditor)."""
        import snowflake.connector

        return snowflake.connector.connect(
            user="admin", password="admin", account=ACCOUNT, host=self.host, port=self.port, protocol="http",
            session_parameters={"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False}, login_timeout=30,
            enable_server_session_keep_alive_auto_detection=False, **kw)

    def run(self, *statements: str) -> list[Any]:
        """Each statement in one seeding session; the last one's rows."""
        rows: list[Any] = []
        with self.connect() as con:
            cur = con.cursor()
            for sql in statements:
                rows = cur.execute(sql).fetchall()
        return rows

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://{self.host}:{self.port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")

    def faults(self, **faults: Any) -> None:
        """Set the server's faults (password, deny, slow; see serve.py); no argument clears them."""
        self._call("POST", "/auditor-test/faults", faults)

    def log(self) -> dict[str, list[Any]]:
        return self._call("GET", "/auditor-test/log")

    def clear_log(self) -> None:
        self._call("DELETE", "/auditor-test/log")


@contextmanager
def fakesnow_server() -> Iterator[FakeSnow]:
    python = server_python()
    need(python is not None, "fakesnow's server venv is missing (.ci/run's provision_fakesnow installs it)")
    port = free_port()
    with server_process([str(python), "-W", "ignore", str(SERVE), str(port)], "fakesnow", port, start_within=60):
        yield FakeSnow(port)
