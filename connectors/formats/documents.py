"""Formats vendors hand over: ZIP archives, XLSX workbooks, DOCX and PDF documents.

Each needs random access (a ZIP's central directory, a PDF's cross-reference table sit at
the end), so it is opened through ranged reads within the object's byte budget
(:func:`~connectors.formats.common.ranged`): an object over the budget is read as far as the
budget goes and what was not reached is named, never read whole. What is decompressed is
bounded too (the decode budget): ZIP members by their declared sizes (Python's zipfile never
yields more than a member declares) and by a running total; a member or part over what is
left is named, never inflated. Nested archives are named, not opened.
"""

from __future__ import annotations

import html
import re
import zipfile
from collections import Counter
from collections.abc import Callable
from typing import Any, Literal

from connectors.formats.common import (
    MAX_ROWS_PER_OBJECT,
    MAX_TEXT_CHARS,
    BudgetExceeded,
    Fetch,
    LimitedReader,
    ReadResult,
    ObjectReadDeadline,
    header_is_data,
    ranged,
    text_result,
)

MAX_MEMBERS = 50  # ZIP members read from one archive (all are listed and counted)
MAX_SHEETS = 20
MAX_PDF_PAGES = 100
ARCHIVE_EXTENSIONS = (".zip", ".jar", ".7z", ".rar", ".tar", ".tgz")

ReadMember = Callable[[str, bytes, bool], ReadResult]  # (member name, bytes, cut short) -> result


class Budget:
    """Decompressed bytes left for one object (shared by its members and parts)."""

    def __init__(self, total: int) -> None:
        self.total = self.left = total
        self.exhausted = False  # a stream was cut at the budget
        self.cut = False  # a member's bytes lay past max_object_bytes (the ranged read's budget)

    def reader(self, raw: Any) -> Any:
        import io

        budget = self

        class _Counting(LimitedReader):
            def readinto(self, buffer: Any) -> int:
                n = super().readinto(buffer)
                budget.left -= n
                budget.exhausted = budget.exhausted or self.hit
                return n

        return io.BufferedReader(_Counting(raw, self.left))


def _open_zip(key: str, size: int, fetch: Fetch, max_bytes: int, head: bytes | None) -> zipfile.ZipFile:
    return zipfile.ZipFile(ranged(fetch, size, max_bytes, head))


def _inflate(zf: zipfile.ZipFile, member: zipfile.ZipInfo, budget: Budget, label: str, result: ReadResult,
             max_bytes: int, cut: str = "") -> bytes | None:
    """One ZIP member (an archive's file, a document's part) inflated within the decode budget,
    or None with the reason named in ``result`` (``label``: "zip: member 'x.csv'"). Bytes past
    max_object_bytes set ``budget.cut`` and are named with ``cut`` ("and the ones after it")."""
    if member.file_size > budget.left:
        result.skip(f"{label} declares {member.file_size} bytes, over the decode budget left "
                    f"({budget.left} of {budget.total}); not read")
        return None
    try:
        with zf.open(member) as src:
            data = src.read(member.file_size)
    except BudgetExceeded:
        budget.cut = True
        result.skip(f"{label}{cut}: over max_object_bytes ({max_bytes}); not read")
        return None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        result.skip(f"{label} could not be read ({type(exc).__name__})")  # NotImplementedError: a method zipfile lacks
        return None
    budget.left -= len(data)
    return data


def _over(fmt: str, key: str, size: int, max_bytes: int) -> ReadResult:
    return ReadResult(note=f"{fmt} over the byte limit: {key}", read=False).skip(
        f"{fmt}: the object ({size} bytes) could not be opened within max_object_bytes ({max_bytes}); not read")


# --------------------------------------------------------------------------- ZIP


