"""`auditor scan` with a bucket glob that matches nothing after the vendor renamed its buckets:
the run is partial, exit 3, and a not-assessed finding names the pattern (issue 15)."""
# ruff: noqa: F811 - fixtures imported from fault_servers are redefined as test arguments

from __future__ import annotations

from fault_helpers import s3_source, scan, write_config
from fault_servers import aws_env, healthy_bucket, s3_admin, s3_url  # noqa: F401 - fixtures


def test_renamed_buckets_give_exit_3_not_a_clean_pass(tmp_path, s3_url, healthy_bucket):
    cfg = write_config(tmp_path, [s3_source("exports", s3_url, "vendor-exports-*")])
    s = scan(cfg)
    assert s.code == 3, s.output
    assert s.doc["run"]["status"] == "partial"
    na = s.not_assessed("exports")
    assert len(na) == 1 and "empty selection" in na[0]["evidence"]["reason"], na
    assert "'vendor-exports-*'" in na[0]["evidence"]["reason"] and healthy_bucket not in na[0]["evidence"]["reason"]
    assert s.source("exports")["datasets"] == 0
