"""One problem, one finding; unknowns grouped by cause with one way out; judgments decided once."""

from __future__ import annotations

from datetime import date

from policy_helpers import AS_OF, bucket, days_ago, of_rule, pdata, prefix, run, table

from auditor.models import Dataset, Vendor, finding_id
from policies import judge, load_policies

ENDED = Vendor(id="acme", contract_end=date(2025, 1, 31))


def judged(datasets, policy=("builtin:baseline",)) -> dict[str, Dataset]:
    return {d.name: d for d in judge(load_policies(list(policy)), datasets, {"acme": Vendor(id="acme")}, AS_OF)}


def test_several_packs_on_the_same_fact_give_one_finding_with_every_reference():
    stale = table(last_modified=days_ago(800))
    findings = run(["builtin:baseline", "builtin:pdpa-sg", "builtin:gdpr"], [stale], [ENDED])
    [f] = [f for f in findings if f.rule in ("stale-personal-data", "pdpa-retention-limitation",
                                              "gdpr-storage-limitation")]
    assert f.rule == "stale-personal-data"  # the first rule in policy order: the id stays stable
    assert f.id == finding_id("stale-personal-data", "crm-db", "crm.customers")
    assert f.rules == ("stale-personal-data", "pdpa-retention-limitation", "gdpr-storage-limitation")
    assert f.merged_ids == (finding_id("pdpa-retention-limitation", "crm-db", "crm.customers"),
                            finding_id("gdpr-storage-limitation", "crm-db", "crm.customers"))
    assert {"GDPR Art. 5(1)(e)", "PDPA s25", "GDPR Art. 17", "PDPC Advisory Guidelines on Key Concepts, ch. 18"} <= set(
        f.references)
    assert f.evidence["also_rules"] == ["pdpa-retention-limitation (high)", "gdpr-storage-limitation (high)"]
    assert f.evidence["age"] == "800 days (2.2 years)"
    # the same ended contract once, not twice
    assert len([f for f in findings if f.rule in ("vendor-contract-ended", "pdpa-contract-ended")]) == 1


def test_the_merged_finding_takes_the_highest_severity():
    ps = load_policies(["builtin:baseline", "builtin:pdpa-sg"])
    ps.rule("pdpa-retention-limitation").severity = "critical"
    [f] = of_rule(run(ps, [table(last_modified=days_ago(800))]), "stale-personal-data")
    assert f.severity == "critical" and f.rules == ("stale-personal-data", "pdpa-retention-limitation")


def test_different_facts_of_one_check_stay_apart():
    """Full PANs and full NRICs are both 'personal-data-held', but not the same problem."""
    card = pdata("payment_card", where=("pan",), examples=("411111******1111",))
    nric = pdata("national_id", where=("nric",), examples=("S****567A",), full_nric=True)
    findings = run(["builtin:baseline", "builtin:pci-dss", "builtin:pdpa-sg"], [table(personal_data=(card, nric))])
    held = [f for f in findings if f.rule in ("cardholder-data", "pci-full-pan", "pdpa-nric-held")]
    assert sorted(f.rule for f in held) == ["cardholder-data", "pdpa-nric-held"]
    assert next(f for f in held if f.rule == "cardholder-data").rules == ("cardholder-data", "pci-full-pan")


def test_a_server_setting_is_one_finding_per_store_listing_tables_with_personal_data():
    tables = [table("crm.customers", encryption_in_transit="optional"),
              table("crm.contacts", encryption_in_transit="optional"),
              table("crm.sku_prices", encryption_in_transit="optional", personal_data=())]  # a decoy
    [f] = of_rule(run(["builtin:baseline"], tables), "insecure-transport")
    assert f.id == finding_id("insecure-transport", "crm-db", "crm-db") and f.dataset == "crm-db"
    assert f.evidence["datasets_with_personal_data"] == ["crm.customers", "crm.contacts"]
    assert f.evidence["tables_judged"] == 3 and f.severity == "medium"
    decoys = [table("crm.sku_prices", encryption_in_transit="optional", personal_data=())]
    [only] = of_rule(run(["builtin:baseline"], decoys), "insecure-transport")
    assert only.severity == "low" and only.evidence["datasets_with_personal_data"] == []


def test_unknowns_are_grouped_by_source_and_cause_with_one_fix():
    tables = [table(f"crm.t{i}", encryption_at_rest="unknown", facts={"engine": "postgresql 15"}) for i in range(3)]
    findings = run(["builtin:baseline", "builtin:pdpa-sg"], tables)
    [na] = of_rule(findings, "not-assessed")
    assert na.title == "Not assessed: encryption at rest of PostgreSQL tables: unknown to a SQL login (3 datasets)"
    assert na.evidence["datasets"] == ["crm.t0", "crm.t1", "crm.t2"] and na.dataset == "crm-db"
    assert na.evidence["way_out"] == "provider_api" and na.remediation.startswith("Disk encryption is not visible")


