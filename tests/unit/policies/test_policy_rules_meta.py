"""Every built-in rule has a failing and a passing hand-built case; the suite walks the
check registry and the packs, so a rule or check without both cases fails here."""

from __future__ import annotations

from datetime import date

import pytest
from policy_helpers import AS_OF, bucket, days_ago, not_assessed_for, of_rule, pdata, run, table

from auditor.models import Vendor, finding_id
from policies import builtin_packs, checks, load_policies

RESTRICTED = Vendor(id="acme", allowed_personal_data=("email",), allowed_regions=("ap-southeast-*",))
ENDED = Vendor(id="acme", contract_end=date(2025, 1, 31))
RUNNING = Vendor(id="acme", contract_end=date(2027, 1, 31))
STALE, FRESH = days_ago(400), days_ago(300)
CARD = pdata("payment_card", where=("card_no",), examples=("411111******1111",))
NRIC = pdata("national_id", where=("nric",), examples=("S****567A",), full_nric=True, kinds={"sg_nric": 5})
MYKAD = pdata("national_id", where=("ic_no",), examples=("******-**-5678",), kinds={"my_nric": 5})


def partial(visible: int):
    return pdata("payment_card_partial", where=("card_masked",), examples=("411111******1111",),
                 visible_digits=visible)


# rule id -> (failing case, passing case); a case is (dataset, vendor or None[, expected severity])
CASES = {
    "stale-personal-data": ((table(last_modified=STALE), None), (table(last_modified=FRESH), None)),
    "vendor-contract-ended": ((table(), ENDED), (table(), RUNNING)),
    "unencrypted-personal-data": ((table(encryption_at_rest="none"), None), (table(), None)),
    "public-exposure": ((table(public=True, public_reasons=("acl:AllUsers",)), None, "critical"),
                        (table(public=False), None)),
    "object-acls-enabled": ((bucket(facts={"object_acls": {"enabled": True, "checked": 2, "total": 40, "public": 0}}),
                             None),
                            (bucket(facts={"object_acls": {"enabled": False}}), None)),
    "no-retention-control": ((table(has_retention=False, retention_days=None), None), (table(), None)),
    "cardholder-data": ((table(personal_data=(CARD,)), None, "critical"), (table(personal_data=(partial(10),)), None)),
    "weak-password-hash": ((table(personal_data=(pdata("password_hash", where=("pw",), examples=(),
                                                       weak=True, algorithms=["md5"]),)), None),
                           (table(personal_data=(pdata("password_hash", where=("pw",), examples=(),
                                                       weak=False, algorithms=["bcrypt"]),)), None)),
    "insecure-transport": ((table(encryption_in_transit="optional"), None), (table(), None)),
    "data-beyond-agreement": ((table(personal_data=(pdata(), pdata("phone", where=("mobile",)))), RESTRICTED),
                              (table(), RESTRICTED)),
    "data-outside-region": ((table(region="us-east-1"), RESTRICTED), (table(region="ap-southeast-1"), RESTRICTED)),
    "not-assessed": ((table(status="error", error="permission denied for table customers"), None), (table(), None)),
    "pci-full-pan": ((table(personal_data=(CARD,)), None, "critical"), (table(), None)),
    "pci-pan-over-truncation": ((table(personal_data=(partial(12),)), None), (table(personal_data=(partial(10),)), None)),
    "pci-card-data-retention": ((table(last_modified=STALE, personal_data=(partial(10),)), None),
                                (table(last_modified=STALE), None)),  # stale, but no card data
    "pdpa-retention-limitation": ((table(last_modified=STALE), None), (table(last_modified=FRESH), None)),
    "pdpa-nric-held": ((table(personal_data=(NRIC,)), None), (table(personal_data=(MYKAD,)), None)),
    "pdpa-contract-ended": ((table(), ENDED), (table(), RUNNING)),
    "gdpr-storage-limitation": ((table(last_modified=STALE), None), (table(last_modified=FRESH), None)),
    "gdpr-public-exposure": ((table(public=True), None, "critical"), (table(), None)),
}


def _builtin_rules() -> dict[str, tuple[str, str]]:
    """rule id -> (pack, check) over every shipped pack."""
    out = {}
    for pack in builtin_packs():
        for r in load_policies([f"builtin:{pack}"]).rules:
            out[r.id] = (pack, r.check)
    return out


def test_every_builtin_rule_has_a_failing_and_a_passing_case():
    rules = _builtin_rules()
    missing = sorted(set(rules) - set(CASES))
    assert not missing, f"built-in rules without hand-built cases: {missing}"
    assert not sorted(set(CASES) - set(rules)), "cases for rules that no pack ships"
    for rule_id, cases in CASES.items():
        assert len(cases) == 2 and all(cases), f"{rule_id} needs both a failing and a passing case"


