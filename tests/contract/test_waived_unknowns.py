"""A waiver never turns an incomplete run into a complete one.

A not-assessed finding is a fact the auditor could not read (encryption unknown, an ACL it may
not read, a dataset it could not open). Waived, it shows as waived (the reviewer accepted the
risk), but the run stays incomplete and `scan` exits 3: the way out is the grant, the setting, the
provider API or the attestation the finding names (CONTRACT.md, exit 3; the developers' guide:
"Every unknown has a way out that is not a waiver"). Every date here is fixed: `waive` and `scan`
both take --as-of.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from auditor.cli import cli

AS_OF = "2026-11-28T00:00:00Z"
UNTIL = "2027-01-31"
# personal data in a table whose encryption at rest a SQL login cannot see: one grouped unknown
UNKNOWN_ENCRYPTION = {"name": "public.customers", "public": False, "encryption_at_rest": "unknown",
                      "encryption_in_transit": "enforced", "has_retention": True, "retention_days": 30,
                      "last_modified": "2026-11-20T00:00:00+00:00",
                      "sample": {"email": ["ann@example.com", "bob@example.org"], "qty": [1, 2]}}


def config(tmp_path, vendor=None, **source):
    doc = {"state": "sqlite:///state.db", "vendors": [{"id": "v1", **(vendor or {})}],
           "sources": [{"id": "db", "vendor": "v1", "kind": "fake", **source}]}
    p = tmp_path / "auditor.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return p


def scan(p, *args):
    return CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", AS_OF, *args])


def waive(p, fid):
    return CliRunner().invoke(cli, ["waive", fid, "--reason", "vendor confirms disk encryption", "--until", UNTIL,
                                    "--by", "dpo", "--as-of", AS_OF, "-c", str(p)])


def not_assessed(doc):
    return [f for f in doc["findings"] if f["rule"] == "not-assessed"]


def test_a_waived_unknown_fact_keeps_the_run_incomplete(tmp_path, fake_connector):
    p = config(tmp_path, datasets=[UNKNOWN_ENCRYPTION])
    out = tmp_path / "r.json"
    assert scan(p, "--json", str(out)).exit_code == 3
    [na] = not_assessed(json.loads(out.read_text()))
    fix = na["evidence"]["fix"]
    assert "attestations:" in fix  # the way out the finding carries

    r = waive(p, na["id"])
    assert r.exit_code == 0, r.output
    assert f"waived {na['id']} until 2027-01-31" in r.stdout  # still recorded
    # the reviewer is told where it matters, in one or two lines: incomplete until the way out
    note = r.stderr.strip().splitlines()
    assert 1 <= len(note) <= 2, r.stderr
    assert "exit 3" in r.stderr and "incomplete" in r.stderr and fix in r.stderr

    r = scan(p, "--json", str(out))
    assert r.exit_code == 3, r.output
    doc = json.loads(out.read_text())
    assert doc["run"]["status"] == "partial"
    [na] = not_assessed(doc)
    assert na["status"] == "waived" and na["waiver"]["reason"] == "vendor confirms disk encryption"
    # the summary (the cron mail) says why the run is incomplete although nothing is open
    assert "(partial)" in r.stdout and "exit code 3" in r.stdout
    assert "1 waived not-assessed finding keeps the run incomplete" in r.stdout, r.stdout


def test_a_waived_unreadable_dataset_keeps_the_run_incomplete(tmp_path, fake_connector):
    p = config(tmp_path, datasets=[{**UNKNOWN_ENCRYPTION, "name": "public.orders", "encryption_at_rest": "provider"}],
               unreadable=["secret.customers"])
    out = tmp_path / "r.json"
    assert scan(p, "--json", str(out)).exit_code == 3
    [na] = not_assessed(json.loads(out.read_text()))
    r = waive(p, na["id"])
    assert r.exit_code == 0 and "exit 3" in r.stderr and "grant SELECT" in r.stderr, r.output
    assert scan(p, "--json", str(out)).exit_code == 3
    assert json.loads(out.read_text())["run"]["status"] == "partial"


def test_waiving_an_ordinary_finding_says_nothing_more_and_still_clears_it(tmp_path, fake_connector):
    clean = {**UNKNOWN_ENCRYPTION, "encryption_at_rest": "provider"}
    p = config(tmp_path, vendor={"contract_end": "2019-03-31"}, datasets=[clean])
    out = tmp_path / "r.json"
    assert scan(p, "--json", str(out)).exit_code == 1
    [f] = json.loads(out.read_text())["findings"]
    r = waive(p, f["id"])
    assert r.exit_code == 0 and r.stderr == "", r.output
    r = scan(p, "--json", str(out))
    assert r.exit_code == 0, r.output
    assert "keeps the run incomplete" not in r.stdout


def test_no_output_presents_a_waived_unknown_as_a_complete_run(tmp_path, fake_connector):
    p = config(tmp_path, datasets=[UNKNOWN_ENCRYPTION])
    out = tmp_path / "r.json"
    assert scan(p, "--json", str(out)).exit_code == 3
    [na] = not_assessed(json.loads(out.read_text()))
    assert waive(p, na["id"]).exit_code == 0
    files = {k: tmp_path / f"r2.{k}" for k in ("json", "html", "ocsf.jsonl", "junit.xml", "prom")}
    r = scan(p, "--json", str(files["json"]), "--html", str(files["html"]), "--ocsf", str(files["ocsf.jsonl"]),
             "--junit", str(files["junit.xml"]), "--metrics", str(files["prom"]))
    assert r.exit_code == 3, r.output

    run = json.loads(files["json"].read_text())["run"]
    assert run["status"] == "partial" and run["not_assessed_waived"] == [na["id"]]

    html = files["html"].read_text()
    assert "Complete, with waived unknowns" not in html and "every source and dataset was assessed" not in html
    assert "1 waived not-assessed finding keeps the run incomplete" in html
    assert 'class="pill run-partial">Partial<' in html
    assert "Still not assessed: it keeps the run incomplete (exit 3) until its way out is taken" in html

    # OCSF: still suppressed (the risk is accepted), but the detail says it is not assessed, and the run partial
    [rec] = [json.loads(x) for x in files["ocsf.jsonl"].read_text().splitlines()
             if json.loads(x)["finding_info"]["uid"] == na["id"]]
    assert rec["status"] == "Suppressed" and "run_status:partial" in rec["metadata"]["labels"]
    assert "not assessed" in rec["status_detail"] and "incomplete" in rec["status_detail"]

    # JUnit: the suite's status is partial; the waived not-assessed case is skipped and says the run is incomplete
    root = ET.parse(files["junit.xml"]).getroot()
    props = {e.get("name"): e.get("value") for e in root.iter("property")}
    assert props["status"] == "partial"
    [case] = [c for c in root.iter("testcase") if na["id"] in (c.get("name") or "")]
    skipped = case.find("skipped")
    assert skipped is not None and "incomplete" in skipped.get("message") and "waived" in skipped.get("message")

    prom = files["prom"].read_text()
    assert 'auditor_run_status{auditor_run_status="partial"} 1.0' in prom
    assert 'auditor_run_status{auditor_run_status="complete"} 0.0' in prom
    assert "auditor_last_complete_run_timestamp_seconds 0.0" in prom
    assert "auditor_waived_not_assessed_findings 1.0" in prom


def _stored_complete_with_a_waived_unknown(tmp_path):
    """A config whose one not-assessed finding is waived, its second run stored as an earlier
    version stored it (complete): the config, that run's id and the store."""
    from auditor.store import Store, runs

    p = config(tmp_path, datasets=[UNKNOWN_ENCRYPTION])
    out = tmp_path / "r.json"
    assert scan(p, "--json", str(out)).exit_code == 3
    [na] = not_assessed(json.loads(out.read_text()))
    assert waive(p, na["id"]).exit_code == 0
    assert scan(p, "--json", str(out)).exit_code == 3
    run_id = json.loads(out.read_text())["run"]["id"]
    store = Store.open(f"sqlite:///{tmp_path}/state.db")
    with store.engine.begin() as c:
        c.execute(sa.update(runs).where(runs.c.id == run_id).values(status="complete"))
    return p, run_id, store


