"""Object-store faults through `auditor scan`: each ends as not-assessed on the right source or
dataset, exit 3, and the healthy source beside it is still assessed and reported.

Faults are injected by a local HTTP proxy in front of the real moto / GCS emulator
(:class:`fault_helpers.FaultProxy`), by a port nobody listens on, and by a socket that
accepts and never answers.
"""
# ruff: noqa: F811 - fixtures imported from fault_servers are redefined as test arguments

from __future__ import annotations

import json
import time

import pytest
from fault_helpers import (
    FaultProxy,
    assert_incomplete,
    free_port,
    gcs_error,
    gcs_source,
    s3_error,
    s3_source,
    scan,
    silent_endpoint,
    write_config,
)
from fault_servers import (  # noqa: F401 - fixtures
    HEALTHY_CSV,
    aws_env,
    gcs_admin,
    gcs_url,
    healthy_bucket,
    make_bucket,
    s3_admin,
    s3_url,
)

FAST = {"connect_timeout": 1, "read_timeout": 1, "max_attempts": 2}


def test_endpoint_down_is_source_not_assessed(tmp_path, s3_url, healthy_bucket):
    dead = f"http://127.0.0.1:{free_port()}"
    cfg = write_config(tmp_path, [s3_source("good", s3_url, healthy_bucket), s3_source("down", dead, "x", **FAST)])
    s = scan(cfg)
    assert_incomplete(s, "down", "good", healthy_bucket)
    src = s.source("down")
    assert src["status"] == "error" and "cannot reach" in src["error"] and "127.0.0.1" in src["error"], src
    assert [f["dataset"] for f in s.not_assessed("down")] == ["down"]
    assert "NOT ASSESSED source down" in s.output


def test_endpoint_that_never_answers_is_bounded_by_timeouts(tmp_path, s3_url, healthy_bucket):
    with silent_endpoint() as hostport:
        cfg = write_config(tmp_path, [s3_source("good", s3_url, healthy_bucket),
                                      s3_source("mute", f"http://{hostport}", "x", **FAST)])
        started = time.monotonic()
        s = scan(cfg)
        elapsed = time.monotonic() - started
    assert_incomplete(s, "mute", "good", healthy_bucket)
    assert s.source("mute")["status"] == "error" and "ReadTimeout" in s.source("mute")["error"], s.source("mute")
    assert elapsed < 20, f"a silent endpoint held the run for {elapsed:.1f}s"


def test_throttled_listing_is_retried_then_not_assessed(tmp_path, s3_url, s3_admin, healthy_bucket):
    make_bucket(s3_admin, "throttled-b", {"a/data.csv": HEALTHY_CSV.encode()})
    make_bucket(s3_admin, "calm-b", {"a/data.csv": HEALTHY_CSV.encode()})
    proxy = FaultProxy(s3_url, lambda m, p, q: s3_error(503, "SlowDown", "Please reduce your request rate.")
                       if p == "/throttled-b" and "list-type=2" in q else None)
    with proxy.running() as url:
        cfg = write_config(tmp_path, [s3_source("good", s3_url, healthy_bucket),
                                      s3_source("slow", url, "throttled-b", "calm-b", max_attempts=3)])
        s = scan(cfg)
    assert_incomplete(s, "slow", "good", healthy_bucket)
    # max_attempts counts every call, the first included
    assert len(proxy.calls(r"GET /throttled-b\?.*list-type=2")) == 3, "SlowDown must be retried, then given up"
    ds = s.dataset("slow", "throttled-b")
    assert ds["status"] == "error" and ds["error"] == "s3:ListBucket: SlowDown", ds
    assert {f["dataset"] for f in s.not_assessed("slow")} == {"throttled-b"}
    assert "email" in s.personal("slow", "calm-b/a/"), "the other bucket of the throttled source is lost"


