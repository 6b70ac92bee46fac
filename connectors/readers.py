"""Content readers: one object's bytes in, bounded sample values out.

:func:`read_object` picks a reader by the object's name, then by its first bytes:

| format | reader | named in ``unsampled`` when |
| --- | --- | --- |
| CSV / TSV / PSV (dialect sniffed; a JSON document under such a name is read as JSON) | :mod:`connectors.formats.delimited` | never: preamble lines are read as text, wider rows as extra columns |
| JSON, JSON Lines (any depth) | :mod:`connectors.formats.jsonwalk` | values under key paths beyond ``MAX_FIELDS``; invalid JSON after some values |
| gzip, bzip2, xz (every stream) | here (bounded output) | never: the decompressed head is the sample |
| Parquet (nested flattened) | :mod:`connectors.formats.parquet` | binary columns; columns over the read or decode budget; delta-encoded text over budget |
| XLSX, ZIP, DOCX, PDF, TAR | :mod:`connectors.formats.documents` | sheets, members, parts or pages over a budget or a cap; encrypted ones; nested archives; links |
| text; e-mail messages (.eml: bodies decoded, attachments read as objects) | here | characters beyond ``MAX_TEXT_CHARS``; attachments that cannot be read |

Rows beyond ``MAX_ROWS_PER_OBJECT`` of a table-like object, and an object's bytes beyond
``max_object_bytes``, are the sample (as rows are for SQL), not a skip. Binary objects are
skipped and said so. A reader never raises on bad content: it returns a note naming the key
(never a value), and ``failed`` where the content could not be read at all (so it counts as
unknown, never as "no personal data").
"""

from __future__ import annotations

import bz2
import csv
import lzma
import zlib
from typing import Any

from connectors.formats import documents
from connectors.formats.common import (  # noqa: F401 - re-exported: the readers' shared names
    GZIP_OUTPUT_FACTOR,
    KEY_FIELD,
    MAX_CELL_CHARS,
    MAX_FIELDS,
    MAX_ROWS_PER_OBJECT,
    MAX_TEXT_CHARS,
    MAX_VALUES_PER_FIELD,
    VALUE_FIELD,
    BudgetExceeded,
    Fetch,
    ObjectBodyCut,
    ObjectReadDeadline,
    RangedFile,
    ReadResult,
    header_is_data,
    looks_like_value,
    text_result,
)
from connectors.formats.delimited import read_delimited
from connectors.formats.jsonwalk import flatten as _flatten_counted
from connectors.formats.jsonwalk import read_json, read_jsonl
from connectors.formats.parquet import read_parquet
from auditor.models import Sample

BINARY_EXTENSIONS = frozenset(
    [".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".ico", ".7z", ".rar", ".zst", ".avro", ".orc", ".mp3", ".mp4", ".mov", ".avi", ".wav", ".exe", ".dll", ".so", ".bin", ".jar", ".class", ".pyc", ".woff", ".woff2", ".ttf", ".db", ".sqlite", ".xls", ".doc"]
)
TEXT_EXTENSIONS = frozenset([".txt", ".log", ".md", ".xml", ".html", ".htm", ".yaml", ".yml", ".ini", ".conf", ".sql", ".eml", ".vcf"])
DOCUMENTS = {".xlsx": "xlsx", ".xlsm": "xlsx", ".docx": "docx", ".pdf": "pdf", ".zip": "zip"}


class SampleBuilder:
    """Merges what several objects gave into one bounded Sample."""

    def __init__(self) -> None:
        self.sample = Sample()

    def add(self, result: ReadResult) -> None:
        for name, values in result.fields.items():
            bucket = self.sample.fields.setdefault(name, [])
            room = MAX_VALUES_PER_FIELD - len(bucket)
            if room > 0:
                bucket.extend(values[:room])
        self.sample.text.extend(result.text)


COMPRESSED = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".xz": "xz"}


def _inner_name(name: str) -> tuple[str, str | None]:
    """The name without its compression suffix, and the codec it names (None: not compressed)."""
    low = name.lower()
    for ext, codec in COMPRESSED.items():
        if low.endswith(ext):
            return low[: -len(ext)], codec
    return low, None


