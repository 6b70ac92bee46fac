"""User files: extends, overrides of params / severity / match / enabled, scoped per vendor or source."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from policy_helpers import bucket, days_ago, not_assessed_for, of_rule, run, table

from auditor.errors import PolicyError
from auditor.models import Vendor
from policies import describe_rules, load_policies, validate_paths


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_global_override_changes_params_limits_and_listing(tmp_path):
    f = write(tmp_path, "mine.yaml", """
        extends: builtin:baseline
        overrides:
          - rule: stale-personal-data
            params: {max_age: 180d}
            severity: critical
    """)
    ps = load_policies([str(f)])
    assert ps.limits == {"max_age_days": 180}
    row = next(r for r in describe_rules(ps) if r["id"] == "stale-personal-data")
    assert row["params"] == {"max_age": "180d"} and row["severity"] == "critical"
    assert row["file"] == "builtin:baseline" and row["overridden_in"] == [f"{f}:4"]
    [hit] = of_rule(run(ps, [table(last_modified=days_ago(200))]), "stale-personal-data")
    assert hit.severity == "critical" and hit.evidence["max_age_days"] == 180
    assert of_rule(run(["builtin:baseline"], [table(last_modified=days_ago(200))]), "stale-personal-data") == []


def test_disable_a_rule(tmp_path):
    f = write(tmp_path, "mine.yaml", """
        extends: builtin:baseline
        overrides: [{rule: insecure-transport, enabled: false}]
    """)
    ps = load_policies([str(f)])
    ds = table(encryption_in_transit="optional")
    assert of_rule(run(ps, [ds]), "insecure-transport") == []
    assert len(of_rule(run(["builtin:baseline"], [ds]), "insecure-transport")) == 1
    assert next(r for r in describe_rules(ps) if r["id"] == "insecure-transport")["enabled"] is False
    # disabled means not evaluated at all: no not-assessed for it either
    assert not_assessed_for(run(ps, [table(encryption_in_transit="unknown")]), "insecure-transport") == []


def test_scoped_override_per_vendor(tmp_path):
    f = write(tmp_path, "mine.yaml", """
        extends: builtin:baseline
        overrides:
          - rule: stale-personal-data
            vendors: [acme]
            params: {max_age: 90d}
    """)
    ps = load_policies([str(f)])
    datasets = [table("a.t", last_modified=days_ago(100)),
                table("o.t", vendor="other", last_modified=days_ago(100))]
    hits = of_rule(run(ps, datasets, [Vendor(id="other")]), "stale-personal-data")
    assert [(h.dataset, h.evidence["max_age_days"]) for h in hits] == [("a.t", 90)]
    assert ps.limits == {"max_age_days": 365}  # a scoped override does not move the global limit
    assert describe_rules(ps)[0]["scoped_overrides"][0]["vendors"] == ["acme"]


def test_scoped_override_per_source_disables_and_reseverities(tmp_path):
    f = write(tmp_path, "mine.yaml", """
        extends: builtin:baseline
        overrides:
          - {rule: unencrypted-personal-data, sources: [crm-db], enabled: false}
          - {rule: unencrypted-personal-data, sources: [exports], severity: low}
    """)
    datasets = [table(encryption_at_rest="none"),
                table("b", source="exports", kind="bucket", encryption_at_rest="none"),
                table("c.t", source="other-db", encryption_at_rest="none")]
    hits = of_rule(run([str(f)], datasets), "unencrypted-personal-data")
    assert sorted((h.source, h.severity) for h in hits) == [("exports", "low"), ("other-db", "high")]


def test_match_override_and_new_rule_in_user_file(tmp_path):
    f = write(tmp_path, "mine.yaml", """
        extends: builtin:baseline
        rules:
          - id: stale-marketing-exports
            title: Marketing exports older than 30 days
            severity: medium
            check: stale-personal-data
            params: {max_age: 30d}
            match: {datasets: ["mkt.*"], personal_data: [email]}
            references: [internal policy 7.2]
        overrides:
          - rule: cardholder-data
            match: {sources: [payments-*]}
    """)
    datasets = [table("mkt.list", last_modified=days_ago(45)), table("crm.customers", last_modified=days_ago(45))]
    findings = run([str(f)], datasets)
    assert [h.dataset for h in of_rule(findings, "stale-marketing-exports")] == ["mkt.list"]
    from policy_helpers import pdata
    card = table(personal_data=(pdata("payment_card"),))
    assert of_rule(run([str(f)], [card]), "cardholder-data") == []
    assert len(of_rule(run([str(f)], [card.model_copy(update={"source": "payments-db"})]), "cardholder-data")) == 1


def test_folders_relative_paths_and_extends_chain(tmp_path):
    write(tmp_path, "policies/base.yaml", "extends: [builtin:baseline, builtin:gdpr]\n")
    write(tmp_path, "policies/sub/strict.yaml", """
        extends: ../base.yaml
        overrides: [{rule: gdpr-storage-limitation, params: {max_age: 1y}}]
    """)
    ps = load_policies(["policies"], base_dir=tmp_path)
    ids = [r.id for r in ps.rules]
    assert len(ids) == len(set(ids)) == 14  # baseline + gdpr, each loaded once
    assert ps.rule("gdpr-storage-limitation").options.max_age == 365
    assert ps.files == ["builtin:baseline", "builtin:gdpr", str(tmp_path / "policies/base.yaml"),
                        str(tmp_path / "policies/sub/strict.yaml")]
    assert validate_paths([str(tmp_path / "policies")])[0].startswith(str(tmp_path / "policies") + " (14 rules")


def test_all_packs_load_together_without_clashing_ids():
    ps = load_policies(["builtin:baseline", "builtin:pci-dss", "builtin:pdpa-sg", "builtin:gdpr", "builtin:baseline"])
    assert len(ps.rules) == 20


@pytest.mark.parametrize("override", ["{rule: not-assessed, enabled: false}",
                                      "{rule: not-assessed, match: {sources: [x]}}"])
def test_not_assessed_cannot_be_switched_off(tmp_path, override):
    f = write(tmp_path, "mine.yaml", f"extends: builtin:baseline\noverrides: [{override}]\n")
    with pytest.raises(PolicyError, match="not-assessed cannot be disabled"):
        load_policies([str(f)])


def test_not_assessed_severity_can_be_lowered(tmp_path):
    f = write(tmp_path, "mine.yaml", "extends: builtin:baseline\noverrides: [{rule: not-assessed, severity: medium}]\n")
    [na] = not_assessed_for(run([str(f)], [bucket(public=None)]), "public-exposure")
    assert na.severity == "medium"
