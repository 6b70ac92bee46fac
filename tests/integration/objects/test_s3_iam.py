"""Refused calls against moto with IAM enforcement on: unknown, never "private".

moto enforces bucket policies on object calls only; for a real AccessDenied on
GetBucketAcl / GetBucketPolicyStatus / ListBucket we turn on its IAM enforcement
(``INITIAL_NO_AUTH_ACTION_COUNT = 0``) and give the auditor an IAM user's keys.
The setting is restored afterwards so the other tests keep their dummy keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import settings as moto_settings

from auditor.errors import ConnectorError
from connectors.s3 import Connector

DUMMY_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _user_keys(iam, name: str, policy: dict) -> dict[str, str]:
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


@pytest.fixture(scope="module")
def estate(s3_url: str, s3_admin) -> dict[str, dict[str, str]]:
    """Seeded while auth is off: three buckets and two users."""
    for b in ("iam-acl-denied", "iam-status-denied", "iam-no-list", "iam-open"):
        s3_admin.create_bucket(Bucket=b)
        s3_admin.put_object(Bucket=b, Key="data/people.csv", Body=b"email\nx@example.com\n")
    for b in ("iam-open", "iam-status-denied"):  # ACLs disabled: bucket-level evidence decides "private"
        s3_admin.put_bucket_ownership_controls(Bucket=b, OwnershipControls={
            "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    # ACLs enabled and versioned: the auditor needs GetObjectAcl and ListBucketVersions too
    s3_admin.create_bucket(Bucket="iam-versioned")
    s3_admin.put_bucket_versioning(Bucket="iam-versioned", VersioningConfiguration={"Status": "Enabled"})
    s3_admin.put_object(Bucket="iam-versioned", Key="data/people.csv", Body=b"email\nx@example.com\n")
    s3_admin.put_object(Bucket="iam-versioned", Key="data/people.csv", Body=b"email\ny@example.com\n")
    # a policy exists, so the policy status alone could tell whether it makes the bucket public
    s3_admin.put_bucket_policy(Bucket="iam-status-denied", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::iam-status-denied/*"}]}))
    iam = boto3.client("iam", endpoint_url=s3_url, region_name="us-east-1", **DUMMY_KEYS)
    restricted = _user_keys(iam, "auditor-restricted", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::iam-acl-denied"},
        {"Effect": "Deny", "Action": "s3:GetBucketPolicyStatus", "Resource": "arn:aws:s3:::iam-status-denied"},
        {"Effect": "Deny", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::iam-no-list"},
    ]})
    least = _user_keys(iam, "auditor-least-privilege", Connector.permissions())
    no_listing = _user_keys(iam, "auditor-no-listing", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
    ]})
    return {"restricted": restricted, "least": least, "no_listing": no_listing}


@pytest.fixture
def enforce_iam() -> Iterator[None]:
    before = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    try:
        yield
    finally:
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = before


def test_denied_acl_and_policy_status_give_unknown_not_private(estate, enforce_iam, monkeypatch, collect_s3):
    for k, v in estate["restricted"].items():
        monkeypatch.setenv(k, v)
    got = collect_s3("iam-*")

    acl = got.ds("iam-acl-denied")
    assert acl.public is None, "a refused ACL read must not pass as private"
    assert "s3:GetBucketAcl: AccessDenied" in acl.denied
    assert got.ds("iam-acl-denied/data/").public is None  # prefixes inherit the unknown
    assert "s3:GetBucketAcl: AccessDenied" in got.ds("iam-acl-denied/data/").denied

    status = got.ds("iam-status-denied")
    assert status.public is None
    assert "s3:GetBucketPolicyStatus: AccessDenied" in status.denied

    # with every call allowed the same bucket shape is known private
    assert got.ds("iam-open").public is False and got.ds("iam-open").denied == ()
    assert got.sample("iam-open/data/").fields == {"email": ["x@example.com"]}

    # a refused listing: a CollectionError naming the bucket, the scan goes on
    [err] = [e for e in got.errors if e.dataset == "iam-no-list"]
    assert err.kind == "bucket" and "AccessDenied" in err.reason and "s3:ListBucket" in err.fix
    no_list = got.ds("iam-no-list")
    assert no_list.status == "error" and no_list.objects is None
    assert not any(name.startswith("iam-no-list/") for name in got.obs)


def test_generated_permissions_are_enough(estate, enforce_iam, monkeypatch, collect_s3):
    for k, v in estate["least"].items():
        monkeypatch.setenv(k, v)
    got = collect_s3("iam-open", "iam-status-denied", "iam-versioned")
    for name in ("iam-open", "iam-status-denied", "iam-open/data/", "iam-versioned", "iam-versioned/data/"):
        assert got.ds(name).denied == (), name
    assert got.ds("iam-status-denied").public is False
    versioned = got.ds("iam-versioned/data/")
    assert versioned.objects == 2 and versioned.facts["noncurrent_objects"] == 1
    assert versioned.facts["object_acls"]["checked"] == 1  # GetObjectAcl allowed by the policy
    assert got.sample("iam-open/data/").fields == {"email": ["x@example.com"]}


def test_refused_credentials_raise_connector_error(estate, enforce_iam, monkeypatch, collect_s3):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    with pytest.raises(ConnectorError) as err:
        collect_s3()
    message = str(err.value)
    assert "ListBuckets refused" in message
    assert "AKIAUNKNOWNKEY" not in message and "not-a-real-secret" not in message


def test_explicit_buckets_are_audited_without_list_all_my_buckets(estate, enforce_iam, monkeypatch, collect_s3):
    for k, v in estate["no_listing"].items():
        monkeypatch.setenv(k, v)
    got = collect_s3("iam-open", "iam-*")
    # the named bucket answers HeadBucket: audited although ListBuckets is refused
    assert got.sample("iam-open/data/").fields == {"email": ["x@example.com"]}
    # the pattern cannot be expanded: said, not silently skipped
    [err] = got.errors
    assert err.dataset == "iam-*" and "s3:ListAllMyBuckets: AccessDenied" in err.reason
    assert "ListAllMyBuckets" in err.fix


def test_refused_credentials_with_explicit_names_still_raise(estate, enforce_iam, monkeypatch, collect_s3):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    with pytest.raises(ConnectorError, match="ListBuckets refused"):
        collect_s3("iam-open")
