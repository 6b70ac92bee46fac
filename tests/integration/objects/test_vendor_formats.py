"""Data as vendors really leave it (issue 15), read through the S3 connector from moto over HTTP:
each case either yields its personal data or names what was not read in ``facts["unsampled"]``.
Each of these read as "no personal data" (or was dropped without a note) before."""

from __future__ import annotations

import io
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.hostile_inputs import hostile_parquet
from tests.vendor_files import docx, pdf, xlsx, zip_of

BUCKET = "vendor-formats"
LIMIT = 256 * 1024
PEOPLE = [("ann@example.com", "Ann Tan", "4111111111111111"), ("bob@example.org", "Bob Lim", "5500000000000004")]


def _nested_parquet() -> bytes:
    table = pa.table({
        "customer": pa.array([{"email": e, "name": n} for e, n, _ in PEOPLE]),
        "phones": [["+65 9123 4567"], ["+65 8123 4567"]],
        "by_email": pa.array([[(e, "vip")] for e, _, _ in PEOPLE], type=pa.map_(pa.string(), pa.string())),
        "photo": [b"\x89PNG\x00\x01", b"\x89PNG\x00\x02"],
    })
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _deep(depth: int) -> bytes:
    doc: object = {"email": PEOPLE[0][0]}
    for i in range(depth):
        doc = {f"level{i}": doc}
    return json.dumps(doc).encode()


