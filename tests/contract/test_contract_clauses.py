"""Clauses of CONTRACT.md that no other test pinned: each test names the clause it holds to.

The scan's exit codes (cron and CI gate on them), the config's validation (exit 2, the
message naming file, line and key), the JSON report a SIEM parses, and the names (rule ids,
personal-data types) that finding ids, waivers and imports depend on.
"""

from __future__ import annotations

import json
import re
from importlib import resources

import jsonschema
import yaml
from click.testing import CliRunner

from auditor.cli import cli
from auditor.models import PERSONAL_DATA_TYPES

AS_OF = "2026-11-28T00:00:00Z"
CLEAN = {"name": "public.orders", "public": False, "encryption_at_rest": "provider",
         "encryption_in_transit": "enforced", "has_retention": True, "retention_days": 30,
         "last_modified": "2026-11-20T00:00:00+00:00", "sample": {"sku": ["A-1", "B-2"], "qty": [1, 2]}}


def write(tmp_path, datasets=(CLEAN,), name="auditor.yaml", **extra):
    doc = {"state": "sqlite:///state.db", "vendors": [{"id": "v1"}],
           "sources": [{"id": "db", "vendor": "v1", "kind": "fake", "datasets": list(datasets)}], **extra}
    p = tmp_path / name
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return p


def scan(path, *args):
    return CliRunner().invoke(cli, ["scan", "-c", str(path), "--as-of", AS_OF, *args])


def line_of(path, key: str) -> int:
    """The 1-based line of the first line of ``path`` that starts with ``key:`` (after indentation)."""
    for i, text in enumerate(path.read_text().splitlines(), 1):
        if re.match(rf"\s*(- )?{re.escape(key)}:", text):
            return i
    raise AssertionError(f"no {key}: in {path}")


# --------------------------------------------------------------------------- exit codes


def test_fail_on_defaults_to_high_a_finding_below_it_exits_0(tmp_path, fake_connector):
    """Exit codes: 0 ... no open finding at or above --fail-on (default `high`)."""
    p = write(tmp_path, [{**CLEAN, "encryption_in_transit": "optional"}])  # insecure-transport, below high
    out = tmp_path / "out.json"
    r = scan(p, "--json", str(out))
    assert r.exit_code == 0, r.output
    (f,) = json.loads(out.read_text())["findings"]
    assert (f["rule"], f["status"]) == ("insecure-transport", "open") and f["severity"] in ("medium", "low")
    assert scan(p, "--fail-on", f["severity"]).exit_code == 1
    assert scan(p, "--fail-on", "info").exit_code == 1
    assert scan(p, "--fail-on", "high").exit_code == 0


def test_an_invalid_cron_line_is_an_invalid_config_for_scan_too(tmp_path, fake_connector):
    """Exit 2: nothing was scanned: ... invalid config (message names file, line and key)."""
    p = write(tmp_path, schedule={"nightly": "0 2 * *", "timezone": "Asia/Singapore"})
    r = scan(p)
    assert r.exit_code == 2, r.output
    assert f"{p}:{line_of(p, 'nightly')}: schedule.nightly:" in r.output, r.output
    assert "run " not in r.output  # nothing was scanned


def test_an_unparsable_state_url_names_file_line_and_key(tmp_path, fake_connector):
    """Exit 2 on an invalid config; the message names file, line and key (`state`)."""
    p = write(tmp_path)
    p.write_text(p.read_text().replace("sqlite:///state.db", "not a url"))
    r = scan(p)
    assert r.exit_code == 2, r.output
    assert f"{p}:{line_of(p, 'state')}: state:" in r.output, r.output


def test_a_policy_list_naming_nothing_names_the_config_file_line_and_key(tmp_path, fake_connector):
    """`policies: [builtin:NAME or a path]`: an unknown pack or a missing path is an invalid
    config: exit 2, naming the config file, the line and the key (policies[i])."""
    for bad in ("builtin:baselin", "no-such-policies/"):
        p = write(tmp_path, policies=["builtin:baseline", bad])
        r = scan(p)
        assert r.exit_code == 2, r.output
        assert f"{p}:{line_of(p, 'policies') + 2}: policies[1]:" in r.output, r.output


