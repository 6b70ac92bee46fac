"""Object stores as trees: stale roll-up to the highest stale prefix, bucket-wide facts once."""

from __future__ import annotations

from policy_helpers import bucket, days_ago, not_assessed_for, of_rule, pdata, prefix, run

from auditor.models import finding_id

OLD, FRESH = days_ago(800), days_ago(5)


def estate():
    """A fresh bucket hiding a stale legacy/ tree, and a stale archive under a fresh prefix."""
    return [
        bucket("b", last_modified=FRESH, oldest_modified=days_ago(900), personal_data=()),
        prefix("b/legacy/", "b", last_modified=OLD, oldest_modified=days_ago(900), personal_data=()),
        prefix("b/legacy/2019-export/", "b/legacy/", last_modified=OLD, oldest_modified=days_ago(900),
               personal_data=(pdata("email", count=40, where=("customers/*.csv: email",)),)),
        prefix("b/legacy/2019-logs/", "b/legacy/", last_modified=days_ago(850), personal_data=()),
        prefix("b/legacy/2019-export/part-1/", "b/legacy/2019-export/", last_modified=days_ago(870),
               personal_data=(pdata("phone", count=3, where=("*.json: $.mobile",), examples=("+65****1234",)),)),
        prefix("b/current/", "b", last_modified=FRESH, personal_data=(pdata(),)),
        prefix("b/current/archive/", "b/current/", last_modified=days_ago(400),
               personal_data=(pdata("postal_address", count=2, where=("addr",), examples=("*** Orchard Rd",)),)),
        prefix("b/current/cold/", "b/current/", last_modified=days_ago(500), personal_data=()),
    ]


def test_stale_rolls_up_to_the_highest_stale_prefix_only():
    findings = of_rule(run(["builtin:baseline"], estate()), "stale-personal-data")
    assert sorted(f.dataset for f in findings) == ["b/current/archive/", "b/legacy/"]
    legacy = next(f for f in findings if f.dataset == "b/legacy/")
    assert legacy.id == finding_id("stale-personal-data", "exports", "b/legacy/")
    # personal data found in children counts for their stale ancestor, with where it was found
    types = {row["type"]: row for row in legacy.evidence["personal_data"]}
    assert set(types) == {"email", "phone"}
    assert types["email"]["datasets"] == ["b/legacy/2019-export/"]
    assert types["phone"]["where"] == ["b/legacy/2019-export/part-1/: *.json: $.mobile"]
    assert legacy.evidence["oldest_modified"] == days_ago(900).isoformat()
    assert legacy.evidence["age_days"] == 800


def test_whole_bucket_named_only_when_nothing_fresh_lives_in_it():
    datasets = [d.model_copy(update={"last_modified": OLD}) if d.name in ("b", "b/current/") else d
                for d in estate()]
    findings = of_rule(run(["builtin:baseline"], datasets), "stale-personal-data")
    assert [f.dataset for f in findings] == ["b"]
    assert {row["type"] for row in findings[0].evidence["personal_data"]} == {
        "email", "phone", "postal_address"}


def test_stale_prefix_without_personal_data_anywhere_under_it_passes():
    findings = run(["builtin:baseline"], estate())
    assert "b/current/cold/" not in {f.dataset for f in findings}


def test_unclassified_stale_prefix_is_not_assessed_not_passed():
    datasets = estate() + [prefix("b/current/blobs/", "b/current/", last_modified=OLD, classified=False,
                                  personal_data=())]
    findings = run(["builtin:baseline"], datasets)
    [na] = not_assessed_for(findings, "stale-personal-data")
    assert "b/current/blobs/" in na.evidence["datasets"] and na.evidence["unknown"] == ["personal_data"]
    assert na.id == finding_id("not-assessed", "exports", "cause:personal_data:objects")


def test_bucket_wide_setting_gives_one_finding_not_one_per_prefix():
    datasets = [d.model_copy(update={"encryption_at_rest": "none", "public": True}) for d in estate()]
    findings = run(["builtin:baseline"], datasets)
    assert [f.dataset for f in of_rule(findings, "unencrypted-personal-data")] == ["b"]
    [public] = of_rule(findings, "public-exposure")
    assert public.dataset == "b" and public.severity == "critical"  # personal data lives under it


