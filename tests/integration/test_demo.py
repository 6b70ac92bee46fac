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
        "clean-gcs": "ok", "lumen-ftp": "ok"}
    assert {s["kind"] for s in report["sources"]} == {"sql", "s3", "gcs", "ftp"}


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


def test_the_agency_ftp_drop_is_stale_plain_public_and_its_unknowns_attested(first_run):
    out, _, report = first_run
    stale = open_findings(report, rule="stale-personal-data", source="lumen-ftp")
    assert [f["dataset"] for f in stale] == ["/exports/"]  # not the root: a brief came in last week
    assert {(f["rule"], f["dataset"]) for f in open_findings(report, source="lumen-ftp")} == {
        ("stale-personal-data", "/exports/"), ("public-exposure", "/"), ("insecure-transport", "/"),
        ("no-retention-control", "/")}
    [public] = open_findings(report, rule="public-exposure", source="lumen-ftp")
    assert public["severity"] == "critical"
    export = next(d for d in report["datasets"] if d["source"] == "lumen-ftp" and d["name"] == "/exports/")
    assert export["last_modified"].startswith("2019-05-06") and export["records"] == 350
    assert {"email", "phone", "person_name"} <= {p["type"] for p in export["personal_data"]}
    assert (export["encryption_at_rest"], export["encryption_at_rest_basis"]) == ("provider", "attested")
    assert export["has_retention"] is False and export["encryption_in_transit"] == "optional"
    # the attestations are used, each on every dataset of the drop, until 180 days after the run
    used = report["attestations"]["used"]
    assert {a["fact"] for a in used} == {"encryption_at_rest", "has_retention"} and not report["attestations"]["expired"]
    from datetime import date, timedelta

    run_day = date.fromisoformat(report["run"]["as_of"][:10])
    for a in used:
        assert a["evidence"].startswith("Agency DPA annex 2, 2019")
        assert date.fromisoformat(a["until"]) == run_day + timedelta(days=180)
        assert a["datasets"] == ["lumen-ftp:/", "lumen-ftp:/exports/"]
    html = (out / "report.html").read_text()
    assert "Agency DPA annex 2, 2019" in html
    # the login's password reaches the demo through the environment, never the config file
    assert "password: ${AUDITOR_DEMO_FTP_PASSWORD}" in (out / "auditor-demo.yaml").read_text()


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
    import csv

    with open(out / "vendor-ftp" / "exports" / "2019" / "customers.csv", newline="") as f:
        agency = [row["email"] for row in csv.DictReader(f)]
    blobs = [p.read_bytes() for p in out.iterdir() if p.is_file()]
    for value in pans[:50] + emails[:50] + hashes[:50] + agency[:50]:
        assert not any(value.encode() in b for b in blobs), "a raw audited value reached an output"


def test_every_source_and_dataset_is_assessed_and_acls_are_their_own_finding(first_run):
    _, proc, report = first_run
    assert report["run"]["status"] == "complete"
    assert [f for f in report["findings"] if f["rule"] == "not-assessed"] == []
    [acl] = open_findings(report, rule="object-acls-enabled", dataset="growth-scrape-dump")
    assert acl["evidence"]["object_acls"] == "1 of 1 objects checked, none public"
    assert "BucketOwnerEnforced" in acl["remediation"] and "AWS Security Hub S3.12" in acl["references"]
    scrape = next(d for d in report["datasets"] if d["name"] == "growth-scrape-dump")
    assert scrape["public"] is False  # public only on evidence


def test_bucket_records_are_rows_and_objects_are_objects(first_run):
    _, _, report = first_run
    legacy = next(d for d in report["datasets"] if d["name"] == "acme-analytics-events/legacy/redmart-2019/")
    assert (legacy["records"], legacy["records_basis"], legacy["objects"]) == (400, "counted", 2)
    scrape = next(d for d in report["datasets"] if d["name"] == "growth-scrape-dump")
    assert (scrape["records"], scrape["objects"]) == (500, 1)


def test_the_console_leads_with_the_stale_personal_data_at_vendors(first_run):
    _, proc, _ = first_run
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Stale personal data at vendors")
    lead = lines[1:5]
    assert "acme-analytics-events/legacy/" in lead[0] and "400 records" in lead[0]
    assert "RedMart legacy hosting" in lead[1] and "main.customers" in lead[1] and "600 records" in lead[1]
    assert "days (7.7 y)" in lead[1] and "email" in lead[1]
    assert "Lumen Creative (agency)" in lead[2] and "/exports/" in lead[2] and "350 records" in lead[2]
    assert "growth-scrape-dump" in lead[3]
    assert any(line.startswith("Open findings by severity:") for line in lines)


