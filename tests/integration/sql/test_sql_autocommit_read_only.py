"""Review: the tables are read in autocommit (``_reading``); each engine's session-level
read-only setting must refuse a write sent over that very connection, before and after a table
read in a transaction of its own (PostgreSQL row security), and after a reconnect. Also: tables
with hostile names (quotes, percent signs, backslashes, backticks, placeholder lookalikes) are
each read as themselves through the compiled statement shapes, and nothing is written."""

from __future__ import annotations

import os
import sqlite3

import pytest
import sqlalchemy as sa
from sql_helpers import by_name, connector, scan

from connectors.sql.dialects import TableInfo

NAMES = ["per%cent", "pct%%s", "pf%(x)s", "q?mark", "back\\slash", "tick`tick", 'dq"dq', "sq'sq",
         "auditorph_t", "auditorph_c0", "auditorph_s"]


def _autocommit(conn: sa.Connection) -> bool:
    raw = conn.connection.dbapi_connection
    if hasattr(raw, "get_autocommit"):  # PyMySQL
        return bool(raw.get_autocommit())
    if isinstance(raw, sqlite3.Connection):
        return raw.isolation_level is None
    return bool(raw.autocommit)  # psycopg


def _writes_refused(conn: sa.Connection, table: str) -> None:
    for sql in (f"INSERT INTO {table} VALUES (99)", f"DELETE FROM {table}", "CREATE TABLE auditor_review_x (v int)"):
        with pytest.raises(sa.exc.DBAPIError, match="(?i)read.only|readonly|query_only|attempt to write"):
            conn.exec_driver_sql(sql)
        if not conn.invalidated:
            conn.rollback()


def _through_the_connectors_connection(url: str, table: str, rls: bool) -> None:
    c = connector(url)
    engine = c._engine()
    try:
        conn = c._reading(c._connect(engine))
        assert _autocommit(conn)
        _writes_refused(conn, table)
        if rls:  # a table read in its own transaction, then back to autocommit
            with c._transaction(conn, TableInfo(row_security_policy=True)):
                assert not _autocommit(conn)  # SET LOCAL row_security needs a real transaction
                assert conn.exec_driver_sql("SHOW row_security").scalar() == "on"
                assert conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
                with pytest.raises(sa.exc.DBAPIError, match="(?i)read.only"):
                    conn.exec_driver_sql(f"INSERT INTO {table} VALUES (98)")
            assert _autocommit(conn)
            _writes_refused(conn, table)
        conn, lost = c._reconnect(engine, conn)
        assert lost is None
        conn = c._reading(conn)
        _writes_refused(conn, table)
        conn.close()
    finally:
        engine.dispose()


def _seed(url: str, quote) -> None:
    engine = sa.create_engine(url)
    raw = engine.raw_connection()  # the driver itself, no parameters: names as they are
    cur = raw.cursor()
    cur.execute("CREATE TABLE b (v integer)")
    cur.execute("INSERT INTO b VALUES (1)")
    for i, n in enumerate(NAMES):
        cur.execute(f"CREATE TABLE {quote(n)} (id integer, {quote(n + '_col')} varchar(40))")
        cur.execute(f"INSERT INTO {quote(n)} VALUES ({i + 1}, 'row of {i}')")
    raw.commit()
    raw.close()
    engine.dispose()


def _count(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as c:
        n = c.exec_driver_sql("SELECT count(*) FROM b").scalar()
    engine.dispose()
    return n


def _hostile_tables_read_as_themselves(url: str, prefix: str, names: list[str] = NAMES) -> None:
    found = by_name(scan(url, sample_rows=10))
    for i, n in enumerate(NAMES):
        if n not in names:
            continue
        obs = found[f"{prefix}{n}"]
        assert obs.dataset.status != "error", (n, obs.dataset.error)
        assert obs.dataset.records == 1, n
        assert obs.sample.fields[n + "_col"] == [f"row of {i}"], n


@pytest.mark.postgres
def test_postgres_autocommit_reads_refuse_writes_and_hostile_names(pg_url):
    _seed(pg_url, lambda n: '"' + n.replace('"', '""') + '"')
    _through_the_connectors_connection(pg_url, "b", rls=True)
    _hostile_tables_read_as_themselves(pg_url, "public.")
    assert _count(pg_url) == 1


@pytest.mark.mariadb
def test_mariadb_autocommit_reads_refuse_writes_and_hostile_names(mysql_url):
    _seed(mysql_url, lambda n: "`" + n.replace("`", "``") + "`")
    _through_the_connectors_connection(mysql_url, "b", rls=False)
    db = sa.engine.make_url(mysql_url).database
    # a backtick inside a MariaDB column name (SQLAlchemy's reflection keeps it doubled; the
    # dialect undoubles it): that table is read as itself too
    _hostile_tables_read_as_themselves(mysql_url, f"{db}.", NAMES)
    assert _count(mysql_url) == 1


def test_sqlite_autocommit_reads_refuse_writes_and_hostile_names(tmp_path):
    path = tmp_path / "t.db"
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE b (v integer)")
        c.execute("INSERT INTO b VALUES (1)")
        for i, n in enumerate(NAMES):
            q = '"' + n.replace('"', '""') + '"'
            qc = '"' + (n + "_col").replace('"', '""') + '"'
            c.execute(f"CREATE TABLE {q} (id integer, {qc} text)")
            c.execute(f"INSERT INTO {q} VALUES (?, ?)", (i + 1, f"row of {i}"))
    before = path.read_bytes()
    url = f"sqlite:///{path}"
    _through_the_connectors_connection(url, "b", rls=False)
    _hostile_tables_read_as_themselves(url, "main.")
    assert path.read_bytes() == before
    assert os.path.exists(path)
