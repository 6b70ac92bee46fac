"""The auditor's own store under fault: unwritable, held by another writer, held by another run,
and a run killed with SIGKILL. Clear error and exit 2, no half-written run, earlier runs intact,
the killed run shown as failed by the next `auditor report --list`.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner
from fault_helpers import as_of, backdate, now, scan, silent_endpoint, sql_source, write_config

from auditor.cli import cli

AUDITOR = [str(Path(sys.executable).parent / "auditor")]  # the installed console script


def sqlite_estate(tmp: Path) -> str:
    db = tmp / "vendor.sqlite"
    c = sqlite3.connect(db)
    with c:
        c.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT)")
        c.executemany("INSERT INTO customers VALUES (?, ?)", [(i, f"p{i}@example.com") for i in range(30)])
    c.close()
    backdate(db)  # its last write is a known instant before the run's as-of, whatever today is
    return f"sqlite:///{db}"


def runs(state: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(state) as c:
        return c.execute("SELECT id, status FROM runs ORDER BY started_at").fetchall()


def counts(state: Path) -> dict[str, int]:
    with sqlite3.connect(state) as c:
        return {t: c.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("runs", "sources", "datasets", "findings", "run_lock")}


def test_unwritable_store_is_exit_2_with_a_clear_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")  # root ignores chmod; a file does not
    cfg = write_config(tmp_path, [sql_source("db", sqlite_estate(tmp_path))],
                       state=f"sqlite:///{blocker}/state.db")
    s = scan(cfg)
    assert s.code == 2, s.output
    assert "state store" in s.output and str(blocker) in s.output, s.output
    assert "Traceback" not in s.output
    assert not (tmp_path / "report.json").exists(), "a report was written for a run that was never stored"


def test_store_held_by_another_writer_is_exit_2_and_leaves_earlier_runs(tmp_path):
    cfg = write_config(tmp_path, [sql_source("db", sqlite_estate(tmp_path))])
    state = tmp_path / "state.db"
    first = scan(cfg)
    assert first.code in (0, 1), first.output
    before = counts(state)
    holder = sqlite3.connect(state, timeout=0, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        s = scan(cfg, json_path=tmp_path / "second.json")
        elapsed = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert s.code == 2, s.output
    assert "state store" in s.output and "locked" in s.output, s.output
    assert "Traceback" not in s.output and not (tmp_path / "second.json").exists()
    assert elapsed < 30
    assert counts(state) == before, "a half-written run was left behind"
    assert runs(state) == [(first.doc["run"]["id"], first.doc["run"]["status"])]


def test_store_held_by_a_running_audit_is_exit_2(tmp_path):
    cfg = write_config(tmp_path, [sql_source("db", sqlite_estate(tmp_path))])
    state = tmp_path / "state.db"
    first = scan(cfg)
    with sqlite3.connect(state) as c:  # this very process is alive: its lock is not stale
        c.execute("INSERT INTO run_lock (name, run_id, pid, host, acquired_at) VALUES ('run', 'other-run', ?, ?, ?)",
                  (os.getpid(), os.uname().nodename, now().strftime("%Y-%m-%d %H:%M:%S")))
    s = scan(cfg, json_path=tmp_path / "second.json")
    assert s.code == 2, s.output
    assert "another audit run (other-run" in s.output and "Traceback" not in s.output
    assert runs(state) == [(first.doc["run"]["id"], first.doc["run"]["status"])]


def test_sigkill_mid_run_leaves_earlier_runs_and_shows_failed(tmp_path):
    estate = sqlite_estate(tmp_path)
    state = tmp_path / "state.db"
    with silent_endpoint() as hostport:
        hang = {"id": "hang", "vendor": "v1", "kind": "s3", "endpoint_url": f"http://{hostport}",
                "region": "us-east-1", "buckets": ["x"], "connect_timeout": 60, "read_timeout": 60, "max_attempts": 1}
        cfg = write_config(tmp_path, [sql_source("db", estate)])
        first = scan(cfg)
        assert first.code in (0, 1), first.output
        cfg = write_config(tmp_path, [sql_source("db", estate), hang])  # same path: same config identity
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        proc = subprocess.Popen([*AUDITOR, "scan", "-c", str(cfg), "--as-of", as_of()], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and ("running" not in {st for _, st in runs(state)}):
                time.sleep(0.1)
            assert "running" in {st for _, st in runs(state)}, "the run never started"
            time.sleep(0.5)
            os.kill(proc.pid, signal.SIGKILL)
            assert proc.wait(10) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
    killed = [rid for rid, st in runs(state) if st == "running"]
    assert len(killed) == 1
    cfg = write_config(tmp_path, [sql_source("db", estate)])
    third = scan(cfg, json_path=tmp_path / "third.json")
    assert third.code in (0, 1), third.output
    assert dict(runs(state)) == {first.doc["run"]["id"]: first.doc["run"]["status"], killed[0]: "failed",
                                 third.doc["run"]["id"]: third.doc["run"]["status"]}
    assert third.doc["run"]["status"] == "complete" and len(third.doc["datasets"]) == 1
    listing = CliRunner().invoke(cli, ["report", "-c", str(cfg), "--list"])
    assert listing.exit_code == 0, listing.output
    line = next(ln for ln in listing.output.splitlines() if ln.startswith(killed[0]))
    assert "failed" in line, listing.output
    first_again = CliRunner().invoke(cli, ["report", "-c", str(cfg), "--run", first.doc["run"]["id"],
                                           "--json", str(tmp_path / "again.json")])
    assert first_again.exit_code == 0, first_again.output
