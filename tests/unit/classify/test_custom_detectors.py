"""User-defined detectors: declared in the config, checked at load, found in a scan, usable by policies."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from auditor.classify import ClassifyOptions, DetectorSpec, classify
from auditor.classify.validators import luhn_ok
from auditor.cli import cli
from auditor.config import parse_config
from auditor.errors import ConfigError
from auditor.models import Sample


def employee_ids(n: int, start: int = 100000) -> list[str]:
    """EMP- and six digits whose last is a Luhn check digit."""
    out = []
    i = start
    while len(out) < n:
        body = str(i)[:5]
        for d in "0123456789":
            if luhn_ok(body + d):
                out.append(f"EMP-{body}{d}")
                break
        i += 10
    return out


DETECTOR = {"name": "employee_id", "regex": r"EMP-\d{6}", "validator": "luhn", "keywords": ["employee", "staff"],
            "column_hints": ["emp_id", "staff_ref"], "category": "national_id", "mask": "last4"}
OPTIONS = ClassifyOptions(detectors=(DetectorSpec(**DETECTOR),))


def test_column_of_employee_ids_is_found_and_masked() -> None:
    ids = employee_ids(40)
    (pd,) = classify(Sample(fields={"staff_ref": ids}), OPTIONS)
    assert pd.type == "employee_id" and pd.count == 40 and pd.where == ("staff_ref",)
    assert pd.detail["category"] == "national_id"
    assert all(raw not in ex for ex in pd.examples for raw in ids)
    assert pd.validated == (40,) and pd.sampled == (40,)


def test_checksum_decoys_do_not_count() -> None:
    good = employee_ids(10)
    bad = [g[:-1] + str((int(g[-1]) + 1) % 10) for g in good]  # Luhn fails
    assert classify(Sample(fields={"ref": bad}), OPTIONS) == ()
    assert {p.type: p.count for p in classify(Sample(fields={"ref": good + bad}), OPTIONS)} == {}  # 50%: no decision


def test_free_text_needs_a_keyword_nearby() -> None:
    (good,) = employee_ids(1)
    found = classify(Sample(text=[f"staff member {good} signed in"]), OPTIONS)
    assert [(p.type, p.count) for p in found] == [("employee_id", 1)]
    assert classify(Sample(text=[f"parcel {good} shipped"]), OPTIONS) == ()


def config_doc(tmp_path, **extra) -> dict:
    return {"state": f"sqlite:///{tmp_path / 'state.db'}", "detectors": [DETECTOR],
            "vendors": [{"id": "v1", "allowed_personal_data": ["email"]}],
            "sources": [{"id": "hr", "vendor": "v1", "kind": "fake", "datasets": [{
                "name": "public.staff", "public": False, "encryption_at_rest": "provider",
                "encryption_in_transit": "enforced", "has_retention": True, "retention_days": 30,
                "last_modified": "2026-11-20T00:00:00+00:00",
                "sample": {"staff_ref": employee_ids(30), "email": [f"a{i}@example.com" for i in range(30)]}}]}],
            **extra}


def test_scan_reports_the_detector_and_the_policy_fires_on_it(tmp_path, fake_connector) -> None:
    policy = tmp_path / "hr.yaml"
    policy.write_text(yaml.safe_dump({"rules": [{
        "id": "employee-ids-held", "title": "Employee ids held by a vendor", "severity": "medium",
        "check": "data-beyond-agreement", "match": {"personal_data": ["employee_id"]}}]}))
    doc = config_doc(tmp_path, policies=["builtin:baseline", str(policy)])
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(yaml.safe_dump(doc, sort_keys=False))
    out = tmp_path / "out.json"
    r = CliRunner().invoke(cli, ["scan", "-c", str(cfg), "--as-of", "2026-11-28T00:00:00Z", "--json", str(out),
                                 "--junit", str(tmp_path / "junit.xml"), "--metrics", str(tmp_path / "metrics.prom")])
    assert r.exit_code == 1, r.output
    assert "employee-ids-held" in (tmp_path / "junit.xml").read_text()
    listed = CliRunner().invoke(cli, ["policies", "list", "-c", str(cfg)])
    assert listed.exit_code == 0 and "employee-ids-held" in listed.output, listed.output
    report = json.loads(out.read_text())
    (ds,) = report["datasets"]
    types = {p["type"]: p for p in ds["personal_data"]}
    assert types["employee_id"]["count"] == 30 and types["employee_id"]["detail"]["category"] == "national_id"
    assert "EMP-" not in json.dumps(report)  # masked everywhere
    fired = {f["rule"]: f for f in report["findings"]}
    assert fired["data-beyond-agreement"]["evidence"]["beyond"] == ["employee_id"]
    assert "employee-ids-held" in fired


def test_vendor_may_allow_the_new_type(tmp_path, fake_connector) -> None:
    doc = config_doc(tmp_path)
    doc["vendors"][0]["allowed_personal_data"] = ["email", "employee_id"]
    cfg = parse_config(yaml.safe_dump(doc, sort_keys=False), "auditor.yaml")
    assert cfg.personal_data_types()[-1] == "employee_id"


@pytest.mark.parametrize(("change", "key", "words"), [
    ({"regex": "EMP-(\\d{6}"}, "detectors[0].regex", "re2"),
    ({"regex": "(?<=EMP)\\d+"}, "detectors[0].regex", "re2"),  # lookbehind: not re2 syntax
    # anchored: the values of a column are matched in one blob and text is searched, so it never matched
    ({"regex": "^EMP-\\d{6}$"}, "detectors[0].regex", "anchor"),
    ({"regex": "EMP-\\d{6}$"}, "detectors[0].regex", "anchor"),
    ({"regex": "\\AEMP-\\d{6}\\z"}, "detectors[0].regex", "anchor"),
    ({"regex": "(?i)^emp-\\d{6}"}, "detectors[0].regex", "anchor"),
    ({"validator": "crc32"}, "detectors[0].validator", ""),
    ({"category": "shoe_size"}, "detectors[0].category", "unknown category"),
    ({"name": "email"}, "detectors[0].name", "built-in"),
    ({"name": "Employee ID"}, "detectors[0].name", "snake_case"),
    ({"colour": "red"}, "detectors[0].colour", "unknown key"),
])
def test_every_detector_error_names_file_line_and_key(tmp_path, fake_connector, change, key, words) -> None:
    doc = config_doc(tmp_path)
    doc["detectors"] = [{**DETECTOR, **change}]
    text = yaml.safe_dump(doc, sort_keys=False)
    with pytest.raises(ConfigError) as info:
        parse_config(text, "auditor.yaml")
    err = info.value
    assert err.file == "auditor.yaml" and err.key == key and err.line is not None, (err.key, str(err))
    assert words in str(err)
    line = text.splitlines()[err.line - 1]
    assert key.rsplit(".", 1)[-1] in line or "- name" in line


def test_undeclared_type_stays_an_error_and_duplicates_are_refused(tmp_path, fake_connector) -> None:
    doc = config_doc(tmp_path)
    doc["vendors"][0]["allowed_personal_data"] = ["employee_number"]
    with pytest.raises(ConfigError, match="unknown personal-data type 'employee_number'"):
        parse_config(yaml.safe_dump(doc, sort_keys=False), "auditor.yaml")
    doc = config_doc(tmp_path)
    doc["detectors"] = [DETECTOR, DETECTOR]
    with pytest.raises(ConfigError, match="duplicate detector name") as info:
        parse_config(yaml.safe_dump(doc, sort_keys=False), "auditor.yaml")
    assert info.value.key == "detectors[1].name"


def test_bad_regex_is_one_error_line_without_re2_logs(tmp_path) -> None:
    """re2 logs its own parse errors to the process's stderr (absl lines) and raises bytes: the user
    sees one error, ours, naming file, line and key, with the message as text."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    config = tmp_path / "auditor.yaml"
    config.write_text(
        "state: sqlite:///state.db\n"
        "policies: [builtin:baseline]\n"
        "detectors:\n"
        "  - name: employee_id\n"
        "    regex: \"EMP-([0-9]{6}\"\n"
        "vendors: [{id: v, name: V, allowed_personal_data: []}]\n"
        f"sources: [{{id: s, vendor: v, kind: sql, url: \"sqlite:///{tmp_path}/v.db\"}}]\n")
    root = str(Path(__file__).resolve().parents[3])
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    p = subprocess.run([sys.executable, "-m", "auditor.cli", "policies", "list", "-c", str(config)],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith(f"auditor: error: {config}:5: detectors[0].regex:"), lines[0]
    assert "not a valid re2 regular expression: missing ): EMP-([0-9]{6}" in lines[0]
    assert "b'" not in lines[0]


def test_policies_validate_accepts_a_detector_type_with_the_config(tmp_path, fake_connector) -> None:
    """A policy naming a user-defined type validates against the config that defines it (as scan and
    ``policies list -c`` do); without a config the type is unknown and named."""
    policy = tmp_path / "hr.yaml"
    policy.write_text(yaml.safe_dump({"rules": [{
        "id": "employee-ids-held", "title": "Employee ids held by a vendor", "severity": "medium",
        "check": "data-beyond-agreement", "match": {"personal_data": ["employee_id"]}}]}))
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(yaml.safe_dump(config_doc(tmp_path), sort_keys=False))
    ok = CliRunner().invoke(cli, ["policies", "validate", "-c", str(cfg), str(policy)])
    assert ok.exit_code == 0, ok.output
    assert f"ok: {policy} (1 rules" in ok.output
    alone = CliRunner().invoke(cli, ["policies", "validate", str(policy)])
    assert alone.exit_code == 2 and "unknown personal-data type" in alone.output and "employee_id" in alone.output


def test_a_detector_answers_no_for_a_value_with_a_lone_surrogate_and_does_not_raise() -> None:
    # a JSON document may carry "\ud800": not text a detector's pattern can read; validators never raise
    from auditor.classify.custom import DetectorSpec, spec_of

    validate = spec_of(DetectorSpec(name="employee_id", regex=r"EMP-\d{6}")).validator
    assert validate("EMP-123456") == "regex"
    assert validate("EMP-123456\ud800") is None
    assert validate("\udc00") is None


def test_a_class_negation_or_an_escaped_dollar_is_not_an_anchor() -> None:
    for regex in (r"EMP[^a-z]\d{6}", r"USD\$\d{6}", r"EMP-[$^]?\d{6}"):
        DetectorSpec(name="employee_id", regex=regex)


def test_a_detector_regex_with_a_capturing_group_is_found_in_free_text() -> None:
    """(EMP|STF)-\\d{6}: free text took the first group ('EMP') as the candidate, which the whole-value
    check refused, so the detector found its ids in columns and never in text, silently."""
    for regex in (r"(EMP|STF)-\d{6}", r"(?P<series>EMP|STF)-\d{6}", r"(?:EMP|STF)-\d{6}"):
        options = ClassifyOptions(detectors=(DetectorSpec(name="employee_id", regex=regex),))
        notes = ["ticket from EMP-123456 about payroll", "STF-654321 called in sick"] * 5
        found = classify(Sample(fields={"notes": notes}), options)
        assert [p.type for p in found] == ["employee_id"], (regex, found)
