"""Nothing of a WAL-mode SQLite source is left on disk: its bounded private copy (mode 0700)
goes when the source is done, and a copy left by a SIGKILLed run goes with the next run."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sql_helpers import by_name, scan

from auditor import tempdirs
from auditor.cli import cli
from auditor.models import CollectionError
from connectors.sql import sqlite as sqlite_dialect

CARDS = ["4111111111111111", "5500005555555559"]


def live_wal(path: Path) -> sqlite3.Connection:
    """A WAL-mode database whose newest rows (cards) live only in its -wal."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("CREATE TABLE payments (id INTEGER PRIMARY KEY, email TEXT, card TEXT)")
    con.executemany("INSERT INTO payments (email, card) VALUES (?, ?)",
                    [(f"p{i}@example.com", CARDS[i % 2]) for i in range(40)])
    con.commit()
    return con


def leftovers(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith(tempdirs.PREFIX))


def test_a_copy_left_by_a_sigkilled_run_is_gone_after_the_next_run(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    db = tmp_path / "vendor.db"
    writer = live_wal(db)
    try:
        # a process that took the private copy and is killed while reading it
        child = subprocess.Popen([sys.executable, "-c", (
            "import sys, time, sqlalchemy as sa; from connectors.sql.sqlite import SQLite; "
            "d = SQLite(sa.engine.make_url(sys.argv[1])); print(d.engine_url().database, flush=True); "
            "time.sleep(600)"), f"sqlite:///{db}"], env={**os.environ, "TMPDIR": str(scratch)},
            stdout=subprocess.PIPE, text=True)
        try:
            copy = Path(child.stdout.readline().strip().removeprefix("file:"))
            assert copy.is_file() and str(copy).startswith(str(scratch)), copy
            assert stat.S_IMODE(copy.parent.stat().st_mode) == 0o700
            assert b"4111111111111111" in copy.read_bytes() + Path(str(copy) + "-wal").read_bytes()
            os.kill(child.pid, signal.SIGKILL)
            child.wait(10)
        finally:
            if child.poll() is None:
                child.kill()
        assert leftovers(scratch) == [copy.parent.name], "the SIGKILL should have left the copy (the case at hand)"
        # the next run (any source) sweeps it
        cfg = tmp_path / "auditor.yaml"
        cfg.write_text(yaml.safe_dump({"state": f"sqlite:///{tmp_path / 'state.db'}", "vendors": [{"id": "v"}],
                                       "sources": [{"id": "db", "vendor": "v", "kind": "sql", "url": f"sqlite:///{db}"}]}))
        env = {**os.environ, "TMPDIR": str(scratch)}
        started = time.monotonic()
        r = subprocess.run([str(Path(sys.executable).parent / "auditor"), "scan", "-c", str(cfg), "--as-of",
                            "2026-11-28T00:00:00Z"], env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode in (0, 1, 3), r.stderr  # 3: the table has no write time (age not assessed)
        assert "datasets: 1 (0 not assessed), open not-assessed findings: " in r.stdout, r.stdout
        assert time.monotonic() - started < 120
        assert leftovers(scratch) == [], "audited data left on disk after the next run"
    finally:
        writer.close()


def test_the_copy_is_private_and_removed_when_the_source_is_done(tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    seen = []
    real_make = tempdirs.make

    def spy() -> str:
        path = real_make()
        seen.append(stat.S_IMODE(os.stat(path).st_mode))
        return path

    monkeypatch.setattr(tempdirs, "make", spy)
    writer = live_wal(tmp_path / "vendor.db")
    try:
        found = by_name(scan(f"sqlite:///{tmp_path / 'vendor.db'}"))
    finally:
        writer.close()
    assert found["main.payments"].dataset.records == 40
    assert seen == [0o700]
    assert leftovers(scratch) == []


def test_over_the_copy_budget_the_source_is_not_assessed_and_nothing_is_copied(tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(sqlite_dialect, "WAL_COPY_MAX_BYTES", 4096)
    writer = live_wal(tmp_path / "vendor.db")
    try:
        with pytest.raises(Exception) as exc:
            scan(f"sqlite:///{tmp_path / 'vendor.db'}")
    finally:
        writer.close()
    assert "budget" in str(exc.value) and "wal_checkpoint" in str(exc.value)
    assert leftovers(scratch) == []


def test_an_empty_wal_is_read_in_place_immutable_without_a_copy(tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    db = tmp_path / "vendor.db"
    writer = live_wal(db)
    try:
        writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the file; the -wal is empty
        assert os.path.getsize(str(db) + "-wal") == 0
        monkeypatch.setattr(tempdirs, "make", lambda: pytest.fail("copied although the -wal is empty"))
        found = by_name(scan(f"sqlite:///{db}"))
    finally:
        writer.close()
    assert found["main.payments"].dataset.records == 40
    assert found["main.payments"].dataset.facts["server"]["read"].startswith("immutable=1")
    assert not [o for o in found.values() if isinstance(o, CollectionError)]


def test_the_scan_cli_reports_a_wal_source_over_budget_as_not_assessed(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_dialect, "WAL_COPY_MAX_BYTES", 4096)
    writer = live_wal(tmp_path / "vendor.db")
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(yaml.safe_dump({"state": f"sqlite:///{tmp_path / 'state.db'}", "vendors": [{"id": "v"}],
                                   "sources": [{"id": "db", "vendor": "v", "kind": "sql",
                                                "url": f"sqlite:///{tmp_path / 'vendor.db'}"}]}))
    try:
        r = CliRunner().invoke(cli, ["scan", "-c", str(cfg), "--as-of", "2026-11-28T00:00:00Z"])
    finally:
        writer.close()
    assert r.exit_code == 3, r.output
    assert "budget" in r.output
