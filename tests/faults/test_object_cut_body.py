"""Review: an object whose body is cut mid-read (the endpoint sends its headers and half the bytes,
then drops the connection) is one object not read, named in its prefix's notes: the other
prefixes of the bucket and the other buckets of the source are still assessed. The S3 reader
reads urllib3's raw stream under botocore's StreamingBody, so the break arrives as urllib3's
ProtocolError, which is none of the store's (botocore's) error types."""
# ruff: noqa: F811 - fixtures imported from fault_servers are redefined as test arguments

from __future__ import annotations

from contextlib import AbstractContextManager
from http.server import BaseHTTPRequestHandler
from typing import Any

from fault_helpers import body_proxy, gcs_source, s3_source, scan, write_config
from fault_servers import HEALTHY_CSV, aws_env, gcs_admin, gcs_url, healthy_bucket, make_bucket, s3_admin, s3_url  # noqa: F401

BODY = ("id,email\n" + "".join(f"{i},cutbody{i}@example.com\n" for i in range(400))).encode()


def _half_then_close(handler: BaseHTTPRequestHandler, data: bytes) -> None:
    if len(data) <= 1:
        handler.wfile.write(data)
        return
    handler.close_connection = True
    handler.wfile.write(data[: len(data) // 2])
    handler.wfile.flush()


def cutting(upstream: str, pattern: str) -> AbstractContextManager[str]:
    """A pass-through proxy that sends half the body of GETs matching ``pattern``, then closes."""
    return body_proxy(upstream, pattern, _half_then_close)


def test_s3_object_cut_mid_body_is_one_object_not_read(tmp_path, s3_url, s3_admin, healthy_bucket):
    make_bucket(s3_admin, "rv-cut", {"exports/customers.csv": BODY, "ok/people.csv": HEALTHY_CSV})
    with cutting(s3_url, r"^/rv-cut/exports/customers\.csv") as url:
        cfg = write_config(tmp_path, [s3_source("good", s3_url, healthy_bucket),
                                      s3_source("cut", url, "rv-cut", max_attempts=1, read_timeout=5)])
        s = scan(cfg)
    _check(s, "rv-cut", "the body ended after")


def test_gcs_object_cut_mid_body_is_one_object_not_read(tmp_path, s3_url, gcs_url, gcs_admin, healthy_bucket):
    b = gcs_admin.create_bucket("rv-gcs-cut")
    b.blob("exports/customers.csv").upload_from_string(BODY)
    b.blob("ok/people.csv").upload_from_string(HEALTHY_CSV)
    with cutting(gcs_url, r"/download/storage/v1/b/rv-gcs-cut/o/exports") as url:
        cfg = write_config(tmp_path, [s3_source("good", s3_url, healthy_bucket),
                                      gcs_source("cut", url, "rv-gcs-cut", retry_timeout=1, read_timeout=5)])
        s = scan(cfg)
    _check(s, "rv-gcs-cut", "ProtocolError")  # requests notices the break (then retries)
    # a broken connection is not a refusal: no grant is asked for it
    broken = s.dataset("cut", "rv-gcs-cut/exports/")
    assert not [d for d in broken.get("denied", []) if "ProtocolError" in d], broken


def _check(s: Any, bucket: str, why: str) -> None:
    assert s.code == 3, s.output
    assert s.source("cut")["status"] != "error", s.source("cut")
    ok = s.dataset("cut", f"{bucket}/ok/")
    assert ok["status"] == "assessed" and "email" in {p["type"] for p in ok["personal_data"]}, ok
    broken = s.dataset("cut", f"{bucket}/exports/")
    # not 200 rows "counted" from half the object as if it were all of it
    assert broken["records_basis"] != "counted" and broken["classified"] is False, broken
    note = [n for n in broken["notes"] if n.endswith(": exports/customers.csv")]
    assert len(note) == 1 and note[0].startswith("object not read (") and why in note[0], broken
    assert s.na_on("cut", bucket), s.not_assessed("cut")


