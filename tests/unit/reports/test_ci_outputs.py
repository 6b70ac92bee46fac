"""OCSF records, the JUnit gate report and the Prometheus textfile of a hand-built run, each read
back with its own ecosystem's library: py-ocsf-models (and the JSON Schema of its models),
junitparser, prometheus_client's parser."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from xml.etree import ElementTree

import jsonschema
import pytest
from junitparser import Failure, JUnitXml, Skipped
from prometheus_client.parser import text_string_to_metric_families
from py_ocsf_models import OCSF_VERSION
from py_ocsf_models.events.findings.detection_finding import DetectionFinding

from reports.junit import write_junit
from reports.metrics import write_metrics
from reports.ocsf import write_ocsf
from tests.unit.reports.report_runs import HOSTILE_TABLE, sample_run

MASKED = ("j***@e***.com", "m***@g***.com", "+65 9***-**12", "************1111")


def read_ocsf(path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else [json.loads(line) for line in text.splitlines()]


def assert_valid_ocsf(records: list[dict]) -> None:
    """Every record is a Detection Finding of the library's OCSF version: pydantic validation of the
    library's model, nothing the model does not know (a round trip gives the record back unchanged),
    and the JSON Schema of that model."""
    schema = DetectionFinding.model_json_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    for record in records:
        model = DetectionFinding.model_validate(record)
        assert model.model_dump(mode="json", exclude_none=True) == record
        validator.validate(record)
        assert record["class_uid"] == 2004 and record["category_uid"] == 2
        assert record["metadata"]["version"] == OCSF_VERSION
        assert record["type_uid"] == record["class_uid"] * 100 + record["activity_id"]


def test_ocsf_records_validate_and_carry_the_finding(tmp_path):
    run = sample_run()
    records = read_ocsf(write_ocsf(run, tmp_path / "findings.ocsf.jsonl"))
    assert_valid_ocsf(records)
    assert len(records) == len(run.findings) + len(run.resolved)
    by_uid = {r["finding_info"]["uid"]: r for r in records}

    stale = next(f for f in run.findings if f.rule == "stale-personal-data" and f.dataset == "public.customers")
    rec = by_uid[stale.id]
    assert rec["severity_id"] == 4 and rec["severity"] == "High"
    assert rec["status_id"] == 2 and rec["activity_id"] == 2  # open, seen before: In Progress, an update
    assert rec["finding_info"]["first_seen_time_dt"] == "2026-03-02T02:00:00Z"
    assert rec["finding_info"]["analytic"]["uid"] == "stale-personal-data"
    assert rec["remediation"]["references"] == ["GDPR Art. 5(1)(e)", "PDPA s25"]
    resource = rec["resources"][0]
    assert resource["uid"] == "postgresql://redmart-db.internal:5432/shop/public.customers"
    assert resource["type"] == "table" and resource["group"]["uid"] == "redmart-legacy-host"
    assert {p["type"]: p["count"] for p in resource["data"]["personal_data"]} == {
        "email": 200, "phone": 187, "person_name": 200, "postal_address": 150, "password_hash": 200}
    assert rec["unmapped"]["data_security"]["category"] == "Personal"
    assert {d["type"] for d in rec["unmapped"]["data_security"]["discovery_details"]} >= {"email", "phone"}

    waived = next(f for f in run.findings if f.status == "waived")
    rec = by_uid[waived.id]
    assert rec["status_id"] == 3 and rec["status"] == "Suppressed"
    assert "isolated VLAN" in rec["status_detail"]

    public = next(f for f in run.findings if f.rule == "public-exposure")
    assert by_uid[public.id]["severity_id"] == 5 and by_uid[public.id]["status_id"] == 1  # new
    assert by_uid[public.id]["activity_id"] == 1

    for r in run.resolved:
        assert by_uid[r.id]["activity_id"] == 3 and by_uid[r.id]["status"] == "Resolved"

    text = (tmp_path / "findings.ocsf.jsonl").read_text()
    for masked in MASKED:  # masked examples stay in the JSON/HTML reports; never here
        assert masked not in text


def test_ocsf_array_when_the_file_ends_in_json_and_hostile_names_stay_data(tmp_path):
    run = sample_run(hostile=True)
    records = read_ocsf(write_ocsf(run, tmp_path / "findings.ocsf.json"))
    assert isinstance(records, list) and len(records) == len(run.findings) + len(run.resolved)
    assert_valid_ocsf(records)
    assert any(r["resources"][0]["name"] == HOSTILE_TABLE for r in records)


@pytest.mark.parametrize("fail_on", ["critical", "high", "medium", "info"])
def test_junit_counts_follow_fail_on(tmp_path, fail_on):
    run = sample_run()
    rules_in_force = ["stale-personal-data", "cardholder-data", "public-exposure", "weak-password-hash"]
    path = write_junit(run, tmp_path / "junit.xml", fail_on, rules_in_force)
    xml = JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert [s.name for s in suites] == ["auditor"]
    suite = suites[0]
    rules = set(rules_in_force) | {f.rule for f in run.findings}
    opened = [f for f in run.findings if f.status == "open"]
    waived = [f for f in run.findings if f.status == "waived"]
    clean = rules - {f.rule for f in opened + waived}
    # one case per open finding, one per waived finding, one passing case per rule without either
    assert suite.tests == len(opened) + len(waived) + len(clean)
    assert suite.failures == len(run.open_findings(fail_on)) <= suite.tests
    # the run holds a source not read at all (courier-db): a rule without a finding is not assessed, skipped
    assert suite.skipped == len(waived) + len(clean) and len(waived) == 1 and suite.errors == 0
    root = ElementTree.parse(path).getroot()  # the totals a CI tool reads, as written
    for element in (root, root.find("testsuite")):
        assert int(element.get("failures")) == suite.failures <= int(element.get("tests")) == suite.tests
    assert all(len(c.result) <= 1 for c in suite)
    by_rule: dict[str, list] = {}
    for c in suite:
        by_rule.setdefault(c.classname, []).append(c)
    assert set(by_rule) == rules
    (card,) = by_rule["cardholder-data"]
    assert card.is_skipped and card.name == "not assessed"  # found nothing, but not everywhere: never a pass
    stale = [c for c in by_rule["stale-personal-data"] if isinstance(c.result[0] if c.result else None, Failure)]
    assert len(stale) == (2 if fail_on != "critical" else 0)
    for c in stale:
        f = next(f for f in opened if f.id in c.name)
        assert c.name == f"{f.vendor}/{f.source}/{f.dataset} [{f.id}]"
    (skipped,) = [c for c in suite if c.is_skipped and c.name != "not assessed"]
    assert skipped.classname == waived[0].rule and waived[0].id in skipped.name
    assert isinstance(skipped.result[0], Skipped) and "isolated VLAN" in skipped.result[0].message
    props = {p.name: p.value for p in suite.properties()}
    assert props["fail_on"] == fail_on and props["run_id"] == run.id and props["status"] == "partial"


def test_junit_failure_says_what_where_and_what_to_do(tmp_path):
    run = sample_run()
    suite = next(iter(JUnitXml.fromfile(str(write_junit(run, tmp_path / "j.xml", "critical")))))
    case = next(c for c in suite if c.classname == "public-exposure" and not c.is_passed)
    failure = case.result[0]
    assert failure.type == "critical"
    assert "acme-analytics/archive/acme-archive-public" in failure.message
    assert "remediation: Fix public-exposure" in failure.text and "references: GDPR" in failure.text
    below = [c for c in suite if c.classname == "stale-personal-data"]
    assert below and all(c.is_passed and "below fail_on (critical)" in c.system_out for c in below)


def metrics(path) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(path.read_text()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_textfile_parses_and_says_what_the_run_found(tmp_path):
    run = sample_run()
    earlier = datetime(2026, 11, 6, 2, 5, tzinfo=UTC)
    m = metrics(write_metrics(run, tmp_path / "auditor.prom", last_complete_at=earlier))
    assert m[("auditor_run_status", (("auditor_run_status", "partial"),))] == 1
    assert m[("auditor_run_status", (("auditor_run_status", "complete"),))] == 0
    assert m[("auditor_run_duration_seconds", ())] == 240
    # the run is partial: the last complete run comes from the history handed in
    assert m[("auditor_last_complete_run_timestamp_seconds", ())] == earlier.timestamp()
    assert m[("auditor_sources", (("state", "assessed"),))] == 3
    assert m[("auditor_sources", (("state", "not_assessed"),))] == 1
    assert m[("auditor_open_findings", (("rule", "stale-personal-data"), ("severity", "high")))] == 2
    assert m[("auditor_open_findings", (("rule", "public-exposure"), ("severity", "critical")))] == 1
    assert ("auditor_open_findings", (("rule", "insecure-transport"), ("severity", "medium"))) not in m  # waived
    assert m[("auditor_new_findings", (("severity", "critical"),))] == 1
    assert m[("auditor_new_findings", (("severity", "info"),))] == 0
    assert m[("auditor_resolved_findings", ())] == 2 and m[("auditor_waived_findings", ())] == 1
    # customers 1,104,212 + orders 2,310,877 (stale tables) + legacy/2019-export/ 3,360 rows (records are rows)
    assert m[("auditor_stale_personal_records", ())] == 1_104_212 + 2_310_877 + 3_360
    assert m[("auditor_stale_personal_datasets", ())] == 3
    info = next(k for k in m if k[0] == "auditor_run_info")
    assert dict(info[1]) == {"run_id": run.id, "status": "partial", "trigger": "event:11.11 Singles' Day"}


def test_metrics_of_a_complete_run_use_its_own_end(tmp_path):
    run = sample_run(status="complete")
    m = metrics(write_metrics(run, tmp_path / "auditor.prom", last_complete_at=datetime(2020, 1, 1, tzinfo=UTC)))
    assert m[("auditor_last_complete_run_timestamp_seconds", ())] == run.finished_at.timestamp()
    m = metrics(write_metrics(sample_run(), tmp_path / "auditor.prom"))  # partial, no complete run known
    assert m[("auditor_last_complete_run_timestamp_seconds", ())] == 0
    assert not list(tmp_path.glob("auditor.prom.*"))  # written through a temporary file, renamed


def test_the_ocsf_check_refuses_a_broken_record(tmp_path):
    record = read_ocsf(write_ocsf(sample_run(), tmp_path / "f.jsonl"))[0]
    for broken in ({**record, "severity_id": 42}, {k: v for k, v in record.items() if k != "finding_info"},
                   {**record, "data_security": {"category": "Personal"}}):  # a field the model would drop
        with pytest.raises((AssertionError, ValueError, jsonschema.ValidationError)):
            assert_valid_ocsf([broken])


def test_junit_and_metrics_keep_hostile_names_as_data(tmp_path):
    run = sample_run(hostile=True)
    suite = next(iter(JUnitXml.fromfile(str(write_junit(run, tmp_path / "j.xml", "high")))))
    messages = [r.message for c in suite for r in c.result]
    assert any(HOSTILE_TABLE in m for m in messages)  # escaped in the XML, read back unchanged
    assert suite.failures == len(run.open_findings("high"))
    m = metrics(write_metrics(run, tmp_path / "auditor.prom"))
    assert m[("auditor_open_findings", (("rule", "public-exposure"), ("severity", "critical")))] == 2


def test_junit_keeps_a_name_with_control_characters_and_stays_well_formed(tmp_path):
    """A table named with a control character (PostgreSQL allows any but NUL in a quoted name): the
    JUnit writer re-parses its own XML to indent it, which refused the character, so ``scan`` ended
    with an internal error and no gate report. The character is written escaped (``\\x01``) and the
    file parses."""
    run = sample_run(hostile=True)
    name = "ctl\x01x\x1b[31m\ufffe"
    run = run.model_copy(update={"trigger": "manual\x07",
                                 "findings": tuple(f.model_copy(update={"dataset": name, "title": f.title + "\x0b"})
                                                   for f in run.findings)})
    path = write_junit(run, tmp_path / "j.xml", "high")
    ElementTree.parse(str(path))  # well-formed
    suite = next(iter(JUnitXml.fromfile(str(path))))
    names = [c.name for c in suite]
    assert any("ctl\\x01x\\x1b[31m\\ufffe" in n for n in names), names
    assert suite.failures == len(run.open_findings("high"))


def test_junit_a_rule_that_could_not_be_judged_is_not_a_pass(tmp_path):
    """A rule with no finding passed ("no finding") even where the run could not judge it: every table's
    age unknown gave one not-assessed finding naming stale-personal-data, and the CI test tab still
    showed stale-personal-data green. Such a rule is skipped, "not assessed", naming the not-assessed
    findings; a source that could not be read at all leaves every rule without a finding not assessed.
    Failures stay the findings at or above fail_on."""
    base = sample_run()
    keep = [f for f in base.findings if f.rule not in ("stale-personal-data", "not-assessed")]
    source_level = next(f for f in base.findings if f.rule == "not-assessed" and f.source == "courier-db")
    age = next(f for f in base.findings if f.rule == "not-assessed" and f.source != "courier-db")
    age = age.model_copy(update={"id": "not-assessed:age", "rules": ("stale-personal-data",), "dataset": "db"})
    rules = ["stale-personal-data", "cardholder-data"]
    only_age = base.model_copy(update={"findings": (*keep, age)})
    suite = next(iter(JUnitXml.fromfile(str(write_junit(only_age, tmp_path / "a.xml", "high", rules)))))
    (stale,) = [c for c in suite if c.classname == "stale-personal-data"]
    assert stale.name == "not assessed" and stale.is_skipped and "not-assessed:age" in stale.result[0].message
    (card,) = [c for c in suite if c.classname == "cardholder-data"]
    assert card.is_passed and card.name == "no finding"
    assert suite.failures == len(only_age.open_findings("high"))
    whole = base.model_copy(update={"findings": (*keep, source_level)})
    suite = next(iter(JUnitXml.fromfile(str(write_junit(whole, tmp_path / "b.xml", "high", rules)))))
    for rule in rules:
        (case,) = [c for c in suite if c.classname == rule]
        assert case.name == "not assessed" and case.is_skipped and source_level.id in case.result[0].message