# --------------------------------------------------------------------------- report


def test_report_of_an_older_run_carries_its_own_diff(tmp_path, fake_connector):
    """`auditor report --run ID`: re-render a stored run, with its diff against the run before it
    (not against the latest one)."""
    ended = [{"id": "v1", "contract_end": "2019-03-31"}]
    p = write(tmp_path, vendors=ended)
    first, second = tmp_path / "1.json", tmp_path / "2.json"
    assert scan(p, "--json", str(first)).exit_code == 1
    p = write(tmp_path)  # the contract end removed: the finding is resolved by the second run
    assert scan(p, "--json", str(second)).exit_code == 0
    one, two = json.loads(first.read_text()), json.loads(second.read_text())
    assert [r["rule"] for r in two["resolved"]] == ["vendor-contract-ended"]
    for doc in (one, two):
        out = tmp_path / f"again-{doc['run']['id']}.json"
        r = CliRunner().invoke(cli, ["report", "-c", str(p), "--run", doc["run"]["id"], "--json", str(out)])
        assert r.exit_code == 0, r.output
        again = json.loads(out.read_text())
        assert again["run"]["id"] == doc["run"]["id"]
        assert again["resolved"] == doc["resolved"] and again["findings"] == doc["findings"]


def test_report_needs_an_output(tmp_path, fake_connector):
    """`auditor report -c CONFIG [--run ID|latest] (--json FILE|--html FILE|--csv FILE)`."""
    p = write(tmp_path)
    assert scan(p).exit_code == 0
    r = CliRunner().invoke(cli, ["report", "-c", str(p)])
    assert r.exit_code == 2 and "--json" in r.output
    for flag, name in (("--html", "r.html"), ("--csv", "r.csv")):
        r = CliRunner().invoke(cli, ["report", "-c", str(p), flag, str(tmp_path / name)])
        assert r.exit_code == 0, r.output
        assert (tmp_path / name).stat().st_size > 0


# --------------------------------------------------------------------------- the JSON report


def _schema():
    return json.loads(resources.files("auditor").joinpath("schema/report.schema.json").read_text())


