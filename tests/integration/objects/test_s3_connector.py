"""The S3 connector against moto's server over HTTP: facts set and unset, prefix tree, pagination."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import freezegun
import pytest

from auditor.errors import ConnectorError
from connectors.s3 import Connector
from connectors.s3.facts import CALLS

KMS_ARN = "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-aaaa-bbbb-cccc-000000000001"


def _policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_every_fact_set(s3_admin, collect_s3):
    b = "facts-all-set"
    s3_admin.create_bucket(Bucket=b, ObjectLockEnabledForBucket=True)
    s3_admin.create_bucket(Bucket="facts-log-target")
    s3_admin.put_bucket_acl(Bucket="facts-log-target", ACL="log-delivery-write")
    s3_admin.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KMS_ARN}}]})
    s3_admin.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3_admin.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    s3_admin.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "all", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 400}},
        {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7}},
    ]})
    s3_admin.put_bucket_logging(Bucket=b, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "facts-log-target", "TargetPrefix": "logs/"}})
    s3_admin.put_bucket_tagging(Bucket=b, Tagging={"TagSet": [{"Key": "owner", "Value": "acme"}]})
    s3_admin.put_object(Bucket=b, Key="tmp/a.txt", Body=b"hello")
    s3_admin.put_object(Bucket=b, Key="keep/b.txt", Body=b"hello")
    # Applied last: moto enforces it on object calls, so plain-HTTP GETs are refused from here on.
    s3_admin.put_bucket_policy(Bucket=b, Policy=_policy({
        "Sid": "TLSOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}))

    got = collect_s3(b)
    d = got.ds(b)
    assert d.kind == "bucket" and d.uri == f"s3://{b}" and d.region == "us-east-1"
    assert d.created is not None
    assert d.encryption_at_rest == "customer_key"
    assert d.public is False and d.public_reasons == ()
    assert d.encryption_in_transit == "enforced"
    assert d.versioning is True
    assert d.object_lock is True
    assert d.has_retention is True and d.retention_days == 400
    assert d.logging is True
    assert d.tags == {"owner": "acme"}
    assert d.denied == ()
    tmp = got.ds(f"{b}/tmp/")
    assert tmp.retention_days == 7 and tmp.has_retention is True
    assert got.ds(f"{b}/keep/").retention_days == 400
    # prefix datasets carry the bucket's security facts
    assert tmp.encryption_at_rest == "customer_key" and tmp.public is False and tmp.encryption_in_transit == "enforced"
    # the TLS-only policy refuses the plain-HTTP GET: content unknown, refusal recorded, never "empty"
    assert got.sample(f"{b}/tmp/") is None
    assert "s3:GetObject: AccessDenied" in tmp.denied
    assert any("tmp/a.txt" in n for n in tmp.notes)


def test_every_fact_unset(s3_admin, collect_s3):
    b = "facts-all-unset"
    s3_admin.create_bucket(Bucket=b)
    s3_admin.put_object(Bucket=b, Key="x.txt", Body=b"plain words")
    d = collect_s3(b).ds(b)
    assert d.encryption_at_rest == "none"
    # no ownership controls and no public access block: object ACLs are enabled (their own finding);
    # the sampled object is private, so the bucket is public only if its own settings say so
    assert d.public is False and d.public_reasons == ()
    assert d.facts["object_ownership"] == "not set"
    assert d.facts["object_acls"]["enabled"] is True and d.facts["object_acls"]["public"] == 0
    assert d.encryption_in_transit == "optional"
    assert d.versioning is False and d.object_lock is False and d.logging is False
    assert d.has_retention is False and d.retention_days is None
    assert d.tags == {}
    assert d.denied == ()
    assert d.objects == 1 and d.bytes == len(b"plain words")


@pytest.mark.parametrize("sse,expected", [
    ({"SSEAlgorithm": "AES256"}, "provider"),
    ({"SSEAlgorithm": "aws:kms"}, "provider"),
    ({"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/aws/s3"}, "provider"),
    ({"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KMS_ARN}, "customer_key"),
])
def test_encryption_kinds(s3_admin, collect_s3, sse, expected):
    b = f"enc-{expected.replace('_', '-')}-{len(sse)}-{len(sse.get('KMSMasterKeyID', ''))}"
    s3_admin.create_bucket(Bucket=b)
    s3_admin.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": sse}]})
    assert collect_s3(b).ds(b).encryption_at_rest == expected


def test_public_acl_and_policy(s3_admin, collect_s3):
    s3_admin.create_bucket(Bucket="public-by-acl")
    s3_admin.put_bucket_acl(Bucket="public-by-acl", ACL="public-read")
    s3_admin.create_bucket(Bucket="public-by-policy")
    s3_admin.put_bucket_policy(Bucket="public-by-policy", Policy=_policy({
        "Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::public-by-policy/*"}))
    s3_admin.create_bucket(Bucket="public-acl-blocked")
    s3_admin.put_bucket_acl(Bucket="public-acl-blocked", ACL="public-read")
    s3_admin.put_public_access_block(Bucket="public-acl-blocked", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    got = collect_s3("public-*")
    acl = got.ds("public-by-acl")
    assert acl.public is True and "acl: AllUsers READ" in acl.public_reasons
    pol = got.ds("public-by-policy")
    assert pol.public is True
    assert "policy status: IsPublic" in pol.public_reasons
    assert any("Everyone" in r and "Principal *" in r for r in pol.public_reasons)
    assert pol.encryption_in_transit == "optional"
    blocked = got.ds("public-acl-blocked")
    assert blocked.public is False and blocked.facts["public_access_block"]["IgnorePublicAcls"] is True


def test_fresh_bucket_with_stale_legacy_prefix(s3_admin, collect_s3):
    b = "vendor-fresh-stale"
    with freezegun.freeze_time("2018-01-15"):
        s3_admin.create_bucket(Bucket=b)
    with freezegun.freeze_time("2019-02-01T10:00:00Z"):
        s3_admin.put_object(Bucket=b, Key="legacy/redmart-2019/orders/2019-01.jsonl", Body=b'{"id": 1}\n')
    with freezegun.freeze_time("2019-03-01T10:00:00Z"):
        s3_admin.put_object(Bucket=b, Key="legacy/redmart-2019/customers.csv", Body=b"id\n1\n")
    s3_admin.put_object(Bucket=b, Key="exports/2026/daily.csv", Body=b"id\n2\n")
    got = collect_s3(b)
    bucket, legacy = got.ds(b), got.ds(f"{b}/legacy/")
    stale, orders = got.ds(f"{b}/legacy/redmart-2019/"), got.ds(f"{b}/legacy/redmart-2019/orders/")
    assert bucket.created == datetime(2018, 1, 15, tzinfo=UTC)
    assert bucket.objects == 3 and bucket.last_modified.year >= 2026
    assert bucket.oldest_modified == datetime(2019, 2, 1, 10, tzinfo=UTC)
    assert bucket.last_modified_basis == "newest object LastModified"
    for d in (legacy, stale):
        assert d.last_modified == datetime(2019, 3, 1, 10, tzinfo=UTC)
        assert d.oldest_modified == datetime(2019, 2, 1, 10, tzinfo=UTC)
        assert d.objects == 2 and d.records is None  # rows: judged by the policies from the samples
    assert orders.last_modified == orders.oldest_modified == datetime(2019, 2, 1, 10, tzinfo=UTC)
    assert (legacy.parent, stale.parent, orders.parent) == (b, f"{b}/legacy/", f"{b}/legacy/redmart-2019/")
    assert stale.kind == "prefix" and stale.uri == f"s3://{b}/legacy/redmart-2019/"
    assert got.ds(f"{b}/exports/2026/").last_modified.year >= 2026


def test_pagination_and_depth_bound(s3_admin, collect_s3):
    """1,234 objects (more than one 1,000-key page), keys deeper than depth 2."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    b = "many-objects"
    s3_admin.create_bucket(Bucket=b)
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["global"]
    for i in range(1234):
        backend.put_object(b, f"p{i % 3}/q{i % 2}/r/s/obj-{i:05d}.bin", b"x" * 10)
    got = collect_s3(b, depth=2, sample_objects=0)
    assert got.ds(b).objects == 1234 and got.ds(b).bytes == 12340
    assert sum(got.ds(f"{b}/p{k}/").objects for k in range(3)) == 1234
    assert got.ds(f"{b}/p0/q0/").objects == len([i for i in range(1234) if i % 3 == 0 and i % 2 == 0])
    assert max(name.count("/") for name in got.obs) == 3, "bucket/p/q/ is the deepest node at depth 2"
    assert got.sample(b) is None  # sampling off: nothing read, so nothing claimed


