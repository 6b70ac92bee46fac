"""Cron sends stdout to a log file; on a full disk the summary cannot be printed. The run is stored
and its reports written: the exit code stays the run's (0 here), not "internal error: OSError" and 3."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from tests.faults.test_deadlines import ROOT


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_summary_that_cannot_be_printed_keeps_the_runs_exit_code(tmp_path):
    db = tmp_path / "src.db"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE t (id int)")
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(f"state: sqlite:///{tmp_path}/state.db\nvendors: [{{id: v}}]\nsources:\n"
                   f"  - {{id: s, vendor: v, kind: sql, url: 'sqlite:///{db}'}}\n")
    report = tmp_path / "r.json"
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-c", "from auditor.cli import main; main()", "scan", "-c", str(cfg),
                               "--json", str(report)], stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                              timeout=120)
    assert report.exists()
    assert proc.returncode == 0, (proc.returncode, proc.stderr)
    assert "internal error" not in proc.stderr and "summary" in proc.stderr, proc.stderr
