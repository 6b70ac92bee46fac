"""SQL faults through `auditor scan` against the real PostgreSQL: a table the role may not read,
a statement timeout (a table locked by another session), the connection killed mid-scan
(pg_terminate_backend), a server that closes connections, one that never answers.
Each: not-assessed with its reason on the right table or source, exit 3, the rest assessed.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fault_helpers import loopback_endpoint, scan, sql_source, table_locked, write_config

pytestmark = pytest.mark.postgres
PASSWORD = "Fault-pw-7c1e"


@pytest.fixture(scope="module")
def db(pg_url: str) -> Iterator[dict]:
    """customers (emails), secret (not granted), locked_t, victim_t, after_t; a SELECT-only role."""
    role = f"auditor_fault_{uuid.uuid4().hex[:6]}"
    eng = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        for t in ("customers", "secret", "locked_t", "victim_t", "zz_after"):
            c.execute(sa.text(f"CREATE TABLE {t} (id int primary key, email text, updated_at timestamptz)"))
            c.execute(sa.text(f"INSERT INTO {t} SELECT g, 'person' || g || '@example.com', now() "
                              "FROM generate_series(1, 50) g"))
        c.execute(sa.text(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'"))
        c.execute(sa.text(f"GRANT SELECT ON customers, locked_t, victim_t, zz_after TO {role}"))
    admin = sa.engine.make_url(pg_url)
    limited = admin.set(username=role, password=PASSWORD).render_as_string(hide_password=False)
    try:
        yield {"admin": pg_url, "limited": limited, "role": role, "engine": eng}
    finally:
        with eng.connect() as c:
            c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"), {"r": role})
            c.execute(sa.text(f"DROP OWNED BY {role}"))
            c.execute(sa.text(f"DROP ROLE {role}"))
        eng.dispose()


def healthy(db: dict) -> dict:
    return sql_source("good", db["admin"], include=["public.customers"], statement_timeout=2)


def test_permission_denied_and_statement_timeout(tmp_path, db, monkeypatch):
    monkeypatch.setenv("AUDIT_DB_URL", db["limited"])
    cfg = write_config(tmp_path, [healthy(db), sql_source("ro", "${AUDIT_DB_URL}", include=["public.*"],
                                                          exclude=["public.victim_t"], statement_timeout=1)])
    with table_locked(db, "locked_t"):
        started = time.monotonic()
        s = scan(cfg)
        elapsed = time.monotonic() - started
    assert s.code == 3, s.output
    assert s.source("good")["status"] == "ok" and "email" in s.personal("good", "public.customers")
    secret = s.dataset("ro", "public.secret")
    assert secret["status"] == "error" and secret["error"].startswith("permission denied"), secret
    assert "GRANT SELECT" in secret["error"]
    locked = s.dataset("ro", "public.locked_t")
    assert locked["status"] == "error" and "timeout" in locked["error"], locked
    unread = {f["dataset"] for f in s.not_assessed("ro") if "rule" not in f["evidence"]}  # not facts unknown
    assert unread == {"public.secret", "public.locked_t"}, s.not_assessed("ro")
    for name in ("public.customers", "public.zz_after"):
        assert "email" in s.personal("ro", name), f"{name} lost after the faults"
    assert elapsed < 20
    assert PASSWORD not in s.output and PASSWORD not in (tmp_path / "report.json").read_text()



def _killer_of_lock_waits(db, table: str, killed: list[int]):
    """A thread body: for up to 15 s, terminate the role's backends waiting on a lock on ``table``
    (their pids go to ``killed``), until one is."""
    def killer() -> None:
        deadline = time.monotonic() + 15
        with db["engine"].connect() as c:
            while time.monotonic() < deadline and not killed:
                pids = c.execute(sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE usename = :r AND wait_event_type = 'Lock' "
                    "AND query LIKE :q"),
                    {"r": db["role"], "q": f"%{table}%"}).scalars().all()
                for pid in pids:
                    c.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
                    killed.append(pid)
                time.sleep(0.05)
    return killer


def test_connection_killed_mid_scan(tmp_path, db, monkeypatch):
    """The scan waits on a locked table; another session kills its backend; it reconnects for the rest."""
    monkeypatch.setenv("AUDIT_DB_URL", db["limited"])
    cfg = write_config(tmp_path, [healthy(db), sql_source("ro", "${AUDIT_DB_URL}",
                                                          include=["public.victim_t", "public.zz_after"],
                                                          statement_timeout=3)])
    killed: list[int] = []
    killer = _killer_of_lock_waits(db, "victim_t", killed)

    with table_locked(db, "victim_t"):
        t = threading.Thread(target=killer, daemon=True)
        t.start()
        s = scan(cfg)
        t.join(20)
    assert killed, "the scan never waited on the locked table"
    assert s.code == 3, s.output
    victim = s.dataset("ro", "public.victim_t")
    assert victim["status"] == "error" and victim["error"], victim
    assert "email" in s.personal("ro", "public.zz_after"), "the tables after the kill were not assessed"
    assert [f["dataset"] for f in s.not_assessed("ro") if "rule" not in f["evidence"]] == ["public.victim_t"]
    assert "timeout" not in victim["error"], victim  # it was the kill, not the statement timeout
    assert "email" in s.personal("good", "public.customers")


def test_after_a_reconnect_a_lock_is_still_named_as_one(tmp_path, db, monkeypatch):
    """The connection is killed while it waits on victim_t; on the new connection the next table,
    locked too, is reported as locked (the shorter lock wait applies again), not as a statement
    timeout (a reconnect had only the connect-time session, whose lock wait equals the statement's)."""
    monkeypatch.setenv("AUDIT_DB_URL", db["limited"])
    cfg = write_config(tmp_path, [sql_source("ro", "${AUDIT_DB_URL}", include=["public.victim_t", "public.zz_after"],
                                             statement_timeout=3)])
    killed: list[int] = []
    killer = _killer_of_lock_waits(db, "victim_t", killed)

    with table_locked(db, "victim_t"), table_locked(db, "zz_after"):
        t = threading.Thread(target=killer, daemon=True)
        t.start()
        s = scan(cfg)
        t.join(20)
    assert killed, "the scan never waited on the locked table"
    assert s.code == 3, s.output
    victim = s.dataset("ro", "public.victim_t")
    assert victim["status"] == "error" and "timeout" not in victim["error"], victim  # the kill
    after = s.dataset("ro", "public.zz_after")
    assert after["status"] == "error", after
    assert after["error"].startswith("lock timeout: locked by another session"), after
    assert "statement timeout" not in after["error"], after


@pytest.mark.parametrize("endpoint", ["closing", "silent"])
def test_server_gone_or_mute_is_source_not_assessed(tmp_path, db, monkeypatch, endpoint):
    with loopback_endpoint(close=endpoint == "closing") as hostport:
        monkeypatch.setenv("GONE_URL", f"postgresql+psycopg://auditor:{PASSWORD}@{hostport}/test")
        cfg = write_config(tmp_path, [healthy(db), sql_source("gone", "${GONE_URL}", connect_timeout=2)])
        started = time.monotonic()
        s = scan(cfg)
        elapsed = time.monotonic() - started
    assert s.code == 3, s.output
    src = s.source("gone")
    assert src["status"] == "error" and src["error"].startswith("cannot connect to postgresql://127.0.0.1:"), src
    assert [f["dataset"] for f in s.not_assessed("gone")] == ["gone"]
    assert "email" in s.personal("good", "public.customers")
    assert elapsed < 15
    assert PASSWORD not in s.output and PASSWORD not in (tmp_path / "report.json").read_text()
