"""Unknown is never a pass: every rule that needs an unknown fact says not-assessed."""

from __future__ import annotations

from datetime import date

import pytest
from policy_helpers import bucket, days_ago, not_assessed_for, of_rule, pdata, prefix, run, table

from auditor.models import CollectionError, SourceResult, Vendor, finding_id
from policies import load_policies
from policies.causes import cause_of

RESTRICTED = Vendor(id="acme", allowed_personal_data=("email",), allowed_regions=("ap-southeast-1",))


@pytest.mark.parametrize(("rule", "facts", "unknown"), [
    ("unencrypted-personal-data", {"encryption_at_rest": "unknown"}, ["encryption_at_rest"]),
    ("stale-personal-data", {"last_modified": None}, ["last_modified"]),
    ("no-retention-control", {"has_retention": None, "retention_days": None}, ["has_retention"]),
    ("insecure-transport", {"encryption_in_transit": "unknown"}, ["encryption_in_transit"]),
    ("data-outside-region", {"region": None}, ["region"]),
    ("weak-password-hash", {"personal_data": (pdata("password_hash", where=("pw",), examples=()),)},
     ["password_hash.weak"]),
])
def test_unknown_fact_yields_not_assessed_for_that_rule(rule, facts, unknown):
    ds = table(denied=("s3:GetBucketAcl: AccessDenied",), **facts)
    findings = run(["builtin:baseline"], [ds], [RESTRICTED])
    assert of_rule(findings, rule) == []
    [na] = not_assessed_for(findings, rule)
    cause = cause_of(ds, unknown[0])
    # one finding per source and cause, its id stable as datasets come and go
    assert na.id == finding_id("not-assessed", "crm-db", f"cause:{cause.key}")
    assert na.evidence["unknown"] == unknown and na.evidence["datasets"] == ["crm.customers"]
    assert na.evidence["denied"] == ["s3:GetBucketAcl: AccessDenied"]
    assert (na.severity, na.status, na.new) == ("high", "open", True)
    assert na.title == "Not assessed: " + cause.title
    assert na.remediation == cause.way_out.text and na.evidence["way_out"] == cause.way_out.kind
    # advice is written per cause, never generated from the fact's field name
    assert f"make {unknown[0]} readable" not in na.remediation.lower()


def test_unknown_public_bucket_is_not_assessed():
    ds = bucket(public=None, denied=("s3:GetBucketAcl: AccessDenied",))
    findings = run(["builtin:baseline"], [ds])
    assert of_rule(findings, "public-exposure") == []
    [na] = not_assessed_for(findings, "public-exposure")
    assert na.evidence["unknown"] == ["public"] and na.evidence["denied"] == ["s3:GetBucketAcl: AccessDenied"]


def test_table_exposure_is_judged_only_when_known():
    # a SQL login never sees a database's network exposure: its connector declares it (engine: facts["never_known"])
    never = {"never_known": {"public": "network exposure of a database is outside what a SQL login can see"}}
    assert not_assessed_for(run(["builtin:baseline"], [table(public=None, facts=never)]), "public-exposure") == []
    assert of_rule(run(["builtin:baseline"], [table(public=True)]), "public-exposure")


def test_snowflake_network_exposure_is_unknown_until_attested():
    # a Snowflake table (kind sql): its network policy is not read, but an attestation can say it, so the
    # kind's never_known does not apply (engine) and the cause's way out is the attestation
    from auditor.engine import _with_capabilities
    from connectors.sql import Connector

    why = "the account's network policy is not read"
    ds = _with_capabilities(table(public=None, uri="snowflake://acme-xy/DB/crm.customers",
                                  facts={"engine": "snowflake 9.1", "unknown_unless_attested": {"public": why}}),
                            Connector)
    assert "public" not in (ds.facts.get("never_known") or {})
    [na] = not_assessed_for(run(["builtin:baseline"], [ds]), "public-exposure")
    cause = cause_of(ds, "public")
    assert cause.key == "public:network-policy:snowflake" and cause.way_out.kind == "attestation"
    assert na.remediation == cause.way_out.text and why.capitalize() in na.remediation
    # a PostgreSQL table keeps the kind's never_known: no finding, as before
    pg = _with_capabilities(table(public=None), Connector)
    assert "public" in pg.facts["never_known"]
    assert not_assessed_for(run(["builtin:baseline"], [pg]), "public-exposure") == []


