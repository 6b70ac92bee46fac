"""The connector's cheaper per-table paths give exactly what the plain ones gave, on the real
servers: column types compiled once per type (``Connector._type_text``), the source's location
asked once (``Dialect.uri``), each row's digest from a copy of an empty hash (``_row_digests``)
and a query without parameters sent to psycopg as it is. A scan with them and a scan with the
plain implementations patched back in yield the same datasets (names, counts, facts, digests,
fingerprints) and the same samples; tables of one shape whose types differ only in a length,
a precision or a time zone keep their own type texts."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from sql_helpers import dump_items as _dump
from sql_helpers import scan

from auditor.models import Observation
from connectors.sql import connector as sql_connector
from connectors.sql import dialects, sampling

AS_OF_ROWS = 30


def _plain_type_text(self, coltype):  # the compile per column, as before
    try:
        return coltype.compile(dialect=self.dialect_impl)
    except sa.exc.CompileError:
        return type(coltype).__name__


def _plain_uri(self, schema, name):
    return f"{self.location()}/{quote(schema, safe='')}.{quote(name, safe='')}"


def _plain_row_digests(rows):
    return [hashlib.sha256(r).digest() for r in rows]


def _plain_round_trip(conn, sql):
    """psycopg given the parameters SQLAlchemy passes ({}: it parses the query for them)."""
    driver = conn.connection.driver_connection
    cursor = driver.cursor()
    try:
        context = sql_connector._CursorContext(conn.get_execution_options().union(sql_connector._SAMPLE))
        params: dict = {}
        for before in conn.dispatch.before_cursor_execute:
            sql, params = before(conn, cursor, sql, params, context, False)
        cursor.execute(sql, params)
        for after in conn.dispatch.after_cursor_execute:
            after(conn, cursor, sql, params, context, False)
        first = cursor.fetchone()
        rows = list(cursor.fetchall()) if cursor.nextset() else None
    finally:
        cursor.close()
    return first, rows


def _both(url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[list, list]:
    fast = scan(url)
    with monkeypatch.context() as m:
        m.setattr(sql_connector.Connector, "_type_text", _plain_type_text)
        m.setattr(dialects.Dialect, "uri", _plain_uri)
        m.setattr(sampling, "_row_digests", _plain_row_digests)
        m.setattr(sql_connector, "_one_round_trip", _plain_round_trip)
        plain = scan(url)
    return fast, plain


def _seed(url: str, extra: list[sa.Column]) -> None:
    engine = sa.create_engine(url)
    md = sa.MetaData()
    shapes = {
        "narrow": [sa.Column("name", sa.String(20)), sa.Column("amount", sa.Numeric(10, 2))],
        "wide": [sa.Column("name", sa.String(200)), sa.Column("amount", sa.Numeric(12, 4))],
        "per%cent": [sa.Column("name", sa.String(20)), sa.Column("amount", sa.Numeric(10, 2))],
    }
    tables = []
    for tname, cols in shapes.items():
        tables.append(sa.Table(tname, md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                               *cols, sa.Column("updated_at", sa.DateTime),
                               *[c._copy() for c in extra]))
    md.create_all(engine)
    with engine.begin() as c:
        for t in tables:
            rows = [{"id": i, "name": f"Name {i} \u00e9\x1e{i}", "amount": i * 1.25,
                     "updated_at": datetime(2024, 1, 1) + timedelta(hours=i)} for i in range(1, AS_OF_ROWS + 1)]
            for r in rows:
                for col in extra:
                    r[col.name] = None
            c.execute(t.insert(), rows)
    engine.dispose()


def _check(url: str, monkeypatch: pytest.MonkeyPatch) -> list:
    fast, plain = _both(url, monkeypatch)
    assert _dump(fast) == _dump(plain)
    datasets = {o.dataset.name.split(".", 1)[1]: o.dataset for o in fast if isinstance(o, Observation)}
    assert {"narrow", "wide", "per%cent"} <= set(datasets)
    for ds in datasets.values():
        assert ds.status == "assessed", ds.error
        assert ds.records == AS_OF_ROWS
        assert ds.facts["fingerprint"].startswith(f"exact:{AS_OF_ROWS}:")
    narrow, wide = datasets["narrow"].facts["columns"], datasets["wide"].facts["columns"]
    assert narrow["name"] != wide["name"] and "20" in narrow["name"] and "200" in wide["name"]
    assert narrow["amount"] != wide["amount"]
    assert datasets["per%cent"].facts["columns"] == narrow
    return fast


def test_postgres_same_datasets(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.dialects import postgresql

    _seed(pg_url, [sa.Column("seen", sa.DateTime(timezone=True)), sa.Column("tags", postgresql.ARRAY(sa.Text)),
                   sa.Column("mood", postgresql.ENUM("ok", "sad", name="mood_kind"))])
    fast = _check(pg_url, monkeypatch)
    cols = next(o.dataset for o in fast if isinstance(o, Observation) and o.dataset.name.endswith(".narrow")).facts["columns"]
    assert cols["seen"] != cols["updated_at"]  # timestamptz and timestamp keep their own texts


def test_mariadb_same_datasets(mysql_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(mysql_url, [sa.Column("mood", sa.Enum("ok", "sad", name="mood_kind"))])
    _check(mysql_url, monkeypatch)


def test_sqlite_same_datasets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "estate.db"
    sqlite3.connect(path).close()
    url = f"sqlite:///{path}"
    _seed(url, [])
    _check(url, monkeypatch)
