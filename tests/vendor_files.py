"""Files as vendors hand them over, built in memory for the tests: XLSX, DOCX, PDF, ZIP."""

from __future__ import annotations

import io
import zipfile
from html import escape


def xlsx(rows: list[list[object]], title: str = "Customers") -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def docx(paragraphs: list[str], media: dict[str, bytes] | None = None) -> bytes:
    body = "".join(f"<w:p><w:r><w:t xml:space=\"preserve\">{escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f"<w:body>{body}</w:body></w:document>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"/>')
        z.writestr("word/document.xml", document)
        for name, data in (media or {}).items():
            z.writestr(f"word/media/{name}", data)
    return buf.getvalue()


def pdf(lines: list[str], scanned: bool = False) -> bytes:
    """A one-page PDF whose text (Helvetica) holds ``lines``; ``scanned``: the page draws an image
    (a 2x2 grey scan) instead, with no text layer."""
    ops = " ".join(f"({line}) Tj 0 -14 Td" for line in lines)
    content = f"BT /F1 12 Tf 72 720 Td {ops} ET"
    resources = "/Font << /F1 5 0 R >>"
    extra = []
    if scanned:
        content = "q 612 0 0 792 0 0 cm /Im1 Do Q"
        resources = "/XObject << /Im1 6 0 R >>"
        extra = ["<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray "
                 "/BitsPerComponent 8 /Length 4 >>\nstream\n\x80\x80\x80\x80\nendstream"]
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        f"/Resources << {resources} >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *extra,
    ]
    return _pdf_file(objs)


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def pdf_form(values: dict[str, str], label: str = "Customer application form") -> bytes:
    """A one-page filled PDF form: ``label`` as the page's text, each of ``values`` a text field
    (AcroForm widget with its /V, no appearance stream: NeedAppearances, as many generators leave it)."""
    content = f"BT /F1 12 Tf 72 720 Td ({label}) Tj ET"
    refs = " ".join(f"{6 + i} 0 R" for i in range(len(values)))
    objs = [
        f"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [{refs}] /NeedAppearances true >> >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        f"/Resources << /Font << /F1 5 0 R >> >> /Annots [{refs}] >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *(f"<< /Type /Annot /Subtype /Widget /FT /Tx /T ({k}) /V ({v}) /Rect [72 {600 - 30 * i} 300 "
          f"{620 - 30 * i}] /P 3 0 R >>" for i, (k, v) in enumerate(values.items())),
    ]
    return _pdf_file(objs)


def _pdf_file(objs: list[str]) -> bytes:
    """A PDF of these objects (numbered from 1, the first the catalogue), with its cross-reference table."""
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{obj}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out