@pytest.fixture(scope="module")
def formats(s3_admin) -> str:
    s3_admin.create_bucket(Bucket=BUCKET)
    semicolon = "email;name;card\n" + "".join(f"{e};{n};{c}\n" for e, n, c in PEOPLE)
    objects = {
        "semicolon/customers.csv": semicolon.encode(),
        "preamble/customers.csv": ("Customer export 2024-01-31 (confidential)\n\nemail,name,card\n"
                                   + "".join(f"{e},{n},{c}\n" for e, n, c in PEOPLE)).encode(),
        "sepline/customers.csv": b"sep=;\n" + semicolon.encode(),
        "deepjson/doc.json": _deep(40),
        "deepjsonl/rows.jsonl": b"".join(_deep(30) + b"\n" for _ in range(3)),
        "nested/people.parquet": _nested_parquet(),
        "hostile/blob.parquet": hostile_parquet(),
        "xlsx/customers.xlsx": xlsx([["email", "name", "card"], *[list(p) for p in PEOPLE]]),
        "docx/letter.docx": docx(["Dear customer,", f"your account {PEOPLE[0][0]} was closed."]),
        "pdf/invoice.pdf": pdf(["Invoice 2024-001", f"Billed to {PEOPLE[1][0]}"]),
        "scans/passport-scan.pdf": pdf([], scanned=True),
        "scans/id-card.docx": docx([], media={"image1.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64}),
        "zip/export.zip": zip_of({
            "customers.csv": ("email,name\n" + "".join(f"{e},{n}\n" for e, n, _ in PEOPLE)).encode(),
            "inner/archive.zip": zip_of({"more.csv": b"email\nzed@example.net\n"}),
            "padding.txt": b"a" * (8 * 1024 * 1024),  # 8 MB declared, a few KB on disk: over the decode budget
        }),
        "zipbig/export.zip": zip_of({"customers.csv": b"email\nann@example.com\n", "noise.bin": os.urandom(600_000)},
                                    compression=0),
    }
    for key, body in objects.items():
        s3_admin.put_object(Bucket=BUCKET, Key=key, Body=body)
    return BUCKET


@pytest.fixture(scope="module")
def got(formats, s3_url):
    from tests.integration.objects.conftest import run_connector
    from connectors.s3 import Connector

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        return run_connector(Connector, "s3", buckets=[BUCKET], endpoint_url=s3_url, region="us-east-1",
                             max_object_bytes=LIMIT)


def _unsampled(got, prefix: str) -> dict:
    return got.ds(f"{BUCKET}/{prefix}").facts.get("unsampled", {})


def test_semicolon_csv_is_sniffed(got):
    fields = got.sample(f"{BUCKET}/semicolon/").fields
    assert fields["email"] == ["ann@example.com", "bob@example.org"]
    assert fields["card"] == ["4111111111111111", "5500000000000004"]
    assert not _unsampled(got, "semicolon/")


def test_preamble_and_sep_lines_are_skipped_to_the_header(got):
    pre = got.sample(f"{BUCKET}/preamble/")
    assert pre.fields["email"] == ["ann@example.com", "bob@example.org"]
    assert "Customer export" in "".join(pre.text)  # the title line is read as text, not dropped
    assert got.sample(f"{BUCKET}/sepline/").fields["card"] == ["4111111111111111", "5500000000000004"]


def test_json_and_jsonl_to_any_depth(got):
    deep = got.sample(f"{BUCKET}/deepjson/").fields
    assert [v for k, v in deep.items() if k.endswith(".email")] == [["ann@example.com"]], deep
    lines = got.sample(f"{BUCKET}/deepjsonl/").fields
    assert [v for k, v in lines.items() if k.endswith(".email")] == [["ann@example.com"] * 3]
    assert not _unsampled(got, "deepjson/") and not _unsampled(got, "deepjsonl/")


def test_parquet_nested_columns_are_flattened_and_binary_named(got):
    fields = got.sample(f"{BUCKET}/nested/").fields
    assert fields["customer.email"] == ["ann@example.com", "bob@example.org"]
    assert fields["phones[]"] == ["+65 9123 4567", "+65 8123 4567"]
    assert fields["by_email.<key>"] == ["ann@example.com", "bob@example.org"]
    why = _unsampled(got, "nested/")["nested/people.parquet"]
    assert "column 'photo' (binary, 2 values) not sampled" in why


def test_hostile_parquet_is_named_not_decoded(got):
    why = _unsampled(got, "hostile/")["hostile/blob.parquet"]
    assert "column 'blob' decodes to" in why and "decode budget" in why
    assert len(got.sample(f"{BUCKET}/hostile/").fields["email"]) == 200


def test_xlsx_docx_pdf(got):
    sheet = got.sample(f"{BUCKET}/xlsx/").fields
    assert sheet["Customers!email"] == ["ann@example.com", "bob@example.org"]
    assert sheet["Customers!card"] == ["4111111111111111", "5500000000000004"]
    assert "ann@example.com" in "".join(got.sample(f"{BUCKET}/docx/").text)
    assert "bob@example.org" in "".join(got.sample(f"{BUCKET}/pdf/").text)
    for prefix in ("xlsx/", "docx/", "pdf/"):
        assert not _unsampled(got, prefix), prefix


def test_scans_without_a_text_layer_are_named_not_clean(got):
    why = _unsampled(got, "scans/")
    assert why["scans/passport-scan.pdf"] == "pdf: 1 page without a text layer (scanned images, not OCR'd)"
    assert why["scans/id-card.docx"] == "docx: 1 image under word/media and no text (scanned images, not OCR'd)"


def test_zip_members_sampled_bomb_and_nested_archive_named(got):
    assert got.sample(f"{BUCKET}/zip/").fields["email"] == ["ann@example.com", "bob@example.org"]
    why = _unsampled(got, "zip/")["zip/export.zip"]
    assert "nested archive 'inner/archive.zip'" in why
    assert "member 'padding.txt' declares 8388608 bytes, over the decode budget" in why


def test_zip_over_the_byte_budget_is_read_as_far_as_the_budget_goes(got):
    assert got.sample(f"{BUCKET}/zipbig/").fields["email"] == ["ann@example.com"]
    why = _unsampled(got, "zipbig/")["zipbig/export.zip"]
    assert "member 'noise.bin'" in why and "over max_object_bytes" in why
