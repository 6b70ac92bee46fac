"""The auditor never writes to an audited bucket: every request a full scan sends to S3 (moto) and
GCS (the emulator) is recorded by a pass-through proxy and must be a read (GET/HEAD; STS's
GetCallerIdentity is a POST to the endpoint's root, and reads nothing of the bucket)."""
# ruff: noqa: F811 - fixtures imported from fault_servers are redefined as test arguments

from __future__ import annotations

from fault_helpers import FaultProxy, gcs_source, s3_source, scan, write_config
from fault_servers import HEALTHY_CSV, aws_env, gcs_admin, gcs_url, make_bucket, s3_admin, s3_url  # noqa: F401


def test_a_scan_sends_only_reads_to_s3_and_gcs(tmp_path, s3_url, s3_admin, gcs_url, gcs_admin):
    make_bucket(s3_admin, "ro-s3", {"exports/customers.csv": HEALTHY_CSV.encode(), "x/y/z/a.json": b'{"a": 1}'})
    s3_admin.put_bucket_versioning(Bucket="ro-s3", VersioningConfiguration={"Status": "Enabled"})
    bucket = gcs_admin.create_bucket("ro-gcs")
    bucket.blob("exports/customers.csv").upload_from_string(HEALTHY_CSV)
    s3_proxy, gcs_proxy = FaultProxy(s3_url), FaultProxy(gcs_url)
    with s3_proxy.running() as s3, gcs_proxy.running() as gcs:
        s = scan(write_config(tmp_path, [s3_source("s", s3, "ro-s3"), gcs_source("g", gcs, "ro-gcs")]))
    assert "email" in s.personal("s", "ro-s3/exports/") and "email" in s.personal("g", "ro-gcs/exports/"), s.output
    writes = [c for c in s3_proxy.seen + gcs_proxy.seen
              if c[0] not in ("GET", "HEAD") and not (c[0] == "POST" and c[1] == "/")]
    assert s3_proxy.seen and gcs_proxy.seen and not writes, writes
