"""`--ocsf`, `--junit` and `--metrics` on `scan` and `report` (CONTRACT.md, Additions): written
beside the other reports, the JUnit failures are exactly what makes `scan` exit 1, and the
metrics' last complete run comes from the state store's history when this run is incomplete."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner
from junitparser import JUnitXml
from prometheus_client.parser import text_string_to_metric_families

from auditor.cli import cli
from tests.unit.reports.test_ci_outputs import assert_valid_ocsf

CLEAN = {"name": "public.orders", "public": False, "encryption_at_rest": "provider",
         "encryption_in_transit": "enforced", "has_retention": True, "retention_days": 30,
         "last_modified": "2026-11-20T00:00:00+00:00", "sample": {"sku": ["A-1", "B-2"], "qty": [1, 2]}}
STALE = {**CLEAN, "name": "legacy.customers", "encryption_at_rest": "none", "last_modified": "2019-02-14T00:00:00+00:00",
         "records": 4200, "sample": {"email": ["jane.doe@example.com", "li.wei@example.org"]}}


def config(tmp_path, datasets, unreadable=(), vendor=None):
    doc = {"state": "sqlite:///state.db", "vendors": [vendor or {"id": "v1"}],
           "sources": [{"id": "db", "vendor": "v1", "kind": "fake", "datasets": datasets,
                        "unreadable": list(unreadable)}]}
    p = tmp_path / "auditor.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return p


def scan(path, *args):
    return CliRunner().invoke(cli, ["scan", "-c", str(path), "--as-of", "2026-11-28T00:00:00Z", *args])


def gauges(path) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(path.read_text()) for s in fam.samples}


def test_scan_writes_the_three_and_junit_matches_the_exit_code(tmp_path, fake_connector):
    p = config(tmp_path, [CLEAN, STALE], vendor={"id": "v1", "contract_end": "2019-03-31"})
    out = {k: tmp_path / name for k, name in (("ocsf", "f.ocsf.jsonl"), ("junit", "junit.xml"), ("metrics", "a.prom"),
                                               ("json", "r.json"))}
    r = scan(p, *(x for k, v in out.items() for x in (f"--{k}", str(v))))
    assert r.exit_code == 1, r.output
    for v in out.values():
        assert f"report: {v}" in r.output
    report = json.loads(out["json"].read_text())
    failing = [f for f in report["findings"] if f["status"] == "open" and f["severity"] in ("critical", "high")]
    suite = next(iter(JUnitXml.fromfile(str(out["junit"]))))
    assert suite.failures == len(failing) > 0
    assert suite.failures <= suite.tests and all(len(c.result) <= 1 for c in suite)
    names = {c.classname for c in suite}
    assert {"stale-personal-data", "cardholder-data", "public-exposure", "not-assessed"} <= names  # rules in force
    records = [json.loads(line) for line in out["ocsf"].read_text().splitlines()]
    assert_valid_ocsf(records)
    assert {r["finding_info"]["uid"] for r in records} == {f["id"] for f in report["findings"]}
    g = gauges(out["metrics"])
    assert g[("auditor_run_status", (("auditor_run_status", "complete"),))] == 1
    finished = report["run"]["finished_at"]
    assert g[("auditor_last_complete_run_timestamp_seconds", ())] == g[("auditor_run_finished_timestamp_seconds", ())]
    assert finished
    for raw in ("jane.doe@example.com", "li.wei@example.org"):
        for v in out.values():
            assert raw not in v.read_text()

    # --fail-on critical: nothing fails the gate, and the JUnit report agrees
    r = scan(p, "--fail-on", "critical", "--junit", str(out["junit"]))
    assert r.exit_code == 0, r.output
    assert next(iter(JUnitXml.fromfile(str(out["junit"])))).failures == 0


def test_an_incomplete_run_reports_the_last_complete_one_from_history(tmp_path, fake_connector):
    p = config(tmp_path, [CLEAN])
    assert scan(p, "--metrics", str(tmp_path / "first.prom")).exit_code == 0
    first = gauges(tmp_path / "first.prom")
    p = config(tmp_path, [CLEAN], unreadable=["public.secret"])
    r = scan(p, "--metrics", str(tmp_path / "second.prom"))
    assert r.exit_code == 3, r.output
    second = gauges(tmp_path / "second.prom")
    assert second[("auditor_run_status", (("auditor_run_status", "partial"),))] == 1
    assert second[("auditor_last_complete_run_timestamp_seconds", ())] == \
        first[("auditor_run_finished_timestamp_seconds", ())] > 0
    assert second[("auditor_open_findings", (("rule", "not-assessed"), ("severity", "high")))] == 1


def test_the_metrics_history_read_does_not_check_the_store_again(tmp_path, fake_connector, monkeypatch):
    """The store's integrity check (PRAGMA quick_check, a read of every page: seconds on a store of a
    year of nightly runs) is made once per scan, when the run opens it, not again when the metrics
    of an incomplete run look up the last complete one."""
    from auditor.store import Store

    p = config(tmp_path, [CLEAN])
    assert scan(p).exit_code == 0
    checks = []
    real = Store.check
    monkeypatch.setattr(Store, "check", lambda self: (checks.append(1), real(self))[1])
    p = config(tmp_path, [CLEAN], unreadable=["public.secret"])
    assert scan(p, "--metrics", str(tmp_path / "m.prom")).exit_code == 3
    assert gauges(tmp_path / "m.prom")[("auditor_last_complete_run_timestamp_seconds", ())] > 0
    assert len(checks) == 1


def test_report_re_renders_them_from_the_store(tmp_path, fake_connector):
    p = config(tmp_path, [CLEAN, STALE], vendor={"id": "v1", "contract_end": "2019-03-31"})
    assert scan(p, "--json", str(tmp_path / "r.json")).exit_code == 1
    r = CliRunner().invoke(cli, ["report", "-c", str(p), "--ocsf", str(tmp_path / "f.json"), "--junit",
                                 str(tmp_path / "j.xml"), "--metrics", str(tmp_path / "m.prom"), "--fail-on", "medium"])
    assert r.exit_code == 0, r.output
    assert r.output.split() == [str(tmp_path / n) for n in ("f.json", "j.xml", "m.prom")]
    report = json.loads((tmp_path / "r.json").read_text())
    records = json.loads((tmp_path / "f.json").read_text())  # .json: one array
    assert_valid_ocsf(records)
    assert len(records) == len(report["findings"])
    medium_up = [f for f in report["findings"] if f["severity"] in ("critical", "high", "medium")]
    assert next(iter(JUnitXml.fromfile(str(tmp_path / "j.xml")))).failures == len(medium_up)
    assert gauges(tmp_path / "m.prom")[("auditor_run_info", (("run_id", report["run"]["id"]), ("status", "complete"),
                                                             ("trigger", "manual")))] == 1
    r = CliRunner().invoke(cli, ["report", "-c", str(p)])
    assert r.exit_code == 2 and "--ocsf FILE" in r.output


def test_readme_alert_rules_and_metric_names_match_the_textfile(tmp_path, fake_connector):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("\n## Outputs", 1)[1].split("\n## ", 1)[0]
    rules_yaml = next(block for block in re.findall(r"```yaml\n(.*?)```", section, flags=re.S) if "groups:" in block)
    rules = yaml.safe_load(rules_yaml)["groups"][0]["rules"]
    assert [r["alert"] for r in rules] == ["AuditorNoCompleteRun", "AuditorNewCriticalFinding"]
    assert "26 * 3600" in rules[0]["expr"] and 'severity="critical"' in rules[1]["expr"]
    p = config(tmp_path, [CLEAN])
    assert scan(p, "--metrics", str(tmp_path / "a.prom")).exit_code == 0
    written = {fam.name for fam in text_string_to_metric_families((tmp_path / "a.prom").read_text())}
    written |= {n + "_info" for n in written}  # prometheus_client names an Info family without its suffix
    named = set(re.findall(r"\bauditor_[a-z_]+", section))
    assert named - written == set(), "the README names metrics the textfile does not have"
    for rule in rules:
        assert set(re.findall(r"\bauditor_[a-z_]+", rule["expr"])) <= written


def test_re_rendering_an_older_run_does_not_see_later_complete_runs(tmp_path, fake_connector):
    broken = config(tmp_path, [CLEAN], unreadable=["public.secret"])
    assert scan(broken, "--json", str(tmp_path / "partial.json")).exit_code == 3
    partial_id = json.loads((tmp_path / "partial.json").read_text())["run"]["id"]
    fixed = config(tmp_path, [CLEAN])
    assert scan(fixed, "--metrics", str(tmp_path / "now.prom")).exit_code == 0
    r = CliRunner().invoke(cli, ["report", "-c", str(fixed), "--run", partial_id, "--metrics", str(tmp_path / "old.prom")])
    assert r.exit_code == 0, r.output
    old = gauges(tmp_path / "old.prom")
    assert old[("auditor_run_status", (("auditor_run_status", "partial"),))] == 1
    assert old[("auditor_last_complete_run_timestamp_seconds", ())] == 0  # no complete run before it
