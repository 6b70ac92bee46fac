"""Fixtures of the fault suite's object-store endpoints (import them by name into a test module).

moto's S3 server and the GCS emulator run in this process on free loopback ports; moto's
backend is global to the process, so every test names its own buckets.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from auditor.emulators import gcs_server, s3_server

HEALTHY_CSV = "id,email,city\n" + "".join(f"{i},user{i}@example.com,Singapore\n" for i in range(1, 40))


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    with s3_server() as url:
        yield url


@pytest.fixture(scope="module")
def s3_admin(s3_url: str) -> Any:
    return boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def healthy_bucket(s3_admin: Any) -> str:
    """A bucket every rule can judge: encrypted, private, with a lifecycle, holding emails."""
    name = "healthy-exports"
    s3_admin.create_bucket(Bucket=name)
    s3_admin.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3_admin.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3_admin.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
        {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 30}}]})
    s3_admin.put_object(Bucket=name, Key="customers.csv", Body=HEALTHY_CSV.encode())
    return name


@pytest.fixture(scope="module")
def gcs_url() -> Iterator[str]:
    with gcs_server() as url:
        yield url


@pytest.fixture(scope="module")
def gcs_admin(gcs_url: str) -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    return storage.Client(project="test-project", credentials=AnonymousCredentials(),
                          client_options={"api_endpoint": gcs_url})


def make_bucket(s3_admin: Any, name: str, objects: dict[str, bytes]) -> str:
    """A bucket with the same safe settings as the healthy one, holding ``objects``."""
    s3_admin.create_bucket(Bucket=name)
    s3_admin.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3_admin.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3_admin.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
        {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 30}}]})
    for key, body in objects.items():
        s3_admin.put_object(Bucket=name, Key=key, Body=body)
    return name


def gz(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as f:
        f.write(data)
    return buf.getvalue()