def test_a_prefix_that_differs_from_its_bucket_is_judged_on_its_own():
    datasets = [d.model_copy(update={"encryption_at_rest": "none"}) if d.name == "b/current/archive/" else d
                for d in estate()]
    findings = of_rule(run(["builtin:baseline"], datasets), "unencrypted-personal-data")
    assert [f.dataset for f in findings] == ["b/current/archive/"]
    assert [r["type"] for r in findings[0].evidence["personal_data"]] == ["postal_address"]


def test_content_rules_report_once_per_bucket_with_the_prefixes_in_evidence():
    card = pdata("payment_card", where=("card",), examples=("411111******1111",))
    datasets = estate() + [prefix("b/current/pay/", "b/current/", personal_data=(card,))]
    [f] = of_rule(run(["builtin:baseline"], datasets), "cardholder-data")
    assert f.dataset == "b" and f.evidence["personal_data"][0]["datasets"] == ["b/current/pay/"]


def test_contract_ended_fires_per_table_and_bucket_not_per_prefix():
    from datetime import date

    from auditor.models import Vendor

    findings = run(["builtin:baseline"], estate(), [Vendor(id="acme", contract_end=date(2024, 1, 1))])
    assert [f.dataset for f in of_rule(findings, "vendor-contract-ended")] == ["b"]


def _engine_style_roll_up(datasets):
    """What auditor.engine.roll_up does: a parent's personal data includes its children's."""
    by_name = {d.name: d for d in datasets}
    kids = {}
    for d in datasets:
        if d.parent:
            kids.setdefault(d.parent, []).append(d.name)

    def merged(name):
        d = by_name[name]
        pds = list(d.personal_data)
        for k in kids.get(name, []):
            pds.extend(merged(k))
        by_type = {}
        for p in pds:
            if p.type in by_type:
                q = by_type[p.type]
                by_type[p.type] = q.model_copy(update={"count": q.count + p.count,
                                                       "where": tuple(dict.fromkeys(q.where + p.where))})
            else:
                by_type[p.type] = p
        return tuple(by_type.values())

    return [d.model_copy(update={"personal_data": merged(d.name)}) for d in datasets]


def test_findings_are_the_same_whether_or_not_parents_already_hold_their_childrens_personal_data():
    plain = run(["builtin:baseline"], estate())
    rolled = run(["builtin:baseline"], _engine_style_roll_up(estate()))
    assert [(f.id, f.evidence) for f in plain] == [(f.id, f.evidence) for f in rolled]
    legacy = next(f for f in rolled if f.dataset == "b/legacy/")
    email = next(r for r in legacy.evidence["personal_data"] if r["type"] == "email")
    assert email["count"] == 40 and email["datasets"] == ["b/legacy/2019-export/"]  # not counted twice


def test_a_parent_keeps_what_it_holds_itself_beside_its_childrens():
    own = pdata("email", count=7, where=("top.csv: email",))
    datasets = [bucket("c", last_modified=OLD, personal_data=(own,)),
                prefix("c/x/", "c", last_modified=OLD, personal_data=(pdata("email", count=3, where=("x.csv: mail",)),))]
    for variant in (datasets, _engine_style_roll_up(datasets)):
        [f] = of_rule(run(["builtin:baseline"], variant), "stale-personal-data")
        [email] = f.evidence["personal_data"]
        assert (email["count"], email["where"]) == (10, ["top.csv: email", "c/x/: x.csv: mail"])


def test_two_prefixes_that_name_each_other_as_parent_are_judged_not_crashed():
    """A listing can name two prefixes each other's parent (a store's odd keys, a connector's bug):
    the personal-data gap of one is looked for below it, which came round to itself for ever (a
    RecursionError failed the whole run). Each is judged, its unknowns named."""
    ds = [prefix("p5/", "p3/", classified=True, personal_data=(pdata("phone", count=4, where=("a",)),)),
          prefix("p3/", "p5/", classified=True, has_retention=False, personal_data=())]
    for pack in (["builtin:baseline"], ["builtin:pdpa-sg"]):
        run(pack, ds)  # no RecursionError
    unknown = [f for f in run(["builtin:baseline"], ds) if f.rule == "not-assessed"]
    assert [(f.dataset, f.title) for f in unknown] == [
        ("p3/", "Not assessed: personal data in S3 buckets: objects skipped or unreadable")]
