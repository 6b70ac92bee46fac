"""A listing that never ends: an endpoint (a buggy S3-compatible store, a broken proxy in front of
GCS) that answers every page with "more to come" and a continuation token it already gave.

GCS's client has no guard at all: the same ``nextPageToken`` forever was listed until
``source_timeout_seconds`` (an hour by default: tens of thousands of requests against the vendor), then
the whole source was dropped as "timed out ... gives a slow source more", a fix that can never work.
botocore stops on the same token twice in a row, not on tokens that cycle (A, B, A, B, ...). Now a
repeated token ends that bucket's listing at once: the bucket is not-assessed, named as a listing
that never ends, the other buckets and sources are kept, exit 3.
"""
# ruff: noqa: F811 - fixtures imported from fault_servers are redefined as test arguments

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from fault_helpers import FaultProxy, assert_incomplete, gcs_source, s3_source, scan, write_config
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

# a source timeout far above what the test allows: the loop must be caught, not timed out
SLOW = {"source_timeout_seconds": 60}


def _na_reason(s, source: str, dataset: str) -> dict:
    [f] = [f for f in s.not_assessed(source) if f["dataset"] == dataset]
    return f["evidence"]


def test_gcs_listing_whose_page_token_repeats_is_that_bucket_not_assessed(tmp_path, s3_url, healthy_bucket,
                                                                          gcs_url, gcs_admin):
    for name in ("gcs-loop", "gcs-calm"):
        gcs_admin.create_bucket(name).blob("a/data.csv").upload_from_string(HEALTHY_CSV)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    page = json.dumps({"kind": "storage#objects", "nextPageToken": "same-token",
                       "items": [{"name": "a/data.csv", "size": str(len(HEALTHY_CSV)), "updated": stamp}]}).encode()
    proxy = FaultProxy(gcs_url, lambda m, p, q: (200, page, {"Content-Type": "application/json"})
                       if m == "GET" and p == "/storage/v1/b/gcs-loop/o" else None)
    with proxy.running() as url:
        cfg = write_config(tmp_path, [s3_source("good", s3_url, healthy_bucket),
                                      gcs_source("loop", url, "gcs-loop", "gcs-calm")], **SLOW)
        started = time.monotonic()
        s = scan(cfg)
        elapsed = time.monotonic() - started
    assert elapsed < 30, f"a looping listing held the run for {elapsed:.0f}s"
    assert_incomplete(s, "loop", "good", healthy_bucket)
    assert s.source("loop")["status"] == "ok", s.source("loop")  # one bucket, not the whole source
    ds = s.dataset("loop", "gcs-loop")
    assert ds["status"] == "error" and "never ends" in ds["error"], ds
    assert "email" in s.personal("loop", "gcs-calm/a/"), "the other bucket of the source is lost"
    evidence = _na_reason(s, "loop", "gcs-loop")
    assert "grant" not in evidence["fix"], evidence  # no permission makes a listing end
    assert len(proxy.calls(r"GET /storage/v1/b/gcs-loop/o")) < 10


def _cycling_listing(bucket: str):
    """ListObjectsV2 pages that hand out tokens A, B, A, B, ... (never the same one twice in a row)."""
    def rule(method: str, path: str, query: str):
        if method != "GET" or path != f"/{bucket}" or "list-type=2" not in query:
            return None
        nxt = "B" if "continuation-token=A" in query else "A"
        body = (f'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                f"<Name>{bucket}</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>"
                f"<IsTruncated>true</IsTruncated><NextContinuationToken>{nxt}</NextContinuationToken>"
                f"<Contents><Key>a/data.csv</Key><LastModified>{datetime.now(UTC):%Y-%m-%dT%H:%M:%S.000Z}</LastModified>"
                f"<ETag>&quot;x&quot;</ETag><Size>{len(HEALTHY_CSV)}</Size><StorageClass>STANDARD</StorageClass></Contents>"
                "</ListBucketResult>").encode()
        return 200, body, {"Content-Type": "application/xml"}
    return rule


def test_s3_listing_whose_tokens_cycle_is_that_bucket_not_assessed(tmp_path, s3_url, s3_admin, healthy_bucket):
    make_bucket(s3_admin, "s3-loop", {"a/data.csv": HEALTHY_CSV.encode()})
    make_bucket(s3_admin, "s3-calm", {"a/data.csv": HEALTHY_CSV.encode()})
    proxy = FaultProxy(s3_url, _cycling_listing("s3-loop"))
    with proxy.running() as url:
        cfg = write_config(tmp_path, [s3_source("good", s3_url, healthy_bucket),
                                      s3_source("loop", url, "s3-loop", "s3-calm")], **SLOW)
        started = time.monotonic()
        s = scan(cfg)
        elapsed = time.monotonic() - started
    assert elapsed < 30, f"a looping listing held the run for {elapsed:.0f}s"
    assert_incomplete(s, "loop", "good", healthy_bucket)
    ds = s.dataset("loop", "s3-loop")
    assert ds["status"] == "error" and "never ends" in ds["error"], ds
    assert "email" in s.personal("loop", "s3-calm/a/"), "the other bucket of the source is lost"
    assert "grant" not in _na_reason(s, "loop", "s3-loop")["fix"]
    assert len(proxy.calls(r"GET /s3-loop\?.*list-type=2")) < 10
