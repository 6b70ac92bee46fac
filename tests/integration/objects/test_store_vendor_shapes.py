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


def test_s3_archived_objects_are_named_with_restore_as_the_way_out(s3_admin, collect_s3):
    # GLACIER / DEEP_ARCHIVE objects answer GetObject with InvalidObjectState until restored: not a
    # refusal a grant fixes, nor a network failure
    from policies.causes import cause_of

    s3_admin.create_bucket(Bucket="shape-glacier")
    s3_admin.put_object(Bucket="shape-glacier", Key="2019/customers.csv", Body=CSV, StorageClass="GLACIER")
    s3_admin.put_object(Bucket="shape-glacier", Key="2019/orders.csv", Body=CSV, StorageClass="DEEP_ARCHIVE")
    got = collect_s3("shape-glacier")
    ds = got.ds("shape-glacier/2019/")
    assert got.sample("shape-glacier/2019/") is None  # nothing read: personal data unknown, never "none"
    assert set(ds.known.unsampled) == {"2019/customers.csv", "2019/orders.csv"}
    assert all("archive" in why and "restore" in why for why in ds.known.unsampled.values())
    assert not any(d.startswith("s3:GetObject:") for d in ds.denied)  # nothing to grant
    way_out = cause_of(ds, "personal_data").way_out
    assert "RestoreObject" in way_out.text and "network" not in way_out.text


def test_s3_noncurrent_versions_name_their_way_out(s3_admin, collect_s3):
    # older versions keep what the current ones no longer hold; they are counted, not sampled: the way
    # out is to expire them, not a byte limit
    from policies.causes import cause_of

    s3_admin.create_bucket(Bucket="shape-versioned")
    s3_admin.put_bucket_versioning(Bucket="shape-versioned", VersioningConfiguration={"Status": "Enabled"})
    s3_admin.put_object(Bucket="shape-versioned", Key="customers.csv", Body=CSV)
    s3_admin.put_object(Bucket="shape-versioned", Key="customers.csv", Body=b"id,note\n1,redacted\n")
    s3_admin.put_object(Bucket="shape-versioned", Key="gone.csv", Body=CSV)
    s3_admin.delete_object(Bucket="shape-versioned", Key="gone.csv")
    got = collect_s3("shape-versioned")
    ds = got.ds("shape-versioned")
    assert "* (noncurrent versions)" in ds.known.unsampled
    way_out = cause_of(ds, "personal_data").way_out
    assert "noncurrent" in way_out.text.lower() and "max_object_bytes" not in way_out.text


def test_an_object_over_max_object_bytes_says_how_far_it_was_read(s3_admin, collect_s3):
    # the head of a big export is its sample (as rows are for SQL), and the dataset says so
    import gzip

    big = b"id,email\n" + b"".join(b"%d,%s\n" % (i, EMAILS[i % 30].encode()) for i in range(20_000))
    s3_admin.create_bucket(Bucket="shape-big")
    s3_admin.put_object(Bucket="shape-big", Key="exports/big.csv", Body=big)
    same = b"id,email\n" + b"1,%s\n" % EMAILS[0].encode() * 50_000  # compresses below 64 KiB, decodes past 4 x
    s3_admin.put_object(Bucket="shape-big", Key="gz/big.csv.gz", Body=gzip.compress(same))
    s3_admin.put_object(Bucket="shape-big", Key="small/c.csv", Body=CSV)
    got = collect_s3("shape-big", max_object_bytes=64 * 1024)
    assert f"read the first 65536 of {len(big)} bytes (max_object_bytes): exports/big.csv" in got.ds(
        "shape-big/exports/").notes
    assert any(n.endswith(": gz/big.csv.gz") and "decode" in n for n in got.ds("shape-big/gz/").notes), got.ds(
        "shape-big/gz/").notes
    assert got.ds("shape-big/small/").notes == ()
    assert _emails(got.sample("shape-big/exports/"))  # still the sample: personal data found in the head


def test_s3_an_address_past_the_cut_of_a_long_notes_cell_is_classified(s3_admin, collect_s3):
    # a CRM export's notes column: each ticket's thread is longer than the per-value cut, and the
    # customer's new address is written at its end; it was dropped unnamed and the prefix passed clean
    from auditor.classify import classify

    thread = "Customer called about the late delivery and asked for a refund. " * 30
    body = "id,notes\n" + "".join(f'{i},"{thread} New e-mail: {e}"\n' for i, e in enumerate(EMAILS))
    s3_admin.create_bucket(Bucket="shape-longcell")
    s3_admin.put_object(Bucket="shape-longcell", Key="crm/tickets.csv", Body=body.encode())
    got = collect_s3("shape-longcell")
    sample = got.sample("shape-longcell/crm/")
    assert sample is not None
    counts = {p.type: p.count for p in classify(sample)}
    assert counts.get("email", 0) >= len(EMAILS), counts
    assert got.ds("shape-longcell/crm/").notes == ()  # read whole: nothing to name
