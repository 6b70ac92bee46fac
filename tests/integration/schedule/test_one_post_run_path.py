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

    def recorded(run, config, fail_on, targets, redactor, **kw):
        out = real(run, config, fail_on, targets, redactor, **kw)
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
    assert {x.suffix for x in calls[1]["written"]} == {".csv", ".html", ".json", ".jsonl", ".prom", ".xml"}


# the endings of every file one run leaves, after its stem: "r.json" -> ".json"
EVERY_OUTPUT = {".json", ".html", ".csv", "-datasets.csv", ".ocsf.jsonl", ".junit.xml", ".prom"}


def test_a_scheduled_run_writes_the_same_set_of_files_as_a_scan(tmp_path, fake_connector):
    """The scheduler has no flags: it writes every output `auditor scan` can write (reports,
    OCSF, JUnit, metrics), dated in reports_dir, each also as latest.<ending> for a fixed path."""
    p = write_config(tmp_path)
    scan = tmp_path / "scan"
    flags = {"--json": "r.json", "--html": "r.html", "--csv": "r.csv", "--ocsf": "r.ocsf.jsonl",
             "--junit": "r.junit.xml", "--metrics": "r.prom"}
    args = [x for flag, name in flags.items() for x in (flag, str(scan / name))]
    r = CliRunner().invoke(cli, ["-q", "scan", "-c", str(p), "--as-of", AS_OF, *args])
    assert r.exit_code == 0, r.output
    by_scan = {f.name.removeprefix("r") for f in scan.iterdir() if f.name.startswith("r")}  # not index.html
    assert by_scan == EVERY_OUTPUT, by_scan

    runner = schedule.Runner(load_config(p), reload=False)
    # a scheduled run is as of now (the test clock): its findings, not its files, depend on the date
    assert runner.run(schedule.Planned("schedule:nightly", datetime.now(timezone.utc))) in (0, 1), runner.results
    folder = tmp_path / "out" / "reports"
    stem = Path(runner.results[-1]["reports"]["json"]).name.removesuffix(".json")
    names = {f.name for f in folder.iterdir() if not f.name.startswith((".", "index."))}
    assert {n.removeprefix(stem) for n in names if n.startswith(stem)} == by_scan, sorted(names)
    assert {n.removeprefix("latest") for n in names if n.startswith("latest")} == by_scan, sorted(names)
    assert len(names) == 2 * len(by_scan), sorted(names)  # nothing else
    # the same content a scan writes: the gate report and the metrics of this run
    assert 'testsuite' in (folder / "latest.junit.xml").read_text()
    assert "auditor_last_complete_run_timestamp_seconds" in (folder / "latest.prom").read_text()
    assert runner.results[-1]["run_id"] in (folder / "latest.json").read_text()


def test_a_report_that_cannot_be_written_is_exit_3_at_both_doors(tmp_path, fake_connector, monkeypatch):
    p = write_config(tmp_path)
    monkeypatch.setattr("auditor.publish.write_reports", _refuse)  # a disk that refuses the write (root ignores modes)
    r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", AS_OF, "--html", str(tmp_path / "x.html")])
    assert r.exit_code == 3 and "is stored, but a report could not be written" in r.output
    (tmp_path / "out").write_text("a file where the reports folder should be")
    runner = schedule.Runner(load_config(p), reload=False)
    assert runner.run(schedule.Planned("schedule:nightly", datetime.now(timezone.utc))) == 3
    assert runner.results[-1]["exit_code"] == 3 and runner.results[-1]["reports"] == {}


def _refuse(*args, **kwargs):
    raise PermissionError(13, "Permission denied")


def test_one_output_that_cannot_be_written_never_costs_the_others(tmp_path, fake_connector, monkeypatch):
    """The JSON report refused at write time (a full disk); the HTML, CSV and JUnit asked for beside
    it are still written and named, and the run says why one could not be (exit 3)."""
    p = write_config(tmp_path)
    monkeypatch.setattr("reports.json_report.write_json", _refuse)
    html, csv_, junit = tmp_path / "r.html", tmp_path / "r.csv", tmp_path / "r.junit.xml"
    r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", AS_OF, "--json", str(tmp_path / "r.json"),
                                 "--html", str(html), "--csv", str(csv_), "--junit", str(junit)])
    assert r.exit_code == 3 and "is stored, but a report could not be written" in r.output, r.output
    assert "Permission denied" in r.output
    assert html.is_file() and csv_.is_file() and junit.is_file() and not (tmp_path / "r.json").exists()
    assert str(html) in r.output  # the summary names what was written
