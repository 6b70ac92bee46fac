"""Review fixes on the SQL connector: JSON/ARRAY columns are sampled (flattened), binary and
capped columns are named as unsampled; explicit names that match nothing are reported; a
SQLite file's mtime dates a table only when the file holds one; WAL-mode files are read
without creating anything beside them. Real PostgreSQL, MariaDB and SQLite files."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sql_helpers import by_name, scan

from auditor.models import CollectionError
from connectors.sql import sampling

EMAILS = [f"user{i}@example.com" for i in range(30)]


# ------------------------------------------------------------------ PostgreSQL


@pytest.fixture(scope="module")
def pgdb(pg_url):
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE profiles (id int PRIMARY KEY, doc jsonb, tags text[], photo bytea, "
                          "raw json)"))
        c.execute(sa.text("INSERT INTO profiles SELECT g, jsonb_build_object('contact', jsonb_build_object("
                          "'email', 'user' || g || '@example.com'), 'phones', jsonb_build_array('+65 9123 4567')), "
                          "ARRAY['user' || g || '@example.com'], '\\x89504e47'::bytea, "
                          "json_build_object('u' || g || '@example.com', 1) FROM generate_series(0, 29) g"))
        cols = ", ".join(f"c{i:03d} text" for i in range(300))
        c.execute(sa.text(f"CREATE TABLE wide ({cols})"))
        c.execute(sa.text("INSERT INTO wide (c000, c299) VALUES ('a', 'hidden@example.com')"))
        c.execute(sa.text("CREATE SCHEMA empty_schema"))
    engine.dispose()
    return pg_url


def test_json_array_columns_are_flattened_binary_named(pgdb):
    found = by_name(scan(pgdb, include=["public.profiles"]))
    obs = found["public.profiles"]
    fields = obs.sample.fields
    assert sorted(fields["doc.contact.email"]) == sorted(EMAILS)
    assert fields["doc.phones[]"] == ["+65 9123 4567"] * 30
    assert sorted(fields["tags[]"]) == sorted(EMAILS)
    assert len(fields["raw.<key>"]) == 30 and fields["raw.<value>"] == ["1"] * 30  # e-mail keys are values
    assert "raw" not in fields
    assert not any("@" in name for name in fields)
    assert obs.dataset.facts["unsampled"] == {"photo": "binary column (BLOB/bytea): its contents are not sampled"}


def test_column_cap_is_256_and_the_rest_is_named(pgdb):
    obs = by_name(scan(pgdb, include=["public.wide"]))["public.wide"]
    assert len(obs.sample.fields) == sampling.MAX_COLUMNS == 256
    unsampled = obs.dataset.facts["unsampled"]
    assert sorted(unsampled) == [f"c{i:03d}" for i in range(256, 300)]
    assert "column cap" in unsampled["c299"]


def test_explicit_schema_and_table_that_match_nothing_are_errors(pgdb):
    items = scan(pgdb, schemas=["public", "no_such_schema", "empty_schema"],
                 include=["public.profiles", "public.no_such_table", "no_such_schema.t", "public.w*"])
    errors = {e.dataset: e for e in items if isinstance(e, CollectionError)}
    assert set(errors) == {"no_such_schema", "empty_schema", "public.no_such_table"}
    for err in errors.values():
        assert "not found or not visible to the audit identity" in err.reason and "GRANT" in err.fix
    assert errors["public.no_such_table"].kind == "table"
    assert set(by_name(items)) == {"public.profiles", "public.wide"}


def test_mariadb_json_column_and_missing_database(mysql_url):
    engine = sa.create_engine(mysql_url)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE prefs (id int PRIMARY KEY, settings JSON, avatar BLOB)"))
        for i in range(5):
            c.execute(sa.text("INSERT INTO prefs VALUES (:i, :j, :b)"),
                      {"i": i, "j": f'{{"notify": {{"email": "user{i}@example.com"}}}}', "b": b"\x89PNG"})
    engine.dispose()
    items = scan(mysql_url, include=["*.prefs", "*.nothing_like_this", "nodb.prefs2"])
    obs = by_name(items)
    [table] = obs.values()
    assert sorted(table.sample.fields["settings.notify.email"]) == [f"user{i}@example.com" for i in range(5)]
    assert table.dataset.facts["unsampled"] == {"avatar": "binary column (BLOB/bytea): its contents are not sampled"}
    err, empty = [e for e in items if isinstance(e, CollectionError)]
    assert err.dataset == "nodb.prefs2" and "not found or not visible" in err.reason
    assert empty.dataset is None and "'*.nothing_like_this' matched nothing" in empty.reason  # issue 15 item 6


# ------------------------------------------------------------------ SQLite


def _listing(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_single_table_file_mtime_is_its_age(tmp_path):
    path = tmp_path / "one.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE contacts (email TEXT)")
    con.execute("INSERT INTO contacts VALUES ('ann@example.com')")
    con.commit()
    con.close()
    os.utime(path, (1_600_000_000, 1_600_000_000))
    d = by_name(scan(f"sqlite:///{path}"))["main.contacts"].dataset
    assert d.last_modified == datetime.fromtimestamp(1_600_000_000, tz=UTC)
    assert d.last_modified_basis == "sqlite file mtime"


def _wal_db(path) -> sqlite3.Connection:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT)")
    con.executemany("INSERT INTO customers (email) VALUES (?)", [(e,) for e in EMAILS[:10]])
    con.commit()
    return con


def test_wal_database_without_wal_file_creates_nothing(tmp_path):
    folder = tmp_path / "vendor"
    folder.mkdir()
    path = folder / "w.db"
    _wal_db(path).close()  # the last close checkpoints and removes -wal and -shm
    before = _listing(folder)
    assert list(before) == ["w.db"]
    found = by_name(scan(f"sqlite:///{path}"))
    assert _listing(folder) == before, "auditing created or changed files beside the vendor's database"
    assert sorted(found["main.customers"].sample.fields["email"]) == sorted(EMAILS[:10])
    assert found["main.customers"].dataset.facts["server"]["read"].startswith("immutable=1")


def test_wal_database_with_a_live_wal_is_read_from_a_copy(tmp_path):
    folder = tmp_path / "vendor"
    folder.mkdir()
    path = folder / "w.db"
    writer = _wal_db(path)
    try:
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.executemany("INSERT INTO customers (email) VALUES (?)", [(e,) for e in EMAILS[10:]])
        writer.commit()  # these rows live in the -wal only
        before = _listing(folder)
        assert set(before) == {"w.db", "w.db-wal", "w.db-shm"}
        found = by_name(scan(f"sqlite:///{path}"))
        assert _listing(folder) == before, "auditing created or changed files beside the vendor's database"
        customers = found["main.customers"]
        assert customers.dataset.records == 30  # the -wal's rows were read
        assert sorted(customers.sample.fields["email"]) == sorted(EMAILS)
        assert "temporary copy" in customers.dataset.facts["server"]["read"]
    finally:
        writer.close()


def test_temporary_copy_is_removed(tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    path = tmp_path / "w.db"
    writer = _wal_db(path)
    try:
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("INSERT INTO customers (email) VALUES ('late@example.com')")
        writer.commit()
        scan(f"sqlite:///{path}")
        assert list(scratch.iterdir()) == []
    finally:
        writer.close()