def test_exposure_a_connector_could_read_but_did_not_is_not_assessed():
    # a table from a kind that can know exposure (no never_known): the unknown is not a pass
    [na] = not_assessed_for(run(["builtin:baseline"], [table(public=None)]), "public-exposure")
    assert na.evidence["unknown"] == ["public"]


def test_local_file_database_has_no_transport_to_judge():
    local = table(encryption_in_transit="unknown", facts={
        "transport": "local file", "never_known": {"encryption_in_transit": "no connection to encrypt"}})
    findings = run(["builtin:baseline"], [local])
    assert of_rule(findings, "insecure-transport") == [] and not_assessed_for(findings, "insecure-transport") == []
    remote = table(encryption_in_transit="optional")
    assert of_rule(run(["builtin:baseline"], [remote]), "insecure-transport")


@pytest.mark.parametrize("rule", ["unencrypted-personal-data", "stale-personal-data", "no-retention-control",
                                  "cardholder-data", "data-beyond-agreement", "weak-password-hash"])
def test_unclassified_dataset_is_not_assessed_where_personal_data_decides(rule):
    ds = table(classified=False, personal_data=(), encryption_at_rest="none", last_modified=days_ago(999),
               has_retention=False)
    findings = run(["builtin:baseline"], [ds], [RESTRICTED])
    assert of_rule(findings, rule) == []
    [na] = not_assessed_for(findings, rule)
    assert na.evidence["unknown"] == ["personal_data"]


def test_known_absence_of_personal_data_is_a_real_pass():
    ds = table(classified=True, personal_data=(), encryption_at_rest="none", last_modified=days_ago(999),
               has_retention=False)
    findings = run(["builtin:baseline"], [ds], [RESTRICTED])
    assert findings == []


def test_public_with_unknown_content_is_critical_not_passed():
    [f] = of_rule(run(["builtin:baseline"], [table(public=True, classified=False, personal_data=())]),
                  "public-exposure")
    assert f.severity == "critical" and f.evidence["personal_data"] == "unknown"


def test_region_unknown_is_not_assessed_only_when_the_vendor_restricts_regions():
    ds = table(region=None)
    assert not_assessed_for(run(["builtin:baseline"], [ds]), "data-outside-region") == []
    assert len(not_assessed_for(run(["builtin:baseline"], [ds], [RESTRICTED]), "data-outside-region")) == 1


# the one documented scope limit: a SQL login cannot see a database's network exposure
# object ACLs are a bucket setting (tables have none)
OUT_OF_SCOPE = {"table": {"public-exposure", "object-acls-enabled"}, "bucket": set()}


@pytest.mark.parametrize("make", [table, bucket])
def test_everything_unknown_every_rule_reports_something(make):
    """No baseline rule that applies may stay silent about a dataset whose facts are all unknown."""
    ds = make(classified=False, personal_data=(), last_modified=None, region=None, encryption_at_rest="unknown",
              encryption_in_transit="unknown", public=None, has_retention=None, retention_days=None,
              facts={"object_acls": {"enabled": None}})
    findings = run(["builtin:baseline"], [ds], [RESTRICTED.model_copy(update={"contract_end": date(2020, 1, 1)})])
    for rule in load_policies(["builtin:baseline"]).rules:
        if rule.id == "not-assessed" or rule.id in OUT_OF_SCOPE[ds.kind]:
            continue
        assert of_rule(findings, rule.id) or not_assessed_for(findings, rule.id), f"{rule.id} silently passed"