def test_access_denied_on_chosen_bucket_calls(tmp_path, s3_url, s3_admin, healthy_bucket):
    make_bucket(s3_admin, "denied-b", {"a/data.csv": HEALTHY_CSV.encode()})
    # a policy exists (not public), so its status is read too (without one there is no status to read)
    s3_admin.put_bucket_policy(Bucket="denied-b", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::denied-b/*"}]}))
    denied = ("acl", "policyStatus", "publicAccessBlock")  # with the block readable, ACLs would not matter
    proxy = FaultProxy(s3_url, lambda m, p, q: s3_error(403, "AccessDenied", "Access Denied")
                       if p == "/denied-b" and q.split("=")[0] in denied else None)
    with proxy.running() as url:
        cfg = write_config(tmp_path, [s3_source("good", s3_url, healthy_bucket),
                                      s3_source("locked", url, "denied-b", max_attempts=1)])
        s = scan(cfg)
    assert_incomplete(s, "locked", "good", healthy_bucket)
    ds = s.dataset("locked", "denied-b")
    assert ds["public"] is None, "a refused ACL read must leave public unknown, never false"
    assert {"s3:GetBucketAcl: AccessDenied", "s3:GetBucketPolicyStatus: AccessDenied",
            "s3:GetBucketPublicAccessBlock: AccessDenied"} <= set(ds.get("denied", [])), ds
    rules = {r for f in s.na_on("locked", "denied-b") for r in f["evidence"].get("rules", [])}
    assert "public-exposure" in rules, s.not_assessed("locked")
    assert not [f for f in s.doc["findings"] if f["rule"] == "public-exposure" and f["source"] == "locked"]


def test_not_implemented_bucket_apis_are_unknown(tmp_path, s3_url, s3_admin, healthy_bucket):
    make_bucket(s3_admin, "compat-b", {"a/data.csv": HEALTHY_CSV.encode()})
    missing = ("encryption", "publicAccessBlock", "lifecycle", "policyStatus", "acl")
    proxy = FaultProxy(s3_url, lambda m, p, q: s3_error(501, "NotImplemented", "not implemented")
                       if p == "/compat-b" and q.split("=")[0] in missing else None)
    with proxy.running() as url:
        cfg = write_config(tmp_path, [s3_source("good", s3_url, healthy_bucket),
                                      s3_source("compat", url, "compat-b", max_attempts=1)])
        s = scan(cfg)
    assert_incomplete(s, "compat", "good", healthy_bucket)
    ds = s.dataset("compat", "compat-b")
    assert ds["encryption_at_rest"] == "unknown" and ds["public"] is None and ds["retention_days"] is None, ds
    assert "s3:GetEncryptionConfiguration: NotImplemented" in ds.get("denied", []), ds
    rules = {r for f in s.na_on("compat", "compat-b") for r in f["evidence"].get("rules", [])}
    assert {"unencrypted-personal-data", "public-exposure"} <= rules, rules
    assert not [f for f in s.doc["findings"] if f["rule"] == "unencrypted-personal-data" and f["source"] == "compat"]


@pytest.fixture(scope="module")
def gcs_buckets(gcs_admin):
    for name in ("gcs-iam-denied", "gcs-list-broken"):
        b = gcs_admin.create_bucket(name)
        b.blob("a/data.csv").upload_from_string(HEALTHY_CSV)
    return "gcs-iam-denied", "gcs-list-broken"


def test_gcs_errors_403_and_500(tmp_path, s3_url, gcs_url, gcs_buckets, healthy_bucket):
    iam_b, list_b = gcs_buckets

    def rule(method, path, query):
        if path == f"/storage/v1/b/{iam_b}/iam":
            return gcs_error(403, "caller does not have storage.buckets.getIamPolicy")
        if path == f"/storage/v1/b/{list_b}/o":
            return gcs_error(500, "backend error")
        return None

    proxy = FaultProxy(gcs_url, rule)
    with proxy.running() as url:
        cfg = write_config(tmp_path, [s3_source("good", s3_url, healthy_bucket),
                                      gcs_source("gcs", url, iam_b, list_b, retry_timeout=1.5)])
        started = time.monotonic()
        s = scan(cfg)
        elapsed = time.monotonic() - started
    assert_incomplete(s, "gcs", "good", healthy_bucket)
    assert len(proxy.calls(f"GET /storage/v1/b/{list_b}/o")) >= 2, "a 500 is retried"
    assert elapsed < 30
    denied = s.dataset("gcs", iam_b)
    assert denied["status"] == "assessed" and denied["public"] is None, denied
    assert any(d.startswith("storage.buckets.getIamPolicy: Forbidden") for d in denied["denied"]), denied
    assert "email" in s.personal("gcs", f"{iam_b}/a/"), "the readable content is still classified"
    assert "public-exposure" in {r for f in s.na_on("gcs", iam_b) for r in f["evidence"].get("rules", [])}
    broken = s.dataset("gcs", list_b)
    # the cause, not just "RetryError": the reader must know it was the server, not a permission
    assert broken["status"] == "error" and "InternalServerError" in broken["error"], broken
    assert s.na_on("gcs", list_b)
