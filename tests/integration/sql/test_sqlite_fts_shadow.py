"""SQLite FTS5 (and other virtual-table) helper tables are the engine's storage, not datasets: a table
``notes`` using FTS5 creates notes_content, notes_data, notes_idx, notes_docsize and notes_config.
They were inventoried and classified as datasets of their own (duplicate findings, not-assessed
findings for their blobs); the virtual table itself is inventoried once and sampled."""

from __future__ import annotations

import sqlite3

import pytest
from sql_helpers import by_name, scan

from connectors.sql import sqlite as sqlite_dialect

SHADOWS = {f"main.notes_{s}" for s in ("content", "data", "idx", "docsize", "config")}


@pytest.fixture
def fts_db(tmp_path):
    path = tmp_path / "vendor.db"
    with sqlite3.connect(path) as c:
        c.execute("CREATE VIRTUAL TABLE notes USING fts5(body)")
        c.executemany("INSERT INTO notes(body) VALUES (?)",
                      [(f"card 4111111111111111 for ann{i}@example.com",) for i in range(5)])
        c.execute("CREATE TABLE t2(id INTEGER PRIMARY KEY, v TEXT)")
        c.execute("INSERT INTO t2(v) VALUES ('x')")
    c.close()
    return f"sqlite:///{path}"


def _check(found):
    assert not SHADOWS & set(found)
    assert set(found) == {"main.notes", "main.t2"}
    notes = found["main.notes"]
    assert notes.dataset.status == "assessed"
    assert "ann0@example.com" in str(notes.sample.fields)


def test_fts5_shadow_tables_are_not_datasets(fts_db):
    _check(by_name(scan(fts_db, sample_rows=10)))


def test_fts5_shadow_tables_dropped_by_name_without_table_list(fts_db, monkeypatch):
    """Before SQLite 3.37 there is no PRAGMA table_list: the helpers are known by their names."""
    monkeypatch.setattr(sqlite_dialect, "_TABLE_LIST", False)
    _check(by_name(scan(fts_db, sample_rows=10)))