def read_zip(key: str, size: int, fetch: Fetch, max_bytes: int, head: bytes | None, decode: int,
             read_member: ReadMember) -> ReadResult:
    try:
        zf = _open_zip(key, size, fetch, max_bytes, head)
    except BudgetExceeded:
        return _over("zip", key, size, max_bytes)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return ReadResult(note=f"corrupt zip: {key}", failed=True)
    result = ReadResult()
    budget = Budget(decode)
    members = [m for m in zf.infolist() if not m.is_dir()]
    read = 0
    for i, member in enumerate(members):
        name = member.filename
        if read >= MAX_MEMBERS:
            rest = members[i:]
            result.skip(f"zip: {len(rest)} members after the first {MAX_MEMBERS} not read "
                        f"({sum(m.file_size for m in rest)} bytes declared)")
            break
        if member.flag_bits & 0x1:
            result.skip(f"zip: member {name!r} is encrypted; not read")
            continue
        if name.lower().endswith(ARCHIVE_EXTENSIONS):
            result.skip(f"zip: nested archive {name!r} ({member.file_size} bytes) not opened")
            continue
        data = _inflate(zf, member, budget, f"zip: member {name!r}", result, max_bytes, " and the ones after it")
        if budget.cut:
            break
        if data is None:
            continue
        read += 1
        inner = read_member(name, data, False)
        if inner.failed or not inner.read:
            result.skip(f"zip: member {name!r}: {inner.note or 'not read'}")
            continue
        result.absorb(inner, f"zip member {name!r}")
    if members and not read and not result.fields and not result.text:
        return ReadResult(note=f"no zip member could be read: {key}", read=False, skips=result.skips)
    return result


# --------------------------------------------------------------------------- TAR


def is_tar(data: bytes) -> bool:
    """A tar stream's first header (POSIX ustar, GNU or PAX: "ustar" at offset 257)."""
    return data[257:262] == b"ustar"


def read_tar(key: str, data: bytes, cut: bool, read_member: ReadMember) -> ReadResult:
    """A tar archive's members, from its bytes as far as they were read (and decompressed): ``cut``
    when the object goes on past them; a member that lies past them is named, never guessed at."""
    import io
    import tarfile

    result = ReadResult()
    read = skipped_rest = 0
    try:
        tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
    except (tarfile.TarError, EOFError, ValueError):
        return ReadResult(note=f"corrupt tar: {key}", failed=True)
    try:
        for member in tf:
            name = member.name
            if member.isdir():
                continue
            if not member.isfile():  # a link, a device, a FIFO: nothing of its own to read
                what = "link" if member.issym() or member.islnk() else "special file"
                result.skip(f"tar: member {name!r} is a {what}; not followed")
                continue
            if read >= MAX_MEMBERS:
                skipped_rest += 1
                continue
            if member.offset_data + member.size > len(data):
                result.skip(f"tar: member {name!r} ({member.size} bytes) and the ones after it lie past the "
                            f"{len(data)} bytes read (max_object_bytes or the decode budget); not read")
                cut = False  # named here
                break
            if name.lower().endswith(ARCHIVE_EXTENSIONS):
                result.skip(f"tar: nested archive {name!r} ({member.size} bytes) not opened")
                continue
            src = tf.extractfile(member)
            content = src.read() if src is not None else b""
            read += 1
            inner = read_member(name, content, False)
            if inner.failed or not inner.read:
                result.skip(f"tar: member {name!r}: {inner.note or 'not read'}")
                continue
            result.absorb(inner, f"tar member {name!r}")
    except (tarfile.TarError, EOFError, ValueError, OSError) as exc:
        if not cut:
            result.skip(f"tar: corrupt after {read} members ({type(exc).__name__}); the rest not read")
    if skipped_rest:
        result.skip(f"tar: {skipped_rest} members after the first {MAX_MEMBERS} not read")
    if cut:
        result.skip(f"tar: members past the first {len(data)} bytes read (max_object_bytes or the decode budget) "
                    "not read")
    if not read and not result.fields and not result.text and result.skips:
        return ReadResult(note=f"no tar member could be read: {key}", read=False, skips=result.skips)
    return result


# --------------------------------------------------------------------------- XLSX


