"""Every unknown has a way out that is not a waiver, and taking it resolves the unknown."""

from __future__ import annotations

from datetime import date

from policy_helpers import AS_OF, bucket, of_rule, run

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
