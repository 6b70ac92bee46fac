"""No test depends on today's date: the date-sensitive tests pass on a clock a year ahead and a
year behind.

``AUDITOR_TEST_CLOCK_SHIFT_DAYS=N`` (tests/conftest.py) moves this process's clock N days with
freezegun, ticking, before any fixture starts: the tests, the engine, moto and the GCS emulator
(all in this process) see the shifted clock; files written on disk keep the kernel's real time;
a subprocess runs on the real clock, so tests hand it ``--as-of`` and fixtures dated from this
process's clock. A test that audits something dated "now" with a fixed as-of, or that forgets to
backdate a file, fails here today instead of on the day the calendar catches up with it.

The guard runs a representative subset (faults, demo, scan CLI, schedule) in two child pytest
runs at once, under +365 and -365 days; the subset is ``GUARDED`` below. What freezegun cannot
move is left out by nature: the database servers' own clocks (a MariaDB UPDATE_TIME is the
server's now), so a test judging those writes uses the real now, as the product does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import CLOCK_SHIFT_ENV, clock_shift_days

ROOT = Path(__file__).resolve().parents[1]

# The date-sensitive tests (pytest node ids), and those left out of them, with the reason:
# - the other writer holding the store: 15 s of lock timeout around the same scan as the tests kept.
# Tests marked real_clock skip themselves on a shifted clock (tests/conftest.py says why).
GUARDED = [
    "tests/test_clock_independence.py::test_the_session_clock_is_the_one_asked_for",
    "tests/test_clock_independence.py::test_the_demo_estate_is_dated_from_the_clock_it_runs_on",
    "tests/faults/test_store_faults.py",
    "tests/faults/test_object_faults.py::test_throttled_listing_is_retried_then_not_assessed",
    "tests/faults/test_object_faults.py::test_gcs_errors_403_and_500",
    "tests/contract/test_scan_cli.py",
    "tests/contract/test_scan_event_trigger.py",
    "tests/integration/schedule",
    "tests/unit/schedule/test_schedule_list.py",
]
LEFT_OUT = [
    "tests/faults/test_store_faults.py::test_store_held_by_another_writer_is_exit_2_and_leaves_earlier_runs",
]


def test_the_session_clock_is_the_one_asked_for(tmp_path):
    """Under a shift, this process's clock is N days from the kernel's (a file's mtime)."""
    probe = tmp_path / "probe"
    probe.write_text("x")
    real = datetime.fromtimestamp(probe.stat().st_mtime, UTC)
    assert abs(datetime.now(UTC) - real - timedelta(days=clock_shift_days())) < timedelta(minutes=5)


def test_the_demo_estate_is_dated_from_the_clock_it_runs_on(tmp_path, monkeypatch):
    """The demo in this process (its emulators too): on any clock, every source is assessed, the
    RedMart store is stale, and every last write is known and before the run's as-of."""
    from auditor.demo import run_demo

    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)  # run_demo sets its own; monkeypatch puts them back
    monkeypatch.setenv("AUDITOR_DEMO_FTP_PASSWORD", "replaced")  # run_demo sets a new one; removed after
    run, _ = run_demo(tmp_path / "demo", quiet=True)
    assert {s.id: s.status for s in run.sources} == dict.fromkeys(
        ("redmart-db", "payments-db", "acme-s3", "scrape-s3", "kedai-gcs", "clean-gcs", "lumen-ftp"), "ok")
    assert abs(run.as_of - datetime.now(UTC)) < timedelta(minutes=10)
    assert all(d.status == "assessed" for d in run.datasets)
    future = [(d.name, d.last_modified) for d in run.datasets
              if d.last_modified is not None and d.last_modified > run.as_of]
    assert future == []
    unknown_age = [f.dataset for f in run.findings if f.rule == "not-assessed"
                   and "last_modified" in str(f.evidence.get("unknown", ""))]
    assert unknown_age == []
    stale = {f.dataset for f in run.findings if f.rule == "stale-personal-data" and f.status == "open"}
    assert "main.customers" in stale, stale
    # the agency FTP login's password (new every run, from the environment) is in no file the demo wrote
    password = os.environ["AUDITOR_DEMO_FTP_PASSWORD"].encode()
    assert password != b"replaced"
    assert not [p for p in (tmp_path / "demo").rglob("*") if p.is_file() and password in p.read_bytes()]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_shifted_clocks_a_year_ahead_and_a_year_behind(tmp_path):
    """Both child runs at once: they mostly wait (timeouts, servers, subprocesses), not compute."""
    if clock_shift_days():
        pytest.skip("already on a shifted clock")
    assert all((ROOT / node.split("::")[0]).exists() for node in GUARDED + LEFT_OUT)
    left_out = [arg for node in LEFT_OUT for arg in ("--deselect", node)]
    children = {}
    for days in (365, -365):
        log = (tmp_path / f"shift{days:+d}.log").open("w+")
        proc = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *GUARDED, *left_out],
                                cwd=ROOT, env={**os.environ, CLOCK_SHIFT_ENV: str(days)}, stdout=log,
                                stderr=subprocess.STDOUT, text=True)
        children[days] = (proc, log)
    for days, (proc, log) in children.items():
        try:
            code = proc.wait(timeout=600)
        finally:
            if proc.poll() is None:
                proc.kill()
        log.seek(0)
        out = log.read()
        log.close()
        assert code == 0, f"on a clock {days:+d} days from today:\n{out[-5000:]}"
        passed = re.search(r"(\d+) passed", out)
        assert passed and int(passed.group(1)) >= 50, out[-3000:]  # about 60: far fewer means the selection broke