class _BoundedArchive:
    """openpyxl's archive, with each part it streams (the sheets) bounded by the decode budget."""

    def __init__(self, zf: zipfile.ZipFile, budget: Budget) -> None:
        self._zf, self._budget = zf, budget

    def open(self, name: Any, mode: Literal["r", "w"] = "r", *args: Any, **kwargs: Any) -> Any:
        return self._budget.reader(self._zf.open(name, mode, *args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._zf, name)


def read_xlsx(key: str, size: int, fetch: Fetch, max_bytes: int, head: bytes | None, decode: int) -> ReadResult:
    try:
        import openpyxl
    except ImportError:
        return ReadResult(note=f"xlsx skipped (openpyxl not installed): {key}", read=False)
    budget = Budget(decode)
    try:
        zf = _open_zip(key, size, fetch, max_bytes, head)
        # what openpyxl reads whole when it opens a workbook (shared strings, styles, the workbook
        # part, relationships): their declared sizes must fit, else it is refused before inflating
        whole = [m for m in zf.infolist() if m.filename.endswith((".xml", ".rels"))
                 and not m.filename.startswith("xl/worksheets/")]
        declared = sum(m.file_size for m in whole)
        if declared > budget.left:
            return ReadResult(note=f"xlsx parts over the decode budget: {key}", read=False).skip(
                f"xlsx: shared strings, styles and workbook parts declare {declared} bytes, over the decode "
                f"budget ({budget.total}); not read")
        budget.left -= declared
        wb = openpyxl.load_workbook(ranged(fetch, size, max_bytes, head), read_only=True, data_only=True)
    except BudgetExceeded:
        return _over("xlsx", key, size, max_bytes)
    except ObjectReadDeadline:
        raise
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on a damaged workbook
        return ReadResult(note=f"corrupt xlsx: {key}", failed=True)
    result = ReadResult()
    try:
        if hasattr(wb, "_archive"):
            wb._archive = _BoundedArchive(wb._archive, budget)
        sheets = wb.worksheets
        for n, ws in enumerate(sheets):
            if n >= MAX_SHEETS:
                result.skip(f"xlsx: {len(sheets) - MAX_SHEETS} sheets after the first {MAX_SHEETS} not read")
                break
            try:
                _read_sheet(ws, result)
            except ObjectReadDeadline:
                raise
            except Exception as exc:  # noqa: BLE001 - a damaged sheet is named, the others still read
                if isinstance(exc, BudgetExceeded) or budget.exhausted:
                    result.skip(f"xlsx: sheet {ws.title!r} and the ones after it: over the decode budget "
                                f"({budget.total}) or max_object_bytes ({max_bytes}); not read past that")
                    break
                result.skip(f"xlsx: sheet {ws.title!r} could not be read ({type(exc).__name__})")
    finally:
        try:
            wb.close()
        except Exception:  # noqa: BLE001 - closing a bounded archive that gave up
            pass
    return result


def _read_sheet(ws: Any, result: ReadResult) -> None:
    """The first rows of one sheet, like a CSV: title rows above the table are read as text, the
    header is the first row of the table's width (cells up to the last non-empty one)."""
    prefix = ws.title
    rows: list[list[str]] = []
    try:
        for row in ws.iter_rows(values_only=True):
            cells = ["" if v is None else result.cell(str(v)) for v in row]
            while cells and not cells[-1].strip():
                cells.pop()
            if cells:
                rows.append(cells)
            if len(rows) > MAX_ROWS_PER_OBJECT + SNIFF_ROWS:
                break  # a sample of rows, as for CSV and SQL
    finally:
        _sheet_fields(prefix, rows, result)


SNIFF_ROWS = 50


def _sheet_fields(prefix: str, rows: list[list[str]], result: ReadResult) -> None:
    if not rows:
        return
    widths = Counter(len(r) for r in rows[:SNIFF_ROWS] if len(r) >= 2)
    width = max(widths.items(), key=lambda wc: (wc[1], wc[0]))[0] if widths else len(rows[0])
    start = next((i for i, r in enumerate(rows) if len(r) == width), 0)
    preamble = [" ".join(r) for r in rows[:start]]
    if preamble:
        result.text.append("\n".join(preamble))
    header = rows[start]
    body = rows[start:] if header_is_data(header) else rows[start + 1:]
    names = ([f"{prefix}!column_{j + 1}" for j in range(len(header))] if header_is_data(header)
             else [f"{prefix}!{c.strip() or f'column_{j + 1}'}" for j, c in enumerate(header)])
    for name in names:
        result.fields.setdefault(name, [])
    for cells in body[:MAX_ROWS_PER_OBJECT]:
        while len(cells) > len(names):
            names.append(f"{prefix}!column_{len(names) + 1}")
        for name, value in zip(names, cells):
            if value.strip():
                result.fields.setdefault(name, []).append(value)


# --------------------------------------------------------------------------- DOCX

_W_TEXT = re.compile(rb"<w:t(?:\s[^>]*)?>([^<]*)</w:t>|</w:p>|<w:tab/>|<w:br/>")
DOCX_PARTS = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml$")


def read_docx(key: str, size: int, fetch: Fetch, max_bytes: int, head: bytes | None, decode: int) -> ReadResult:
    """The text of a Word document's body, headers, footers, notes and comments. The XML is not
    parsed into a tree: ``<w:t>`` runs are picked out of a bounded read, so no entity or depth
    trick of the XML can make it grow."""
    budget = Budget(decode)
    try:
        zf = _open_zip(key, size, fetch, max_bytes, head)
        parts = [m for m in zf.infolist() if DOCX_PARTS.match(m.filename)]
    except BudgetExceeded:
        return _over("docx", key, size, max_bytes)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return ReadResult(note=f"corrupt docx: {key}", failed=True)
    if not parts:
        return ReadResult(note=f"docx without a document part: {key}", failed=True)
    result = ReadResult()
    text: list[str] = []
    for part in parts:
        xml = _inflate(zf, part, budget, f"docx: part {part.filename!r}", result, max_bytes)
        if xml is None:  # the other parts may lie before max_object_bytes: still read
            continue
        for m in _W_TEXT.finditer(xml):
            if m.group(1) is not None:
                text.append(html.unescape(m.group(1).decode("utf-8", errors="replace")))
            else:
                text.append("\n" if m.group(0) == b"</w:p>" else " " if m.group(0) == b"<w:tab/>" else "\n")
    body = "".join(text)
    media = [m for m in zf.infolist() if m.filename.startswith("word/media/") and not m.is_dir()]
    if media and not body.strip():
        result.skip(f"docx: {len(media)} image{'s' if len(media) != 1 else ''} under word/media and no text "
                    "(scanned images, not OCR'd)")
    out = text_result(body, "docx")
    out.skips[:0] = result.skips
    return out


# --------------------------------------------------------------------------- PDF


def read_pdf(key: str, size: int, fetch: Fetch, max_bytes: int, head: bytes | None, decode: int) -> ReadResult:
    try:
        import pypdf
    except ImportError:
        return ReadResult(note=f"pdf skipped (pypdf not installed): {key}", read=False)
    import logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged PDF is a note, not a page of warnings
    limits = {name: decode for name in ("zlib_maximum_output_length", "lzw_maximum_output_length",
                                        "run_length_maximum_output_length", "brotli_maximum_output_length",
                                        "jbig2_maximum_output_length", "maximum_declared_stream_length",
                                        "image_maximum_buffer_size", "stream_decoding_work_maximum_length")}
    configure = getattr(pypdf, "overwrite_configuration", None)
    if configure is not None:
        known = {f for f in getattr(pypdf.Configuration, "__dataclass_fields__", {})}
        configure(**{k: v for k, v in limits.items() if k in known})
    try:
        reader = pypdf.PdfReader(ranged(fetch, size, max_bytes, head))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise ValueError
            except Exception:  # noqa: BLE001 - any failure to open with an empty password
                return ReadResult(note=f"encrypted pdf: {key}", read=False).skip(
                    "pdf: encrypted with a password; not read")
        pages = reader.pages
        count = len(pages)
    except BudgetExceeded:
        return _over("pdf", key, size, max_bytes)
    except ObjectReadDeadline:
        raise
    except Exception:  # noqa: BLE001 - pypdf raises many kinds on a damaged file
        return ReadResult(note=f"corrupt pdf: {key}", failed=True)
    result = ReadResult()
    text: list[str] = []
    chars = 0
    textless = 0  # pages read that give no text but show images: scans nobody OCR'd
    blank = 0  # pages read that give no text and show no image
    for n in range(count):
        if n >= MAX_PDF_PAGES or chars >= MAX_TEXT_CHARS:
            result.skip(f"pdf: pages {n + 1}-{count} of {count} not read (page or text limit)")
            break
        try:
            page_text = pages[n].extract_text() or ""
        except BudgetExceeded:
            result.skip(f"pdf: pages {n + 1}-{count} of {count}: over max_object_bytes ({max_bytes}); not read")
            break
        except ObjectReadDeadline:
            raise
        except Exception as exc:  # noqa: BLE001 - one damaged page is named, the others still read
            result.skip(f"pdf: page {n + 1} could not be read ({type(exc).__name__})")
            continue
        if not page_text.strip():
            if _has_images(pages[n]):
                textless += 1
            else:
                blank += 1
        text.append(page_text)
        chars += len(page_text)
    text.extend(_form_values(reader, result, max_bytes))
    if not any(t.strip() for t in text):
        textless += blank  # no page has a text layer: the document is not known to be empty
    if textless:
        result.skip(f"pdf: {textless} page{'s' if textless != 1 else ''} without a text layer "
                    "(scanned images, not OCR'd)")
    out = text_result("\n".join(text), "pdf")
    out.skips[:0] = result.skips
    return out


MAX_FORM_FIELDS = 500


def _form_values(reader: Any, result: ReadResult, max_bytes: int) -> list[str]:
    """A filled form's field values (AcroForm), "name: value" per line: the page text of a filled
    application form holds its labels only, the answers are field values."""
    try:
        fields = reader.get_fields() or {}
    except BudgetExceeded:
        result.skip(f"pdf: form fields past max_object_bytes ({max_bytes}); not read")
        return []
    except ObjectReadDeadline:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged form dictionary is named, the pages still count
        result.skip(f"pdf: form fields could not be read ({type(exc).__name__})")
        return []
    lines: list[str] = []
    for n, (name, field) in enumerate(fields.items()):
        if n >= MAX_FORM_FIELDS:
            result.skip(f"pdf: {len(fields) - MAX_FORM_FIELDS} form fields after the first {MAX_FORM_FIELDS} not read")
            break
        value = field.get("/V") if hasattr(field, "get") else None
        values = value if isinstance(value, list) else [value]
        shown = [result.cell(str(v)) for v in values if v is not None and str(v).strip()
                 and not str(v).startswith("/")]  # a name (/Yes, /Off) is a check box's state, not a value
        if shown:
            lines.append(f"{name}: {' '.join(shown)}")
    return lines


def _has_images(page: Any, depth: int = 0) -> bool:
    """Does a page (or a form XObject it draws, two levels down) draw an image XObject or an inline
    image? Read from the resources and the content stream, no image is decoded."""
    try:
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else None
        xobjects = resources.get("/XObject") if resources is not None else None
        for ref in (xobjects.get_object().values() if xobjects is not None else ()):
            obj = ref.get_object()
            subtype = obj.get("/Subtype")
            if subtype == "/Image":
                return True
            if subtype == "/Form" and depth < 2 and _has_images(obj, depth + 1):
                return True
        if depth == 0:
            contents = page.get_contents()
            data = contents.get_data() if contents is not None else b""
            return re.search(rb"(^|\s)BI\s", data) is not None
    except ObjectReadDeadline:
        raise
    except Exception:  # noqa: BLE001 - a damaged resource dictionary: count the page as holding images
        return True
    return False