def test_a_run_stored_complete_before_the_fix_is_rerendered_incomplete(tmp_path, fake_connector):
    """A run stored by an earlier version as complete although a not-assessed finding was only
    waived: `auditor report` renders it as what it was, incomplete."""
    p, run_id, store = _stored_complete_with_a_waived_unknown(tmp_path)
    again = tmp_path / "again.json"
    r = CliRunner().invoke(cli, ["report", "-c", str(p), "--run", run_id, "--json", str(again)])
    assert r.exit_code == 0, r.output
    assert json.loads(again.read_text())["run"]["status"] == "partial"


def test_waiving_a_never_seen_not_assessed_id_still_warns(tmp_path, fake_connector):
    p = config(tmp_path, datasets=[UNKNOWN_ENCRYPTION])
    r = CliRunner().invoke(cli, ["waive", "not-assessed:0123456789abcdef", "--reason", "r", "--until", UNTIL,
                                 "--as-of", AS_OF, "--force", "-c", str(p)])
    assert r.exit_code == 0 and "exit 3" in r.stderr and len(r.stderr.strip().splitlines()) <= 2, r.output


def test_a_pre_event_release_gate_with_a_waived_unknown_still_exits_3(tmp_path, fake_connector):
    """An event audit gating on critical only (the release gate before a sale): a waived unknown
    is not a finding below the gate, it is an unassessed fact: exit 3, never 0."""
    p = config(tmp_path, datasets=[UNKNOWN_ENCRYPTION])
    doc = yaml.safe_load(p.read_text())
    doc["schedule"] = {"timezone": "Asia/Singapore", "events": [{"name": "12.12", "date": "2026-12-12",
                                                                 "fail_on": "critical"}]}
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    out = tmp_path / "r.json"
    gate = ["--trigger", "event:12.12", "--json", str(out)]
    assert scan(p, *gate).exit_code == 3
    [na] = not_assessed(json.loads(out.read_text()))
    assert waive(p, na["id"]).exit_code == 0
    r = scan(p, *gate)
    assert r.exit_code == 3, r.output
    run = json.loads(out.read_text())["run"]
    assert run["status"] == "partial" and run["trigger"] == "event:12.12"


def test_a_run_stored_complete_with_a_waived_unknown_is_not_the_last_complete_run(tmp_path, fake_connector):
    """The history an earlier version wrote: its run with only waived unknowns says complete. The
    metrics' last complete run and the run list read it as what it was, incomplete."""
    p, old, store = _stored_complete_with_a_waived_unknown(tmp_path)
    assert {r["id"]: r["status"] for r in store.list_runs()}[old] == "partial"
    assert store.previous_run_id(str(p.resolve())) is None  # no complete run in this history
    prom = tmp_path / "m.prom"
    r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", "2026-11-29T00:00:00Z", "--metrics", str(prom)])
    assert r.exit_code == 3, r.output
    assert "auditor_last_complete_run_timestamp_seconds 0.0" in prom.read_text()
