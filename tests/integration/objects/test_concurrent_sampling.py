"""Sampled reads and object ACL checks run concurrently across a bucket's prefixes (issue 24, item 3).

Against the moto server: the outcome with ``max_workers`` 4 (a source-wide pool) is the outcome
with ``max_workers`` 1 (one read after the other), refusals included; the reads in flight never
exceed ``max_workers``; and ``max_requests_per_second`` still spaces every request of the source.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from connectors import objects
from connectors.s3 import Connector
from connectors import runtime as s3runtime
from tests.integration.objects.conftest import run_connector

BUCKET = "conc-sampling"
PREFIXES = [f"p{i}" for i in range(6)]


@pytest.fixture(scope="module")
def bucket(s3_admin) -> str:
    s3_admin.create_bucket(Bucket=BUCKET)
    for p in PREFIXES:
        for j in range(3):
            body = "email,city\n" + "".join(f"user{j}{k}@{p}.example.com,Singapore\n" for k in range(20))
            s3_admin.put_object(Bucket=BUCKET, Key=f"{p}/part-{j}.csv", Body=body.encode())
    s3_admin.put_object(Bucket=BUCKET, Key="secret/people.csv", Body=b"email\nx@example.com\n")
    s3_admin.put_object(Bucket=BUCKET, Key="p3/open.csv", Body=b"email\no@example.com\n", ACL="public-read")
    # applied last: moto enforces it on object calls, so GetObject under secret/ is refused
    s3_admin.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "NoSecret", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/secret/*"}]}))
    return BUCKET


def _outcome(got) -> dict:
    return {name: (obs.dataset.model_dump(), obs.sample.model_dump() if obs.sample else None)
            for name, obs in got.obs.items()}


def test_concurrent_sampling_gives_the_sequential_outcome(bucket, s3_url):
    sequential = run_connector(Connector, "s3", endpoint_url=s3_url, buckets=[bucket], max_workers=1, sample_objects=3)
    concurrent = run_connector(Connector, "s3", endpoint_url=s3_url, buckets=[bucket], max_workers=4, sample_objects=3)
    assert not sequential.errors and not concurrent.errors
    assert _outcome(concurrent) == _outcome(sequential)
    # the outcome is a real one: samples, a public object found by its ACL, a refusal recorded
    assert "email" in concurrent.sample(f"{bucket}/p0/").fields
    root = concurrent.ds(bucket)
    assert root.public is True and any("p3/open.csv" in r for r in root.public_reasons)
    assert root.facts["object_acls"]["checked"] > 6
    secret = concurrent.ds(f"{bucket}/secret/")
    assert "s3:GetObject: AccessDenied" in secret.denied
    assert concurrent.sample(f"{bucket}/secret/") is None  # unknown, never "no personal data"


def test_reads_in_flight_are_bounded_by_max_workers(bucket, s3_url, monkeypatch):
    lock = threading.Lock()
    state = {"now": 0, "peak": 0, "threads": set()}
    real = objects.read_body

    def counting(body, want, deadline, declared=None):
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
            state["threads"].add(threading.current_thread().name)
        try:
            time.sleep(0.05)  # long enough for the reads of other prefixes to overlap this one
            return real(body, want, deadline, declared)
        finally:
            with lock:
                state["now"] -= 1

    monkeypatch.setattr(objects, "read_body", counting)
    got = run_connector(Connector, "s3", endpoint_url=s3_url, buckets=[bucket], max_workers=3, sample_objects=3)
    assert "email" in got.sample(f"{bucket}/p5/").fields
    assert 1 < state["peak"] <= 3
    assert all(name.startswith("auditor-s3-samples") for name in state["threads"])


def test_rate_limit_still_spaces_every_request(bucket, s3_url, monkeypatch):
    rate = 25.0
    starts: list[float] = []
    real = s3runtime.RateLimiter.acquire

    def recording(self, **kw):
        real(self, **kw)
        starts.append(time.monotonic())

    monkeypatch.setattr(s3runtime.RateLimiter, "acquire", recording)
    got = run_connector(Connector, "s3", endpoint_url=s3_url, buckets=[bucket], max_workers=4, sample_objects=2,
                        max_requests_per_second=rate)
    assert "email" in got.sample(f"{bucket}/p1/").fields
    starts.sort()
    assert len(starts) > 20  # settings, listing, ACL checks and sampled reads all went through the limiter
    # any 6 consecutive requests span at least 5 intervals (less a little for threads woken late)
    spans = [b - a for a, b in zip(starts, starts[5:])]
    assert min(spans) >= 5 / rate - 0.03, min(spans)
    assert starts[-1] - starts[0] >= (len(starts) - 1) * 0.9 / rate


def test_gcs_concurrent_sampling_gives_the_sequential_outcome(gcs_admin, collect_gcs):
    name = "gcs-conc-sampling"
    b = gcs_admin.create_bucket(name)
    b.iam_configuration.uniform_bucket_level_access_enabled = False  # object ACLs apply: each is read
    b.patch()
    for p in PREFIXES:
        for j in range(3):
            body = "email,city\n" + "".join(f"user{j}{k}@{p}.example.com,Singapore\n" for k in range(20))
            b.blob(f"{p}/part-{j}.csv").upload_from_string(body.encode())
    leaked = b.blob("p2/leaked.csv")
    leaked.upload_from_string(b"email\nbob@example.org\n")
    leaked.acl.all().grant_read()
    leaked.acl.save()
    sequential = collect_gcs(name, max_workers=1, sample_objects=3)
    concurrent = collect_gcs(name, max_workers=4, sample_objects=3)
    assert not sequential.errors and not concurrent.errors
    assert _outcome(concurrent) == _outcome(sequential)
    root = concurrent.ds(name)
    assert root.public is True and "object acl: p2/leaked.csv allUsers READER" in root.public_reasons
    assert root.facts["object_acls"]["checked"] > 6
    assert "email" in concurrent.sample(f"{name}/p4/").fields
