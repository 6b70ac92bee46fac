"""The connector's per-table CPU savings give exactly what the plain paths gave, on the real
servers (PostgreSQL, MariaDB, SQLite):

- PostgreSQL's reflection parses each distinct column type once per schema
  (``typememo.types_once``): the same types, type texts, samples and digests as parsing every
  column, including domains, enums, arrays, collations, precisions, lengths and time zones; a
  type SQLAlchemy does not recognize still warns once per column that has it;
- a table's column plan (write-time candidates, sampled / unsampled columns, cuts, JSON columns,
  wire texts) remembered by its columns' names and type objects (``Connector._column_plan``);
- identifiers quoted once per name (``Shapes._quote``), type texts looked up by type object.

A scan with them and a scan with the plain implementations patched back in yield the same
datasets (facts, fingerprints, errors), the same samples (fields, values, order) and the same
warnings."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sql_helpers import dump_items
from sql_helpers import scan

from auditor.models import Observation
from connectors.sql import age, sampling, statements, typememo
from connectors.sql import connector as sql_connector

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
ROWS = 25


@contextlib.contextmanager
def _no_memo(_dialect: Any) -> Iterator[None]:
    yield


def _plain_column_plan(self, cols, key):  # as _plan computed it per table before
    cands = age.candidates(cols, loose_types=self.dialect.loose_types)
    sample_cols, unsampled = sampling.column_plan(cols)
    structured = sampling.structured_columns(cols)
    cut = sampling.cuts(cols, sample_cols, self.opts.sample_rows)
    texts = self.dialect.wire_texts(cols, [c for c in sample_cols if c != key], cut, structured)
    return cands, sample_cols, unsampled, structured, cut, texts


def _plain_quote(self, name):
    return self.preparer.quote(name)


def _plain_quoted_schema(self, schema):
    return self.preparer.quote_schema(schema)


def _scan(url: str) -> tuple[list, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        items = scan(url, AS_OF)
    return items, sorted(str(w.message) for w in caught if issubclass(w.category, sa.exc.SAWarning))


def _both(url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[tuple[list, list[str]], tuple[list, list[str]]]:
    fast = _scan(url)
    with monkeypatch.context() as m:
        m.setattr(sql_connector, "types_once", _no_memo)
        m.setattr(sql_connector.Connector, "_type_text", sql_connector.Connector._type_text_of)
        m.setattr(sql_connector.Connector, "_column_plan", _plain_column_plan)
        m.setattr(statements.Shapes, "_quote", _plain_quote)
        m.setattr(statements.Shapes, "_quoted_schema", _plain_quoted_schema)
        plain = _scan(url)
    return fast, plain


def _seed(url: str, columns: dict[str, str], values: dict[str, Any], tables: list[str]) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as c:
        for name in tables:
            cols = ", ".join(f"`{k}` {v}" if "mysql" in url else f'"{k}" {v}' for k, v in columns.items())
            c.exec_driver_sql(f'CREATE TABLE {name} (id integer primary key, {cols}, updated_at timestamp)')
            rows = []
            for i in range(1, ROWS + 1):
                row = {"id": i, "updated_at": datetime(2024, 1, 1) + timedelta(hours=i)}
                row.update({k: v(i) for k, v in values.items()})
                rows.append(row)
            table = sa.table(name, *[sa.column(k) for k in ["id", "updated_at", *values]])
            c.execute(table.insert(), rows)
    engine.dispose()


def _check(url: str, monkeypatch: pytest.MonkeyPatch, tables: list[str]) -> list:
    (fast, fast_warned), (plain, plain_warned) = _both(url, monkeypatch)
    assert dump_items(fast) == dump_items(plain)
    assert fast_warned == plain_warned
    names = {o.dataset.name.split(".", 1)[1] for o in fast if isinstance(o, Observation)}
    assert set(tables) <= names
    for o in fast:
        if isinstance(o, Observation) and o.dataset.name.split(".", 1)[1] in tables:
            assert o.dataset.status == "assessed", o.dataset.error
            assert o.dataset.records == ROWS
    return fast


def test_postgres_types_parsed_once_same_scan(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    setup = [
        "CREATE TYPE mood_kind AS ENUM ('ok', 'sad')",
        "CREATE DOMAIN short_code AS varchar(8) CHECK (VALUE <> '')",
        "CREATE TYPE pair AS (a integer, b text)",  # a composite: SQLAlchemy does not recognize it (warns)
    ]
    columns = {
        "name20": "varchar(20)", "name200": "varchar(200)", "name_c": 'varchar(20) COLLATE "C"',
        "amount": "numeric(10,2)", "amount4": "numeric(12,4)", "ratio": "double precision", "small": "real",
        "seen": "timestamptz", "seen3": "timestamp(3)", "born": "date", "mood": "mood_kind", "code": "short_code",
        "tags": "text[]", "grid": "integer[][]", "doc": "jsonb", "p": "pair", "blob": "bytea", "at": "time",
    }
    values = {
        "name20": lambda i: f"Name {i}", "name200": lambda i: f"Wei Ling Tan {i}", "name_c": lambda i: f"c{i}",
        "amount": lambda i: i * 1.25, "amount4": lambda i: i / 7, "ratio": lambda i: i / 3, "small": lambda i: i / 4,
        "seen": lambda i: datetime(2024, 5, 1, tzinfo=UTC) + timedelta(minutes=i),
        "seen3": lambda i: datetime(2024, 5, 1, 1, 2, 3, 456000) + timedelta(days=i), "born": lambda i: None,
        "mood": lambda i: "ok" if i % 2 else "sad", "code": lambda i: f"C{i}", "tags": lambda i: [f"t{i}", "x"],
        "grid": lambda i: [[i, 2], [3, 4]], "doc": lambda i: json.dumps({"email": f"u{i}@example.com", "n": i}),
        "p": lambda i: None, "blob": lambda i: b"\x00\x01", "at": lambda i: None,
    }
    tables = ["cpu_one", "cpu_two", "cpu_three"]
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        for sql in setup:
            c.exec_driver_sql(sql)
        for name in tables:
            cols = ", ".join(f'"{k}" {v}' for k, v in columns.items())
            c.exec_driver_sql(f"CREATE TABLE {name} (id integer primary key, {cols}, updated_at timestamp)")
            for i in range(1, ROWS + 1):
                row = {k: v(i) for k, v in values.items()}
                c.exec_driver_sql(
                    f"INSERT INTO {name} (id, updated_at, " + ", ".join(f'"{k}"' for k in row) + ") VALUES (%(id)s, "
                    "%(updated_at)s, " + ", ".join(f"%({k})s" + ("::jsonb" if k == "doc" else "") for k in row) + ")",
                    {"id": i, "updated_at": datetime(2024, 1, 1) + timedelta(hours=i), **row})
    engine.dispose()
    fast = _check(pg_url, monkeypatch, tables)
    got = {o.dataset.name.split(".", 1)[1]: o.dataset for o in fast if isinstance(o, Observation)}
    one = got["cpu_one"].facts["columns"]
    assert all(got[t].facts["columns"] == one for t in tables)
    # types that differ only in a length, a precision, a collation or a time zone keep their own texts
    assert one["name20"] != one["name200"] and one["amount"] != one["amount4"] and one["seen"] != one["seen3"]
    assert "20" in one["name20"] and "200" in one["name200"]


def test_postgres_unknown_type_warns_per_column(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.exec_driver_sql("CREATE TYPE pair2 AS (a integer, b text)")
        for name in ("warn_a", "warn_b"):
            c.exec_driver_sql(f"CREATE TABLE {name} (id integer primary key, p1 pair2, p2 pair2)")
    engine.dispose()
    _items, warned = _scan(pg_url)
    per_column = [w for w in warned if "pair2" in w]
    assert len(per_column) == 4, per_column  # every column that has it, as without the memo
    assert len(set(per_column)) == 2  # named by column: p1 and p2 (twice each)


def test_postgres_unknown_type_inside_a_domain_or_array_warns_per_column(pg_url: str) -> None:
    """A domain over, or an array of, a type SQLAlchemy does not recognize is not remembered either
    (the domain or array object is not NULLTYPE, the type inside it is): one warning per column."""
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.exec_driver_sql("CREATE TYPE pair3 AS (a integer, b text)")
        c.exec_driver_sql("CREATE DOMAIN pairdom AS pair3")
        for name in ("warn_c", "warn_d"):
            c.exec_driver_sql(f"CREATE TABLE {name} (id integer primary key, d1 pairdom, a1 pair3[])")
    engine.dispose()
    _items, warned = _scan(pg_url)
    in_domain = [w for w in warned if "pair3" in w and "DOMAIN" in w]
    in_array = [w for w in warned if "pair3" in w and "DOMAIN" not in w]
    assert len(in_domain) == 2, warned  # one per column of the domain, as without the memo
    assert len(in_array) == 2, warned


def test_types_once_leaves_the_dialect_as_it_was(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    try:
        assert "_reflect_type" not in vars(engine.dialect)
        with typememo.types_once(engine.dialect):
            assert "_reflect_type" in vars(engine.dialect)
        assert "_reflect_type" not in vars(engine.dialect)
        other = sa.create_engine("sqlite://")
        with typememo.types_once(other.dialect):  # no _reflect_type: nothing done
            assert "_reflect_type" not in vars(other.dialect)
    finally:
        engine.dispose()


def test_types_once_leaves_another_sqlalchemy_signature_alone(pg_url: str) -> None:
    """SQLAlchemy 2.0 (allowed by pyproject) passes domains and enums where 2.1 passes a loader,
    and by keyword: the memo is only put in front of the signature it was written against."""
    from sqlalchemy.dialects.postgresql.base import PGDialect

    class OldShape(type(sa.create_engine(pg_url).dialect)):  # type: ignore[misc]
        def _reflect_type(self, format_type, domains, enums, type_description, collation=None):  # type: ignore[override]
            raise AssertionError("not called here")

    dialect = OldShape()
    assert isinstance(dialect, PGDialect)
    with typememo.types_once(dialect):
        assert "_reflect_type" not in vars(dialect)


def test_memos_of_type_objects_stay_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite (like MariaDB) gives each column its own type object: the memos by identity never
    hit there, so they are bounded rather than holding every table's types for the run."""
    path = tmp_path / "many.db"
    with sqlite3.connect(path) as db:
        for i in range(12):
            db.execute(f"CREATE TABLE t{i} (id integer primary key, name varchar(20), seen datetime)")
            db.execute(f"INSERT INTO t{i} VALUES (1, 'Name', '2024-01-01 00:00:00')")
    url = f"sqlite:///{path}"
    whole = dump_items(scan(url, AS_OF))
    kept: list[sql_connector.Connector] = []
    real_init = sql_connector.Connector.__init__

    def init(self, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        kept.append(self)

    monkeypatch.setattr(sql_connector, "MEMO_ENTRIES", 5)
    monkeypatch.setattr(sql_connector.Connector, "__init__", init)
    assert dump_items(scan(url, AS_OF)) == whole
    assert kept and all(len(c._type_objects) <= 5 and len(c._column_plans) <= 5 for c in kept)


def test_mariadb_same_scan(mysql_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    columns = {"name20": "varchar(20)", "name200": "varchar(200)", "amount": "decimal(10,2)", "ratio": "double",
               "mood": "enum('ok','sad')", "seen": "datetime(3)", "doc": "json", "blob": "blob"}
    values = {"name20": lambda i: f"Name {i}", "name200": lambda i: f"Siti {i}", "amount": lambda i: i * 1.25,
              "ratio": lambda i: i / 3, "mood": lambda i: "ok", "seen": lambda i: datetime(2024, 1, 1, 0, 0, 0, 5000),
              "doc": lambda i: f'{{"email": "u{i}@example.com"}}', "blob": lambda i: b"\x00"}
    tables = ["cpu_m1", "cpu_m2"]
    _seed(mysql_url, columns, values, tables)
    _check(mysql_url, monkeypatch, tables)


def test_sqlite_same_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "estate.db"
    sqlite3.connect(path).close()
    url = f"sqlite:///{path}"
    columns = {"name": "varchar(20)", "amount": "numeric(10,2)", "ratio": "real", "seen": "datetime", "note": "text",
               "blob": "blob"}
    values = {"name": lambda i: f"Name {i}", "amount": lambda i: i * 1.25, "ratio": lambda i: i / 3,
              "seen": lambda i: f"2024-01-{i:02d} 00:00:00", "note": lambda i: '{"a": 1}' if i % 3 else None,
              "blob": lambda i: b"\x00"}
    tables = ["cpu_s1", "cpu_s2"]
    _seed(url, columns, values, tables)
    _check(url, monkeypatch, tables)
