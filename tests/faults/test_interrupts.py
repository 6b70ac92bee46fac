"""Ctrl-C or a CI job's cancel (SIGINT) mid-scan: like SIGTERM, the run is marked failed, the lock
released, and the exit code is 128 + the signal, never 1 (the contract's "every source assessed,
open findings") that click's "Aborted!" gave; stderr says why the run ended (a cron mail)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import yaml

from tests.faults.test_deadlines import ROOT, RUN_WITH_FAKE


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_mid_scan_exits_128_plus_signal_and_marks_the_run_failed(tmp_path, sig):
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
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 128 + sig, (proc.returncode, out, err)
    assert "Aborted" not in err + out
    assert f"interrupted by {signal.Signals(sig).name}" in err, err
    with sqlite3.connect(state) as c:
        assert [r[0] for r in c.execute("SELECT status FROM runs")] == ["failed"]
        assert c.execute("SELECT count(*) FROM run_lock").fetchone()[0] == 0
