"""Hostile content in buckets, through `auditor scan` over moto: each object is read within its
bounds, a note names it on its own dataset, what could not be read is never "no personal
data", and the scan goes on (the healthy source and the readable objects still classified).
"""
# ruff: noqa: F811 - fixtures imported from fault_servers are redefined as test arguments

from __future__ import annotations

import json

import pytest
from fault_helpers import FaultProxy, assert_incomplete, s3_source, scan, write_config
from fault_servers import (  # noqa: F401 - fixtures
    HEALTHY_CSV,
    aws_env,
    gz,
    healthy_bucket,
    make_bucket,
    s3_admin,
    s3_url,
)

LIMIT = 256 * 1024  # max_object_bytes of the faulty source
EMAILS = "".join(f"{i},buyer{i}@example.com\n" for i in range(100))


def deep_json(depth: int) -> bytes:
    return ("[" * depth + '"someone@example.com"' + "]" * depth).encode()


def wide_csv(columns: int, rows: int) -> bytes:
    header = ",".join(f"c{i}" for i in range(columns - 1)) + ",contact_email"
    lines = [",".join(["x"] * (columns - 1)) + f",wide{r}@example.com" for r in range(rows)]
    return (header + "\n" + "\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def content_buckets(s3_admin):
    make_bucket(s3_admin, "cf-gzip", {"dump/customers.csv.gz": b"\x1f\x8b\x08\x00" + b"not a deflate stream" * 50})
    make_bucket(s3_admin, "cf-deep", {"docs/nested.json": deep_json(10_000)})
    make_bucket(s3_admin, "cf-longrow", {"rows/one.csv": wide_csv(60_000, 2)})  # no whole row within the limit
    bomb = gz(b"id,email\n" + EMAILS.encode() * 80_000)  # ~200 MB inflated, ~0.5 MB on disk
    big = b"id,email\n" + EMAILS.encode() * 2_000  # ~4 MB
    invalid = b"id,email,note\n" + b"".join(f"{i},u{i}@example.com,".encode() + b"caf\xe9 \xff\xfe ok\n"
                                            for i in range(40))
    make_bucket(s3_admin, "cf-bounded", {
        "bomb/orders.csv.gz": bomb, "big/export.csv": big, "utf8/latin1.csv": invalid,
        "wide/columns.csv": wide_csv(10_000, 20)})
    return {"bomb": len(bomb), "big": len(big)}


def test_content_faults_end_to_end(tmp_path, s3_url, healthy_bucket, content_buckets):
    proxy = FaultProxy(s3_url)  # passes everything through, counting the bytes the auditor read
    with proxy.running() as url:
        cfg = write_config(tmp_path, [s3_source("good", s3_url, healthy_bucket),
                                      s3_source("odd", url, "cf-gzip", "cf-deep", "cf-longrow", "cf-bounded",
                                                max_object_bytes=LIMIT, max_attempts=1)])
        s = scan(cfg)
    assert_incomplete(s, "odd", "good", healthy_bucket)

    # corrupt gzip and a row longer than the limit: a note on their prefix, personal data unknown -> not-assessed
    assert s.dataset("odd", "cf-gzip/dump/")["notes"] == ["corrupt gzip: dump/customers.csv.gz"]
    assert s.dataset("odd", "cf-longrow/rows/")["notes"] == ["no complete row within the read limit: rows/one.csv"]
    # 10,000-deep JSON is walked iteratively (no recursion limit): its e-mail is found
    deep = s.dataset("odd", "cf-deep/docs/")
    assert deep["status"] == "assessed" and "email" in {p["type"] for p in deep["personal_data"]}, deep
    for bucket in ("cf-gzip", "cf-longrow"):
        na = s.na_under("odd", bucket)
        assert na and all(f["evidence"].get("unknown") == ["personal_data"] for f in na), na
    # the bomb, the big object, invalid UTF-8 and 10,000 columns: bounded reads, still classified
    bounded = s.datasets("odd")
    for prefix in ("bomb/", "big/", "utf8/", "wide/"):
        ds = bounded[f"cf-bounded/{prefix}"]
        assert ds["status"] == "assessed" and "email" in {p["type"] for p in ds["personal_data"]}, ds
    wide = next(p for p in bounded["cf-bounded/wide/"]["personal_data"] if p["type"] == "email")
    assert wide["where"] == ["contact_email"], wide
    assert not s.na_under("odd", "cf-bounded")
    # what was read of each object stayed within the byte limit (ranged GETs)
    gets = proxy.calls(r"GET /cf-bounded/(bomb|big)/")
    assert gets and all(status == 206 for *_, status in gets), gets
    assert proxy.bytes_out < 4 * 1024 * 1024, f"{proxy.bytes_out} bytes read for a 4 MB and a 200 MB object"


def test_unreadable_prefix_beside_a_readable_one_is_still_not_assessed(tmp_path, s3_url, s3_admin, healthy_bucket):
    make_bucket(s3_admin, "cf-mixed", {"ok/customers.csv": HEALTHY_CSV.encode(),
                                       "bad/cards.csv.gz": b"\x1f\x8b\x08\x00" + b"garbage" * 40})
    cfg = write_config(tmp_path, [s3_source("good", s3_url, healthy_bucket), s3_source("odd", s3_url, "cf-mixed")])
    s = scan(cfg)
    assert s.dataset("odd", "cf-mixed/bad/")["notes"] == ["corrupt gzip: bad/cards.csv.gz"]
    assert s.code == 3 and s.na_under("odd", "cf-mixed"), \
        json.dumps(s.doc["findings"], indent=1)


def test_a_skipped_part_means_found_data_counts_and_absence_stays_unknown(tmp_path, s3_url, s3_admin, healthy_bucket):
    """Issue 15: a reader names what it skipped; such a dataset is never clean (classified False),
    what it did find is still reported, and the run is incomplete (exit 3)."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"email": ["ann@example.com"], "scan": [b"\x89PNG\x00"]}), buf)
    make_bucket(s3_admin, "cf-skipped", {"exports/people.parquet": buf.getvalue(),
                                         "plain/people.csv": HEALTHY_CSV.encode()})
    cfg = write_config(tmp_path, [s3_source("good", s3_url, healthy_bucket), s3_source("odd", s3_url, "cf-skipped")])
    s = scan(cfg)
    assert_incomplete(s, "odd", "good", healthy_bucket)
    skipped = s.dataset("odd", "cf-skipped/exports/")
    assert skipped["classified"] is False and "email" in s.personal("odd", "cf-skipped/exports/"), skipped
    assert s.dataset("odd", "cf-skipped/plain/")["classified"] is True
    # the JSON report names what was skipped (the binary Parquet column), not only the HTML's facts
    assert any("scan" in k or "scan" in v for k, v in skipped["unsampled"].items()), skipped["unsampled"]
    assert s.dataset("odd", "cf-skipped/plain/")["unsampled"] == {}
