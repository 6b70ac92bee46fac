"""Upgrading a SQLite state store is all or nothing. pysqlite commits DDL as it goes (it begins a
transaction only before DML), so a run stopped inside the upgrade (cron's timeout, SIGTERM, a full
disk during 0003's rewrite of every dataset row) kept 0002's new column with alembic_version still
at 0001: every later open tried the ALTER again, "duplicate column name: severity", and the store
was unusable (exit 2 every night) until repaired by hand. Two first runs after an upgrade at once
must not both migrate either."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

import auditor.store
from auditor.store import SCHEMA_HEAD, Store


def _store_at(url: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config as AlembicConfig

    engine = sa.create_engine(url)
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(Path(auditor.store.__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.execute(sa.text("INSERT INTO runs (id, config, started_at, as_of, trigger, status, extra) VALUES "
                             "('r1', 'c', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'manual', 'complete', '{}')"))
        conn.execute(sa.text("INSERT INTO datasets (run_id, source, name, kind, fingerprint, facts) VALUES "
                             "('r1', 's', 't', 'table', 'abc', '{\"facts\": {\"fingerprint\": \"abc\"}}')"))
    engine.dispose()


def _version_and_columns(url: str) -> tuple[list[str], list[str]]:
    engine = sa.create_engine(url)
    with engine.connect() as c:
        version = [r[0] for r in c.exec_driver_sql("SELECT version_num FROM alembic_version")]
        cols = [r[1] for r in c.exec_driver_sql("PRAGMA table_info(waivers)")]
    engine.dispose()
    return version, cols


def test_an_upgrade_stopped_midway_leaves_the_old_schema_and_the_next_open_upgrades(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/old.db"
    _store_at(url, "0001")

    def stopped(*_a, **_k):  # SIGTERM arriving inside 0003's loop over the datasets
        raise SystemExit(143)

    monkeypatch.setattr(json, "loads", stopped)
    with pytest.raises(SystemExit):
        Store.open(url)
    monkeypatch.undo()
    assert _version_and_columns(url) == (["0001"], ["finding_id", "reason", "until", "by", "created_at"])

    store = Store.open(url)  # the next night's run
    store.close()
    version, cols = _version_and_columns(url)
    assert version == [SCHEMA_HEAD] and "severity" in cols


def test_a_first_creation_stopped_midway_leaves_nothing_half_made(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/new.db"
    from alembic.operations import Operations

    real = Operations.create_table
    made: list[str] = []

    def create_table(self, name, *a, **k):
        if len(made) == 2:
            raise SystemExit(143)
        made.append(name)
        return real(self, name, *a, **k)

    monkeypatch.setattr(Operations, "create_table", create_table)
    with pytest.raises(SystemExit):
        Store.open(url)
    monkeypatch.undo()
    Store.open(url).close()
    engine = sa.create_engine(url)
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == SCHEMA_HEAD
    engine.dispose()


def test_two_first_opens_of_an_old_store_at_once_both_succeed(tmp_path):
    """Two processes (two cron entries on one store, the first night after an upgrade)."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path}/old.db"
    _store_at(url, "0001")
    code = ("import sys, time; from auditor.store import Store; t = float(sys.argv[2]); "
            "time.sleep(max(0.0, t - time.time())); Store.open(sys.argv[1]).close()")
    import time

    start = str(time.time() + 1.5)  # both import first, then open at the same instant
    procs = [subprocess.Popen([sys.executable, "-c", code, url, start], stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p.wait(60), p.stderr.read()) for p in procs]
    for p in procs:
        p.stderr.close()
    assert [r[0] for r in results] == [0, 0], results
    assert _version_and_columns(url)[0] == [SCHEMA_HEAD]
