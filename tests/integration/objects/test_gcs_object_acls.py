"""GCS object ACLs (issue 15): with uniform bucket-level access off, an object readable by
``allUsers`` makes its bucket public even when the bucket's IAM and ACLs are private; when none
of the sampled objects is public the bucket is public only on evidence (issue 17: the enabled ACLs
are a finding of their own, with "N of M objects checked, none public"), as on S3.

The emulator keeps object ACLs (``blob.acl.save()`` / ``reload()`` round-trip; measured), so
these run against it without fault injection."""

from __future__ import annotations


def _fine_grained(gcs_admin, name: str):
    b = gcs_admin.create_bucket(name)
    b.iam_configuration.uniform_bucket_level_access_enabled = False
    b.patch()
    return b


def test_object_readable_by_all_users_makes_the_bucket_public(gcs_admin, collect_gcs):
    b = _fine_grained(gcs_admin, "gcs-objacl-public")
    b.blob("exports/private.csv").upload_from_string(b"email\nann@example.com\n")
    leaked = b.blob("exports/leaked.csv")
    leaked.upload_from_string(b"email\nbob@example.org\n")
    leaked.acl.all().grant_read()
    leaked.acl.save()
    d = collect_gcs("gcs-objacl-public").ds("gcs-objacl-public")
    assert d.public is True, d.public_reasons
    assert "object acl: 1 of 2 checked objects are public" in d.public_reasons
    assert "object acl: exports/leaked.csv allUsers READER" in d.public_reasons
    assert d.encryption_in_transit == "optional"
    assert d.facts["object_acls"]["public"] == 1


def test_unchecked_objects_are_a_fact_for_their_own_finding_not_an_unknown(gcs_admin, collect_gcs):
    b = _fine_grained(gcs_admin, "gcs-objacl-unknown")
    for i in range(6):
        b.blob(f"exports/part-{i}.csv").upload_from_string(b"email\nann@example.com\n")
    d = collect_gcs("gcs-objacl-unknown", sample_objects=2).ds("gcs-objacl-unknown")
    assert d.public is False and d.public_reasons == ()
    assert d.facts["object_acls"] == {"enabled": True, "checked": 2, "total": 6, "public": 0, "refused": 0,
                                      "setting": "uniform bucket-level access off (fine-grained ACLs)"}
    assert "public_unknown_reason" not in d.facts


def test_every_object_checked_and_private_stays_private(gcs_admin, collect_gcs):
    b = _fine_grained(gcs_admin, "gcs-objacl-private")
    b.blob("a.csv").upload_from_string(b"email\nann@example.com\n")
    d = collect_gcs("gcs-objacl-private").ds("gcs-objacl-private")
    assert d.public is False and d.facts["object_acls"]["checked"] == 1


def test_uniform_access_needs_no_object_acl(gcs_admin, collect_gcs):
    b = gcs_admin.create_bucket("gcs-objacl-uniform")
    b.iam_configuration.uniform_bucket_level_access_enabled = True
    b.patch()
    for i in range(6):
        b.blob(f"x/{i}.csv").upload_from_string(b"id\n1\n")
    d = collect_gcs("gcs-objacl-uniform", sample_objects=2).ds("gcs-objacl-uniform")
    assert d.public is False and "object_acls" not in d.facts
