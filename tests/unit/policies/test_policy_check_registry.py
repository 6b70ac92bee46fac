"""The check vocabulary: one registry, no silent shadowing, strict parameters."""

from __future__ import annotations

import pytest
from policy_helpers import days_ago, not_assessed_for, of_rule, run, table

from auditor.registry import RegistryError
from policies import checks, load_policies
from policies.checks import Fail, check
from policies.schema import parse_days


def test_registering_a_check_name_twice_raises():
    with pytest.raises(RegistryError, match="already registered"):
        check("stale-personal-data")(lambda subject, ctx: None)
    assert checks.get("stale-personal-data").fn.__name__ == "stale_personal_data"


def test_a_plugged_in_check_is_usable_from_yaml(tmp_path):
    @check("test-has-tag")
    def has_tag(subject, ctx):
        return Fail({"tags": dict(subject.dataset.tags)}) if subject.dataset.tags else None

    try:
        path = tmp_path / "p.yaml"
        path.write_text("rules:\n  - {id: tagged, title: Tagged, severity: low, check: test-has-tag}\n")
        findings = run([str(path)], [table(tags={"owner": "mkt"}), table("crm.other")])
        assert [(f.dataset, f.evidence) for f in of_rule(findings, "tagged")] == [
            ("crm.customers", {"tags": {"owner": "mkt"}})]
    finally:
        checks.remove("test-has-tag")


@pytest.mark.parametrize(("text", "days"), [(30, 30), ("30", 30), ("30d", 30), ("2w", 14), ("12m", 360),
                                            ("1y", 365), (" 7 D ", 7)])
def test_durations(text, days):
    assert parse_days(text) == days


@pytest.mark.parametrize("bad", ["soon", "-3d", 0, "1.5y", True, None, "3h"])
def test_bad_durations(bad):
    with pytest.raises(ValueError):
        parse_days(bad)


def test_params_are_validated_with_defaults_filled():
    ps = load_policies(["builtin:baseline"])
    assert ps.rule("unencrypted-personal-data").options.allowed == ["provider", "customer_key"]
    assert ps.rule("no-retention-control").options.max_retention is None


def test_max_retention_param_flags_a_too_long_rule(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("extends: builtin:baseline\noverrides: [{rule: no-retention-control, params: {max_retention: 1y}}]\n")
    findings = run([str(path)], [table(retention_days=3650), table("crm.ok", retention_days=30),
                                 table("crm.old", last_modified=days_ago(10), retention_days=None)])
    assert [f.dataset for f in of_rule(findings, "no-retention-control")] == ["crm.customers"]
    [na] = not_assessed_for(findings, "no-retention-control")
    assert na.dataset == "crm.old" and na.evidence["unknown"] == ["retention_days"]
