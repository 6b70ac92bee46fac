"""The account-level S3 public access block, read through S3 Control on moto's server.

The account id comes from STS; on a custom endpoint botocore puts it into the host name
(``123456789012.127.0.0.1``), which the connector's ``before-sign`` hook puts back. The
account block is set and removed inside each test (moto keeps it for the whole process).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import boto3
import pytest

from connectors.s3 import Connector
from tests.faults.fault_helpers import FaultProxy, s3_error

DUMMY_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
ACCOUNT = "123456789012"


@pytest.fixture
def control(s3_url: str) -> Iterator[object]:
    client = boto3.client("s3control", endpoint_url=s3_url, region_name="us-east-1", **DUMMY_KEYS)
    host = urlsplit(s3_url).netloc

    def endpoint_host(request, **_):
        request.url = urlunsplit(urlsplit(request.url)._replace(netloc=host))

    client.meta.events.register("before-sign.s3-control.*", endpoint_host)
    yield client
    try:
        client.delete_public_access_block(AccountId=ACCOUNT)
    except client.exceptions.ClientError:
        pass


@pytest.fixture(scope="module")
def public_bucket(s3_admin) -> str:
    name = "acct-block-public-acl"
    s3_admin.create_bucket(Bucket=name)
    s3_admin.put_bucket_acl(Bucket=name, ACL="public-read")
    s3_admin.put_object(Bucket=name, Key="data/people.csv", Body=b"email\nx@example.com\n", ACL="private")
    return name


def test_no_account_block_reads_not_set(public_bucket, control, collect_s3):
    d = collect_s3(public_bucket).ds(public_bucket)
    assert d.facts["account_public_access_block"] == "not set"
    assert d.public is True  # the bucket ACL grants AllUsers and nothing blocks it


def test_an_account_block_is_read_and_applies_to_every_bucket(public_bucket, control, collect_s3):
    control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})
    got = collect_s3(public_bucket)
    d = got.ds(public_bucket)
    assert d.facts["account_public_access_block"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": True}
    assert d.public is False and d.public_reasons == ()
    assert not any("GetAccountPublicAccessBlock" in x for x in d.denied)


@pytest.mark.parametrize(("status", "code"), [(403, "AccessDenied"), (501, "NotImplemented")])
def test_a_refused_account_read_is_unknown_with_its_reason(public_bucket, control, s3_url, collect_s3, status, code):
    """In front of moto, a proxy refuses only the S3 Control call (moto does not authorise it)."""
    proxy = FaultProxy(s3_url, rule=lambda method, path, query: (
        s3_error(status, code) if path.endswith("/configuration/publicAccessBlock") else None))
    with proxy.running() as url:
        d = collect_s3(public_bucket, endpoint_url=url).ds(public_bucket)
    assert proxy.calls(r"GET /v20180820/configuration/publicAccessBlock")  # it was asked, at the endpoint's host
    assert d.facts["account_public_access_block"] == f"unknown (s3:GetAccountPublicAccessBlock: {code})"
    assert d.public is True  # an unread account block never makes a bucket private


def test_the_least_privilege_policy_allows_the_account_read():
    statements = {st["Sid"]: st for st in Connector.permissions()["Statement"]}
    assert "s3:GetAccountPublicAccessBlock" in statements["AuditorListBuckets"]["Action"]
    assert statements["AuditorListBuckets"]["Resource"] == "*"
