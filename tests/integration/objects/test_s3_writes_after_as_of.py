"""Objects written after the run's --as-of (re-judging the past, or a vendor's clock ahead of
ours). Real moto S3 through the CLI; writes are dated with freezegun, the run with --as-of.

A dataset whose newest write is after its run's instant says nothing of its age at that instant:
it is not fresh, its age is unknown (not-assessed, exit 3), and the reason names the write. A
vendor clock a few minutes ahead (within a day, as for SQL write-time columns) is age 0, not a
negative age.
"""

from __future__ import annotations

import json

import freezegun
import yaml
from click.testing import CliRunner

from auditor.cli import cli


def _scan(tmp_path, s3_url, bucket, as_of):
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(yaml.safe_dump({"state": f"sqlite:///{tmp_path}/state.db", "vendors": [{"id": "v"}],
                                   "sources": [{"id": "s3", "vendor": "v", "kind": "s3", "endpoint_url": s3_url,
                                                "region": "us-east-1", "buckets": [bucket]}]}))
    out = tmp_path / "r.json"
    r = CliRunner().invoke(cli, ["scan", "-c", str(cfg), "--as-of", as_of, "--json", str(out)])
    return r, json.loads(out.read_text())


def _seed(s3_admin, bucket, at):
    with freezegun.freeze_time(at):
        s3_admin.create_bucket(Bucket=bucket)
        s3_admin.put_object(Bucket=bucket, Key="customers.csv",
                            Body=b"email,name\nana.tan@example.com,Ana\nwei.lim@gmail.com,Wei\n")


def test_a_bucket_written_after_as_of_is_not_judged_fresh(s3_url, s3_admin, tmp_path):
    _seed(s3_admin, "written-later", "2026-06-01T10:00:00Z")
    # re-judging 2026-03-01: the only data there was written three months later
    r, doc = _scan(tmp_path, s3_url, "written-later", "2026-03-01T00:00:00Z")
    [ds] = [d for d in doc["datasets"] if d["name"] == "written-later"]
    assert ds["last_modified"] is None, ds["last_modified"]
    assert "after the run's as-of" in ds["last_modified_basis"] and "2026-06-01" in ds["last_modified_basis"]
    na = [f for f in doc["findings"] if f["rule"] == "not-assessed" and f["evidence"].get("rule") == "stale-personal-data"]
    assert na, [(f["rule"], f["evidence"].get("rule")) for f in doc["findings"]]
    assert r.exit_code == 3, r.output


def test_a_vendor_clock_minutes_ahead_is_age_zero(s3_url, s3_admin, tmp_path):
    _seed(s3_admin, "clock-ahead", "2026-06-01T10:05:00Z")
    r, doc = _scan(tmp_path, s3_url, "clock-ahead", "2026-06-01T10:00:00Z")
    [ds] = [d for d in doc["datasets"] if d["name"] == "clock-ahead"]
    assert ds["last_modified"].startswith("2026-06-01T10:05:00")
    assert ds["judgment"]["age_days"] == 0 and ds["judgment"]["stale"] is False
    assert not [f for f in doc["findings"] if f["rule"] == "stale-personal-data"
                or f["evidence"].get("rule") == "stale-personal-data"]
