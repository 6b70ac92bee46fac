"""Shapes vendors leave their data in, on moto's S3 and gcp-storage-emulator over HTTP: each object
is read, or named as not read with the way out that resolves it; never a silent "no personal data"."""

from __future__ import annotations

import pytest

EMAILS = [f"customer{i}.person@example-mail.com" for i in range(30)]
CSV = ("id,email\n" + "".join(f"{i},{e}\n" for i, e in enumerate(EMAILS))).encode()


def _emails(sample) -> list[str]:
    return [v for vs in sample.fields.values() for v in vs if "@example-mail.com" in str(v)]


def test_s3_object_whose_key_ends_in_a_slash_is_read(s3_admin, collect_s3):
    # `put-object --key exports/ --body customers.csv`: a "folder" key that holds a file
    s3_admin.create_bucket(Bucket="shape-dirkey")
    s3_admin.put_object(Bucket="shape-dirkey", Key="exports/", Body=CSV)
    s3_admin.put_object(Bucket="shape-dirkey", Key="marker/", Body=b"")  # a real folder marker: nothing to read
    got = collect_s3("shape-dirkey")
    sample = got.sample("shape-dirkey/exports/")
    assert sample is not None and sorted(_emails(sample)) == sorted(EMAILS)


def test_gcs_object_whose_name_ends_in_a_slash_is_read(gcs_admin, collect_gcs):
    bucket = gcs_admin.create_bucket("shape-dirkey-g")
    bucket.blob("exports/").upload_from_string(CSV)
    got = collect_gcs("shape-dirkey-g")
    sample = got.sample("shape-dirkey-g/exports/")
    assert sample is not None and sorted(_emails(sample)) == sorted(EMAILS)
