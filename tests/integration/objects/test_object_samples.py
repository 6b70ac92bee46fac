"""Content samples read through the S3 connector from moto over HTTP (ranged GETs)."""

from __future__ import annotations

import gzip
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

BUCKET = "samples-bucket"
PEOPLE = [("ann@example.com", "Ann Tan", "+65 9123 4567"), ("bob@example.org", "Bob Lim", "+65 8123 4567")]


def _csv(sep: str = ",") -> bytes:
    lines = [sep.join(("email", "full_name", "phone"))] + [sep.join(p) for p in PEOPLE]
    return ("\n".join(lines) + "\n").encode()


def _parquet(rows: int = 2, row_group_size: int | None = None) -> bytes:
    emails = [PEOPLE[i % 2][0] for i in range(rows)]
    table = pa.table({"email": emails, "customer_id": list(range(rows)), "note": [f"n{i:08d}" * 8 for i in range(rows)]})
    buf = io.BytesIO()
    pq.write_table(table, buf, row_group_size=row_group_size, compression="none")
    return buf.getvalue()


@pytest.fixture(scope="module")
def seeded(s3_admin) -> str:
    s3_admin.create_bucket(Bucket=BUCKET)
    jsonl = "".join(json.dumps({"customer": {"email": e, "name": n}, "tags": [{"phone": p}]}) + "\n" for e, n, p in PEOPLE)
    objects = {
        "csv/people.csv": _csv(),
        "csv/child/other.csv": b"dob\n1990-01-02\n",
        "tsv/people.tsv": _csv("\t"),
        "jsonl/people.jsonl": jsonl.encode(),
        "json/people.json": json.dumps([{"contact": {"email": e}} for e, _, _ in PEOPLE]).encode(),
        "gz/people.csv.gz": gzip.compress(_csv()),
        "gz/people.jsonl.gz": gzip.compress(jsonl.encode()),
        "parquet/people.parquet": _parquet(),
        "parquet-big/people.parquet": _parquet(rows=40_000, row_group_size=20_000),
        "text/notes.txt": b"call ann@example.com tomorrow\n",
        "binary/logo.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        "binary/blob.dat": b"\x00\x01\x02\x03" * 100,
        "corrupt/broken.csv.gz": b"\x1f\x8b\x08\x00garbage-not-deflate" * 4,
        "corrupt/ok.csv": b"email\nzed@example.net\n",
        "truncgz/cut.jsonl.gz": gzip.compress(jsonl.encode() * 50)[:-40],
        "bomb/huge.csv.gz": gzip.compress(b"email\n" + b"bomb@example.com\n" * 2_000_000),
        "empty/": b"",
    }
    for key, body in objects.items():
        s3_admin.put_object(Bucket=BUCKET, Key=key, Body=body)
    return BUCKET


def _collect(collect_s3, **options):
    return collect_s3(BUCKET, **options)


@pytest.fixture
def samples(seeded, collect_s3):
    return _collect(collect_s3, max_object_bytes=256 * 1024)


def test_csv_and_tsv_headers_and_values(samples):
    for prefix in ("csv/", "tsv/"):
        s = samples.sample(f"{BUCKET}/{prefix}")
        assert s.fields["email"] == ["ann@example.com", "bob@example.org"]
        assert s.fields["full_name"] == ["Ann Tan", "Bob Lim"]
        assert "phone" in s.fields


def test_samples_hold_direct_objects_only(samples):
    assert "dob" not in samples.sample(f"{BUCKET}/csv/").fields
    assert samples.sample(f"{BUCKET}/csv/child/").fields == {"dob": ["1990-01-02"]}
    # the bucket itself holds no object directly: listed fine, nothing to read
    root = samples.sample(BUCKET)
    assert root is not None and root.fields == {} and root.text == []


def test_json_and_jsonl_key_paths(samples):
    jl = samples.sample(f"{BUCKET}/jsonl/").fields
    assert jl["customer.email"] == ["ann@example.com", "bob@example.org"]
    assert jl["customer.name"] == ["Ann Tan", "Bob Lim"]
    assert jl["tags[].phone"] == ["+65 9123 4567", "+65 8123 4567"]
    assert samples.sample(f"{BUCKET}/json/").fields == {"contact.email": ["ann@example.com", "bob@example.org"]}


def test_gzip_csv_and_jsonl(samples):
    gz = samples.sample(f"{BUCKET}/gz/").fields
    assert gz["email"] == ["ann@example.com", "bob@example.org"]
    assert gz["customer.email"] == ["ann@example.com", "bob@example.org"]


def test_parquet_small_and_over_the_byte_limit(samples):
    small = samples.sample(f"{BUCKET}/parquet/").fields
    assert small["email"] == ["ann@example.com", "bob@example.org"] and small["customer_id"] == ["0", "1"]
    big = samples.sample(f"{BUCKET}/parquet-big/").fields
    assert set(big) == {"email", "customer_id", "note"}  # column names read from the footer by range
    # the columns whose first row group fits the byte budget are sampled; the one that does not is named
    assert big["email"][:2] == ["ann@example.com", "bob@example.org"] and big["note"] == []
    why = samples.ds(f"{BUCKET}/parquet-big/").facts["unsampled"]["parquet-big/people.parquet"]
    assert "column 'note'" in why and "over the object byte budget" in why and "email" not in why, why
    assert "unsampled" not in samples.ds(f"{BUCKET}/parquet/").facts


def test_text_and_binary(samples):
    assert samples.sample(f"{BUCKET}/text/").text == ["call ann@example.com tomorrow\n"]
    binary = samples.ds(f"{BUCKET}/binary/")
    assert sorted(n for n in binary.notes if n.startswith("binary object skipped")) == [
        "binary object skipped: binary/blob.dat", "binary object skipped: binary/logo.png"]
    # nothing in the node was parsed: its personal data is unknown (no sample), never "none"
    assert samples.sample(f"{BUCKET}/binary/") is None
    assert binary.facts["unsampled"] == {"binary/blob.dat": "binary object skipped",
                                         "binary/logo.png": "binary object skipped"}


def test_corrupt_gzip_is_a_note_and_the_scan_goes_on(samples):
    d = samples.ds(f"{BUCKET}/corrupt/")
    assert "corrupt gzip: corrupt/broken.csv.gz" in d.notes
    assert samples.sample(f"{BUCKET}/corrupt/").fields == {"email": ["zed@example.net"]}
    assert d.facts["unsampled"] == {"corrupt/broken.csv.gz": "corrupt gzip"}  # partly read: absence unknown
    assert "corrupt gzip: truncgz/cut.jsonl.gz" in samples.ds(f"{BUCKET}/truncgz/").notes
    assert not any("example" in n for n in d.notes)  # key names only, never values


def test_decompression_is_bounded(samples):
    values = samples.sample(f"{BUCKET}/bomb/").fields["email"]
    assert 0 < len(values) <= 500 and set(values) == {"bomb@example.com"}


def test_sample_size_and_no_sampling(seeded, collect_s3):
    off = _collect(collect_s3, sample_objects=0)
    assert off.sample(f"{BUCKET}/csv/") is None
    one = _collect(collect_s3, sample_objects=1)
    assert one.sample(f"{BUCKET}/binary/") is None
    assert len([n for n in one.ds(f"{BUCKET}/binary/").notes if n.startswith("binary")]) == 1
