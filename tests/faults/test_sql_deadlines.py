"""Issue 16 item 2 (SQL): every network operation has a deadline. A loopback TCP proxy in front
of the real PostgreSQL and MariaDB forwards the scan, then goes silent in the middle of it
(stops forwarding without closing: what a hung server or a stuck middlebox does). The table
being read becomes not-assessed within ``read_timeout``, the scan goes on over a new
connection, and nothing hangs (pytest-timeout is the backstop). Deadline options must be
positive finite numbers: ``.inf`` is a config error naming file, line and key.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parents[1] / "integration" / "sql"))
from sql_helpers import by_name, scan  # noqa: E402

from auditor.config import parse_config  # noqa: E402
from auditor.errors import ConfigError  # noqa: E402

def as_of() -> datetime:
    """The tables are written by this test just before: judged as of now, never a fixed date."""
    return datetime.now(UTC)


TRIGGER = b".zz_silent"  # in the table's own reads (schema.zz_silent), not in MariaDB's reflection (`zz_silent`)


@contextmanager
def silencing_proxy(upstream: tuple[str, int], trigger: bytes) -> Iterator[dict]:
    """127.0.0.1:PORT forwarding to ``upstream``; the first client packet that contains
    ``trigger`` is swallowed and that connection goes silent both ways (kept open)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(0.2)
    state = {"fired": 0, "port": srv.getsockname()[1], "stop": False}
    held: list[socket.socket] = []

    def pump(src: socket.socket, dst: socket.socket, silent: threading.Event, inspect: bool) -> None:
        try:
            while not state["stop"]:
                data = src.recv(65536)
                if not data:
                    break
                if inspect and not state["fired"] and trigger in data:
                    state["fired"] += 1
                    silent.set()
                if silent.is_set():
                    continue  # swallow: never forwarded, never closed
                dst.sendall(data)
        except OSError:
            pass

    def accept() -> None:
        while not state["stop"]:
            try:
                client, _ = srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            up = socket.create_connection(upstream)
            held.extend([client, up])
            silent = threading.Event()
            threading.Thread(target=pump, args=(client, up, silent, True), daemon=True).start()
            threading.Thread(target=pump, args=(up, client, silent, False), daemon=True).start()

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        yield state
    finally:
        state["stop"] = True
        t.join(2)
        for s in held:
            s.close()
        srv.close()


def _seed(url: str) -> None:
    eng = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        for t in ("aa_before", "zz_silent", "zzz_after"):
            c.execute(sa.text(f"CREATE TABLE {t} (id int primary key, email varchar(100))"))
            c.execute(sa.text(f"INSERT INTO {t} VALUES (1, 'a@example.com'), (2, 'b@example.com')"))
    eng.dispose()


def _through(url: str, port: int) -> str:
    return sa.engine.make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("engine", ["postgresql", "mariadb"])
def test_a_connection_that_goes_silent_mid_scan_is_cut_at_the_deadline(engine, request):
    url = request.getfixturevalue("pg_url" if engine == "postgresql" else "mysql_url")
    _seed(url)
    upstream = ("127.0.0.1", 5432 if engine == "postgresql" else 3306)
    with silencing_proxy(upstream, TRIGGER) as proxy:
        started = time.monotonic()
        items = scan(_through(url, proxy["port"]), as_of(), read_timeout=3, statement_timeout=2)
        elapsed = time.monotonic() - started
    assert proxy["fired"] == 1, "the proxy never saw the table's query"
    got = {name.split(".")[-1]: obs.dataset for name, obs in by_name(items).items()}
    silent = got["zz_silent"]
    assert silent.status == "error" and silent.records is None, silent
    if engine == "postgresql":  # the client-side watchdog names the deadline
        assert "no answer from the server within read_timeout (3s)" in silent.error, silent.error
    else:  # PyMySQL's own read_timeout: the socket read timed out
        assert "no answer from the server within read_timeout" in silent.error, silent.error
    assert got["aa_before"].status == "assessed" and got["zzz_after"].status == "assessed"  # the rest is read
    assert elapsed < 25, f"took {elapsed:.1f}s"


