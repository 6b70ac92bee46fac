"""Sharded listing (issue 21 item 3) against moto's S3 server: the same objects in the same order
as the single-stream listing, whatever the key shapes, page sizes and number of workers; a
listing failure is raised, never a shorter listing; requests stay within the rate limit."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.integration.objects.conftest import run_connector

from connectors.s3 import Connector as S3Connector
from connectors.s3 import sharded
from connectors.runtime import RateLimiter
from connectors.sharding import sharded_listing

BUCKET = "sharded-listing"
# keys whose order tests the merge of root objects and prefixes: '.' < '/' < '0', an empty
# segment, a folder marker, non-ASCII (sorted by code point as S3 sorts UTF-8 bytes)
ODD = ["a", "a.txt", "a/", "a/x", "a0", "a0/y", "/lead", "//double", "b/c/d/e.csv", "zz", "ü/x", "ü", "~end",
       "tenant-00", "tenant-00.csv"]


@pytest.fixture(scope="module")
def bucket(s3_admin: Any) -> str:
    s3_admin.create_bucket(Bucket=BUCKET)
    keys = list(ODD)
    for t in range(12):
        for i in range(25 if t % 3 else 75):  # uneven shards; some span several pages
            keys.append(f"tenant-{t:02d}/year={2018 + i % 4}/part-{i:04d}.csv")
    for k in keys:
        s3_admin.put_object(Bucket=BUCKET, Key=k, Body=b"x")
    return BUCKET


def single(s3_admin: Any, page_size: int = 50) -> list[tuple[str, int]]:
    out = []
    for page in s3_admin.get_paginator("list_objects_v2").paginate(Bucket=BUCKET,
                                                                   PaginationConfig={"PageSize": page_size}):
        out.extend((o["Key"], o["Size"]) for o in page.get("Contents", ()))
    return out


@pytest.mark.parametrize(("workers", "page_size", "depth"), [(1, 50, 1), (3, 50, 1), (8, 7, 1), (8, 50, 2)])
def test_sharded_listing_is_the_single_listing(s3_admin, bucket, workers, page_size, depth):
    floor = single(s3_admin)
    assert len(floor) > 12 * 25
    got = [(o["Key"], o["Size"]) for o in sharded.objects(s3_admin, bucket, workers=workers, page_size=page_size,
                                                           depth=depth, buffer_pages=2)]
    assert got == floor


def test_a_level_with_few_prefixes_is_split_further(s3_admin, bucket):
    got = list(sharded_listing(sharded.level(s3_admin, bucket, 50), sharded.under(s3_admin, bucket, 50),
                               lambda o: o["Key"], workers=3, depth=3, min_shards=100))
    assert [o["Key"] for o in got] == [k for k, _ in single(s3_admin)]


def test_sharded_listing_lists_shards_in_parallel(s3_admin, bucket):
    """More than one shard listing at once (the point of it), never more than ``workers``."""
    active, peak, lock = [0], [0], threading.Lock()
    plain = sharded.under(s3_admin, bucket, 50)

    def under(prefix: str):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            for page in plain(prefix):
                time.sleep(0.02)
                yield page
        finally:
            with lock:
                active[0] -= 1

    got = list(sharded_listing(sharded.level(s3_admin, bucket, 50), under, lambda o: o["Key"], workers=4))
    assert [o["Key"] for o in got] == [k for k, _ in single(s3_admin)]
    assert 2 <= peak[0] <= 4


def test_a_shard_that_fails_raises_at_its_place_in_the_stream(s3_admin, bucket):
    plain = sharded.under(s3_admin, bucket, 50)

    def under(prefix: str):
        if prefix == "tenant-05/":
            raise RuntimeError("listing refused")
        yield from plain(prefix)

    seen: list[str] = []
    with pytest.raises(RuntimeError, match="listing refused"):
        for o in sharded_listing(sharded.level(s3_admin, bucket, 50), under, lambda o: o["Key"], workers=4):
            seen.append(o["Key"])
    assert seen and seen[-1] < "tenant-05/" and all(not k.startswith("tenant-05/") for k in seen)


def test_cancel_stops_the_listing(s3_admin, bucket):
    cancel = threading.Event()
    got = []
    for o in sharded.objects(s3_admin, bucket, workers=4, cancel=cancel, page_size=20):
        got.append(o)
        if len(got) == 30:
            cancel.set()
    assert 30 <= len(got) < len(single(s3_admin))


def test_requests_stay_within_max_requests_per_second(s3_admin, bucket):
    limiter = RateLimiter(40)
    stamps: list[float] = []

    def acquire() -> None:
        limiter.acquire()
        stamps.append(time.monotonic())

    got = list(sharded.objects(s3_admin, bucket, workers=8, acquire=acquire, page_size=200))
    assert len(got) == len(single(s3_admin))
    assert len(stamps) >= 13  # the delimiter listing and one per prefix at least
    span = stamps[-1] - stamps[0]
    assert span >= (len(stamps) - 1) / 40 * 0.95


def test_the_s3_connector_reports_the_same_with_shard_listing(s3_url, bucket):
    """``shard_listing``: the same datasets (counts, sizes, ages, the same sampled objects) as one listing."""
    opts = {"endpoint_url": s3_url, "region": "us-east-1", "buckets": [BUCKET], "depth": 2, "sample_objects": 3,
            "max_workers": 4}
    plain = run_connector(S3Connector, "s3", **opts)
    shards = run_connector(S3Connector, "s3", **opts, shard_listing=True)
    assert len(plain.obs) > 12 and not plain.errors and not shards.errors
    assert [o.dataset for o in shards.obs.values()] == [o.dataset for o in plain.obs.values()]
    assert [o.sample for o in shards.obs.values()] == [o.sample for o in plain.obs.values()]
    assert plain.ds(BUCKET).objects == len(ODD) + 4 * 75 + 8 * 25


def test_gcs_sharded_listing_is_the_single_listing(gcs_admin):
    from connectors.gcs import sharded as gcs_sharded

    bucket = gcs_admin.create_bucket("sharded-listing-gcs")
    keys = list(ODD) + [f"tenant-{t:02d}/part-{i:03d}.csv" for t in range(6) for i in range(12)]
    for k in keys:
        bucket.blob(k).upload_from_string(b"x")
    floor = [b.name for b in gcs_admin.list_blobs(bucket.name, page_size=10)]
    assert sorted(floor) == sorted(keys)
    for workers in (1, 4):
        got = [b.name for b in gcs_sharded.objects(gcs_admin, bucket.name, workers=workers, page_size=10)]
        assert got == floor


def test_the_gcs_connector_reports_the_same_with_shard_listing(gcs_url, gcs_admin):
    from connectors.gcs import Connector as GcsConnector

    bucket = gcs_admin.create_bucket("sharded-connector-gcs")
    for k in list(ODD) + [f"tenant-{t:02d}/y={t % 3}/part-{i:03d}.csv" for t in range(6) for i in range(9)]:
        bucket.blob(k).upload_from_string(b"id,note\n1,x\n")
    opts = {"endpoint": gcs_url, "project": "test-project", "buckets": [bucket.name], "depth": 2,
            "sample_objects": 3, "max_workers": 4}
    plain = run_connector(GcsConnector, "gcs", **opts)
    shards = run_connector(GcsConnector, "gcs", **opts, shard_listing=True)
    assert len(plain.obs) > 8 and not plain.errors and not shards.errors
    assert [o.dataset for o in shards.obs.values()] == [o.dataset for o in plain.obs.values()]
    assert [o.sample for o in shards.obs.values()] == [o.sample for o in plain.obs.values()]