def test_only_selected_buckets(s3_admin, collect_s3):
    s3_admin.create_bucket(Bucket="select-me-1")
    s3_admin.create_bucket(Bucket="select-me-2")
    s3_admin.create_bucket(Bucket="select-not")
    got = collect_s3("select-me-*", exclude=["*-2"])
    assert {d.dataset.name for d in got.obs.values()} == {"select-me-1"}


def test_unreachable_endpoint_raises_connector_error(collect_s3):
    from auditor.emulators import free_port

    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ConnectorError) as err:
        collect_s3(endpoint_url=url, max_attempts=1, connect_timeout=1, read_timeout=1)
    assert "127.0.0.1" in str(err.value) and "testing" not in str(err.value)


def test_permissions_cover_every_call():
    policy = Connector.permissions()
    actions = {a for st in policy["Statement"] for a in st["Action"]}
    # kms:Decrypt: reading an SSE-KMS object under a customer-managed key, only through S3 (kms:ViaService)
    assert actions == set(CALLS.values()) | {"kms:Decrypt"}
    assert all(a.startswith(("s3:Get", "s3:List")) for a in actions - {"kms:Decrypt"})
    [kms] = [st for st in policy["Statement"] if "kms:Decrypt" in st["Action"]]
    assert kms["Action"] == ["kms:Decrypt"] and kms["Condition"]["StringLike"]["kms:ViaService"] == "s3.*.amazonaws.com"