def test_json_report_times_are_iso8601_and_validate_with_formats(tmp_path, fake_connector):
    """run.started_at/finished_at/as_of, datasets' last_modified ("ISO8601 or null"),
    findings' first_seen: checked as formats, not only as strings."""
    ended = [{"id": "v1", "contract_end": "2019-03-31"}]
    p = write(tmp_path, vendors=ended)
    out = tmp_path / "out.json"
    assert scan(p, "--json", str(out)).exit_code == 1
    doc = json.loads(out.read_text())
    validator = jsonschema.Draft202012Validator(_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert not [e.message for e in validator.iter_errors(doc)]
    checker = jsonschema.FormatChecker()
    stamps = [doc["run"][k] for k in ("started_at", "finished_at", "as_of")]
    stamps += [d["last_modified"] for d in doc["datasets"]] + [f["first_seen"] for f in doc["findings"]]
    assert stamps and all(isinstance(s, str) and checker.conforms(s, "date-time") for s in stamps), stamps
    assert doc["run"]["as_of"] == AS_OF


def test_json_report_has_every_field_the_contract_names(tmp_path, fake_connector):
    """The field names and types of "JSON report (--json)", as a SIEM importer reads them."""
    ended = [{"id": "v1", "contract_end": "2019-03-31"}]
    p = write(tmp_path, vendors=ended)
    out = tmp_path / "out.json"
    scan(p, "--json", str(out), "--trigger", "ci-gate")
    doc = json.loads(out.read_text())
    assert doc["schema_version"] == 1
    assert {"id", "started_at", "finished_at", "as_of", "trigger", "status"} <= set(doc["run"])
    assert doc["run"]["trigger"] == "ci-gate" and doc["run"]["status"] in ("complete", "partial", "failed")
    (src,) = doc["sources"]
    assert src == {**src, "id": "db", "kind": "fake", "vendor": "v1", "status": "ok", "error": None, "datasets": 1}
    (ds,) = doc["datasets"]
    for key in ("source", "vendor", "kind", "name", "uri", "records", "bytes", "last_modified", "last_modified_basis",
                "encryption_at_rest", "encryption_in_transit", "public", "retention_days", "personal_data", "status",
                "error"):
        assert key in ds, key
    assert ds["kind"] in ("table", "bucket", "prefix") and ds["status"] == "assessed" and ds["error"] is None
    assert ds["encryption_at_rest"] == "provider" and ds["encryption_in_transit"] == "enforced"
    assert ds["public"] is False and ds["retention_days"] == 30 and ds["personal_data"] == []
    (f,) = doc["findings"]
    for key in ("id", "rule", "severity", "source", "vendor", "dataset", "title", "evidence", "remediation",
                "references", "status", "first_seen", "new"):
        assert key in f, key
    assert (f["rule"], f["severity"], f["source"], f["vendor"], f["dataset"], f["status"], f["new"]) == (
        "vendor-contract-ended", "high", "db", "v1", "public.orders", "open", True)
    assert isinstance(f["evidence"], dict) and isinstance(f["references"], list) and isinstance(f["title"], str)
    assert doc["resolved"] == []


def test_finding_ids_are_stable_across_runs(tmp_path, fake_connector):
    """findings[].id: stable across runs for the same rule and dataset; first_seen kept, new false."""
    ended = [{"id": "v1", "contract_end": "2019-03-31"}]
    p = write(tmp_path, vendors=ended)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    scan(p, "--json", str(a))
    CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", "2026-11-29T00:00:00Z", "--json", str(b)])
    (fa,), (fb,) = json.loads(a.read_text())["findings"], json.loads(b.read_text())["findings"]
    assert fa["id"] == fb["id"] and fa["first_seen"] == fb["first_seen"] and (fa["new"], fb["new"]) == (True, False)


# --------------------------------------------------------------------------- names that bind


def test_the_personal_data_types_the_contract_names():
    """Personal-data types (at least): the names allowed_personal_data and reports use."""
    assert {"email", "phone", "person_name", "postal_address", "date_of_birth", "national_id", "payment_card",
            "payment_card_partial", "password_hash", "ip_address"} <= set(PERSONAL_DATA_TYPES)


# --------------------------------------------------------------------------- scan options


def test_source_is_repeatable(tmp_path, fake_connector):
    """`scan --source ID...`: only the sources named, each of them."""
    doc = {"state": "sqlite:///state.db", "vendors": [{"id": "v1"}],
           "sources": [{"id": s, "vendor": "v1", "kind": "fake", "datasets": [CLEAN]} for s in ("a", "b", "c")]}
    p = tmp_path / "auditor.yaml"
    p.write_text(yaml.safe_dump(doc))
    out = tmp_path / "out.json"
    assert scan(p, "--source", "a", "--source", "c", "--json", str(out)).exit_code == 0
    assert [s["id"] for s in json.loads(out.read_text())["sources"]] == ["a", "c"]


def test_as_of_defaults_to_now_in_utc(tmp_path, fake_connector):
    """`--as-of` ... Default: now, in UTC."""
    from datetime import UTC, datetime

    p = write(tmp_path)
    out = tmp_path / "out.json"
    before = datetime.now(UTC)
    r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--json", str(out)])
    after = datetime.now(UTC)
    assert r.exit_code == 0, r.output
    as_of = json.loads(out.read_text())["run"]["as_of"]
    assert as_of.endswith("Z")
    assert before <= datetime.fromisoformat(as_of) <= after


def test_a_waiver_holds_through_its_until_date_and_reopens_after(tmp_path, fake_connector):
    """`waive FINDING_ID --reason TEXT --until DATE [--by NAME]`: waived until then (the whole of
    that day), re-opened after; the reason and who accepted it are in the report."""
    from datetime import UTC, datetime, timedelta

    until = (datetime.now(UTC) + timedelta(days=10)).date()
    p = write(tmp_path, vendors=[{"id": "v1", "contract_end": "2019-03-31"}])
    out = tmp_path / "out.json"

    def at(when: str):
        r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", when, "--json", str(out)])
        return r.exit_code, json.loads(out.read_text())["findings"][0]

    code, f = at(f"{until}T00:00:00Z")
    assert code == 1 and f["status"] == "open"
    r = CliRunner().invoke(cli, ["waive", f["id"], "--reason", "deletion booked", "--until", until.isoformat(),
                                 "--by", "dpo@example.com", "-c", str(p)])
    assert r.exit_code == 0, r.output
    code, f = at(f"{until}T23:59:00Z")
    assert code == 0 and f["status"] == "waived"
    assert (f["waiver"]["reason"], f["waiver"]["by"]) == ("deletion booked", "dpo@example.com")
    code, f = at(f"{until + timedelta(days=1)}T00:00:01Z")
    assert code == 1 and f["status"] == "open"


def test_state_defaults_to_a_sqlite_file_next_to_the_config(tmp_path, fake_connector, monkeypatch):
    """`state:` ... default: a SQLite file (next to the config, whatever the cron job's cwd)."""
    conf = tmp_path / "conf"
    conf.mkdir()
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    p = write(conf)
    p.write_text(p.read_text().replace("state: sqlite:///state.db\n", ""))
    assert "state" not in yaml.safe_load(p.read_text())
    assert scan(p).exit_code == 0
    stores = [f.name for f in conf.iterdir() if f.suffix == ".db"]
    assert len(stores) == 1 and not list(elsewhere.iterdir())
    r = CliRunner().invoke(cli, ["report", "-c", str(p), "--list"])
    assert r.exit_code == 0 and "complete" in r.output


def test_unlock_and_report_still_work_on_a_config_whose_schedule_or_policies_are_broken(tmp_path, fake_connector):
    """The checks above are the auditing verbs'; the store's verbs stay usable to recover."""
    p = write(tmp_path)
    assert scan(p).exit_code == 0
    p.write_text(p.read_text() + "policies: [builtin:baseline, no-such-folder/]\nschedule: {nightly: '0 2 * *'}\n")
    assert scan(p).exit_code == 2
    assert CliRunner().invoke(cli, ["unlock", "-c", str(p)]).exit_code == 0
    assert CliRunner().invoke(cli, ["report", "-c", str(p), "--list"]).exit_code == 0


def test_a_dataset_that_could_not_be_assessed_is_listed_with_status_error(tmp_path, fake_connector):
    """datasets[].status "assessed | error" with its error; sources[].datasets counts what is listed;
    exit 3 with the reports still written; not-assessed names the dataset. (A name that matched
    nothing, or a schema that could not be listed, is no dataset: it is in `errors` and not-assessed.)"""
    unreadable = {"name": "secret.customers", "status": "error", "error": "permission denied for table customers"}
    doc = {"state": "sqlite:///state.db", "vendors": [{"id": "v1"}],
           "sources": [{"id": "db", "vendor": "v1", "kind": "fake", "datasets": [CLEAN, unreadable],
                        "unreadable": ["hidden"]}]}
    p = tmp_path / "auditor.yaml"
    p.write_text(yaml.safe_dump(doc))
    out = tmp_path / "out.json"
    r = scan(p, "--json", str(out))
    assert r.exit_code == 3, r.output
    doc = json.loads(out.read_text())
    assert doc["run"]["status"] == "partial"
    by_name = {d["name"]: d for d in doc["datasets"]}
    assert by_name["public.orders"]["status"] == "assessed" and by_name["public.orders"]["error"] is None
    assert by_name["secret.customers"]["status"] == "error"
    assert by_name["secret.customers"]["error"] == "permission denied for table customers"
    assert doc["sources"][0] == {**doc["sources"][0], "status": "ok", "error": None, "datasets": 2}
    assert sorted(f["dataset"] for f in doc["findings"] if f["rule"] == "not-assessed") == ["hidden", "secret.customers"]
    assert [e["dataset"] for e in doc["errors"]] == ["hidden"]