def test_source_down_collection_errors_and_error_datasets_are_not_assessed():
    sources = [SourceResult(id="crm-db", kind="sql", vendor="acme"),
               SourceResult(id="exports", kind="s3", vendor="acme", status="error", error="EndpointConnectionError")]
    errors = [CollectionError(source="crm-db", dataset="crm.secret", kind="table",
                              reason="permission denied", fix="GRANT SELECT ON crm.secret TO auditor")]
    datasets = [table(), table("crm.broken", status="error", error="timeout after 30s")]
    findings = run(["builtin:baseline"], datasets, errors=errors, sources=sources)
    na = {f.dataset: f for f in of_rule(findings, "not-assessed")}
    assert set(na) == {"exports", "crm.secret", "crm.broken"}
    assert na["exports"].id == finding_id("not-assessed", "exports", "exports")
    assert na["exports"].evidence["reason"] == "EndpointConnectionError"
    assert na["crm.secret"].evidence["fix"] == "GRANT SELECT ON crm.secret TO auditor"
    assert na["crm.secret"].vendor == "acme"
    assert na["crm.broken"].evidence["reason"] == "timeout after 30s"
    # an error dataset is judged by nothing else
    assert {f.rule for f in findings if f.dataset == "crm.broken"} == {"not-assessed"}


def test_same_dataset_reported_twice_gives_one_finding_with_both_facts():
    errors = [CollectionError(source="crm-db", dataset="crm.broken", reason="listing refused")]
    datasets = [table("crm.broken", status="error", error="timeout")]
    [f] = of_rule(run(["builtin:baseline"], datasets, errors=errors), "not-assessed")
    assert f.evidence["reason"] == "listing refused" and f.evidence["also"][0]["reason"] == "timeout"


def test_not_assessed_is_reported_even_by_a_pack_without_the_rule():
    findings = run(["builtin:gdpr"], [table(status="error", error="boom")])
    [f] = of_rule(findings, "not-assessed")
    assert f.severity == "high"


@pytest.mark.parametrize(("rule", "policy"), [
    ("cardholder-data", "builtin:baseline"), ("weak-password-hash", "builtin:baseline"),
    ("data-beyond-agreement", "builtin:baseline"), ("pci-pan-over-truncation", "builtin:pci-dss"),
])
def test_an_unread_sibling_prefix_keeps_absence_unknown(rule, policy):
    """Emails found in one prefix say nothing of what an unreadable sibling holds."""
    datasets = [bucket("b", classified=True, personal_data=()),
                prefix("b/ok/", "b", classified=True, personal_data=(pdata("email"),)),
                prefix("b/bad/", "b", classified=False, personal_data=(), notes=("corrupt gzip: bad/x.gz",))]
    findings = run([policy], datasets, [RESTRICTED])
    assert any(f.dataset == "b" for f in not_assessed_for(findings, rule)), rule


def test_an_age_known_only_from_history_is_a_lower_bound():
    """'Unchanged since first seen 30 days ago' says the data is at least 30 days old: not fresh."""
    young = table(last_modified=days_ago(30), facts={"last_modified_bound": "at_most"})
    findings = run(["builtin:baseline"], [young])
    assert of_rule(findings, "stale-personal-data") == []
    [na] = not_assessed_for(findings, "stale-personal-data")
    assert na.evidence["unknown"] == ["last_modified"]
    old = table(last_modified=days_ago(400), facts={"last_modified_bound": "at_most"})
    assert of_rule(run(["builtin:baseline"], [old]), "stale-personal-data")


def test_an_age_unknown_keeps_its_not_assessed_id_when_history_gives_a_lower_bound():
    """Night one: a table with no write-time column has no age (not assessed). Night two, unchanged: the
    run history gives a lower bound, still not assessed, for the same reason and with the same fix. The
    finding's id stays: a SIEM dedupes on it and a waiver on it still applies (the id changed with the
    cause's key, so the finding vanished unresolved and came back as new; tables that changed since flip it back)."""
    night_one = table(last_modified=None, last_modified_basis="unknown (no write-time column)")
    night_two = table(last_modified=days_ago(30), facts={"last_modified_bound": "at_most"})
    [first] = not_assessed_for(run(["builtin:baseline"], [night_one]), "stale-personal-data")
    [second] = not_assessed_for(run(["builtin:baseline"], [night_two]), "stale-personal-data")
    assert first.id == second.id
    assert first.remediation == second.remediation
    # a source with both kinds of table: one finding, one fix
    mixed = not_assessed_for(run(["builtin:baseline"], [night_one, table("crm.orders", last_modified=days_ago(30),
                                                                          facts={"last_modified_bound": "at_most"})]),
                             "stale-personal-data")
    assert [f.evidence["datasets"] for f in mixed] == [["crm.customers", "crm.orders"]]