def _codec_of(data: bytes) -> str | None:
    """The compression a head of bytes starts with (gzip, bzip2, xz), if any."""
    if data[:2] == b"\x1f\x8b":
        return "gzip"
    if data[:3] == b"BZh" and data[3:4] in b"123456789" and len(data) > 4:
        return "bz2"
    if data[:6] == b"\xfd7zXZ\x00":
        return "xz"
    return None


def _ext(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[-1].lower() if "." in base else ""


def _document(kind: str, key: str, size: int, fetch: Fetch, max_bytes: int, head: bytes | None) -> ReadResult:
    decode = max_bytes * GZIP_OUTPUT_FACTOR
    if head is None and 0 < size <= max_bytes:
        head = fetch(0, size - 1)  # small enough: one read instead of many ranged ones
    if kind == "zip":
        def member(name: str, data: bytes, truncated: bool) -> ReadResult:
            return _read_member(f"{key}!{name}", name, data, max_bytes)
        return documents.read_zip(key, size, fetch, max_bytes, head, decode, member)
    reader = {"xlsx": documents.read_xlsx, "docx": documents.read_docx, "pdf": documents.read_pdf}[kind]
    return reader(key, size, fetch, max_bytes, head, decode)


def _tar(key: str, data: bytes, cut: bool, max_bytes: int) -> ReadResult:
    def member(name: str, content: bytes, truncated: bool) -> ReadResult:
        return _read_member(f"{key}!{name}", name, content, max_bytes)
    return documents.read_tar(key, data, cut, member)


def _read_member(key: str, name: str, data: bytes, max_bytes: int) -> ReadResult:
    """One ZIP member, already in memory (its size counted against the archive's decode budget)."""
    inner, codec = _inner_name(name)
    ext = _ext(inner)

    def fetch(start: int, end: int) -> bytes:
        return data[start: end + 1]

    if codec:
        try:
            data, more = _decompress(codec, data, max_bytes * GZIP_OUTPUT_FACTOR, complete=True)
        except DECOMPRESS_ERRORS:
            return ReadResult(note=f"corrupt {codec}: {key}", failed=True)
        return read_bytes(key, inner, data, more)
    if ext in (".parquet", ".pq") or data[:4] == b"PAR1":
        return read_parquet(key, len(data), fetch, max_bytes, head=data)
    if ext in (".xlsx", ".xlsm", ".docx", ".pdf"):
        return _document(DOCUMENTS[ext], key, len(data), fetch, max_bytes, data)
    if ext in BINARY_EXTENSIONS or ext == ".zip":
        return ReadResult(note=f"binary object skipped: {key}", read=False)
    return read_bytes(key, inner, data, False)


def read_object(key: str, size: int, fetch: Fetch, max_bytes: int) -> ReadResult:
    """Read one object into bounded sample values; never raises on bad content (a failed or
    late read, :class:`ObjectReadDeadline`, propagates to the connector)."""
    name, codec = _inner_name(key)
    gz = codec is not None
    ext = _ext(name)
    if not gz and ext in DOCUMENTS:
        return _document(DOCUMENTS[ext], key, size, fetch, max_bytes, None)
    if not gz and ext in BINARY_EXTENSIONS:
        return ReadResult(note=f"binary object skipped: {key}", read=False)
    if not gz and ext in (".parquet", ".pq"):
        return read_parquet(key, size, fetch, max_bytes)
    truncated = size > max_bytes
    data = fetch(0, min(size, max_bytes) - 1) if size > 0 else b""
    fetched = len(data)
    if data[:4] == b"PAR1":
        return read_parquet(key, size, fetch, max_bytes, head=None if truncated else data)
    if data[:4] == b"PK\x03\x04" and not gz:  # a ZIP container without its name (an .xlsx or .docx too)
        return _document("zip", key, size, fetch, max_bytes, None if truncated else data)
    if data[:5] == b"%PDF-" and not gz:
        return _document("pdf", key, size, fetch, max_bytes, None if truncated else data)
    codec = codec or _codec_of(data)
    if codec:
        try:
            data, more = _decompress(codec, data, max_bytes * GZIP_OUTPUT_FACTOR, complete=not truncated)
        except DECOMPRESS_ERRORS:
            return ReadResult(note=f"corrupt {codec}: {key}", failed=True)
        truncated = truncated or more
        if documents.is_tar(data):  # .tar.gz, .tgz, .tar.bz2, .tar.xz
            return _tar(key, data, truncated, max_bytes)
        if data[:4] == b"PAR1":
            if truncated:
                return ReadResult(note=f"{codec}-compressed parquet over the byte limit: {key}", read=False).skip(
                    f"parquet ({codec}): not wholly within the decompression limit; not read")
            return read_parquet(key, len(data), lambda s, e: data[s: e + 1], max_bytes * GZIP_OUTPUT_FACTOR,
                                head=data)
    elif documents.is_tar(data):
        return _tar(key, data, truncated, max_bytes)
    result = read_bytes(key, name, data, truncated)
    result.bytes_read, result.whole = fetched, not truncated  # rows per object: records are rows, not objects
    return result


DECOMPRESS_ERRORS = (zlib.error, EOFError, ValueError, OSError, lzma.LZMAError)


def _decompress(codec: str, data: bytes, limit: int, complete: bool) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of a gzip, bzip2 or xz object: (output, cut short); every stream
    of a multi-stream file (pbzip2, ``cat``) is read. Raises one of DECOMPRESS_ERRORS on bad data,
    including a whole object whose last stream ends early."""
    if codec == "gzip":
        return _gunzip(data, limit, complete)
    magic = b"BZh" if codec == "bz2" else b"\xfd7zXZ\x00"
    parts: list[bytes] = []
    n = 0
    while True:
        d: Any = bz2.BZ2Decompressor() if codec == "bz2" else lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
        out = d.decompress(data, max_length=limit - n)
        parts.append(out)
        n += len(out)
        if n >= limit and not d.eof:
            return b"".join(parts), True
        if not d.eof:
            if complete:
                raise EOFError(f"{codec} stream ends early")
            return b"".join(parts), True
        data = d.unused_data
        if not data.startswith(magic):  # the last stream (trailing padding ignored, as bzip2/xz do)
            return b"".join(parts), False


def _gunzip(data: bytes, limit: int, complete: bool) -> tuple[bytes, bool]:
    """Decompress at most ``limit`` bytes: (output, cut short). Raises zlib.error on bad data,
    including a whole object whose stream ends early.

    Every gzip member is read, one after the other (``cat a.gz b.gz``, log shippers and parallel
    compressors write one member per chunk: the members after the first are the same file)."""
    parts: list[bytes] = []
    n = 0
    while True:
        d = zlib.decompressobj(wbits=31)
        out = d.decompress(data, limit - n)
        parts.append(out)
        n += len(out)
        hit_limit = bool(d.unconsumed_tail) or n >= limit
        if complete and not d.eof and not hit_limit:
            raise zlib.error("gzip stream ends early")
        if hit_limit or not d.eof:
            return b"".join(parts), True
        data = d.unused_data
        if data[:2] != b"\x1f\x8b":  # the last member (trailing zeros or garbage, as gzip(1) ignores them)
            return b"".join(parts), False


_UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without a byte order mark (bcp -w, some ETL tools): mostly ASCII, so one byte of
    each pair is NUL and the other printable; None for anything else (binary stays binary)."""
    if len(head) < 16:
        return None
    pairs = len(head) // 2
    for zero, char, codec in ((head[1::2], head[0::2], "utf-16-le"), (head[0::2], head[1::2], "utf-16-be")):
        zero, char = zero[:pairs], char[:pairs]
        printable = sum(1 for b in char if 32 <= b < 127 or b in (9, 10, 13))
        if zero.count(0) >= pairs * 0.95 and printable >= pairs * 0.95:
            return codec
    return None


def read_bytes(key: str, name: str, data: bytes, truncated: bool) -> ReadResult:
    """Parse decoded bytes by the name's extension, else by sniffing."""
    if _ext(name) == ".eml":
        return _read_eml(key, data)
    head = data[:8192]
    utf16 = _UTF16_BOMS.get(data[:2])
    if utf16 is not None and data[:4] != b"\xff\xfe\x00\x00":  # not UTF-32's mark
        # a UTF-16 export (Excel's "Unicode Text", bcp -w, PowerShell's >): its NULs are text; a
        # read cut at the byte budget may end in half a character, dropped
        body = data[2:]
        text = body[: len(body) // 2 * 2].decode(utf16, errors="replace")
    elif b"\x00" in head and (utf16 := _utf16_without_bom(head)):
        text = data[: len(data) // 2 * 2].decode(utf16, errors="replace")
    elif b"\x00" in head:
        return ReadResult(note=f"binary object skipped: {key}", read=False)
    else:
        text = data.decode("utf-8", errors="replace")
        if head and text[: len(head)].count("\ufffd") > max(8, len(head) // 50):
            # not UTF-8: a legacy single-byte export (Latin-1, cp1252) is still text; binary has control bytes
            control = sum(1 for b in head if b < 9 or 13 < b < 32 or b == 127)
            if control > len(head) // 100:
                return ReadResult(note=f"binary object skipped: {key}", read=False)
            text = data.decode("latin-1")
    if truncated and "\n" in text:
        text = text[: text.rfind("\n") + 1]  # drop the partial last line
    text = text.lstrip("\ufeff")
    ext = _ext(name)
    try:
        if ext in (".csv", ".tsv", ".tab", ".psv"):
            if text.lstrip()[:1] in ("{", "["):  # a JSON export under a CSV name: as CSV, it is one header
                as_json = _json_if_valid(text, truncated)
                if as_json is not None:
                    return as_json
            return read_delimited(text, {".tsv": "\t", ".tab": "\t", ".psv": "|"}.get(ext, ","), key, truncated)
        if ext in (".jsonl", ".ndjson"):
            return read_jsonl(text)
        if ext == ".json" and text.lstrip()[:1] in ("{", "[", '"'):  # else not JSON: sniffed below (a CSV export)
            return read_json(text, truncated)
        if ext in TEXT_EXTENSIONS:
            return text_result(text)
        stripped = text.lstrip()
        if stripped[:1] in ("{", "["):
            try:
                return read_json(text, truncated)
            except ValueError:
                return text_result(text)
        first = text.split("\n", 1)[0]
        for delim in (",", "\t", ";", "|"):
            if first.count(delim) >= 1 and text.count("\n") >= 1:
                return read_delimited(text, delim, key, truncated)
        return text_result(text)
    except (csv.Error, ValueError):
        return ReadResult(note=f"unparseable object: {key}", failed=True)


def _read_eml(key: str, data: bytes) -> ReadResult:
    """An e-mail message (.eml): its headers, its text bodies decoded (base64, quoted-printable,
    their charsets), and its attachments read as objects of their own (a CSV, a workbook, a PDF);
    an attachment that cannot be read, and parts beyond ``documents.MAX_MEMBERS``, are named."""
    import email
    import email.policy

    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
    except Exception:  # noqa: BLE001 - the parser is lenient; anything it still raises is a damaged message
        return text_result(data.decode("utf-8", errors="replace"))
    result = ReadResult()
    text: list[str] = ["\n".join(f"{k}: {v}" for k, v in msg.items())]
    read = 0
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if read >= documents.MAX_MEMBERS:
            result.skip(f"eml: parts after the first {documents.MAX_MEMBERS} not read")
            break
        read += 1
        try:
            if filename is None and part.get_content_maintype() == "text":
                text.append(str(part.get_content()))
                continue
            raw = part.get_payload(decode=True)
            payload = raw if isinstance(raw, bytes) else b""
        except (LookupError, ValueError, UnicodeError) as exc:
            what = filename or part.get_content_type()
            result.skip(f"eml: part {what!r} could not be decoded ({type(exc).__name__})")
            continue
        label = filename or f"part.{part.get_content_subtype()}"
        inner = _read_member(f"{key}!{label}", label, payload, max(len(data), 1))
        if inner.failed or not inner.read:
            result.skip(f"eml: attachment {label!r}: {inner.note or 'not read'}")
            continue
        result.absorb(inner, f"eml attachment {label!r}")
    body = text_result("\n".join(text), "eml")
    result.text[:0] = body.text
    result.skips.extend(body.skips)
    return result


def _json_if_valid(text: str, truncated: bool) -> ReadResult | None:
    """The text read as JSON (or JSON Lines) when it parses as such and gives values, else None."""
    try:
        result = read_json(text, truncated)
    except ValueError:
        return None
    if not any(result.fields.values()) or any(s.startswith("json: invalid") for s in result.skips):
        return None
    return result


def flatten(value: Any, path: str, out: dict[str, list[Any]]) -> None:
    """JSON values into ``path.key.path`` fields (``[]`` for list items), to any depth, bounded
    in breadth by ``MAX_FIELDS``."""
    _flatten_counted(value, path, out)
