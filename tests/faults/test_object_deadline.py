"""A whole-object read deadline (issue 16): an endpoint that answers at once but then trickles the
body, 64 bytes every 1.5 s, never trips ``read_timeout: 2`` (each socket read gets data in time).
``object_read_deadline_seconds`` bounds the whole object: the read is cut, the object is named (a
note, and ``unsampled`` in the dataset's facts), its prefix is not-assessed (personal data unknown), exit 3, and
the healthy source beside it is still assessed."""
# ruff: noqa: F811 - fixtures imported from fault_servers are redefined as test arguments

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from fault_helpers import assert_incomplete, body_proxy, gcs_source, s3_source, scan, write_config
from fault_servers import HEALTHY_CSV, aws_env, gcs_admin, gcs_url, healthy_bucket, make_bucket, s3_admin, s3_url  # noqa: F401

SLOW = {"connect_timeout": 2, "read_timeout": 2, "object_read_deadline_seconds": 3}
BODY = ("id,email\n" + "".join(f"{i},trickle{i}@example.com\n" for i in range(200))).encode()  # ~5 KB: 2 min


def trickling(upstream: str, pattern: str, step: int = 64, every: float = 1.5) -> AbstractContextManager[str]:
    """A pass-through proxy that sends the body of GETs matching ``pattern`` ``step`` bytes at a time."""
    def send(handler: BaseHTTPRequestHandler, data: bytes) -> None:
        for i in range(0, len(data), step):
            handler.wfile.write(data[i: i + step])
            handler.wfile.flush()
            time.sleep(every)

    return body_proxy(upstream, pattern, send)


def _check(s: Any, source: str, prefix: str, key: str, healthy: str, elapsed: float) -> None:
    assert_incomplete(s, source, "good", healthy)
    assert elapsed < 25, f"scan took {elapsed:.1f}s: the deadline did not hold"
    ds = s.dataset(source, prefix)
    note = [n for n in ds["notes"] if n.endswith(f": {key}")]
    assert len(note) == 1 and note[0].startswith("object not read (object read deadline of 3s passed after"), ds
    assert ds["personal_data"] == [] and ds["classified"] is False
    assert not ds.get("denied"), "a slow endpoint is not a refused permission"
    # personal data unknown: not-assessed (the policies judge the bucket with its prefixes)
    bucket = prefix.split("/")[0]
    na = s.na_on(source, bucket)
    assert na and all(f["evidence"].get("unknown") == ["personal_data"] for f in na), na


@pytest.mark.slow
def test_s3_trickling_object_is_cut_at_the_deadline(tmp_path, s3_url, s3_admin, healthy_bucket):
    make_bucket(s3_admin, "dl-trickle", {"exports/customers.csv": BODY})
    with trickling(s3_url, r"^/dl-trickle/exports/") as url:
        cfg = write_config(tmp_path, [s3_source("good", s3_url, healthy_bucket),
                                      s3_source("slow", url, "dl-trickle", max_attempts=1, **SLOW)])
        started = time.monotonic()
        s = scan(cfg)
        elapsed = time.monotonic() - started
    _check(s, "slow", "dl-trickle/exports/", "exports/customers.csv", healthy_bucket, elapsed)


@pytest.mark.slow
def test_gcs_trickling_object_is_cut_at_the_deadline(tmp_path, s3_url, gcs_url, gcs_admin, healthy_bucket):
    gcs_admin.create_bucket("gcs-dl-trickle").blob("exports/customers.csv").upload_from_string(BODY)
    with trickling(gcs_url, r"/download/storage/v1/b/gcs-dl-trickle/o/") as url:
        cfg = write_config(tmp_path, [s3_source("good", s3_url, healthy_bucket),
                                      gcs_source("slow", url, "gcs-dl-trickle", retry_timeout=1, **SLOW)])
        started = time.monotonic()
        s = scan(cfg)
        elapsed = time.monotonic() - started
    _check(s, "slow", "gcs-dl-trickle/exports/", "exports/customers.csv", healthy_bucket, elapsed)


def test_deadline_must_be_positive_and_finite(tmp_path, s3_url):
    from fault_helpers import scan as run

    for bad in (0, -5, ".inf"):
        cfg = write_config(tmp_path, [s3_source("s", s3_url, "x", object_read_deadline_seconds=bad)])
        s = run(cfg)
        assert s.code == 2 and "object_read_deadline_seconds" in s.output, s.output
