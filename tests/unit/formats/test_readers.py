"""The content readers on bytes built in memory: each either reads what it was given or names
what it skipped (``ReadResult.skips``, which become ``facts["unsampled"]``)."""

from __future__ import annotations

import io
import json
import time
import zipfile

import pytest

from connectors.formats.common import MAX_CELL_CHARS, MAX_FIELDS
from connectors.formats.delimited import sniff
from connectors.readers import read_bytes, read_object
from tests.vendor_files import docx, pdf, xlsx, zip_of

MiB = 1024 * 1024


def _read(key: str, data: bytes, max_bytes: int = MiB):
    return read_object(key, len(data), lambda s, e: data[s: e + 1], max_bytes)


@pytest.mark.parametrize("text, expected", [
    ("email;name\na@example.com;Ann\n", (";", 0)),
    ("email\tname\na@example.com\tAnn\n", ("\t", 0)),
    ("email|name\na@example.com|Ann\n", ("|", 0)),
    ("sep=;\nemail;name\na@example.com;Ann\n", (";", 1)),
    ("Export of 2024-01-31\n\nemail,name\na@example.com,Ann\nb@example.com,Bob\n", (",", 2)),
    ("name;address\nAnn;1 Main St, Singapore\nBob;2 High St, Singapore\n", (";", 0)),  # commas in values
    ("id,note\n1,a;b\n2,c;d\n", (",", 0)),
    ("email\na@example.com\n", (",", 0)),  # one column: the name's default
])
def test_sniff(text, expected):
    assert sniff(text) == expected


def test_rows_wider_than_the_header_are_read_too():
    r = read_bytes("k", "x.csv", b"id,name\n1,Ann,ann@example.com\n", False)
    assert r.fields["column_3"] == ["ann@example.com"] and not r.skips


def test_json_depth_is_bounded_by_bytes_only():
    depth = 200_000
    started = time.monotonic()
    r = read_bytes("k", "x.json", b"[" * depth + b'{"email": "a@example.com"}' + b"]" * depth, False)
    assert time.monotonic() - started < 10
    [(path, values)] = r.fields.items()
    assert values == ["a@example.com"] and path.endswith(".email") and "levels" in path and len(path) < 200


def test_json_key_paths_beyond_the_cap_are_named():
    # MAX_FIELDS + 10 schema-like paths: 50 objects of 40 keys, and 10 more (one object of thousands of
    # keys is a map keyed by data, one path: see test_maps_keyed_by_data_are_one_path)
    groups = {f"g{g}": {f"k{i}": "v" for i in range(40)} for g in range(50)}
    groups["g50"] = {f"k{i}": "v" for i in range(10)}
    assert sum(map(len, groups.values())) == MAX_FIELDS + 10
    r = read_bytes("k", "x.json", json.dumps(groups).encode(), False)
    assert len(r.fields) == MAX_FIELDS
    assert r.skips == [f"json: 10 values under key paths beyond the first {MAX_FIELDS} not sampled"]


def test_invalid_json_after_some_values_keeps_them_and_names_the_rest():
    r = read_bytes("k", "x.json", b'[{"email": "a@example.com"}, {"email": oops}]', False)
    assert r.fields["email"] == ["a@example.com"] and not r.failed
    assert r.skips and r.skips[0].startswith("json: invalid after 1 values")


def test_parquet_long_plain_values_are_cut_and_maps_flattened():
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"note": ["y" * 50_000, "z"],
                             "m": pa.array([[("a@example.com", "1")], []], type=pa.map_(pa.string(), pa.string()))}),
                   buf, use_dictionary=False)
    r = _read("p.parquet", buf.getvalue())
    assert [len(v) for v in r.fields["note"]] == [MAX_CELL_CHARS, 1]
    assert r.fields["m.<key>"] == ["a@example.com"] and r.fields["m.<value>"] == ["1"]


