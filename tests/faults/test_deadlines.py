"""`source_timeout_seconds` ends the process on time, even when a read is stuck in a
non-daemon thread the interpreter would wait for at exit; the report is written first."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
# the console entry point (auditor.cli:main) with the tests' fake connector registered
RUN_WITH_FAKE = ("import sys; from connectors import load_builtin; from auditor import registry; "
                 "from tests.fakes import FakeConnector; load_builtin(); registry.connectors.add('fake', FakeConnector); "
                 "from auditor.cli import main; sys.argv = ['auditor', *sys.argv[1:]]; main()")


def test_a_stuck_read_in_a_non_daemon_thread_still_exits_3_on_time_with_the_report(tmp_path):
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(yaml.safe_dump({
        "state": f"sqlite:///{tmp_path / 'state.db'}", "source_timeout_seconds": 1, "vendors": [{"id": "v1"}],
        "sources": [{"id": "stuck", "vendor": "v1", "kind": "fake", "block_forever": True},
                    {"id": "fine", "vendor": "v1", "kind": "fake", "datasets": [{"name": "t"}]}]}))
    report = tmp_path / "report.json"
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", RUN_WITH_FAKE, "scan", "-c", str(cfg), "--json", str(report),
                             "--as-of", "2026-11-28T00:00:00Z"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"still running 20 s after a 1 s source timeout: {out} {err}") from None
    elapsed = time.monotonic() - started
    assert proc.returncode == 3, (out, err)
    assert elapsed < 15, elapsed
    doc = json.loads(report.read_text())
    stuck = next(s for s in doc["sources"] if s["id"] == "stuck")
    assert stuck["status"] == "error" and "timed out" in stuck["error"]
    assert "exit code 3" in out


def test_sigterm_during_a_run_marks_it_failed_and_exits_promptly(tmp_path):
    import signal
    import sqlite3

    cfg = tmp_path / "auditor.yaml"
    state = tmp_path / "state.db"
    cfg.write_text(yaml.safe_dump({
        "state": f"sqlite:///{state}", "vendors": [{"id": "v1"}],
        "sources": [{"id": "stuck", "vendor": "v1", "kind": "fake", "block_forever": True}]}))
    proc = subprocess.Popen([sys.executable, "-c", RUN_WITH_FAKE, "scan", "-c", str(cfg),
                             "--as-of", "2026-11-28T00:00:00Z"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if state.exists():
                with sqlite3.connect(state) as c:
                    try:
                        if c.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0]:
                            break
                    except sqlite3.OperationalError:
                        pass
            time.sleep(0.1)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 128 + signal.SIGTERM, (proc.returncode, err)
    with sqlite3.connect(state) as c:
        assert [r[0] for r in c.execute("SELECT status FROM runs")] == ["failed"]
        assert c.execute("SELECT count(*) FROM run_lock").fetchone()[0] == 0
