"""A member of an archive (ZIP, tar) or an e-mail's attachment is read as an object of its own and
merged into the archive's result: its fields, its text and its skips were, but not its count of long
values whose rest found no room in the text budget (``cut_cells``, 371ba11), so a CSV export inside a
tarball or a ZIP with more long text than the budget had values cut unnamed, where the same CSV on
its own is named in its dataset's notes. The merge is one helper now (ReadResult.absorb)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from email.message import EmailMessage

import pytest

from connectors.readers import read_object

WORD = "lorem ipsum dolor sit amet "


def _csv() -> bytes:
    # 200 rows x 6 long notes: each value's rest (past MAX_CELL_CHARS) is about 1,000 characters,
    # 1,200 of them: more than the object's text budget (1 MiB)
    cell = (WORD * 80).strip()
    rows = ["id," + ",".join(f"note{j}" for j in range(6))]
    rows += [f"{i}," + ",".join(cell for _ in range(6)) for i in range(200)]
    return ("\n".join(rows) + "\n").encode()


def _zip(data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("export/notes.csv", data)
    return buf.getvalue()


def _tar(data: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        info = tarfile.TarInfo("export/notes.csv")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _eml(data: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "crm@vendor.example", "ops@vendor.example", "weekly export"
    msg.set_content("attached")
    msg.add_attachment(data, maintype="text", subtype="csv", filename="notes.csv")
    return msg.as_bytes()


def _read(key: str, data: bytes):
    return read_object(key, len(data), lambda s, e: data[s: e + 1], 64 << 20)


def test_a_csv_on_its_own_counts_its_cut_values():
    assert _read("notes.csv", _csv()).cut_cells > 0


@pytest.mark.parametrize("key, wrap", [("export.zip", _zip), ("export.tar", _tar), ("mail.eml", _eml)])
def test_a_member_or_attachment_keeps_its_count_of_cut_values(key, wrap):
    alone = _read("notes.csv", _csv())
    result = _read(key, wrap(_csv()))
    assert result.read and not result.failed
    assert result.cut_cells == alone.cut_cells > 0