def test_xlsx_title_rows_and_shared_strings_bomb():
    book = xlsx([["Customer list"], [], ["email", "phone"], ["a@example.com", "+65 9123 4567"]])
    r = _read("c.xlsx", book)
    assert r.fields == {"Customers!email": ["a@example.com"], "Customers!phone": ["+65 9123 4567"]}
    assert r.text == ["Customer list"] and not r.skips  # the title row is read as text
    # a shared strings part declaring more than the decode budget is refused before openpyxl inflates it
    bomb = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/sharedStrings.xml", b"<sst>" + b" " * (8 * MiB) + b"</sst>")
    r = _read("bomb.xlsx", bomb.getvalue(), max_bytes=MiB)
    assert not r.read and "over the decode budget" in r.skips[0]


def test_xlsx_sheet_that_inflates_past_the_budget_is_cut_and_named():
    rows = [["email"]] + [[f"user{i}@example.com"] for i in range(300)]
    book = xlsx(rows)
    # read with a budget of its own size: the sheet's XML stream stops at the decode budget (4x), the
    # rows parsed before the cut are kept and the cut is named
    r = _read("c.xlsx", book, max_bytes=len(book))
    assert r.fields["Customers!email"][:2] == ["user0@example.com", "user1@example.com"]
    assert 0 < len(r.fields["Customers!email"]) < 200
    assert r.skips and r.skips[0].startswith("xlsx: sheet 'Customers' and the ones after it: over the decode budget")


def test_docx_text_and_entities():
    r = _read("letter.docx", docx(["Dear Ann & Bob,", "write to a@example.com"]))
    assert "Dear Ann & Bob," in "".join(r.text) and "a@example.com" in "".join(r.text) and not r.skips


def test_scanned_pdf_is_named_not_clean():
    r = _read("passport-scan.pdf", pdf([], scanned=True))
    assert r.skips == ["pdf: 1 page without a text layer (scanned images, not OCR'd)"]
    assert r.partial and not "".join(r.text).strip()


def test_pdf_with_text_has_no_skips():
    r = _read("invoice.pdf", pdf(["Billed to bob@example.org"]))
    assert "bob@example.org" in "".join(r.text) and not r.skips


def test_docx_of_images_only_is_named_not_clean():
    r = _read("scan.docx", docx([], media={"image1.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64}))
    assert r.skips == ["docx: 1 image under word/media and no text (scanned images, not OCR'd)"]
    with_text = _read("letter.docx", docx(["write to a@example.com"], media={"logo.png": b"\x89PNG"}))
    assert not with_text.skips


def test_encrypted_pdf_is_named():
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=72, height=72)
    w.encrypt("secret")
    buf = io.BytesIO()
    w.write(buf)
    r = _read("locked.pdf", buf.getvalue())
    assert not r.read and r.skips == ["pdf: encrypted with a password; not read"]


def test_zip_member_cap_is_named():
    r = _read("many.zip", zip_of({f"m{i}.csv": b"email\na@example.com\n" for i in range(60)}))
    assert r.fields["email"] == ["a@example.com"] * 50
    assert r.skips == ["zip: 10 members after the first 50 not read (200 bytes declared)"]


def test_gzipped_parquet_is_read_when_whole():
    import gzip

    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"email": ["a@example.com"]}), buf)
    r = _read("p.parquet.gz", gzip.compress(buf.getvalue()))
    assert r.fields["email"] == ["a@example.com"]


def _with_unsupported_method(data: bytes, name: str) -> bytes:
    """``data`` (a ZIP) with ``name`` marked as Deflate64 (method 9), which zipfile cannot inflate."""
    out = bytearray(data)
    zf = zipfile.ZipFile(io.BytesIO(data))
    info = zf.getinfo(name)
    out[info.header_offset + 8: info.header_offset + 10] = (9).to_bytes(2, "little")  # local header
    central = data.index(b"PK\x01\x02", zf.start_dir)
    while data[central + 46: central + 46 + len(name)] != name.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    out[central + 10: central + 12] = (9).to_bytes(2, "little")  # central directory entry
    return bytes(out)


