"""The SQL connector on SQLite files (opened read-only)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sql_helpers import (
    HOSTILE,
    by_name,
    connector,
    count_queries,
    newest_update,
    redmart_rows,
    redmart_table,
    scan,
)

from auditor.errors import ConnectorError

N_BIG = 300_000


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite") / "vendor.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    md = sa.MetaData()
    customers = redmart_table(md)
    rows = redmart_rows(400)
    sa.Table("no_times", md, sa.Column("code", sa.String(10)))
    sa.Table("b", md, sa.Column("v", sa.Integer))
    for name in HOSTILE:
        sa.Table(name, md, sa.Column('c"ol<', sa.String(20)))
    md.create_all(engine)
    with engine.begin() as c:
        c.execute(customers.insert(), rows)
        c.execute(md.tables["no_times"].insert(), [{"code": "K1"}, {"code": "K2"}])
        c.execute(md.tables["b"].insert(), [{"v": 1}])
        for name in HOSTILE:
            c.execute(md.tables[name].insert(), [{'c"ol<': "hostile"}])
    engine.dispose()
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, note TEXT, changed_at TEXT)")
    raw.execute("WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ?) "
                "INSERT INTO events SELECT i, 'note ' || i, '2018-07-01T00:00:00' FROM g", (N_BIG,))
    raw.commit()
    raw.close()
    os.utime(path, (1_600_000_000, 1_600_000_000))  # 2020-09-13: the file's last write
    return {"path": str(path), "url": f"sqlite:///{path}", "rows": rows}


def _digest(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def test_sqlite_inventory(db):
    before, mtime = _digest(db["path"]), os.stat(db["path"]).st_mtime
    found = by_name(scan(db["url"], sample_rows=100, exact_count_max_rows=100_000))
    assert set(found) == {"main.customers", "main.no_times", "main.b", "main.events"} | {f"main.{n}" for n in HOSTILE}
    c = found["main.customers"].dataset
    assert c.records == 400 and c.records_basis == "exact"
    assert c.last_modified == newest_update(db["rows"]) and c.last_modified_basis == "max(updated_at)"
    assert c.bytes and c.bytes > 0 and c.facts["engine"].startswith("sqlite 3.")
    assert c.uri == f"sqlite:///{db['path']}/main.customers"  # four slashes: an absolute path
    assert c.encryption_at_rest == "none" and c.encryption_in_transit == "unknown"
    assert len(found["main.customers"].sample.fields["email"]) == 100
    n = found["main.no_times"].dataset
    # the file holds several tables: its mtime is evidence, not the age of each table
    assert n.last_modified is None and n.last_modified_basis.startswith("unknown")
    file_time = datetime.fromtimestamp(1_600_000_000, tz=UTC).isoformat()
    assert n.facts["age_signals"]["sqlite file mtime"].startswith(file_time)
    e = found["main.events"]
    assert e.dataset.records_basis == "exact" and e.dataset.records == N_BIG  # no sqlite_stat1: counted
    assert e.dataset.last_modified_basis == "max(changed_at)" and e.dataset.last_modified.year == 2018
    assert e.dataset.facts["sample"]["strategy"] == "10 random key ranges on id"
    assert len(set(e.sample.fields["note"])) >= 90
    for name in HOSTILE:
        assert found[f"main.{name}"].sample.fields['c"ol<'] == ["hostile"]
    assert _digest(db["path"]) == before and os.stat(db["path"]).st_mtime == mtime


def test_sqlite_session_is_read_only(db):
    engine = connector(db["url"])._engine()
    try:
        with engine.connect() as conn, pytest.raises(sa.exc.OperationalError, match="readonly|read-only|query_only"):
            conn.execute(sa.text("INSERT INTO b VALUES (2)"))
    finally:
        engine.dispose()


def test_sqlite_statement_timeout_fails_one_table(db):
    found = by_name(scan(db["url"], statement_timeout=0.005, exact_count_max_rows=10_000_000))
    assert found["main.events"].dataset.status == "error"
    assert "statement timeout" in found["main.events"].dataset.error
    assert found["main.no_times"].dataset.status == "assessed"


def test_sqlite_queries_per_table(db):
    with count_queries() as counts:
        items = scan(db["url"])
    assert counts["table"] <= len(items) and counts["sample"] == len(items) and counts["other"] == 0


def test_missing_file_is_a_connector_error(tmp_path):
    with pytest.raises(ConnectorError, match="cannot connect"):
        scan(f"sqlite:///{tmp_path}/absent.db")
    assert not (tmp_path / "absent.db").exists()  # mode=ro never creates it


def test_sqlite_is_a_local_file_without_transport(db):
    obs = by_name(scan(db["url"]))
    ds = next(iter(obs.values())).dataset
    assert ds.facts["transport"] == "local file" and "encryption_in_transit" in ds.facts["never_known"]
    assert ds.has_retention is False  # SQLite has no comments and no row expiry
