"""What a person meets on the command line (issue 18): re-rendering without the sources'
secrets, a quiet mode cron can mail from, output folders created, waivers that cannot be
back-dated, readable `report --list` and `policies list`."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from auditor.cli import cli
from tests.contract.test_scan_cli import CLEAN, config, fake, scan

ENDED = [{"id": "v1", "contract_end": "2019-03-31"}]


def invoke(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env)


def secret_config(tmp_path):
    """A config whose only source needs a variable from the environment (as a URL's password would)."""
    return config(tmp_path, [fake("db", datasets=[{**CLEAN, "name": "${VENDOR_DB_PASSWORD}.orders"}])], vendors=ENDED,
                  notify={"webhook": "${AUDIT_WEBHOOK_URL}", "on": "failure"})


def test_report_waive_and_waivers_need_no_source_secret(tmp_path, fake_connector, monkeypatch):
    p = secret_config(tmp_path)
    monkeypatch.setenv("VENDOR_DB_PASSWORD", "s3cret")
    monkeypatch.setenv("AUDIT_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    assert scan(p, "--json", str(tmp_path / "run.json")).exit_code == 1
    fid = json.loads((tmp_path / "run.json").read_text())["findings"][0]["id"]
    monkeypatch.delenv("VENDOR_DB_PASSWORD")
    monkeypatch.delenv("AUDIT_WEBHOOK_URL")
    # a scan still needs it, and says so
    r = scan(p)
    assert r.exit_code == 2 and "VENDOR_DB_PASSWORD" in r.output
    # a reviewer re-renders, lists, waives without it
    r = invoke("report", "-c", str(p), "--html", str(tmp_path / "again" / "report.html"))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "again" / "report.html").stat().st_size > 10_000
    r = invoke("report", "-c", str(p), "--list")
    assert r.exit_code == 0 and "complete" in r.output
    r = invoke("waive", fid, "--reason", "booked", "--until", "2099-01-01", "-c", str(p))
    assert r.exit_code == 0, r.output
    r = invoke("waivers", "list", "-c", str(p))
    assert r.exit_code == 0 and fid in r.output
    assert invoke("policies", "list", "-c", str(p)).exit_code == 0
    assert invoke("unlock", "-c", str(p)).exit_code == 0


def test_load_config_without_sources_still_checks_the_rest(tmp_path):
    from auditor.config import load_config
    from auditor.errors import ConfigError

    p = tmp_path / "a.yaml"
    p.write_text("state: sqlite:///s.db\nvendors: [{id: v1}]\n"
                 "sources:\n  - {id: db, vendor: nobody, kind: nonsense, url: '${UNSET_FOR_SURE}'}\n"
                 "notify: {webhook: '${ALSO_UNSET}'}\n")
    cfg = load_config(p, sources=False)
    assert cfg.sources == [] and cfg.state == f"sqlite:///{tmp_path / 's.db'}"
    p.write_text("state: ${STATE_UNSET_FOR_SURE}\nsources: []\n")
    try:
        load_config(p, sources=False)
    except ConfigError as exc:
        assert "STATE_UNSET_FOR_SURE" in str(exc) and f"{p}:1:" in str(exc)
    else:
        raise AssertionError("the state store's ${VAR} is still needed")
    p.write_text("stat: sqlite:///s.db\n")
    try:
        load_config(p, sources=False)
    except ConfigError as exc:
        assert "unknown key 'stat'" in str(exc)
    else:
        raise AssertionError("a misspelt top-level key is still an error")


def test_quiet_prints_the_summary_only_when_the_exit_is_not_zero(tmp_path, fake_connector):
    p = config(tmp_path, [fake("db", datasets=[CLEAN])], vendors=ENDED)
    r = CliRunner().invoke(cli, ["-q", "scan", "-c", str(p), "--as-of", "2026-11-28T00:00:00Z"])
    assert r.exit_code == 1
    assert "open findings: 1 high" in r.output and "exit code 1" in r.output
    p = config(tmp_path, [fake("db", datasets=[CLEAN]), fake("bad", raise_error="down")])
    r = CliRunner().invoke(cli, ["-q", "scan", "-c", str(p)])
    assert r.exit_code == 3 and "NOT ASSESSED source bad" in r.output
    p = config(tmp_path, [fake("db", datasets=[CLEAN])])
    r = CliRunner().invoke(cli, ["-q", "scan", "-c", str(p)])
    assert r.exit_code == 0 and r.output == ""


def test_output_folders_are_created(tmp_path, fake_connector):
    p = config(tmp_path, [fake("db", datasets=[CLEAN])])
    out = tmp_path / "out" / "2026-11-28"
    r = scan(p, "--json", str(out / "x.json"), "--html", str(out / "x.html"), "--csv", str(tmp_path / "csv" / "f.csv"))
    assert r.exit_code == 0, r.output
    assert json.loads((out / "x.json").read_text())["run"]["status"] == "complete"
    assert (out / "x.html").exists() and (tmp_path / "csv" / "f.csv").exists()
    r = invoke("report", "-c", str(p), "--json", str(tmp_path / "later" / "y.json"))
    assert r.exit_code == 0 and (tmp_path / "later" / "y.json").exists()
    (tmp_path / "afile").write_text("")
    r = scan(p, "--json", str(tmp_path / "afile" / "x.json"))
    assert r.exit_code == 2 and "cannot write" in r.output and "Traceback" not in r.output


def test_waive_refuses_a_date_already_past(tmp_path, fake_connector):
    p = config(tmp_path, [fake("db", datasets=[CLEAN])], vendors=ENDED)
    scan(p, "--json", str(tmp_path / "o.json"))
    fid = json.loads((tmp_path / "o.json").read_text())["findings"][0]["id"]
    r = invoke("waive", fid, "--reason", "x", "--until", "2020-01-01", "-c", str(p))
    assert r.exit_code == 2 and "not in the future" in r.output
    # judged against --as-of when given (no dependence on today's date)
    r = invoke("waive", fid, "--reason", "x", "--until", "2026-12-01", "--as-of", "2026-12-02T00:00:00Z", "-c", str(p))
    assert r.exit_code == 2 and "not in the future" in r.output
    r = invoke("waive", fid, "--reason", "x", "--until", "2026-12-01", "--as-of", "2026-11-28T00:00:00Z", "-c", str(p))
    assert r.exit_code == 0 and "until 2026-12-01T23:59:59" in r.output
    for placeholder in ("  ", "...", " … "):  # the report's copied command says --reason "..."
        r = invoke("waive", fid, "--reason", placeholder, "--until", "2099-01-01", "-c", str(p))
        assert r.exit_code == 2 and "--reason" in r.output
    assert invoke("waivers", "list", "-c", str(p)).output.count(fid) == 1


def test_report_list_when_empty_and_its_times(tmp_path, fake_connector):
    p = config(tmp_path, [fake("db", datasets=[CLEAN])])
    r = invoke("report", "-c", str(p), "--list")
    assert r.exit_code == 0 and "no runs yet" in r.output
    scan(p)
    r = invoke("report", "-c", str(p), "--list")
    line = r.output.strip().splitlines()[0]
    assert "as of 2026-11-28 00:00:00 UTC" in line
    started = re.search(r"started (\S+ \S+ \S+)", line).group(1)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", started), line  # a zone, no microseconds


def test_policies_list_has_a_header_and_readable_parameters(tmp_path):
    from auditor.cli import format_rules

    text = format_rules([
        {"id": "stale-personal-data", "severity": "high", "params": {"max_age": "365d", "detail": {},
                                                                      "max_retention": None}, "file": "builtin:baseline"},
        {"id": "insecure-transport", "severity": "medium", "params": {"personal_data_only": False,
                                                                      "allowed": ["provider", "customer_key"]},
         "enabled": False, "file": "/p/acme.yaml"},
    ])
    header, first, second = text.splitlines()
    assert header.split() == ["RULE", "SEVERITY", "PARAMETERS", "FROM"]
    assert "max_age=365d" in first and "detail" not in first and "None" not in first and "{}" not in first
    assert "personal_data_only=no; allowed=provider, customer_key" in second and "(disabled)" in second
    r = invoke("policies", "list")
    assert r.exit_code == 0 and r.output.startswith("RULE") and "None" not in r.output and "{}" not in r.output
    for pack in ("gdpr", "pci-dss", "pdpa-sg"):
        (tmp_path / "c.yaml").write_text(f"policies: ['builtin:{pack}']\nsources: []\n")
        r = invoke("policies", "list", "-c", str(tmp_path / "c.yaml"))
        assert r.exit_code == 0 and "None" not in r.output and "={}" not in r.output, r.output


def test_two_scans_into_one_report_name_keep_both_reports(tmp_path, fake_connector):
    p = config(tmp_path, [fake("db", datasets=[CLEAN])], vendors=ENDED)
    html = tmp_path / "reports" / "report.html"
    assert scan(p, "--html", str(html)).exit_code == 1
    assert CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", "2026-11-29T00:00:00Z", "--html", str(html)]).exit_code == 1
    runs = json.loads((html.parent / "index.json").read_text())["runs"]
    files = [r["file"] for r in runs]
    assert len(runs) == 2 and files[-1] == "report.html" and files[0] == f"report.{runs[0]['run_id']}.html"
    for r in runs:
        assert r["run_id"] in (html.parent / r["file"]).read_text()
