"""Every unknown has a way out that is not a waiver, and taking it resolves the unknown."""

from __future__ import annotations

from datetime import date

from policy_helpers import AS_OF, bucket, of_rule, run, table

from auditor.attest import apply_attestations
from auditor.config import AttestationConfig

NOT_IMPLEMENTED = ("s3:GetBucketOwnershipControls: NotImplemented", "s3:GetBucketPublicAccessBlock: NotImplemented")


def _compat_bucket():
    """An S3-compatible store (s3rver, older RGW) answering NotImplemented to the ownership settings."""
    return bucket(public=False, denied=NOT_IMPLEMENTED,
                  facts={"object_acls": {"enabled": None, "checked": 4, "total": 4,
                                         "setting": "Object Ownership could not be read"}})


def _attest(value, until=date(2026, 12, 31)):
    return AttestationConfig(match={"source": "exports"}, fact="object_acls", value=value, evidence="vendor letter",
                             by="risk@example.com", until=until, line=30)


def test_object_acl_settings_a_store_does_not_implement_can_be_attested():
    """The fix said 'confirm with the vendor in writing': nothing in the config could record it, so the
    bucket was not-assessed (exit 3) every night; only a waiver silenced it."""
    [na] = of_rule(run(["builtin:baseline"], [_compat_bucket()]), "not-assessed")
    assert na.evidence["unknown"] == ["object_acls"]
    assert na.evidence["way_out"] == "attestation" and "fact: object_acls" in na.remediation, na.remediation

    for value, fires in ((False, False), (True, True)):
        [ds], [use] = apply_attestations([_compat_bucket()], [_attest(value)], AS_OF)
        assert ds.fact_basis["object_acls"].basis == "attested" and use.datasets == ("exports:b",)
        findings = run(["builtin:baseline"], [ds])
        assert of_rule(findings, "not-assessed") == [], [f.title for f in findings]
        assert bool(of_rule(findings, "object-acls-enabled")) is fires

    # expired: unknown again, never a pass
    [ds], [use] = apply_attestations([_compat_bucket()], [_attest(False, until=date(2026, 5, 31))], AS_OF)
    assert use.expired and of_rule(run(["builtin:baseline"], [ds]), "not-assessed")


def test_an_attestation_never_overrides_object_acl_settings_that_were_read():
    read = bucket(public=False, facts={"object_acls": {"enabled": True, "checked": 4, "total": 4}})
    [ds], [use] = apply_attestations([read], [_attest(False)], AS_OF)
    assert use.datasets == () and "object_acls" not in ds.fact_basis
    assert of_rule(run(["builtin:baseline"], [ds]), "object-acls-enabled")


def test_the_fix_of_an_unknown_names_the_attestation_that_expired_on_it():
    """The morning after an attestation's until, the gate fails (exit 3) with 'declare it under
    attestations:', while the config has one: the fix now says which one expired, and when."""
    from policy_helpers import table

    t = table(encryption_at_rest="unknown", facts={"engine": "postgresql 15"})
    old = AttestationConfig(match={"source": "crm-db"}, fact="encryption_at_rest", value="provider",
                            evidence="SOC 2 2025", by="risk@example.com", until=date(2026, 5, 31), line=30)
    [ds], [use] = apply_attestations([t], [old], AS_OF, where="auditor.yaml")
    assert use.expired
    [na] = of_rule(run(["builtin:baseline"], [ds]), "not-assessed")
    assert na.evidence["expired_attestations"] == ["auditor.yaml:30 (until 2026-05-31)"], na.evidence
    assert na.remediation.startswith("The attestation at auditor.yaml:30 expired after 2026-05-31"), na.remediation
    assert "provider: {kind: rds" in na.remediation  # the other ways out are still given
    fresh = apply_attestations([t], [old], AS_OF.replace(month=5), where="auditor.yaml")[0]
    assert not of_rule(run(["builtin:baseline"], fresh), "not-assessed")


def _images_bucket():
    """A bucket whose root was read (nothing personal) and whose images/ prefix holds only binary objects."""
    from policy_helpers import prefix

    b = bucket("b", public=False, classified=True, personal_data=(), has_retention=False, encryption_at_rest="none")
    img = prefix("b/images/", "b", public=False, classified=False, personal_data=(), has_retention=False,
                 encryption_at_rest="none", notes=("binary object skipped: images/a.jpg",),
                 facts={"unsampled": {"images/a.jpg": "binary object skipped"}})
    return [b, img]


def test_objects_the_auditor_cannot_parse_can_be_declared_free_of_personal_data():
    """A prefix of product images: 'raise max_object_bytes, or re-export them' resolves nothing for a
    .jpg, so the bucket was not-assessed (exit 3) every night with only a waiver to silence it."""
    [na] = of_rule(run(["builtin:baseline"], _images_bucket()), "not-assessed")
    assert na.evidence["unknown"] == ["personal_data"]
    assert "fact: personal_data" in na.remediation and "value: none" in na.remediation, na.remediation

    declared = AttestationConfig(match={"source": "exports", "dataset": "b/images/"}, fact="personal_data", value="none",
                                 evidence="vendor letter: product photos only", by="risk@example.com",
                                 until=date(2026, 12, 31), line=40)
    datasets, [use] = apply_attestations(_images_bucket(), [declared], AS_OF)
    assert use.datasets == ("exports:b/images/",)
    assert datasets[1].fact_basis["personal_data"].basis == "attested"
    findings = run(["builtin:baseline"], datasets)
    assert of_rule(findings, "not-assessed") == [], [f.title for f in findings]
    # expired: unknown again
    lapsed = declared.model_copy(update={"until": date(2026, 5, 31)})
    assert of_rule(run(["builtin:baseline"], apply_attestations(_images_bucket(), [lapsed], AS_OF)[0]), "not-assessed")


