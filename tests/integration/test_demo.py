"""`auditor demo` end to end, as the README's first command runs it: the real console script,
real local endpoints over HTTP, the real engine, connectors, classifier, policies, reports."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

AUDITOR = shutil.which("auditor", path=str(Path(sys.executable).parent)) or "auditor"


def demo(out: Path) -> tuple[subprocess.CompletedProcess, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.run([AUDITOR, "demo", "--out", str(out)], capture_output=True, text=True, timeout=240, env=env)
    # findings, every source assessed: exit 1 as `auditor scan` would (3 would mean partial)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    return proc, json.loads((out / "report.json").read_text())


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    proc, report = demo(out)
    return out, proc, report


def open_findings(report, **match):
    return [f for f in report["findings"] if f["status"] == "open"
            and all(f[k] == v for k, v in match.items())]


def test_prints_the_report_path_and_writes_every_format(first_run):
    out, proc, report = first_run
    assert f"report: {out / 'report.html'}" in proc.stdout
    for name in ("report.html", "report.json", "findings.csv", "findings-datasets.csv"):
        assert (out / name).stat().st_size > 0, name
    html = (out / "report.html").read_text()
    assert "main.customers" in html and "redmart" in html.lower()


def test_every_source_assessed_with_the_real_connectors(first_run):
    _, _, report = first_run
    assert {s["id"]: s["status"] for s in report["sources"]} == {
        "redmart-db": "ok", "payments-db": "ok", "acme-s3": "ok", "scrape-s3": "ok", "kedai-gcs": "ok",
        "clean-gcs": "ok"}
    assert {s["kind"] for s in report["sources"]} == {"sql", "s3", "gcs"}


def test_the_redmart_store_is_found_stale_and_past_contract(first_run):
    _, _, report = first_run
    customers = next(d for d in report["datasets"] if d["name"] == "main.customers")
    assert customers["last_modified"].startswith("2019-03-14")
    assert {"email", "phone", "person_name", "postal_address", "password_hash", "payment_card_partial"} <= {
        p["type"] for p in customers["personal_data"]}
    rules = {f["rule"] for f in open_findings(report, dataset="main.customers")}
    assert {"stale-personal-data", "vendor-contract-ended", "weak-password-hash"} <= rules


def test_the_stale_legacy_prefix_is_named_not_the_bucket(first_run):
    _, _, report = first_run
    stale = [f["dataset"] for f in open_findings(report, rule="stale-personal-data", source="acme-s3")]
    assert stale == ["acme-analytics-events/legacy/"]


def test_public_bucket_cards_and_scrape(first_run):
    _, _, report = first_run
    public = open_findings(report, rule="public-exposure", dataset="kedai-crm-export")
    assert public and public[0]["severity"] == "critical"
    assert open_findings(report, rule="cardholder-data", dataset="main.card_vault")
    scrape = {f["rule"] for f in open_findings(report, source="scrape-s3")}
    assert {"data-beyond-agreement", "stale-personal-data", "unencrypted-personal-data"} <= scrape


def test_the_clean_bucket_comes_out_clean(first_run):
    _, _, report = first_run
    assert [d["status"] for d in report["datasets"] if d["source"] == "clean-gcs"] == ["assessed", "assessed"]
    assert [f for f in report["findings"] if f["source"] == "clean-gcs"] == []


def test_no_raw_value_reaches_any_output(first_run):
    out, _, report = first_run
    import sqlite3

    con = sqlite3.connect(out / "vendor-dbs" / "paybridge.db")
    pans = [r[0] for r in con.execute("select card_number from card_vault")]
    con = sqlite3.connect(out / "vendor-dbs" / "redmart.db")
    emails = [r[0] for r in con.execute("select email from customers")]
    hashes = [r[0] for r in con.execute("select password_hash from customers")]
    blobs = [p.read_bytes() for p in out.iterdir() if p.is_file()]
    for value in pans[:50] + emails[:50] + hashes[:50]:
        assert not any(value.encode() in b for b in blobs), "a raw audited value reached an output"


def test_a_second_run_shows_the_diff(first_run, tmp_path):
    out, _, first = first_run
    proc, second = demo(out)
    resolved = {r["dataset"] for r in second["resolved"]}
    assert "acme-analytics-events/legacy/" in resolved
    assert second["run"]["previous_run_id"] == first["run"]["id"]
    assert not [f for f in second["findings"] if f["new"] and f["source"] != "acme-s3"]


def test_writes_and_prints_the_ocsf_junit_and_metrics_files(first_run):
    from junitparser import JUnitXml
    from prometheus_client.parser import text_string_to_metric_families

    from tests.unit.reports.test_ci_outputs import assert_valid_ocsf

    out, proc, _ = first_run
    report = json.loads((out / "report.json").read_text())  # the files of the latest demo run in this folder
    for kind, name in (("ocsf", "findings.ocsf.jsonl"), ("junit", "junit.xml"), ("metrics", "auditor.prom")):
        assert f"{kind}: {out / name}" in proc.stdout
    # every OCSF record of the demo validates against the schema version py-ocsf-models ships
    records = [json.loads(line) for line in (out / "findings.ocsf.jsonl").read_text().splitlines()]
    assert_valid_ocsf(records)
    assert {r["finding_info"]["uid"] for r in records if r["activity_id"] != 3} == {f["id"] for f in report["findings"]}
    assert {r["finding_info"]["uid"] for r in records if r["activity_id"] == 3} == {f["id"] for f in report["resolved"]}
    customers = next(r for r in records if r["resources"][0]["name"] == "main.customers"
                     and r["finding_info"]["types"] == ["stale-personal-data"])
    assert {"email", "phone", "password_hash"} <= {d["type"] for d in customers["unmapped"]["data_security"]["discovery_details"]}
    suite = next(iter(JUnitXml.fromfile(str(out / "junit.xml"))))
    assert suite.failures == len(open_findings(report, severity="critical")) + len(open_findings(report, severity="high"))
    assert {"stale-personal-data", "cardholder-data", "public-exposure"} <= {c.name for c in suite}
    samples = {s.name: s for fam in text_string_to_metric_families((out / "auditor.prom").read_text())
               for s in fam.samples if not s.labels}
    assert samples["auditor_stale_personal_datasets"].value >= 2
    assert samples["auditor_stale_personal_records"].value > 0
