"""A selection that matches nothing is a finding, not a pass (issue 15): a bucket glob that
matches no bucket of a source that holds some gives a not-assessed naming the patterns and how
many buckets the source holds (a count, never their names)."""

from __future__ import annotations


def test_s3_glob_matching_no_bucket_is_an_error(s3_admin, collect_s3):
    s3_admin.create_bucket(Bucket="renamed-exports-2026")
    got = collect_s3("vendor-exports-*", "renamed-*")
    assert "renamed-exports-2026" in got.obs  # the other pattern still selects its bucket
    empty = [e for e in got.errors if e.reason.startswith("empty selection")]
    assert len(empty) == 1, got.errors
    held = len(s3_admin.list_buckets()["Buckets"])
    assert empty[0].dataset is None
    assert empty[0].reason == (f"empty selection: bucket pattern 'vendor-exports-*' matched nothing "
                               f"(the source holds {held} bucket{'' if held == 1 else 's'})")
    assert "renamed" not in empty[0].reason and empty[0].fix


def test_s3_exclusions_that_leave_nothing_are_an_empty_selection(s3_admin, collect_s3):
    s3_admin.create_bucket(Bucket="only-archive-1")
    got = collect_s3("only-archive-*", exclude=["only-archive-*"])
    assert [e.reason for e in got.errors if e.reason.startswith("empty selection")], got.errors
    assert not [n for n in got.obs if n.startswith("only-archive")]


def test_gcs_glob_matching_no_bucket_is_an_error(gcs_admin, collect_gcs):
    gcs_admin.create_bucket("gcs-renamed-exports")
    got = collect_gcs("vendor-exports-*")
    empty = [e for e in got.errors if e.reason.startswith("empty selection")]
    assert len(empty) == 1 and "'vendor-exports-*'" in empty[0].reason, got.errors
    assert "gcs-renamed" not in empty[0].reason and "the source holds" in empty[0].reason
    assert not got.obs


def test_a_glob_that_matches_is_not_reported(s3_admin, collect_s3):
    s3_admin.create_bucket(Bucket="matched-exports-1")
    got = collect_s3("matched-*")
    assert not [e for e in got.errors if e.reason.startswith("empty selection")]
