"""A scheduler started here fires jobs through the real engine and store; the run lock
refuses overlaps; `auditor schedule run` stops cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from apscheduler.schedulers.background import BackgroundScheduler
from schedule_helpers import CLEAN, CUSTOMERS

from auditor import schedule
from auditor.config import load_config
from auditor.engine import config_identity
from auditor.store import Store

UTC = timezone.utc
AUDITOR = str(Path(sys.executable).parent / "auditor")  # the console script

# a source that is only parsed here (these tests never reach it)
PARSED_ONLY = [{"id": "db", "vendor": "v1", "kind": "sql", "url": "sqlite:///vendor.db"}]


def write_config(tmp_path: Path, **extra) -> Path:
    doc = {"state": "sqlite:///state.db", "reports_dir": "out/reports",
           "vendors": [{"id": "v1", "contract_end": "2019-03-31"}],
           "sources": [{"id": "db", "vendor": "v1", "kind": "fake", "datasets": [CLEAN, CUSTOMERS]}],
           "schedule": {"nightly": "0 2 * * *", "timezone": "America/New_York", "misfire_grace_seconds": 120,
                        "events": [{"name": "11.11", "date": "2026-11-11", "audit_days_before": [3, 1],
                                    "time": "09:00", "fail_on": "critical"}]},
           **extra}
    p = tmp_path / "auditor.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return p


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def fire_soon(config, runner, planned):
    """Start a real BackgroundScheduler holding the given jobs (a second or so ahead)."""
    scheduler = schedule.build_scheduler(config, runner, BackgroundScheduler(), planned=planned)
    scheduler.start()
    return scheduler


def event_job(config, days_before=3, seconds=1.0):
    event = config.schedule.events[0]
    return schedule.Planned(f"event:{event.name}", datetime.now(UTC) + timedelta(seconds=seconds), event, days_before)


def test_event_job_fires_through_the_engine_and_writes_dated_reports(tmp_path, fake_connector, caplog):
    caplog.set_level(logging.INFO, logger="auditor.schedule")
    config = load_config(write_config(tmp_path))
    runner = schedule.Runner(config)
    scheduler = fire_soon(config, runner, [event_job(config)])
    try:
        job = scheduler.get_jobs()[0]
        assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, 120)
        wait_for(lambda: runner.results)
    finally:
        scheduler.shutdown(wait=True)

    result = runner.results[0]
    # the vendor's contract ended (high): fail_on critical for this event, so exit code 0
    assert result["trigger"] == "event:11.11" and result["exit_code"] == 0
    folder = tmp_path / "out" / "reports"
    dated = Path(result["reports"]["json"])
    assert dated.parent == folder
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d{4}Z-event-11\.11\.json", dated.name), dated.name
    latest = json.loads((folder / "latest.json").read_text())
    assert latest == json.loads(dated.read_text())
    assert latest["run"]["trigger"] == "event:11.11" and latest["run"]["id"] == result["run_id"]
    assert "vendor-contract-ended" in {f["rule"] for f in latest["findings"]}
    html = Path(result["reports"]["html"])
    assert html.name == dated.name.replace(".json", ".html")
    assert (folder / "latest.html").read_bytes() == html.read_bytes()
    assert result["run_id"] in html.read_text()

    store = Store.open(config.state)
    try:
        run = store.load_run(store.latest_run_id(config_identity(config)))
    finally:
        store.close()
    assert run.trigger == "event:11.11"
    assert run.trigger_detail == {"event": "11.11", "event_date": "2026-11-11", "days_before": 3}
    line = [r.getMessage() for r in caplog.records if "scheduled audit event:11.11" in r.getMessage()]
    assert len(line) == 1 and "exit code 0" in line[0] and result["run_id"] in line[0]


def test_nightly_trigger_and_two_runs_in_one_minute_get_distinct_names(tmp_path, fake_connector):
    config = load_config(write_config(tmp_path))
    runner = schedule.Runner(config)
    now = datetime.now(UTC)
    jobs = [schedule.Planned("schedule:nightly", now + timedelta(seconds=0.5))]
    scheduler = fire_soon(config, runner, jobs)
    try:
        wait_for(lambda: len(runner.results) == 1)
    finally:
        scheduler.shutdown(wait=True)
    assert runner.run(schedule.Planned("schedule:nightly", now)) == 1  # contract ended: high >= high
    names = sorted(p.name for p in (tmp_path / "out" / "reports").glob("*nightly*.json"))
    assert len(names) == 2 and len(set(names)) == 2, names
    assert [r["exit_code"] for r in runner.results] == [1, 1]
    latest = json.loads((tmp_path / "out" / "reports" / "latest.json").read_text())
    assert latest["run"]["id"] == runner.results[-1]["run_id"] and latest["run"]["trigger"] == "schedule:nightly"


def test_default_report_folder_is_next_to_the_config(tmp_path, fake_connector):
    p = write_config(tmp_path)
    doc = yaml.safe_load(p.read_text())
    del doc["reports_dir"]
    p.write_text(yaml.safe_dump(doc))
    config = load_config(p)
    assert schedule.reports_dir(config) == tmp_path / "reports"
    assert schedule.Runner(config).run(schedule.Planned("schedule:nightly", datetime.now(UTC))) == 1
    assert (tmp_path / "reports" / "latest.json").is_file()


def test_a_run_holding_the_store_lock_makes_the_job_skip_with_one_line(tmp_path, fake_connector, caplog):
    caplog.set_level(logging.INFO, logger="auditor.schedule")
    config = load_config(write_config(tmp_path))
    store = Store.open(config.state)
    store.acquire_lock("20261108T085900Z-cron01")  # e.g. a cron `auditor scan` in progress, this process
    runner = schedule.Runner(config)
    try:
        scheduler = fire_soon(config, runner, [event_job(config, seconds=0.5)])
        try:
            wait_for(lambda: runner.results)
        finally:
            scheduler.shutdown(wait=True)
    finally:
        store.release_lock("20261108T085900Z-cron01")
        store.close()
    assert runner.results == [{"trigger": "event:11.11", "exit_code": None, "skipped": True}]
    skipped = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 1 and skipped[0].levelno == logging.WARNING
    assert "20261108T085900Z-cron01" in skipped[0].getMessage() and "never overlap" in skipped[0].getMessage()
    assert not (tmp_path / "out" / "reports").exists()  # nothing ran, nothing written
    # once the other run is gone, the next job runs
    assert runner.run(event_job(config)) == 0


def test_scheduler_holds_nightly_and_every_upcoming_event_job(tmp_path, fake_connector, caplog):
    caplog.set_level(logging.INFO, logger="auditor.schedule")
    config = load_config(write_config(tmp_path))
    scheduler = schedule.build_scheduler(config, schedule.Runner(config), BackgroundScheduler(),
                                         now=datetime(2026, 11, 8, 15, 0, tzinfo=UTC))  # 10:00 EST
    jobs = {j.id: j for j in scheduler.get_jobs()}
    assert set(jobs) == {"nightly", "event:11.11:1d-before"}  # 3 days before (the 8th, 09:00) is past
    assert isinstance(jobs["nightly"].trigger, schedule.CronTab)
    assert jobs["event:11.11:1d-before"].trigger.run_date.isoformat() == "2026-11-10T09:00:00-05:00"
    assert "skipped event:11.11 3 day(s) before 2026-11-11" in caplog.text


def test_a_config_error_at_run_time_is_one_line_and_exit_2(tmp_path, fake_connector, caplog):
    p = write_config(tmp_path)
    config = load_config(p)
    runner = schedule.Runner(config)
    p.write_text("vendors: [\n")  # edited badly while the scheduler runs
    assert runner.run(schedule.Planned("schedule:nightly", datetime.now(UTC))) == 2
    assert f"{p}:" in caplog.text and "exit code 2" in caplog.text


# --------------------------------------------------------------------------- the foreground command


def test_run_forever_runs_the_last_event_job_then_stops_by_itself(tmp_path, fake_connector, caplog):
    caplog.set_level(logging.INFO, logger="auditor.schedule")
    config = load_config(write_config(tmp_path))
    runner = schedule.Runner(config)
    t0 = time.monotonic()
    assert schedule.run_forever(config, runner, planned=[event_job(config, days_before=1, seconds=0.5)]) == 0
    assert time.monotonic() - t0 < 30
    assert [r["exit_code"] for r in runner.results] == [0]  # finished before the scheduler stopped
    assert "no audits left to schedule: stopping the scheduler" in caplog.text
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored


def start_daemon(tmp_path, extra_args=()):
    cfg = tmp_path / "daemon.yaml"
    cfg.write_text(yaml.safe_dump({"state": "sqlite:///state.db", "vendors": [{"id": "v1"}], "sources": PARSED_ONLY,
                                   "schedule": {"nightly": "0 2 * * 0", "timezone": "Asia/Singapore"}}))
    proc = subprocess.Popen([AUDITOR, *extra_args, "schedule", "run", "-c", str(cfg)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    started = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        started.append(line)
        if "scheduler started" in line or not line:
            break
    assert any("scheduler started" in s for s in started), "".join(started)
    return proc, "".join(started)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_schedule_run_stops_cleanly_on_a_signal(tmp_path, sig):
    proc, head = start_daemon(tmp_path)
    assert "scheduled schedule:nightly: next at" in head and "+08:00" in head
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"{sig.name}: stopping the scheduler" in err and "scheduler stopped" in err
    assert "Traceback" not in err


def test_schedule_run_with_nothing_to_schedule_is_exit_2(tmp_path):
    cfg = tmp_path / "empty.yaml"
    cfg.write_text(yaml.safe_dump({"vendors": [{"id": "v1"}], "sources": PARSED_ONLY, "schedule": {
        "timezone": "UTC", "events": [{"name": "old", "date": "2020-01-01"}]}}))
    r = subprocess.run([AUDITOR, "schedule", "run", "-c", str(cfg)],
                       capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 2
    assert "auditor: error:" in r.stderr and "nothing to schedule" in r.stderr


def test_an_event_audit_missed_by_less_than_the_grace_still_runs(tmp_path, fake_connector):
    config = load_config(write_config(tmp_path))  # misfire grace 120 s; 1 day before: 2026-11-10 14:00Z

    def event_jobs(now):
        s = schedule.build_scheduler(config, schedule.Runner(config), BackgroundScheduler(), now=now)
        return sorted(j.id for j in s.get_jobs() if j.id != "nightly")

    assert event_jobs(datetime(2026, 11, 10, 14, 1, 30, tzinfo=UTC)) == ["event:11.11:1d-before"]
    assert event_jobs(datetime(2026, 11, 10, 14, 2, 30, tzinfo=UTC)) == []


def test_an_unexpected_engine_error_is_one_line_exit_2_without_secrets(tmp_path, fake_connector, monkeypatch,
                                                                        caplog):
    import auditor.engine

    def boom(*_a, **_k):  # fault injection: a bug deep in a run
        raise RuntimeError("connect postgresql://audit:hunter2@db/x failed for jane.doe@example.com")

    monkeypatch.setattr(auditor.engine, "run_audit", boom)
    config = load_config(write_config(tmp_path))
    runner = schedule.Runner(config)
    assert runner.run(schedule.Planned("schedule:nightly", datetime.now(UTC))) == 2
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [("scheduled audit schedule:nightly could not run (exit code 2): "
                       "internal error RuntimeError (details at -vv)")]
    assert "hunter2" not in caplog.text and "jane.doe" not in caplog.text