def test_one_problem_one_finding_across_packs(first_run):
    """baseline + pdpa-sg: the stale store and the ended contract are reported once each."""
    _, _, report = first_run
    customers = open_findings(report, dataset="main.customers")
    assert [f["rule"] for f in customers].count("stale-personal-data") == 1
    stale = next(f for f in customers if f["rule"] == "stale-personal-data")
    assert stale["rules"] == ["stale-personal-data", "pdpa-retention-limitation"] and "PDPA s25" in stale["references"]
    assert not [f for f in report["findings"] if f["rule"] in ("pdpa-retention-limitation", "pdpa-contract-ended")]
    assert len({f["id"] for f in report["findings"]}) == len(report["findings"])


def _text(html: str) -> str:
    import re
    from html import unescape

    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_every_count_in_the_summary_equals_the_count_in_its_section(first_run):
    """The page never contradicts itself: each headline figure is the size of the section it sums up."""
    import re

    out, _, report = first_run
    html = (out / "report.html").read_text()

    def section(name: str) -> str:
        start = html.index(f'<section id="{name}"')
        return html[start:html.index("</section>", start)]

    summary, age, findings = section("summary"), section("age"), section("findings")
    cards = re.findall(r'<article class="finding[^"]*" [^>]*data-severity="(\w+)"[^>]*data-status="(\w+)"', findings)
    opened = [s for s, status in cards if status == "open"]
    # open findings: total and per severity, against the finding cards
    assert int(re.search(r'data-figure="open-total">(\d+)<', summary).group(1)) == len(opened)
    for sev, n in re.findall(r'data-severity-count="(\w+)"><span class="n">(\d+)</span>', summary):
        assert int(n) == opened.count(sev), sev
    assert re.search(r'href="#findings">Findings <b>(\d+)</b>', html).group(1) == str(len(opened))
    # stale datasets: the summary card = the lead table = the data-age intro = the oldest table
    stale_note = _text(re.search(r'data-figure="stale-records">.*?figure-note">(.*?)</div>', summary, re.S).group(1))
    stale_n = int(stale_note.split()[0])
    lead_rows = re.findall(r'data-lead-row="([^"]+)"', summary)
    intro = _text(age[:age.index("</p>")])
    over, holding = re.search(r"(\d+) of \d+ are older than the limit \((\d+) holding personal data\)", intro).groups()
    oldest = age[age.index("Oldest personal data past the limit"):]
    oldest_rows = oldest[oldest.index("<tbody>"):oldest.index("</tbody>")].count("</tr>")
    assert stale_n == len(lead_rows) == int(holding) == oldest_rows == 4
    assert int(over) >= int(holding)
    stale_findings = [f for f in report["findings"] if "max_age_days" in f["evidence"] and f["status"] == "open"]
    assert {f["dataset"] for f in stale_findings} == set(lead_rows)
    # stale records: the card's figure is the sum of the lead rows' records
    stale_records = int(_text(re.search(r'data-figure="stale-records">(.*?)</div>', summary, re.S).group(1)).replace(",", ""))
    by_name = {d["name"]: d for d in report["datasets"]}
    assert stale_records == sum(by_name[n]["records"] for n in lead_rows) == 400 + 600 + 350 + 500
    # coverage: "Complete" never sits above a non-empty Coverage list
    status = re.search(r'class="pill run-(\w+)">([^<]+)<', html).groups()
    coverage = section("coverage")
    assert status == ("complete", "Complete") and "Every configured source and dataset was read" in coverage
    assert 'data-coverage="partial"' not in coverage and 'data-coverage="missing"' not in coverage
    assert int(re.search(r'data-figure="not-assessed">(\d+)<', summary).group(1)) == 0


# last: it runs the demo again on the same folder (the reports above are the first run's)
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
    assert {"stale-personal-data", "cardholder-data", "public-exposure"} <= {c.classname for c in suite}
    samples = {s.name: s for fam in text_string_to_metric_families((out / "auditor.prom").read_text())
               for s in fam.samples if not s.labels}
    assert samples["auditor_stale_personal_datasets"].value >= 2
    assert samples["auditor_stale_personal_records"].value > 0
