"""One run against s3rver (npm), an S3-compatible store without most bucket APIs.

It answers NotImplemented to encryption, public access block, policy status, lifecycle,
tagging and more: those facts must come out unknown (never "none" / "private") with each
refused call recorded, while listing and sampling still work.

s3rver comes from the pinned install that ``.ci/run`` makes from ``.ci/s3rver/package-lock.json``
(``AUDITOR_S3RVER_DIR``, or the same cache folder it defaults to); nothing is fetched while the
test runs. Elsewhere, when that folder is missing, the fixture makes the same install once before
the test (skipping when npm is absent or the install fails); under CI=true a missing install is a
failure: .ci/run must have made it.
"""

from __future__ import annotations

import hashlib
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
PINNED = Path(__file__).resolve().parents[3] / ".ci" / "s3rver"


def s3rver_dir() -> Path:
    """Where .ci/run installs s3rver: AUDITOR_S3RVER_DIR, else a cache folder named by the lock's hash."""
    if os.environ.get("AUDITOR_S3RVER_DIR"):
        return Path(os.environ["AUDITOR_S3RVER_DIR"])
    key = hashlib.sha256((PINNED / "package-lock.json").read_bytes()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "auditor-ci" / f"s3rver-{key}"


def install_pinned(target: Path) -> None:
    """``npm ci`` of the committed lock into ``target`` (what .ci/run does), once."""
    npm = shutil.which("npm")
    if not npm:
        _unavailable("npm is not installed")
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(PINNED / name, tmp / name)
    try:
        subprocess.run([npm, "ci", "--silent", "--no-audit", "--no-fund"], cwd=tmp, check=True,
                       capture_output=True, timeout=240)
    except (subprocess.SubprocessError, OSError) as exc:
        _unavailable(f"npm ci of s3rver failed: {type(exc).__name__}")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: s3rver must run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def s3rver_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    installed = s3rver_dir()
    binary = installed / "node_modules" / ".bin" / "s3rver"
    if not binary.exists():
        if IN_CI:
            pytest.fail(f"s3rver is not installed at {installed} (CI=true: .ci/run installs it before the tests)")
        install_pinned(installed)
    root = tmp_path_factory.mktemp("s3rver")
    port = free_port()
    data = root / "data"
    data.mkdir()
    env = {**os.environ, "NODE_OPTIONS": "--openssl-legacy-provider"}
    proc = subprocess.Popen([str(binary), "-d", str(data), "-a", "127.0.0.1",
                             "-p", str(port), "--silent", "--no-vhost-buckets"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from auditor.emulators import _wait_listening

        _wait_listening(port, timeout=20)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.real_clock  # s3rver (node) refuses requests signed more than 15 minutes off its clock
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
    assert d.objects == 4
    assert got.sample("compat-bucket/exports/").fields.get("email") == ["ann@example.com"]
