"""Migration 0004's downgrade drops the ``process`` column of ``runs`` and ``run_lock``. Done as a
batch (copy the table, DROP the old one, rename), on SQLite under the store's own connection
(``PRAGMA foreign_keys=ON``) the DROP of ``runs`` deleted its rows first, and ON DELETE CASCADE
took every run's sources, datasets and findings with it: a downgrade emptied the history. The
column is dropped in place (ALTER TABLE ... DROP COLUMN, SQLite 3.35 and later)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig

import auditor.store
from auditor.store import Store


def test_downgrading_0004_keeps_every_run_and_what_hangs_off_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    store = Store.open(url)
    try:
        with store.engine.begin() as c:
            c.execute(sa.text("INSERT INTO runs (id, config, started_at, as_of, trigger, status, extra, process) "
                              "VALUES ('r1', 'c', '2026-01-01', '2026-01-01', 'manual', 'ok', '{}', 'b:1')"))
            c.execute(sa.text("INSERT INTO sources (run_id, id, kind, vendor, status, datasets) "
                              "VALUES ('r1', 's', 'sql', 'v', 'ok', 1)"))
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(Path(auditor.store.__file__).parent / "migrations"))
        with store.engine.begin() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # as the store runs
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003")
        with store.engine.connect() as c:
            assert c.execute(sa.text("SELECT count(*) FROM runs")).scalar() == 1
            assert c.execute(sa.text("SELECT count(*) FROM sources")).scalar() == 1
            assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0003"
            for table in ("runs", "run_lock"):
                assert "process" not in [r[1] for r in c.exec_driver_sql(f"PRAGMA table_info({table})")]
    finally:
        store.close()
