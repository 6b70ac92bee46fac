"""One run against s3rver (npm), an S3-compatible store without most bucket APIs.

It answers NotImplemented to encryption, public access block, policy status, lifecycle,
tagging and more: those facts must come out unknown (never "none" / "private") with each
refused call recorded, while listing and sampling still work.

Installs s3rver into a temporary folder; skips when npm is absent or the install fails,
except under CI=true where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from auditor.emulators import free_port

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
KEYS = {"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER"}


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: s3rver must run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def s3rver_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    npm = shutil.which("npm")
    if not npm:
        _unavailable("npm is not installed")
    root = tmp_path_factory.mktemp("s3rver")
    try:
        subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(root), "s3rver@3"],
                       check=True, capture_output=True, timeout=240)
    except (subprocess.SubprocessError, OSError) as exc:
        _unavailable(f"npm install s3rver failed: {type(exc).__name__}")
    port = free_port()
    data = root / "data"
    data.mkdir()
    env = {**os.environ, "NODE_OPTIONS": "--openssl-legacy-provider"}
    proc = subprocess.Popen([str(Path(root) / "node_modules" / ".bin" / "s3rver"), "-d", str(data), "-a", "127.0.0.1",
                             "-p", str(port), "--silent", "--no-vhost-buckets"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from auditor.emulators import _wait_listening

        _wait_listening(port, timeout=20)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_s3rver_facts_unknown_not_none(s3rver_url, monkeypatch, collect_s3):
    for k, v in KEYS.items():
        monkeypatch.setenv(k, v)
    admin = boto3.client("s3", endpoint_url=s3rver_url, region_name="us-east-1")
    admin.create_bucket(Bucket="compat-bucket")
    admin.put_object(Bucket="compat-bucket", Key="exports/people.csv", Body=b"email\nann@example.com\n")
    for i in range(3):
        admin.put_object(Bucket="compat-bucket", Key=f"exports/more-{i}.txt", Body=b"x")
    deadline = time.monotonic() + 5
    while admin.list_objects_v2(Bucket="compat-bucket").get("KeyCount", 0) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)

    got = collect_s3("compat-bucket", endpoint_url=s3rver_url)
    d = got.ds("compat-bucket")
    assert d.encryption_at_rest == "unknown", "NotImplemented must never read as 'none'"
    assert any(x.startswith("s3:GetEncryptionConfiguration: ") for x in d.denied)
    assert "s3:GetEncryptionConfiguration: NotImplemented" in d.denied
    assert d.public is None, "refused ACL / policy-status calls must not read as private"
    assert "s3:GetBucketAcl: NotImplemented" in d.denied
    assert d.has_retention is None and "s3:GetLifecycleConfiguration: NotImplemented" in d.denied
    assert d.object_lock is None and d.encryption_in_transit == "unknown"
    assert d.records == 4
    assert got.sample("compat-bucket/exports/").fields.get("email") == ["ann@example.com"]