def test_declaring_the_unread_part_free_of_personal_data_keeps_what_was_found():
    from policy_helpers import pdata

    b, img = _images_bucket()
    img = img.model_copy(update={"personal_data": (pdata(),)})
    declared = AttestationConfig(match={"dataset": "b/*"}, fact="personal_data", value="none", evidence="letter",
                                 by="risk@example.com", until=date(2026, 12, 31))
    datasets, _ = apply_attestations([b, img], [declared], AS_OF)
    assert datasets[1].personal_data == img.personal_data
    assert of_rule(run(["builtin:baseline"], datasets), "unencrypted-personal-data")
    # a dataset read in full is not the attestation's to change
    assert "personal_data" not in datasets[0].fact_basis


def test_a_collection_error_with_its_own_fix_gives_that_fix_as_the_remediation():
    """include: ['mian.*'] (a typo) matched nothing: the evidence said 'check the table names and globs',
    the finding's remediation (the report's fix column) said 'grant the read permission'."""
    from auditor.models import CollectionError, SourceResult

    err = CollectionError(source="crm-db", reason="empty selection: table pattern 'mian.*' matched nothing",
                          fix="check the table names and globs of this source")
    src = SourceResult(id="crm-db", kind="sql", vendor="acme", status="ok")
    [na] = of_rule(run(["builtin:baseline"], [], errors=[err], sources=[src]), "not-assessed")
    assert na.remediation == "check the table names and globs of this source", na.remediation
    # without one, the rule's own remediation stands
    err = err.model_copy(update={"fix": None})
    [na] = of_rule(run(["builtin:baseline"], [], errors=[err], sources=[src]), "not-assessed")
    assert na.remediation.startswith("Take the way out the evidence names")


def _lob_table():
    """A PostgreSQL table holding large-object references (oid, Hibernate's @Lob): read by the auditor's
    SELECT, the column named unsampled since bb1986a (likewise JSON past the sample's key paths, 4fdd77e)."""
    return table("crm.documents", classified=False, personal_data=(),
                 facts={"unsampled": {"scan": "large object references (oid): the contents live in pg_largeobject, "
                                              "not in this table, and are not sampled"}})


def test_columns_the_auditor_does_not_sample_name_a_way_out_that_resolves_them():
    """The fix said 'Grant SELECT on the tables named': the auditor had read the table with that SELECT,
    so a table with an oid, bytea, geometry or wide JSON column was not assessed (exit 3) every night and
    only a waiver silenced it. The fix now names the attestation, which resolves it."""
    [na] = of_rule(run(["builtin:baseline"], [_lob_table()]), "not-assessed")
    assert na.evidence["unknown"] == ["personal_data"]
    assert "Grant SELECT" not in na.remediation, na.remediation
    assert "fact: personal_data" in na.remediation and "value: none" in na.remediation, na.remediation
    declared = AttestationConfig(match={"source": "crm-db", "dataset": "crm.documents"}, fact="personal_data",
                                 value="none", evidence="vendor letter: scanned invoices only", by="risk@example.com",
                                 until=date(2026, 12, 31), line=50)
    datasets, [use] = apply_attestations([_lob_table()], [declared], AS_OF)
    assert use.datasets == ("crm-db:crm.documents",)
    assert of_rule(run(["builtin:baseline"], datasets), "not-assessed") == []


def test_declaring_no_personal_data_does_not_cover_reads_that_were_refused():
    """personal_data: none is for what the auditor read and could not parse; where the store refused
    the reads (a revoked grant, a KMS key the audit may not use) the way out is the grant: the
    attestation would silence a missing permission, so it is not applied and the unknown stays."""
    from policy_helpers import prefix

    refused = prefix("b/exports/", "b", public=False, classified=False, personal_data=(), has_retention=False,
                     encryption_at_rest="none", denied=("s3:GetObject: AccessDenied",),
                     facts={"unsampled": {"exports/customers.csv": "s3:GetObject: AccessDenied"}})
    declared = AttestationConfig(match={"source": "exports"}, fact="personal_data", value="none",
                                 evidence="letter", by="risk@example.com", until=date(2026, 12, 31))
    datasets, [use] = apply_attestations([refused], [declared], AS_OF)
    assert use.datasets == () and "personal_data" not in datasets[0].fact_basis
    [na] = of_rule(run(["builtin:baseline"], datasets), "not-assessed")
    assert "s3:GetObject" in na.remediation, na.remediation
    # a refusal of another fact's call (the bucket's ACL) does not stand in the way
    acl_only = refused.model_copy(update={"denied": ("s3:GetBucketAcl: AccessDenied",),
                                          "facts": {"unsampled": {"images/a.jpg": "binary object skipped"}}})
    datasets, [use] = apply_attestations([acl_only], [declared], AS_OF)
    assert use.datasets == ("exports:b/exports/",)