def test_a_refused_call_is_its_own_cause_with_the_exact_grant():
    b = bucket(public=None, denied=("s3:GetBucketAcl: AccessDenied", "s3:GetBucketPolicyStatus: AccessDenied"),
               facts={"object_acls": {"enabled": False}})
    [na] = of_rule(run(["builtin:baseline"], [b]), "not-assessed")
    assert na.evidence["way_out"] == "permission"
    assert na.remediation.startswith("Grant s3:GetBucketAcl, s3:GetBucketPolicyStatus to the auditor's identity")
    nimp = bucket(encryption_at_rest="unknown", denied=("s3:GetEncryptionConfiguration: NotImplemented",))
    [na] = of_rule(run(["builtin:baseline"], [nimp]), "not-assessed")
    assert na.evidence["way_out"] == "attestation" and "attestations:" in na.remediation


def _unread_folder(kind: str, name: str, denied: str, **kw) -> Dataset:
    """A file-server folder whose content was not read because the server refused a call."""
    return table(name, kind="prefix", parent="/", source="drop", uri=f"{kind}://127.0.0.1:2222{name}",
                 last_modified=days_ago(3000),
                 last_modified_basis="newest file mtime", classified=False, personal_data=(), denied=(denied,),
                 facts={"unsampled": {"locked/secret.csv": "object not read (permission denied)"}}, **kw)


def test_a_refused_file_read_is_a_permission_on_the_folder_not_a_byte_limit():
    for kind, denied in (("ftp", "ftp RETR: FTP 550"), ("sftp", "sftp read: permission denied")):
        [na] = [f for f in of_rule(run(["builtin:baseline"], [_unread_folder(kind, "/srv/drop/locked/", denied)]),
                                   "not-assessed") if "personal_data" in f.evidence["unknown"]]
        assert na.evidence["way_out"] == "permission", (kind, na.evidence)
        assert "read permission on /srv/drop/locked/" in na.remediation and "chmod" in na.remediation, na.remediation
        assert "max_object_bytes" not in na.remediation and "re-export" not in na.remediation
        assert na.evidence["denied"] == [denied]
        assert na.title.endswith(" refused on /srv/drop/locked/"), na.title


def test_a_folder_unknown_only_because_of_a_refused_subfolder_shares_its_grant():
    """The root's own files were read; what it holds is unknown only because /locked/ was not:
    one finding, one grant on /locked/, not a byte limit for the root."""
    root = table("/", kind="bucket", source="drop", uri="ftp://127.0.0.1:2121/", classified=True, personal_data=(),
                 last_modified=days_ago(3000), last_modified_basis="newest file mtime")
    locked = _unread_folder("ftp", "/locked/", "ftp RETR: FTP 550")
    unread = [f for f in of_rule(run(["builtin:baseline"], [root, locked]), "not-assessed")
              if "personal_data" in f.evidence["unknown"]]
    assert len(unread) == 1, [f.evidence for f in unread]
    assert "/" in unread[0].evidence["datasets"] and unread[0].evidence["way_out"] == "permission"
    assert "read permission on /locked/" in unread[0].remediation, unread[0].remediation


def test_an_unlistable_folder_names_that_folder_in_the_grant():
    d = _unread_folder("sftp", "/srv/drop/", "sftp list /srv/drop/unlisted/: permission denied")
    [na] = [f for f in of_rule(run(["builtin:baseline"], [d]), "not-assessed") if "personal_data" in f.evidence["unknown"]]
    assert na.evidence["way_out"] == "permission", na.evidence
    assert "read permission on /srv/drop/unlisted/" in na.remediation and "ACL" in na.remediation, na.remediation
    # a failure that is not a refusal (an FTP 421, a timeout) stays a connection problem
    d = _unread_folder("ftp", "/srv/drop/", "ftp list /srv/drop/busy/: FTP 421")
    [na] = [f for f in of_rule(run(["builtin:baseline"], [d]), "not-assessed") if "personal_data" in f.evidence["unknown"]]
    assert na.evidence["way_out"] == "connection", na.evidence


