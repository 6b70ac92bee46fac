"""A bucket whose listing fails part-way (page 3 of a paged ListObjectsV2 answers 500 InternalError on
every retry; a GetObject answers 500 too): the bucket is not-assessed, never assessed on the pages it
got (exit 3). Its way out used to be "grant s3:ListBucket on ...", a permission the audit identity
already has (pages 1 and 2 were listed with it), and a read the server failed was recorded as a refused
s3:GetObject. A server error or a broken connection is not a refusal: the fix says so and names the
retries, and no grant is asked for.
"""
# ruff: noqa: F811 - fixtures imported from fault_servers are redefined as test arguments

from __future__ import annotations

from fault_helpers import FaultProxy, assert_incomplete, s3_error, s3_source, scan, write_config
from fault_servers import (  # noqa: F401 - fixtures
    HEALTHY_CSV,
    aws_env,
    healthy_bucket,
    make_bucket,
    s3_admin,
    s3_url,
)


def test_listing_that_fails_on_a_later_page_is_not_assessed_and_asks_for_no_grant(tmp_path, s3_url, s3_admin,
                                                                                 healthy_bucket, caplog):
    from moto.s3.models import s3_backends

    make_bucket(s3_admin, "paged-b", {})
    backend = s3_backends["123456789012"]["aws"]
    for i in range(2500):  # three pages of 1,000
        backend.put_object("paged-b", f"p{i // 1000}/obj{i:05d}.csv", HEALTHY_CSV.encode())
    listed: list[str] = []

    def rule(method: str, path: str, query: str):
        if path == "/paged-b" and "list-type=2" in query:
            listed.append(query)
            if len(listed) >= 3:
                return s3_error(500, "InternalError", "We encountered an internal error. Please try again.")
        return None

    proxy = FaultProxy(s3_url, rule)
    with proxy.running() as url:
        cfg = write_config(tmp_path, [s3_source("good", s3_url, healthy_bucket),
                                      s3_source("paged", url, "paged-b", max_attempts=2)])
        s = scan(cfg)
    assert_incomplete(s, "paged", "good", healthy_bucket)
    ds = s.dataset("paged", "paged-b")
    assert ds["status"] == "error" and ds["error"] == "s3:ListBucket: InternalError", ds
    assert not [d for d in s.datasets("paged") if d.startswith("paged-b/")], "assessed on the pages it got"
    [na] = s.na_on("paged", "paged-b")
    fix = na["evidence"]["fix"]
    assert "s3:ListBucket" not in fix and "nothing to grant" in fix and "max_attempts" in fix, fix
    # the log (stderr, a systemd journal) says it too, as a table not assessed does; it said nothing
    logged = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "paged-b" in r.getMessage()]
    assert logged and "not assessed" in logged[0] and "InternalError" in logged[0], logged


def test_object_read_the_server_failed_is_not_a_refused_grant(tmp_path, s3_url, s3_admin, healthy_bucket):
    make_bucket(s3_admin, "broken-reads", {"a/data.csv": HEALTHY_CSV.encode()})
    proxy = FaultProxy(s3_url, lambda m, p, q: s3_error(500, "InternalError")
                       if m == "GET" and p == "/broken-reads/a/data.csv" else None)
    with proxy.running() as url:
        cfg = write_config(tmp_path, [s3_source("good", s3_url, healthy_bucket),
                                      s3_source("reads", url, "broken-reads", max_attempts=2)])
        s = scan(cfg)
    assert_incomplete(s, "reads", "good", healthy_bucket)
    ds = s.dataset("reads", "broken-reads/a/")
    assert "a/data.csv" in (ds["unsampled"] or {}), ds
    assert not [d for d in ds["denied"] if d.startswith("s3:GetObject")], ds["denied"]  # nothing to grant
    # and the way out is not "raise max_object_bytes, or re-export them" (nothing was wrong with the object)
    [na] = s.na_on("reads", "broken-reads")
    fix = na["remediation"]
    assert "max_object_bytes" not in fix and "max_attempts" in fix, fix


def test_the_cron_mail_says_why_each_dataset_was_not_assessed(tmp_path, s3_url, s3_admin, healthy_bucket):
    """``auditor -q scan`` (cron) printed "high  not-assessed  v1  mail-b" and nothing else about it: the
    mail named the bucket but not what went wrong nor what to do. Source-level failures had their
    "NOT ASSESSED source ..." line; a dataset's failure now has one too, with its reason and fix."""
    from click.testing import CliRunner

    from auditor.cli import cli
    from fault_helpers import as_of

    make_bucket(s3_admin, "mail-b", {"a/data.csv": HEALTHY_CSV.encode()})
    proxy = FaultProxy(s3_url, lambda m, p, q: s3_error(500, "InternalError")
                       if p == "/mail-b" and "list-type=2" in q else None)
    with proxy.running() as url:
        cfg = write_config(tmp_path, [s3_source("good", s3_url, healthy_bucket),
                                      s3_source("mail", url, "mail-b", max_attempts=2)])
        r = CliRunner().invoke(cli, ["-q", "scan", "-c", str(cfg), "--as-of", as_of()])
    assert r.exit_code == 3, r.output
    [line] = [line for line in r.output.splitlines() if "NOT ASSESSED" in line and "mail-b" in line]
    assert "s3:ListBucket: InternalError" in line and "max_attempts" in line, line
    assert "testing" not in r.output  # the access key id, never
