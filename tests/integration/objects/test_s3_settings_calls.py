"""A bucket's settings are read with no request whose answer another one already gives: no
GetBucketPolicyStatus when GetBucketPolicy says there is no policy (the status of no policy is
"not public"), no GetBucketAcl when object ownership or a public access block (the bucket's or the
account's) makes ACLs not apply. The facts are the same as when every call was made; a call
that is still needed is still made and its answer still counts."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import botocore.client
import pytest


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[tuple[str, str]]]:
    """(operation, bucket) of every request the code under test sends."""
    seen: Counter[tuple[str, str]] = Counter()
    send = botocore.client.BaseClient._make_api_call

    def counted(self: Any, operation: str, params: dict[str, Any]) -> Any:
        seen[operation, params.get("Bucket", "")] += 1
        return send(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counted)
    yield seen


def _partner_policy(bucket: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]})


def test_no_policy_status_request_without_a_policy(s3_admin, collect_s3, calls):
    s3_admin.create_bucket(Bucket="calls-no-policy")
    s3_admin.put_object(Bucket="calls-no-policy", Key="a/x.txt", Body=b"plain words")
    got = collect_s3("calls-no-policy", sample_objects=0)
    d = got.ds("calls-no-policy")
    assert calls["GetBucketPolicy", "calls-no-policy"] == 1
    assert calls["GetBucketPolicyStatus", "calls-no-policy"] == 0
    assert d.public is False and d.public_reasons == () and d.denied == ()
    assert d.encryption_in_transit == "optional"


def test_policy_status_read_when_a_policy_exists(s3_admin, collect_s3, calls):
    b = "calls-with-policy"
    s3_admin.create_bucket(Bucket=b)
    s3_admin.put_bucket_policy(Bucket=b, Policy=_partner_policy(b))
    s3_admin.put_object(Bucket=b, Key="a/x.txt", Body=b"plain words")
    d = collect_s3(b, sample_objects=0).ds(b)
    assert calls["GetBucketPolicy", b] == 1 and calls["GetBucketPolicyStatus", b] == 1
    assert d.public is False and d.denied == ()


def test_public_policy_still_found(s3_admin, collect_s3, calls):
    b = "calls-public-policy"
    s3_admin.create_bucket(Bucket=b)
    s3_admin.put_bucket_policy(Bucket=b, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{b}/*"}]}))
    d = collect_s3(b, sample_objects=0).ds(b)
    assert calls["GetBucketPolicyStatus", b] == 1
    assert d.public is True
    assert "policy status: IsPublic" in d.public_reasons
    assert any(r.startswith("policy: statement Open") for r in d.public_reasons), d.public_reasons


@pytest.mark.parametrize("setup", ["enforced", "ignored"])
def test_no_bucket_acl_request_when_acls_do_not_apply(s3_admin, collect_s3, calls, setup):
    b = f"calls-acl-{setup}"
    s3_admin.create_bucket(Bucket=b)
    s3_admin.put_bucket_acl(Bucket=b, ACL="public-read")  # would be public if ACLs applied
    if setup == "enforced":
        s3_admin.put_bucket_ownership_controls(Bucket=b, OwnershipControls={
            "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    else:
        s3_admin.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={
            "BlockPublicAcls": False, "IgnorePublicAcls": True, "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False})
    d = collect_s3(b, sample_objects=0).ds(b)
    assert calls["GetBucketAcl", b] == 0
    assert d.public is False and d.public_reasons == () and d.denied == ()
    assert d.facts["object_acls_apply"] is False


def test_bucket_acl_read_when_acls_apply(s3_admin, collect_s3, calls):
    b = "calls-acl-applies"
    s3_admin.create_bucket(Bucket=b)
    s3_admin.put_bucket_ownership_controls(Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3_admin.put_bucket_acl(Bucket=b, ACL="public-read")
    d = collect_s3(b, sample_objects=0).ds(b)
    assert calls["GetBucketAcl", b] == 1
    assert d.public is True and "acl: AllUsers READ" in d.public_reasons


def test_refused_policy_and_status_are_both_listed_status_first():
    """A refused policy read says nothing about the status: both are read, and a refusal of each is
    listed in the order the calls were listed in before (status, then policy)."""
    from botocore.exceptions import ClientError

    from connectors.s3.facts import Reader, read_bucket

    class Client:
        def __getattr__(self, op: str) -> Any:
            def call(**_: Any) -> dict[str, Any]:
                if op in ("get_bucket_policy", "get_bucket_policy_status"):
                    raise ClientError({"Error": {"Code": "AccessDenied"}}, op)
                return {}
            return call

    reader = Reader(Client(), "b")
    fields, _, _ = read_bucket(reader)
    assert reader.denied == ["s3:GetBucketPolicyStatus: AccessDenied", "s3:GetBucketPolicy: AccessDenied"]
    assert fields["public"] is None and fields["encryption_in_transit"] == "unknown"
