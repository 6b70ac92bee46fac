"""UTF-16 text exports (Excel's "Unicode Text", SQL Server ``bcp -w``, Windows PowerShell's ``>``): a
byte-order mark, then two bytes a character. They were skipped as "binary object" (a NUL in the
head), so a vendor's UTF-16 customer list was never classified (named, but for the wrong reason)."""

from __future__ import annotations

import gzip

import pytest

from connectors.readers import read_object

ROWS = "id\tname\temail\n" + "".join(f"{i}\tTan Wei {i}\twei{i}@utf16mail.example.com\n" for i in range(40))


def _read(key: str, data: bytes, max_bytes: int = 1024 * 1024):
    return read_object(key, len(data), lambda s, e: data[s: e + 1], max_bytes)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("key", ["export.txt", "export.csv", "export.tsv", "export"])
def test_a_utf16_export_with_a_byte_order_mark_is_read(encoding: str, key: str) -> None:
    bom = {"utf-16": b"", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[encoding]
    r = _read(key, bom + ROWS.encode(encoding))
    assert r.read and not r.failed, r.note
    values = [str(x) for vs in r.fields.values() for x in vs] + r.text
    assert any("wei7@utf16mail.example.com" in x for x in values)


def test_a_gzipped_utf16_export_is_read() -> None:
    r = _read("export.tsv.gz", gzip.compress(ROWS.encode("utf-16")))
    assert r.read and "email" in r.fields


def test_a_utf16_export_cut_at_the_byte_budget_is_read_to_the_cut() -> None:
    data = ROWS.encode("utf-16")
    r = _read("export.tsv", data, max_bytes=501)  # an odd cut: half a character at the end
    assert r.read and not r.failed and "email" in r.fields
