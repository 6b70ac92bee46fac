"""What the coverage list tells the reader to do about a dataset that could not be read at all:
the grant in the words of the store (a file server's folder permission, an API call)."""

from __future__ import annotations

from report_runs import bucket, sample_run

from reports.coverage import coverage


def _fixes(name: str, denied: str) -> list[str]:
    bad = bucket(name, source="drop", status="error", error=denied,
                 denied=(denied,))
    run = sample_run()
    run = run.model_copy(update={"datasets": [*run.datasets, bad]})
    [row] = [m for m in coverage(run)["missing"] if m["what"] == name]
    return row["fix"]


def test_an_unlistable_sftp_folder_names_the_read_permission_on_that_folder():
    [fix] = _fixes("/srv/drop/unlisted", "sftp list /srv/drop/unlisted: permission denied")
    assert fix.startswith("Give the audit user read permission on /srv/drop/unlisted:"), fix
    assert "ACL" in fix and "grant sftp list" not in fix


def test_an_ftp_550_on_a_listing_is_a_refusal_and_a_cloud_call_keeps_its_grant():
    [fix] = _fixes("/in", "ftp list /in: FTP 550")
    assert "read permission on /in:" in fix and "local_umask" in fix, fix
    [fix] = _fixes("b", "s3:ListBucket: AccessDenied")
    assert fix.startswith("Grant s3:ListBucket to the auditor's identity"), fix