def test_a_zip_member_or_docx_part_in_an_unsupported_method_is_named_and_the_rest_read():
    z = _with_unsupported_method(zip_of({"a.csv": b"email\na@example.com\n", "b.csv": b"email\nb@example.com\n"}),
                                 "a.csv")
    r = _read("two.zip", z)
    assert r.fields["email"] == ["b@example.com"] and r.skips == ["zip: member 'a.csv' could not be read "
                                                                 "(NotImplementedError)"], r.skips
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "a") as out, zipfile.ZipFile(io.BytesIO(docx(["write to a@example.com"]))) as src:
        for item in src.infolist():
            out.writestr(item, src.read(item))
        out.writestr("word/header1.xml", "<w:hdr><w:p><w:r><w:t>Confidential</w:t></w:r></w:p></w:hdr>")
    r = _read("letter.docx", _with_unsupported_method(buf.getvalue(), "word/header1.xml"))
    assert "a@example.com" in "".join(r.text), r
    assert r.skips == ["docx: part 'word/header1.xml' could not be read (NotImplementedError)"], r.skips


def test_maps_keyed_by_data_are_one_path():
    from connectors.formats.jsonwalk import MAP_KEYS

    # many distinct keys at one path (ids): one map, its keys are values of <key>, never field names
    many = {"by_id": {f"cust_{i}": {"email": f"c{i}@example.com"} for i in range(MAP_KEYS + 30)}}
    r = read_bytes("k", "x.json", json.dumps(many).encode(), False)
    assert set(r.fields) == {"by_id.<key>", "by_id.<value>.email"}, sorted(r.fields)[:5]
    assert len(r.fields["by_id.<key>"]) == MAP_KEYS + 30 and len(r.fields["by_id.<value>.email"]) == MAP_KEYS + 30
    # a person's name as the key of a value that validates, beside schema-like and hinted keys
    flat = {"Tan Ah Kow": "+65 9123 4567", "order_id": 7}
    r = read_bytes("k", "x.json", json.dumps(flat).encode(), False)
    assert {k: sorted(v) for k, v in r.fields.items()} == {
        "<key>": ["Tan Ah Kow", "order_id"], "<value>": ["+65 9123 4567", "7"]}, r.fields
    # a map mixing an e-mail key with a name key: the whole map is data, the name included
    mixed = {"contacts": {"Lee Siew Ling": {"tier": 1}, "ann@example.com": {"tier": 2}}}
    r = read_bytes("k", "x.json", json.dumps(mixed).encode(), False)
    assert {k: sorted(v) for k, v in r.fields.items()} == {
        "contacts.<key>": ["Lee Siew Ling", "ann@example.com"], "contacts.<value>.tier": ["1", "2"]}, r.fields
    # nested: e-mail-keyed maps inside a name-keyed map, the name found data after the inner one
    nested = {"people": {"Tan Ah Kow": {"emails": {"tak@example.com": 1}}}}
    r = read_bytes("k", "x.json", json.dumps(nested).encode(), False)
    assert r.fields == {"people.<key>": ["Tan Ah Kow"], "people.<value>.emails.<key>": ["tak@example.com"],
                        "people.<value>.emails.<value>": ["1"]}, r.fields
    # schema-like keys, and spreadsheet headers the classifier reads as names, stay as they are
    plain = [{"First Name": "Ann", "Home Address": "1 Road", "address": {"city": "Singapore"}, "note": "x"}]
    r = read_bytes("k", "x.json", json.dumps(plain).encode(), False)
    assert set(r.fields) == {"First Name", "Home Address", "address.city", "note"}, r.fields
    # JSON Lines: keys of one path across lines count together
    lines = "\n".join(json.dumps({"seen": {f"u{i}": 1}}) for i in range(MAP_KEYS + 1))
    r = read_bytes("k", "x.jsonl", lines.encode(), False)
    assert set(r.fields) == {"seen.<key>", "seen.<value>"} and len(r.fields["seen.<key>"]) == MAP_KEYS + 1


def test_a_map_keyed_by_data_deep_in_a_document_is_one_path_too():
    # past 32 levels a path's middle is cut; the keys of a map keyed by data there still leave the path
    for depth in (20, 40, 5000):
        doc = '{"a":' * depth + '{"Lee Siew Ling": {"t": 1}, "Tan Ah Kow": "+65 9123 4567"}' + "}" * depth
        r = read_bytes("k", "x.json", doc.encode(), False)
        assert not any("Siew" in p or "Kow" in p for p in r.fields), (depth, list(r.fields))
        [keys] = [v for p, v in r.fields.items() if p.endswith(".<key>")]
        assert sorted(keys) == ["Lee Siew Ling", "Tan Ah Kow"], (depth, r.fields)
