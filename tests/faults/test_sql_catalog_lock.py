"""One table locked ACCESS EXCLUSIVE by another session (a migration, VACUUM FULL, ALTER TABLE)
while `auditor scan` reflects its schema, against the real PostgreSQL.

Reflecting a column default (``pg_get_expr``) opens the relation, so the bulk reflection of the
whole schema waits on that one lock. Only the locked table may be not-assessed, with its cause
(locked by another session: lock wait timed out) and its way out; every other table of the
schema is read; exit 3; bounded time (the catalogue's short lock wait, not the statement
timeout per statement); nothing written. MariaDB: the same scan with LOCK TABLES ... WRITE held.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fault_helpers import scan, sql_source, table_locked, write_config

from connectors.sql.dialects import Postgres

TABLES = ("customers", "ledger", "orders")  # ledger is the one locked


@pytest.fixture(scope="module")
def db(pg_url: str) -> Iterator[dict]:
    eng = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(sa.text("CREATE SCHEMA shop"))
        for t in TABLES:  # a serial key and a default: reflecting them opens the table
            c.execute(sa.text(f"CREATE TABLE shop.{t} (id serial primary key, email text,"
                              " updated_at timestamptz DEFAULT now())"))
            c.execute(sa.text(f"INSERT INTO shop.{t} (email) SELECT 'person' || g || '@example.com' "
                              "FROM generate_series(1, 40) g"))
        c.execute(sa.text("CREATE SCHEMA ahead"))  # no defaults: reflecting them does not open them
        for t, n in (("small", 10), ("big", 60)):
            c.execute(sa.text(f"CREATE TABLE ahead.{t} (id int primary key, email text)"))
            c.execute(sa.text(f"INSERT INTO ahead.{t} SELECT g, 'person' || g || '@example.com' "
                              f"FROM generate_series(1, {n}) g"))
        c.execute(sa.text("ANALYZE ahead.small, ahead.big"))
        c.execute(sa.text("CREATE SCHEMA vault"))  # a table under row-level security, its policy open
        for t in ("guarded", "notes"):
            c.execute(sa.text(f"CREATE TABLE vault.{t} (id int primary key, email text)"))
            c.execute(sa.text(f"INSERT INTO vault.{t} SELECT g, 'person' || g || '@example.com' "
                              "FROM generate_series(1, 40) g"))
        c.execute(sa.text("ALTER TABLE vault.guarded ENABLE ROW LEVEL SECURITY"))
        c.execute(sa.text("CREATE POLICY open_read ON vault.guarded FOR SELECT USING (true)"))
    try:
        yield {"url": pg_url, "engine": eng}
    finally:
        eng.dispose()


def state(db: dict) -> dict:
    """What a write would change: each table's rows (digest), the schema's relations, write counters."""
    with db["engine"].connect() as c:
        rows = {t: c.execute(sa.text(f"SELECT count(*), md5(string_agg(email, ',' ORDER BY id)) FROM shop.{t}")).one()
                for t in TABLES}
        rels = c.execute(sa.text("SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                 "WHERE n.nspname = 'shop' ORDER BY 1")).scalars().all()
    return {"rows": rows, "relations": rels}


def scan_while_locked(db: dict, cfg, table: str):
    """A scan of ``cfg`` while another session holds ``table`` locked, and its wall seconds."""
    with table_locked(db, table):
        started = time.monotonic()
        s = scan(cfg)
        return s, time.monotonic() - started


@pytest.mark.postgres
@pytest.mark.parametrize("found_by", ["pg_locks", "one relation at a time"])
def test_one_locked_table_is_the_only_one_not_assessed(tmp_path, db, monkeypatch, found_by):
    """``pg_locks`` names the locked table, set aside before reflecting the rest in bulk again; when it
    does not (the lock changed hands, another kind of lock), each relation is reflected on its own."""
    if found_by != "pg_locks":  # the reflection's fallback does not see the lock
        monkeypatch.setattr(Postgres, "locked_relations", lambda self, conn, schema: set())
    cfg = write_config(tmp_path, [sql_source("shop", db["url"], schemas=["shop"], statement_timeout=3)])
    before = state(db)
    s, elapsed = scan_while_locked(db, cfg, "shop.ledger")
    print(f"scan with {found_by}: {elapsed:.2f}s")
    assert s.code == 3, s.output
    for name in ("shop.customers", "shop.orders"):
        assert s.dataset("shop", name)["status"] == "assessed", s.dataset("shop", name)
        assert "email" in s.personal("shop", name), f"{name} not read because another table was locked"
    ledger = s.dataset("shop", "shop.ledger")
    assert ledger["status"] == "error", ledger
    assert "locked by another session" in ledger["error"] and "lock wait timed out" in ledger["error"], ledger
    assert "maintenance window" in ledger["error"], ledger  # its way out
    unread = {d for f in s.not_assessed("shop") if "rule" not in f["evidence"]
              for d in f["evidence"].get("datasets", [f["dataset"]])}
    assert unread == {"shop.ledger"}, s.not_assessed("shop")
    assert "schema not reflected" not in s.output
    assert elapsed < 15, elapsed  # not statement_timeout per catalogue statement and per table
    assert state(db) == before  # nothing written


@pytest.mark.postgres
def test_locked_table_with_a_policy_does_not_fail_the_catalogue(tmp_path, db):
    """The table statistics deparse each row-security policy (``pg_get_expr``), which opens the
    table: a locked one must not make the whole source's catalogue unreadable, nor be reported as
    hidden by row-level security (its policy could not be read): its read names the lock."""
    cfg = write_config(tmp_path, [sql_source("vault", db["url"], schemas=["vault"], statement_timeout=3)])
    s, elapsed = scan_while_locked(db, cfg, "vault.guarded")
    print(f"scan with a locked policy table: {elapsed:.2f}s")
    assert s.code == 3, s.output
    assert "email" in s.personal("vault", "vault.notes"), s.output
    guarded = s.dataset("vault", "vault.guarded")
    assert guarded["status"] == "error" and "locked by another session" in guarded["error"], guarded
    assert "row-level security" not in guarded["error"], guarded  # the lock is the cause, not a policy
    assert elapsed < 15, elapsed


@pytest.mark.postgres
def test_unlocked_schema_reads_every_table(tmp_path, db):
    """The same scan without the lock: every table assessed (the test above fails only on the lock)."""
    cfg = write_config(tmp_path, [sql_source("shop", db["url"], schemas=["shop"], statement_timeout=3)])
    s = scan(cfg)
    for name in ("shop.customers", "shop.ledger", "shop.orders"):
        assert "email" in s.personal("shop", name), s.dataset("shop", name)
    assert not [f for f in s.not_assessed("shop") if "rule" not in f["evidence"]], s.not_assessed("shop")


@pytest.fixture(scope="module")
def my(mysql_url: str) -> Iterator[dict]:
    eng = sa.create_engine(mysql_url)
    with eng.begin() as c:
        for t in TABLES:
            c.execute(sa.text(f"CREATE TABLE {t} (id int AUTO_INCREMENT PRIMARY KEY, email text,"
                              " updated_at timestamp DEFAULT CURRENT_TIMESTAMP)"))
            c.execute(sa.text(f"INSERT INTO {t} (email) VALUES " + ", ".join(
                f"('person{g}@example.com')" for g in range(1, 41))))
    try:
        yield {"url": mysql_url, "engine": eng, "db": sa.engine.make_url(mysql_url).database}
    finally:
        eng.dispose()


@pytest.mark.mariadb
def test_mariadb_table_locked_for_write_is_the_only_one_not_assessed(tmp_path, my):
    """MariaDB reflects with high-priority shared metadata locks (SHOW CREATE TABLE,
    information_schema), which LOCK TABLES ... WRITE does not block: the schema is reflected, and
    only the locked table's read waits, bounded (lock_wait_timeout is 86400 s by default; the
    connector sets it to the catalogue's wait, then a second under statement_timeout for the reads)."""
    db = my["db"]
    cfg = write_config(tmp_path, [sql_source("shop", my["url"], statement_timeout=3)])

    def state() -> dict:
        with my["engine"].connect() as c:
            return {t: c.execute(sa.text(f"SELECT count(*), md5(group_concat(email ORDER BY id)) FROM {t}")).one()
                    for t in TABLES}

    before = state()
    holder = my["engine"].connect()
    holder.exec_driver_sql("LOCK TABLES ledger WRITE")
    try:
        started = time.monotonic()
        s = scan(cfg)
        elapsed = time.monotonic() - started
    finally:
        holder.exec_driver_sql("UNLOCK TABLES")
        holder.close()
    print(f"mariadb scan: {elapsed:.2f}s")
    assert s.code == 3, s.output
    for name in ("customers", "orders"):
        assert "email" in s.personal("shop", f"{db}.{name}"), s.dataset("shop", f"{db}.{name}")
    ledger = s.dataset("shop", f"{db}.ledger")
    assert ledger["status"] == "error", ledger
    # a metadata lock wait gives up before max_statement_time: the cause is named, not a slow query
    assert "locked by another session" in ledger["error"] and "maintenance window" in ledger["error"], ledger
    unread = {d for f in s.not_assessed("shop") if "rule" not in f["evidence"]
              for d in f["evidence"].get("datasets", [f["dataset"]])}
    assert unread == {f"{db}.ledger"}, s.not_assessed("shop")
    assert "schema not reflected" not in s.output
    assert elapsed < 15, elapsed
    assert state() == before  # nothing written



@pytest.mark.postgres
def test_a_big_table_locked_while_read_ahead_is_named_locked(tmp_path, db):
    """A big table (estimate path) is read on the second connection: a lock that does not stop
    reflection (no column defaults) but blocks its read is named as a lock there too, not as a
    slow statement (the read gives up on the lock a second before statement_timeout)."""
    cfg = write_config(tmp_path, [sql_source("ahead", db["url"], schemas=["ahead"], statement_timeout=3,
                                             exact_count_max_rows=20)])
    s, elapsed = scan_while_locked(db, cfg, "ahead.big")
    assert s.code == 3, s.output
    assert "email" in s.personal("ahead", "ahead.small"), s.output
    big = s.dataset("ahead", "ahead.big")
    assert big["status"] == "error" and "locked by another session" in big["error"], big
    assert elapsed < 15, elapsed