def test_every_registered_check_is_exercised_by_a_cased_rule():
    used = {check for rule_id, (_, check) in _builtin_rules().items() if rule_id in CASES}
    unexercised = sorted(set(checks) - used)
    assert not unexercised, f"checks with no built-in rule carrying a fail/pass case: {unexercised}"


def test_the_packs_the_issue_names_are_shipped():
    assert {"baseline", "pci-dss", "pdpa-sg", "gdpr"} <= set(builtin_packs())
    baseline = {r.id for r in load_policies(["builtin:baseline"]).rules}
    assert baseline == {"stale-personal-data", "vendor-contract-ended", "unencrypted-personal-data",
                        "public-exposure", "no-retention-control", "cardholder-data", "weak-password-hash",
                        "insecure-transport", "data-beyond-agreement", "data-outside-region", "not-assessed",
                        "object-acls-enabled"}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fails_on_its_failing_case(rule_id):
    pack, _ = _builtin_rules()[rule_id]
    ds, vendor, *severity = CASES[rule_id][0]
    findings = run([f"builtin:{pack}"], [ds], [vendor] if vendor else [])
    # a store-wide setting (a database server's transport) is one finding per store, named by the source
    name = ds.source if ds.kind in checks.get(_builtin_rules()[rule_id][1]).store_wide else ds.name
    hits = [f for f in of_rule(findings, rule_id) if f.dataset == name]
    assert len(hits) == 1, findings
    f = hits[0]
    assert f.id == finding_id(rule_id, ds.source, name)
    assert (f.status, f.new, f.first_seen) == ("open", True, None)
    assert f.evidence and f.title and f.remediation and f.references and f.description
    if severity:
        assert f.severity == severity[0]
    rule = load_policies([f"builtin:{pack}"]).rule(rule_id)
    if not severity:
        assert f.severity == rule.severity


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_on_its_passing_case(rule_id):
    pack, _ = _builtin_rules()[rule_id]
    ds, vendor, *_ = CASES[rule_id][1]
    findings = run([f"builtin:{pack}"], [ds], [vendor] if vendor else [])
    assert of_rule(findings, rule_id) == []
    assert not_assessed_for(findings, rule_id) == []  # passed for real, not by an unknown


def test_evidence_holds_masked_examples_and_counts_never_raw_values():
    ds = table(personal_data=(CARD,), last_modified=STALE)
    findings = run(["builtin:baseline"], [ds])
    card = of_rule(findings, "cardholder-data")[0]
    assert card.evidence["personal_data"] == [{"type": "payment_card", "count": 5, "where": ["card_no"],
                                               "datasets": ["crm.customers"], "examples": ["411111******1111"]}]
    stale = of_rule(findings, "stale-personal-data")[0]
    assert stale.evidence["age_days"] == (AS_OF - STALE).days == 400
    assert stale.evidence["max_age_days"] == 365
    assert stale.evidence["last_modified"] == STALE.isoformat()
    assert stale.evidence["last_modified_basis"] == "column updated_at"


def test_contract_end_is_judged_as_of_the_run():
    ds = table()
    vendor = Vendor(id="acme", contract_end=date(2026, 6, 1))
    assert of_rule(run(["builtin:baseline"], [ds], [vendor]), "vendor-contract-ended") == []  # the last day
    later = run(["builtin:baseline"], [ds], [vendor], as_of=days_ago(-1))
    [f] = of_rule(later, "vendor-contract-ended")
    assert f.evidence["contract_end"] == "2026-06-01" and f.evidence["days_since_contract_end"] == 1


def test_contract_ended_fires_for_every_dataset_the_vendor_holds_even_without_personal_data():
    datasets = [table("crm.customers"), table("crm.orders", personal_data=()), table("crm.t3", classified=False,
                                                                                       personal_data=())]
    findings = of_rule(run(["builtin:baseline"], datasets, [ENDED]), "vendor-contract-ended")
    assert sorted(f.dataset for f in findings) == ["crm.customers", "crm.orders", "crm.t3"]


def test_public_without_personal_data_keeps_the_rule_severity():
    [f] = of_rule(run(["builtin:baseline"], [table(public=True, personal_data=())]), "public-exposure")
    assert f.severity == "high"


def test_weak_hash_evidence_names_algorithm_not_values():
    ds = CASES["weak-password-hash"][0][0]
    [f] = of_rule(run(["builtin:baseline"], [ds]), "weak-password-hash")
    assert f.evidence["algorithms"] == ["md5"] and f.evidence["where"] == ["pw"]