@pytest.mark.timeout(120)
def test_a_big_table_read_ahead_on_a_connection_that_goes_silent_is_cut_by_its_own_watchdog(pg_url):
    """The big tables are read on a second connection (``max_connections``) with a watchdog of its
    own: that connection going silent cuts its table at ``read_timeout``; the main one reads on."""
    eng = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:  # a schema of its own (the module's database is shared with the test above)
        c.execute(sa.text("CREATE SCHEMA ahead"))
        for t in ("aa_before", "zz_silent", "zzz_after"):
            c.execute(sa.text(f"CREATE TABLE ahead.{t} (id int primary key, email varchar(100))"))
        c.execute(sa.text("INSERT INTO ahead.aa_before VALUES (1, 'a@example.com')"))
        c.execute(sa.text("INSERT INTO ahead.zzz_after VALUES (1, 'a@example.com')"))
        c.execute(sa.text("INSERT INTO ahead.zz_silent SELECT g, 'u' || g || '@example.com' FROM generate_series(1, 50) g"))
        c.execute(sa.text("ANALYZE ahead.aa_before, ahead.zz_silent, ahead.zzz_after"))
    eng.dispose()
    with silencing_proxy(("127.0.0.1", 5432), TRIGGER) as proxy:
        started = time.monotonic()
        # above 10 rows: the estimate path, read ahead on the second connection
        items = scan(_through(pg_url, proxy["port"]), as_of(), read_timeout=3, statement_timeout=2,
                     exact_count_max_rows=10, include=["ahead.*"])
        elapsed = time.monotonic() - started
    assert proxy["fired"] == 1, "the proxy never saw the table's query"
    got = {name.split(".")[-1]: obs.dataset for name, obs in by_name(items).items()}
    silent = got["zz_silent"]
    assert silent.status == "error" and "no answer from the server within read_timeout (3s)" in silent.error, silent
    assert got["aa_before"].status == "assessed" and got["zzz_after"].status == "assessed"
    assert elapsed < 25, f"took {elapsed:.1f}s"


def test_postgres_driver_gets_keepalives_and_tcp_user_timeout():
    from connectors.sql.dialects import dialect_for

    args = dialect_for(sa.engine.make_url("postgresql+psycopg://u@h/db")).network_args(45)
    assert args == {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3,
                    "tcp_user_timeout": 45000}
    my = dialect_for(sa.engine.make_url("mysql+pymysql://u@h/db")).network_args(45)
    assert my == {"read_timeout": 45, "write_timeout": 45}


@pytest.mark.parametrize("key,value", [("statement_timeout", ".inf"), ("connect_timeout", "-5"),
                                       ("read_timeout", ".nan"), ("statement_timeout", "0")])
def test_deadline_options_must_be_positive_and_finite(key, value):
    text = (
        "vendors:\n  - id: v\n"
        "sources:\n"
        "  - id: db\n"
        "    vendor: v\n"
        "    kind: sql\n"
        "    url: sqlite:///x.db\n"
        f"    {key}: {value}\n"
    )
    with pytest.raises(ConfigError) as err:
        parse_config(text, file="auditor.yaml")
    message = str(err.value)
    assert key in message and "auditor.yaml" in message and ":8" in message, message


@pytest.mark.timeout(60)
def test_postgres_session_setup_that_goes_silent_is_cut_at_the_deadline(pg_url):
    """The handshake answers, then the session set-up (SET statement_timeout ...) never does."""
    from auditor.errors import ConnectorError

    with silencing_proxy(("127.0.0.1", 5432), b"SET statement_timeout") as proxy:
        started = time.monotonic()
        with pytest.raises(ConnectorError) as err:
            scan(_through(pg_url, proxy["port"]), as_of(), read_timeout=2, statement_timeout=1)
        elapsed = time.monotonic() - started
    assert proxy["fired"] == 1 and elapsed < 15, (proxy, elapsed)
    assert str(err.value).startswith("cannot connect to postgresql://127.0.0.1:")
    assert "no answer from the server within read_timeout (2s)" in str(err.value)
