"""Review fixes on the GCS connector, against gcp-storage-emulator over HTTP."""

from __future__ import annotations


def test_retention_policy_is_a_minimum_hold_not_an_expiry(gcs_admin, collect_gcs):
    b = gcs_admin.create_bucket("gcs-rv-hold-only")
    b.retention_period = 30 * 86400  # objects are kept at least 30 days; nothing ever deletes them
    b.patch()
    b.blob("exports/a.csv").upload_from_string(b"id\n1\n")
    got = collect_gcs("gcs-rv-hold-only")
    for name in ("gcs-rv-hold-only", "gcs-rv-hold-only/exports/"):
        d = got.ds(name)
        assert d.has_retention is False and d.retention_days is None, name
        assert d.facts["retention_policy_days"] == 30


def test_delete_rule_shorter_than_the_hold(gcs_admin, collect_gcs):
    b = gcs_admin.create_bucket("gcs-rv-hold-and-delete")
    b.retention_period = 400 * 86400
    b.add_lifecycle_delete_rule(age=90)
    b.patch()
    d = collect_gcs("gcs-rv-hold-and-delete").ds("gcs-rv-hold-and-delete")
    assert d.has_retention is True and d.retention_days == 90 and d.facts["retention_policy_days"] == 400


def test_explicit_bucket_that_answers_nothing_is_reported(gcs_admin, collect_gcs):
    gcs_admin.create_bucket("gcs-rv-present")
    got = collect_gcs("gcs-rv-present", "gcs-rv-no-such-bucket", "gcs-rv-glob-*")
    assert "gcs-rv-present" in got.obs
    [empty, err] = sorted(got.errors, key=lambda e: e.dataset or "")
    # a glob that matched nothing is a finding too, never a silent pass (issue 15)
    assert empty.dataset is None and empty.reason.startswith("empty selection: bucket pattern 'gcs-rv-glob-*'")
    assert err.dataset == "gcs-rv-no-such-bucket" and err.kind == "bucket"
    assert "not found or not visible to the audit identity" in err.reason and "storage.buckets.get" in err.reason
    assert "storage.buckets.get" in err.fix


def test_binary_objects_are_unknown_never_empty(gcs_admin, collect_gcs):
    b = gcs_admin.create_bucket("gcs-rv-binary")
    b.blob("backups/shop.sqlite").upload_from_string(b"SQLite format 3\x00" + b"\x00" * 200)
    b.blob("backups/report.pdf").upload_from_string(b"%PDF-1.4 ...")
    b.blob("mixed/a.csv").upload_from_string(b"email\nann@example.com\n")
    b.blob("mixed/b.zip").upload_from_string(b"PK\x03\x04" + b"\x00" * 40)
    got = collect_gcs("gcs-rv-binary")
    assert got.sample("gcs-rv-binary/backups/") is None
    assert set(got.ds("gcs-rv-binary/backups/").facts["unsampled"]) == {"backups/shop.sqlite", "backups/report.pdf"}
    assert got.sample("gcs-rv-binary/mixed/").fields == {"email": ["ann@example.com"]}
    # a ZIP is opened now (members sampled within the budgets); this one is damaged: named, never "none"
    assert got.ds("gcs-rv-binary/mixed/").facts["unsampled"] == {"mixed/b.zip": "corrupt zip"}
