"""A fresh process (every cron run is one) collects its sources in threads: the first import of
SQLAlchemy's PostgreSQL dialect must not race between a SQLite source's thread (the type memo
imports ``sqlalchemy.dialects.postgresql.base``) and a PostgreSQL source's (``create_engine``).
It did: ImportError "partially initialized module", NoSuchModuleError or _DeadlockError, and the
sources were reported not assessed (exit 3) in most runs. The test suite itself imports the
product up front, so only a new interpreter shows it."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

RUNS = 4  # the race hit ~8 runs in 10 on a 2-core machine; 4 clean fresh runs in a row is the bar


def test_fresh_process_with_sqlite_and_postgres_sources_assesses_every_source(pg_url: str, tmp_path: Path) -> None:
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (id int, v text)"))
        conn.execute(sa.text("INSERT INTO t VALUES (1, 'x')"))
    engine.dispose()
    sources = []
    for n in range(2):
        db = tmp_path / f"lite{n}.db"
        with sqlite3.connect(db) as c:
            c.execute("CREATE TABLE t (id int, v text)")
            c.execute("INSERT INTO t VALUES (1, 'x')")
        sources.append(f'  - {{id: lite{n}, vendor: v, kind: sql, url: "sqlite:///{db}"}}')
    sources.insert(1, f'  - {{id: pg, vendor: v, kind: sql, url: "{pg_url}"}}')
    config = tmp_path / "auditor.yaml"
    config.write_text("state: sqlite:///state.db\nvendors:\n  - id: v\nsources:\n" + "\n".join(sources) + "\n")
    for i in range(RUNS):
        out = tmp_path / f"run{i}.json"
        proc = subprocess.run([sys.executable, "-c", "from auditor.cli import main; main()", "scan", "-c", str(config),
                               "--json", str(out)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert out.exists(), proc.stderr
        failed = {s["id"]: s["error"] for s in json.loads(out.read_text())["sources"] if s["status"] != "ok"}
        assert failed == {}, f"run {i}: {failed}\n{proc.stderr}"
