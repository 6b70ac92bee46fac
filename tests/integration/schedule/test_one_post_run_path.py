"""Both doors (``auditor scan`` and the scheduler) leave a run through one path,
:func:`auditor.publish.publish`: exit code, reports, notification."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import yaml
from click.testing import CliRunner
from schedule_helpers import CLEAN, CUSTOMERS

import auditor.publish
from auditor import schedule
from auditor.cli import cli
from auditor.config import load_config

AS_OF = "2026-11-21T00:00:00+00:00"  # a day after the fake datasets' last write (schedule_helpers)


def write_config(tmp_path: Path) -> Path:
    p = tmp_path / "auditor.yaml"
    p.write_text(yaml.safe_dump({
        "state": "sqlite:///state.db", "reports_dir": "out/reports",
        "vendors": [{"id": "v1"}],
        "sources": [{"id": "db", "vendor": "v1", "kind": "fake", "datasets": [CLEAN, CUSTOMERS]}],
        "schedule": {"nightly": "0 2 * * *", "timezone": "UTC"},
    }, sort_keys=False))
    return p


def spy(monkeypatch) -> list[dict]:
    calls: list[dict] = []
    real = auditor.publish.publish

    def recorded(run, config, fail_on, write, redactor):
        out = real(run, config, fail_on, write, redactor)
        calls.append({"run": run.id, "fail_on": fail_on, "code": out.code, "written": out.written})
        return out

    monkeypatch.setattr(auditor.publish, "publish", recorded)
    return calls


def test_scan_and_the_scheduler_publish_through_one_function(tmp_path, fake_connector, monkeypatch):
    calls = spy(monkeypatch)
    p = write_config(tmp_path)
    r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", AS_OF, "--json", str(tmp_path / "r.json")])
    assert r.exit_code == 0, r.output
    assert len(calls) == 1 and calls[0]["written"] == [tmp_path / "r.json"] and calls[0]["code"] == 0
    code = schedule.Runner(load_config(p), reload=False).run(schedule.Planned("schedule:nightly", datetime.now(timezone.utc)))
    assert len(calls) == 2 and code == calls[1]["code"]
    assert sorted(x.suffix for x in calls[1]["written"]) == [".html", ".json"]


def test_a_report_that_cannot_be_written_is_exit_3_at_both_doors(tmp_path, fake_connector, monkeypatch):
    p = write_config(tmp_path)
    monkeypatch.setattr("auditor.cli.write_reports", _refuse)  # a disk that refuses the write (root ignores modes)
    r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", AS_OF, "--html", str(tmp_path / "x.html")])
    assert r.exit_code == 3 and "is stored, but a report could not be written" in r.output
    (tmp_path / "out").write_text("a file where the reports folder should be")
    runner = schedule.Runner(load_config(p), reload=False)
    assert runner.run(schedule.Planned("schedule:nightly", datetime.now(timezone.utc))) == 3
    assert runner.results[-1]["exit_code"] == 3 and runner.results[-1]["reports"] == {}


def _refuse(*args, **kwargs):
    raise PermissionError(13, "Permission denied")
