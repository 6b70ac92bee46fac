"""The SQL rows of the hostile-input table in ``benchmarks/hostile_memory.py`` (issue 16).

Each case is a table built on the server (``repeat()``: nothing big crosses the wire while
seeding) in a throw-away database; ``build`` runs in the parent and hands the database URL
over as the case's key, ``scan`` runs in the measured child (under hostile_memory's address-
space limit), reads it with the SQL connector and drops the database. 40 rows of 30 MB
(PostgreSQL) and of 15 MB (MariaDB: max_allowed_packet bounds one value); 4 rows under
``--quick``. Values are cut on the server, so the hostile table costs what the normal one
costs (main fetched whole values: 2.4 GB for 40 rows of 30 MB). A server that is not
listening leaves its rows out.
"""

from __future__ import annotations

import os
import socket
import sys
import uuid
from collections.abc import Callable

import sqlalchemy as sa

PG_ADMIN = os.environ.get("AUDITOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MY_ADMIN = os.environ.get("AUDITOR_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/test")
ROWS = 4 if "--quick" in sys.argv else 40


def _pg_normal(c: sa.Connection) -> None:
    c.execute(sa.text("CREATE TABLE t (id int primary key, email text, note text)"))
    c.execute(sa.text(f"INSERT INTO t SELECT g, 'u' || g || '@example.com', repeat('lorem ', 20)"
                      f" FROM generate_series(1, {ROWS}) g"))


def _pg_huge(c: sa.Connection) -> None:
    c.execute(sa.text("CREATE TABLE t (id int primary key, email text, note text)"))
    c.execute(sa.text(f"INSERT INTO t SELECT g, 'u' || g || '@example.com', repeat('lorem ', 5000000)"
                      f" FROM generate_series(1, {ROWS}) g"))  # 30 MB a cell


def _pg_json(c: sa.Connection) -> None:
    c.execute(sa.text("CREATE TABLE t (id int primary key, doc jsonb)"))
    c.execute(sa.text(f"INSERT INTO t SELECT g, jsonb_build_object('email', 'u' || g || '@example.com',"
                      f" 'blob', repeat('x', 30000000)) FROM generate_series(1, {ROWS}) g"))


def _my_normal(c: sa.Connection) -> None:
    c.execute(sa.text("CREATE TABLE t (id int primary key, email varchar(100), note longtext)"))
    c.execute(sa.text(f"INSERT INTO t SELECT seq, concat('u', seq, '@example.com'), repeat('lorem ', 20)"
                      f" FROM seq_1_to_{ROWS}"))


def _my_huge(c: sa.Connection) -> None:  # max_allowed_packet (16 MB by default) bounds one value
    c.execute(sa.text("CREATE TABLE t (id int primary key, email varchar(100), note longtext)"))
    c.execute(sa.text(f"INSERT INTO t SELECT seq, concat('u', seq, '@example.com'), repeat('lorem ', 2500000)"
                      f" FROM seq_1_to_{ROWS}"))


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _builder(admin_url: str, seed: Callable[[sa.Connection], None]) -> Callable[[], tuple[str, bytes]]:
    def build() -> tuple[str, bytes]:
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        db = f"auditor_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as c:
            c.execute(sa.text(f"CREATE DATABASE {db}"))
        admin.dispose()
        url = sa.engine.make_url(admin_url).set(database=db)
        eng = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            seed(c)
        eng.dispose()
        return url.render_as_string(hide_password=False), b""
    return build


def _drop(url: str) -> None:
    target = sa.engine.make_url(url)
    admin_url = PG_ADMIN if target.get_backend_name() == "postgresql" else MY_ADMIN
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        if admin.dialect.name == "postgresql":
            c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": target.database})
        c.execute(sa.text(f"DROP DATABASE IF EXISTS {target.database}"))
    admin.dispose()


def scan(url: str, _data: bytes) -> dict:
    """The SQL connector on the case's database (in the measured child), then the database dropped."""
    from datetime import UTC, datetime

    from auditor.models import Observation, Vendor
    from connectors.base import CollectContext, SourceSpec
    from connectors.sql import Connector

    spec = SourceSpec(id="db", kind="sql", vendor=Vendor(id="v"), options=Connector.Options(url=url, statement_timeout=120))
    rows = longest = cut = 0
    try:
        for item in Connector(spec, CollectContext(as_of=datetime(2026, 11, 28, tzinfo=UTC))).collect():
            if isinstance(item, Observation):
                fields = item.sample.fields if item.sample else {}
                rows = item.dataset.records or 0
                longest = max((len(v) for vs in fields.values() for v in vs), default=0)
                cut = sum(v["values"] for v in item.dataset.facts.get("sample", {}).get("cut_on_server", {}).values())
    finally:
        _drop(url)
    return {"skips": [f"{rows} rows, {cut} values cut on the server, longest value kept {longest} chars"]}


# (name, what, build, baseline): hostile_memory.py makes them Case rows with ``scan`` as their run
SQL_CASES: list[tuple[str, str, Callable[[], tuple[str, bytes]], str | None]] = []
if _listening(5432):
    SQL_CASES += [
        ("sql-normal-pg", f"PostgreSQL: {ROWS} rows of short text", _builder(PG_ADMIN, _pg_normal), None),
        ("sql-huge-text-pg", f"PostgreSQL: {ROWS} rows of 30 MB text", _builder(PG_ADMIN, _pg_huge), "sql-normal-pg"),
        ("sql-huge-json-pg", f"PostgreSQL: {ROWS} rows of 30 MB jsonb", _builder(PG_ADMIN, _pg_json), "sql-normal-pg"),
    ]
if _listening(3306):
    SQL_CASES += [
        ("sql-normal-mariadb", f"MariaDB: {ROWS} rows of short text", _builder(MY_ADMIN, _my_normal), None),
        ("sql-huge-text-mariadb", f"MariaDB: {ROWS} rows of 15 MB longtext", _builder(MY_ADMIN, _my_huge),
         "sql-normal-mariadb"),
    ]
