"""Shared fixtures: the real servers the tests talk to.

PostgreSQL and MariaDB run on loopback (``.ci/run`` starts them). Where one is absent on a
developer's machine its tests skip with the reason; under CI (``CI=true``) they fail loudly
instead, so a green CI always means they ran.

``AUDITOR_TEST_CLOCK_SHIFT_DAYS=N`` (e.g. ``365`` or ``-365``) runs the whole session on a clock
N days away from today (freezegun, ticking, started before any other fixture, so moto and the
GCS emulator, which run in this process, date their objects on it too). No test may depend on
today's date; ``tests/test_clock_independence.py`` runs the date-sensitive tests this way.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NoReturn

import pytest
import sqlalchemy as sa

# A third-party connector "installed" for the whole session: its dist-info (an
# ``auditor.connectors`` entry point) on sys.path in place of a pip install. The registry,
# ``auditor permissions`` and the connector contract suite must find it with no edit.
PLUGIN_SITE = Path(__file__).parent / "plugin_pkg"
if str(PLUGIN_SITE) not in sys.path:
    sys.path.append(str(PLUGIN_SITE))

from auditor.plugins import load_connectors  # noqa: E402 - after the plug-in is on the path

load_connectors()  # the tests are a composition root too: configs parsed in them know every kind

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_ADMIN_URL = os.environ.get("AUDITOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MYSQL_ADMIN_URL = os.environ.get("AUDITOR_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/test")


CLOCK_SHIFT_ENV = "AUDITOR_TEST_CLOCK_SHIFT_DAYS"


def clock_shift_days() -> int:
    raw = os.environ.get(CLOCK_SHIFT_ENV, "").strip()
    try:
        return int(raw or 0)
    except ValueError:
        raise pytest.UsageError(f"{CLOCK_SHIFT_ENV}={raw!r}: a whole number of days, like 365 or -365") from None


REAL_CLOCK = ("real_clock: needs the real clock (a server outside this process checks request times, or "
              "freezegun's datetime cannot represent the case); skipped under " + CLOCK_SHIFT_ENV)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", REAL_CLOCK)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    days = clock_shift_days()
    if days:
        skip = pytest.mark.skip(reason=f"real_clock: the clock is shifted {days:+d} days")
        for item in items:
            if item.get_closest_marker("real_clock"):
                item.add_marker(skip)


def _import_the_product() -> None:
    import importlib
    import pkgutil

    for name in ("auditor", "connectors", "policies", "reports"):
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            if ".migrations" not in info.name:
                importlib.import_module(info.name)


@pytest.fixture(scope="session", autouse=True)
def shifted_clock() -> Iterator[int]:
    """The session's clock, N days from today when AUDITOR_TEST_CLOCK_SHIFT_DAYS=N (else today's)."""
    days = clock_shift_days()
    if not days:
        yield 0
        return
    import freezegun

    _import_the_product()  # its pydantic models must be built on the real datetime type, not freezegun's
    start = datetime.now(UTC) + timedelta(days=days)
    with freezegun.freeze_time(start, tick=True):
        yield days


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (or, under CI, fail) when a server the test needs is not listening."""
    if port_open(host, port):
        return
    message = f"{name} is not listening on {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: .ci/run must start it)")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _raise(message: str) -> NoReturn:
    raise RuntimeError(message)


@contextmanager
def server_process(argv: list[str], name: str, port: int, *, start_within: float, poll: float = 0.1,
                   stop_within: float = 5, fail: Callable[[str], NoReturn] = _raise) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` (a server ``name`` that listens on 127.0.0.1:``port``) until the block ends: wait up to
    ``start_within`` seconds for the port to open, else ``fail`` with the server's last error output
    (``RuntimeError`` unless told, e.g. ``pytest.fail``). On the way out: terminate, kill after
    ``stop_within`` seconds. The server's stderr goes to a temporary file, never a pipe nobody reads."""
    errors = tempfile.TemporaryFile()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=errors)
    try:
        deadline = time.monotonic() + start_within
        while not port_open("127.0.0.1", port, 0.2):
            if proc.poll() is not None or time.monotonic() > deadline:
                errors.seek(0)
                err = errors.read().decode(errors="replace")[-2000:]
                fail(f"{name} did not start on 127.0.0.1:{port}: {err}")
            time.sleep(poll)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(stop_within)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        errors.close()


def _fresh_database(admin_url: str, name: str, service: str, port: int) -> Iterator[str]:
    require_service(service, "127.0.0.1", port)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    dbname = f"auditor_t_{name}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE {dbname}'))
    url = sa.engine.make_url(admin_url).set(database=dbname)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            if admin.dialect.name == "postgresql":
                c.execute(sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": dbname})
                c.execute(sa.text(f"DROP DATABASE IF EXISTS {dbname}"))
            else:
                c.execute(sa.text(f"DROP DATABASE IF EXISTS {dbname}"))
        admin.dispose()


@pytest.fixture(scope="module")
def pg_url(request) -> Iterator[str]:
    """A fresh empty PostgreSQL database for this test module (dropped afterwards)."""
    yield from _fresh_database(PG_ADMIN_URL, "pg", "PostgreSQL", 5432)


@pytest.fixture(scope="module")
def mysql_url(request) -> Iterator[str]:
    """A fresh empty MariaDB/MySQL database for this test module (dropped afterwards)."""
    yield from _fresh_database(MYSQL_ADMIN_URL, "my", "MariaDB", 3306)


@pytest.fixture(scope="session")
def fakesnow():
    """fakesnow's Snowflake HTTP server, started once per test session (tests/fakesnow.py; each
    module seeds a database of its own; a test that sets faults clears them)."""
    from tests.fakesnow import fakesnow_server

    with fakesnow_server() as server:
        yield server


# the engine-driving test connector, for every test that names the fixture
from tests.fakes import fake_connector  # noqa: E402,F401
