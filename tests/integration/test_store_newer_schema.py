"""A state store written by a newer auditor (a deployment rolled back, two hosts at different versions
sharing one PostgreSQL store): "internal error: CommandError: Can't locate revision '0004'" and,
from `scan`, exit 3 (incomplete, findings written) although nothing was scanned. It is a state store
problem: one line naming the store and both schema versions, exit 2, and the store left as it was."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa

from auditor.errors import StoreError
from auditor.store import SCHEMA_HEAD, Store


def _newer_store(tmp_path) -> str:
    url = f"sqlite:///{tmp_path}/state.db"
    Store.open(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as c:
        c.exec_driver_sql("UPDATE alembic_version SET version_num = '0999'")
    engine.dispose()
    return url


def test_a_store_of_a_newer_schema_is_a_store_error_naming_both_versions(tmp_path):
    url = _newer_store(tmp_path)
    with pytest.raises(StoreError) as e:
        Store.open(url)
    assert "0999" in str(e.value) and SCHEMA_HEAD in str(e.value), str(e.value)
    engine = sa.create_engine(url)
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0999"
    engine.dispose()


def test_scan_on_a_store_of_a_newer_schema_exits_2(tmp_path):
    url = _newer_store(tmp_path)
    db = tmp_path / "src.db"
    import sqlite3

    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE t (id int)")
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(f"state: {url}\nvendors: [{{id: v}}]\nsources:\n"
                   f"  - {{id: s, vendor: v, kind: sql, url: 'sqlite:///{db}'}}\n")
    proc = subprocess.run([sys.executable, "-c", "from auditor.cli import main; main()", "scan", "-c", str(cfg)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "internal error" not in proc.stderr and "0999" in proc.stderr, proc.stderr
