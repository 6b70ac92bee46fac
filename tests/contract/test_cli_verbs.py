"""The smaller verbs of the contract, through the real CLI."""

import json

from click.testing import CliRunner

from auditor import registry
from auditor.cli import cli
from tests.contract.test_scan_cli import CLEAN, config, fake, scan


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_policies_validate_ok_and_broken(tmp_path):
    good = tmp_path / "mine.yaml"
    good.write_text("extends: builtin:baseline\noverrides:\n  - rule: stale-personal-data\n    params: {max_age: 90d}\n")
    r = invoke("policies", "validate", str(good))
    assert r.exit_code == 0 and f"ok: {good}" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: Not_Kebab\n    title: x\n    severity: high\n    check: stale-personal-data\n")
    r = invoke("policies", "validate", str(bad))
    assert r.exit_code == 2 and f"{bad}:2:" in r.output and "Traceback" not in r.output


def test_policies_list_shows_overridden_parameters(tmp_path, fake_connector):
    (tmp_path / "mine.yaml").write_text(
        "extends: builtin:baseline\noverrides:\n  - rule: stale-personal-data\n    params: {max_age: 90d}\n")
    p = config(tmp_path, [fake("db", datasets=[CLEAN])], policies=["mine.yaml"])
    r = invoke("policies", "list", "-c", str(p), "--json")
    assert r.exit_code == 0, r.output
    rules = {x["id"]: x for x in json.loads(r.output)}
    assert set(rules) >= {"stale-personal-data", "not-assessed", "cardholder-data", "public-exposure"}
    assert str(rules["stale-personal-data"]["params"]["max_age"]).startswith("90")
    text = invoke("policies", "list").output
    assert "vendor-contract-ended" in text and "high" in text


def test_waivers_list_marks_stale_waivers(tmp_path, fake_connector):
    p = config(tmp_path, [fake("db", datasets=[CLEAN])], vendors=[{"id": "v1", "contract_end": "2019-03-31"}])
    out = tmp_path / "o.json"
    assert scan(p, "--json", str(out)).exit_code == 1
    fid = json.loads(out.read_text())["findings"][0]["id"]
    assert invoke("waive", fid, "--reason", "booked", "--until", "2099-01-01", "--by", "dpo", "-c", str(p)).exit_code == 0
    r = invoke("waivers", "list", "-c", str(p))
    assert fid in r.output and "active" in r.output and "stale" not in r.output
    # the contract is renewed: the waived finding no longer exists, so its waiver is stale
    p = config(tmp_path, [fake("db", datasets=[CLEAN])], vendors=[{"id": "v1"}])
    assert scan(p).exit_code == 0
    assert "stale" in invoke("waivers", "list", "-c", str(p)).output


def test_report_list_and_bad_run_id(tmp_path, fake_connector):
    p = config(tmp_path, [fake("db", datasets=[CLEAN])])
    assert scan(p).exit_code == 0
    r = invoke("report", "-c", str(p), "--list")
    assert r.exit_code == 0 and "complete" in r.output
    r = invoke("report", "-c", str(p), "--run", "nope", "--json", str(tmp_path / "x.json"))
    assert r.exit_code == 2 and "no run 'nope'" in r.output


def test_permissions_for_every_kind():
    r = invoke("permissions", "--json")
    doc = json.loads(r.output)
    assert r.exit_code == 0 and set(doc) >= {"s3", "gcs", "sql", "sftp", "ftp", "azure_blob", "folder"}  # folder: the tests' installed plug-in
    assert set(doc) == set(registry.connectors)  # every registered kind, none listed by hand
    actions = {a for st in doc["s3"]["Statement"] for a in st["Action"]}
    assert "s3:GetObject" in actions and not any(a.startswith(("s3:Put", "s3:Delete")) for a in actions)
    assert "storage.objects.get" in doc["gcs"]["includedPermissions"]
    assert "GRANT SELECT" in invoke("permissions", "--kind", "sql").output
    assert "internal-sftp -R" in doc["sftp"]["sshd_config"] and "never STOR" in doc["ftp"]["commands"]
    assert doc["azure_blob"]["DataActions"] == ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]


def test_json_log_lines(tmp_path, fake_connector):
    p = config(tmp_path, [fake("db", datasets=[CLEAN]), fake("bad", raise_error="down")])
    r = CliRunner().invoke(cli, ["-v", "--log-format", "json", "scan", "-c", str(p)])
    assert r.exit_code == 3
    lines = [json.loads(x) for x in r.output.splitlines() if x.startswith("{")]
    assert any(x["level"] == "error" and "bad" in x["message"] for x in lines)
    assert all({"ts", "level", "logger", "message"} <= set(x) for x in lines)


def test_quiet_prints_nothing_on_success(tmp_path, fake_connector):
    p = config(tmp_path, [fake("db", datasets=[CLEAN])])
    r = CliRunner().invoke(cli, ["-q", "scan", "-c", str(p)])
    assert r.exit_code == 0 and r.output == ""