def test_object_acls_enabled_is_a_finding_not_an_unknown():
    b = bucket(public=False, facts={"object_acls": {"enabled": True, "checked": 5, "total": 40, "public": 0,
                                                    "setting": "Object Ownership ObjectWriter, IgnorePublicAcls off"}})
    findings = run(["builtin:baseline"], [b, prefix("b/x/", "b", public=False, facts=b.facts)])
    [f] = of_rule(findings, "object-acls-enabled")
    assert f.dataset == "b" and f.evidence["object_acls"] == "5 of 40 objects checked, none public"
    assert "BucketOwnerEnforced" in f.remediation and "AWS Security Hub S3.12" in f.references
    assert of_rule(findings, "not-assessed") == [] and of_rule(findings, "public-exposure") == []
    gcs = bucket(uri="gs://b", public=False, facts={"uniform_bucket_level_access": False})
    [g] = of_rule(run(["builtin:baseline"], [gcs]), "object-acls-enabled")
    assert "uniform bucket-level access off" in g.evidence["setting"]


def test_staleness_is_judged_once_with_its_bound_and_the_scoped_limit():
    ps = load_policies(["builtin:baseline"])
    d = judged([table("crm.a", last_modified=days_ago(400)),
                table("crm.b", last_modified=days_ago(30), facts={"last_modified_bound": "at_most"}),
                table("crm.c", last_modified=days_ago(400), facts={"last_modified_bound": "at_most"})])
    assert (d["crm.a"].judgment.stale, d["crm.a"].judgment.age_bound, d["crm.a"].judgment.age_days) == (True, "exact", 400)
    assert d["crm.b"].judgment.stale is None and d["crm.b"].judgment.age_bound == "at_least"  # never "fresh"
    assert d["crm.c"].judgment.stale is True
    strict = judged([table("crm.a", last_modified=days_ago(100))], ("builtin:baseline", "builtin:pci-dss"))
    assert strict["crm.a"].judgment.max_age_days == 365
    assert ps  # limits of scoped overrides are covered in test_policy_overrides


def test_buckets_count_once_and_their_records_are_rows():
    datasets = [
        bucket("b", objects=10, records=None, last_modified=days_ago(1), personal_data=(), classified=True,
               facts={}),
        prefix("b/new/", "b", objects=6, records=None, last_modified=days_ago(1), personal_data=(pdata(),),
               facts={"rows_sampled": {"objects": 3, "rows": 300, "exact": True}}),
        prefix("b/old/", "b", objects=4, records=None, last_modified=days_ago(900),
               personal_data=(pdata(),), facts={"rows_sampled": {"objects": 4, "rows": 800, "exact": True}}),
    ]
    d = judged(datasets)
    assert (d["b/old/"].records, d["b/old/"].records_basis) == (800, "counted")
    assert (d["b/new/"].records, d["b/new/"].records_basis) == (600, "estimated from 3 of 6 objects")
    assert (d["b"].records, d["b"].records_basis) == (1400, "estimated from 7 of 10 objects")
    assert d["b"].objects == 10
    # personal records are the rows of the content holding personal data: the bucket's own objects hold none
    assert not d["b"].judgment.held_unit and d["b"].judgment.personal_rows == 0
    assert (d["b/new/"].judgment.personal_rows, d["b/old/"].judgment.personal_rows) == (600, 800)
    assert d["b/old/"].judgment.stale_unit and d["b/old/"].judgment.age_unit and not d["b/new/"].judgment.age_unit


def test_a_write_known_between_two_runs_is_judged_by_the_later_run_never_unknown():
    """PostgreSQL's counters showed a write between the runs of A and B (nightly: a day apart),
    none since. The night the limit passes A but not yet B, the verdict is not "unknown" (a
    not-assessed finding, exit 3, for one night a year per table): the write is taken at its
    latest possible instant, B, and the table turns stale the night B passes the limit."""
    written = {"last_modified_bound": "at_least"}
    both = table("crm.w", last_modified=days_ago(366), facts={**written, "written_before": days_ago(365).isoformat()})
    later = table("crm.x", last_modified=days_ago(367), facts={**written, "written_before": days_ago(366).isoformat()})
    since = table("crm.y", last_modified=days_ago(400), facts=written)  # the previous run was over a year ago
    d = judged([both, later, since])
    assert (d["crm.w"].judgment.stale, d["crm.w"].judgment.age_bound) == (False, "at_most")
    assert d["crm.x"].judgment.stale is True
    assert d["crm.y"].judgment.stale is None  # written at some time in the year and more since that run: unknown
    findings = run(["builtin:baseline"], [both.model_copy(update={"personal_data": (pdata(),)})])
    assert of_rule(findings, "not-assessed") == [] and of_rule(findings, "stale-personal-data") == []
    findings = run(["builtin:baseline"], [later.model_copy(update={"personal_data": (pdata(),)})])
    assert len(of_rule(findings, "stale-personal-data")) == 1 and of_rule(findings, "not-assessed") == []
