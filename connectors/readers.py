"""Content readers: one object's bytes in, bounded sample values out.

:func:`read_object` turns one object into bounded sample values: CSV/TSV (header names),
JSON and JSON Lines (key paths), gzip (bounded output), Parquet (pyarrow, optional),
plain text. Binary objects are skipped and said so. A reader never raises on bad
content: it returns a note naming the key (never a value), and ``failed`` where the
content could not be read at all (so it counts as unknown, never as "no personal data").
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from auditor.models import Sample

Fetch = Callable[[int, int], bytes]  # (start, end inclusive) -> bytes

MAX_ROWS_PER_OBJECT = 200
MAX_VALUES_PER_FIELD = 500
MAX_TEXT_CHARS = 64 * 1024
MAX_JSON_DEPTH = 8
MAX_FIELDS = 2000  # distinct key paths kept from one document (or one SQL sample)
GZIP_OUTPUT_FACTOR = 4  # decompressed output is bounded to this many times max_object_bytes

BINARY_EXTENSIONS = frozenset(
    [".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".ico", ".pdf", ".zip", ".7z", ".rar", ".tar", ".bz2", ".xz", ".zst", ".avro", ".orc", ".mp3", ".mp4", ".mov", ".avi", ".wav", ".exe", ".dll", ".so", ".bin", ".jar", ".class", ".pyc", ".woff", ".woff2", ".ttf", ".db", ".sqlite"]
)
KEY_FIELD = "<key>"  # the field of object keys that are values (e-mails, ids), never field names
VALUE_FIELD = "<value>"  # the path component of what such keys hold
TEXT_EXTENSIONS = frozenset([".txt", ".log", ".md", ".xml", ".html", ".htm", ".yaml", ".yml", ".ini", ".conf", ".sql", ".eml", ".vcf"])


@dataclass
class ReadResult:
    fields: dict[str, list[Any]] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)
    note: str | None = None
    read: bool = True  # False: skipped (binary), nothing classified from it
    failed: bool = False  # True: the content could not be read (corrupt, unparseable): unknown, not empty
    partial: str | None = None  # read, but part of it was not (why): e.g. column names without values


_NUMERIC = re.compile(r"[+-]?(\d+([.,]\d+)*|\d*\.\d+)([eE][+-]?\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?")
_validators: list[Callable[[str, bool], str | None]] = []


def _value_validators() -> list[Callable[[str, bool], str | None]]:
    """The classifier's own validators of values that are never field names (loaded once)."""
    if not _validators:
        from auditor.classify import validators as v
        from auditor.classify.options import DEFAULT_PHONE_REGIONS

        _validators.extend([v.email, v.payment_card, v.national_id, v.ip_address, v.make_phone(DEFAULT_PHONE_REGIONS)])
    return _validators


def looks_like_value(cell: str) -> bool:
    """Does this header cell or object key hold a value (e-mail, phone, card, id, IP, date)?"""
    cell = cell.strip()
    if not cell or len(cell) > 256:
        return False
    if _ISO_DATE.fullmatch(cell):
        return True
    for check in _value_validators():
        tag = check(cell, False)
        if tag and not tag.startswith("?"):
            return True
    return False


def header_is_data(row: list[str]) -> bool:
    """A CSV's first row is data, not a header: a cell validates as personal data or a date,
    or most of its cells are numbers."""
    cells = [c.strip() for c in row if c.strip()]
    if not cells:
        return False
    if any(looks_like_value(c) for c in cells):
        return True
    return sum(1 for c in cells if _NUMERIC.fullmatch(c)) * 2 > len(cells)


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


class BudgetExceeded(Exception):
    pass


class RangedFile(io.RawIOBase):
    """A seekable read-only file over ranged GETs, with a total byte budget."""

    def __init__(self, fetch: Fetch, size: int, budget: int) -> None:
        self._fetch, self._size, self._budget, self._pos = fetch, size, budget, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self._size - self._pos)
        if n <= 0:
            return 0
        if n > self._budget:
            raise BudgetExceeded
        data = self._fetch(self._pos, self._pos + n - 1)
        self._budget -= len(data)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


def _inner_name(name: str) -> tuple[str, bool]:
    low = name.lower()
    for ext in (".gz", ".gzip"):
        if low.endswith(ext):
            return low[: -len(ext)], True
    return low, False


def _ext(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[-1] if "." in base else ""


def read_object(key: str, size: int, fetch: Fetch, max_bytes: int) -> ReadResult:
    """Read one object into bounded sample values; never raises on bad content."""
    name, gz = _inner_name(key)
    ext = _ext(name)
    if not gz and ext in BINARY_EXTENSIONS:
        return ReadResult(note=f"binary object skipped: {key}", read=False)
    if not gz and ext in (".parquet", ".pq"):
        return _read_parquet(key, size, fetch, max_bytes)
    truncated = size > max_bytes
    data = fetch(0, min(size, max_bytes) - 1) if size > 0 else b""
    if data[:4] == b"PAR1":
        return _read_parquet(key, size, fetch, max_bytes, head=None if truncated else data)
    if gz or data[:2] == b"\x1f\x8b":
        try:
            data, more = _gunzip(data, max_bytes * GZIP_OUTPUT_FACTOR, complete=not truncated)
        except (zlib.error, EOFError, ValueError):
            return ReadResult(note=f"corrupt gzip: {key}", failed=True)
        truncated = truncated or more
        if data[:4] == b"PAR1":
            return ReadResult(note=f"gzipped parquet skipped: {key}", read=False)
    return read_bytes(key, name, data, truncated)


def _gunzip(data: bytes, limit: int, complete: bool) -> tuple[bytes, bool]:
    """Decompress at most ``limit`` bytes: (output, cut short). Raises zlib.error on bad data,
    including a whole object whose stream ends early."""
    d = zlib.decompressobj(wbits=31)
    out = d.decompress(data, limit)
    hit_limit = bool(d.unconsumed_tail) or len(out) >= limit
    if complete and not d.eof and not hit_limit:
        raise zlib.error("gzip stream ends early")
    return out, hit_limit or not d.eof


def read_bytes(key: str, name: str, data: bytes, truncated: bool) -> ReadResult:
    """Parse decoded bytes by the name's extension, else by sniffing."""
    head = data[:8192]
    if b"\x00" in head:
        return ReadResult(note=f"binary object skipped: {key}", read=False)
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
            return _read_csv(text, {".tsv": "\t", ".tab": "\t", ".psv": "|"}.get(ext, ","), key, truncated)
        if ext in (".jsonl", ".ndjson"):
            return _read_jsonl(text)
        if ext == ".json":
            return _read_json(text, truncated)
        if ext in TEXT_EXTENSIONS:
            return _read_text(text)
        stripped = text.lstrip()
        if stripped[:1] in ("{", "["):
            return _read_json(text, truncated)
        first = text.split("\n", 1)[0]
        for delim in (",", "\t", ";", "|"):
            if first.count(delim) >= 1 and text.count("\n") >= 1:
                return _read_csv(text, delim, key, truncated)
        return _read_text(text)
    except (csv.Error, ValueError, RecursionError):
        return ReadResult(note=f"unparseable object: {key}", failed=True)


def _read_csv(text: str, delimiter: str, key: str = "", truncated: bool = False) -> ReadResult:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        return ReadResult()
    pending: list[list[str]] = []
    if header_is_data(header):  # a headerless export: the first row is values, never field names
        names = [f"column_{i + 1}" for i in range(len(header))]
        pending.append(header)
    else:
        names = [h.strip() or f"column_{i + 1}" for i, h in enumerate(header)]
    fields: dict[str, list[Any]] = {n: [] for n in names}
    rows = 0
    for i, row in enumerate(itertools.chain(pending, reader)):
        if i >= MAX_ROWS_PER_OBJECT:
            break
        rows += 1
        for name, value in zip(names, row):
            if value.strip():
                fields[name].append(value)
    if truncated and not rows:  # only the header fits in the byte limit: the values are unknown, not absent
        return ReadResult(fields=fields, note=f"no complete row within the read limit: {key}", failed=True)
    return ReadResult(fields=fields)


def _flatten(value: Any, path: str, out: dict[str, list[Any]], depth: int = 0) -> None:
    if depth > MAX_JSON_DEPTH:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            k = str(k)
            if looks_like_value(k):  # an object keyed by e-mail, phone, id: the key is a value, not a name
                keys = out.setdefault(f"{path}.{KEY_FIELD}" if path else KEY_FIELD, [])
                if len(keys) < MAX_VALUES_PER_FIELD:
                    keys.append(k)
                k = VALUE_FIELD
            _flatten(v, f"{path}.{k}" if path else k, out, depth + 1)
    elif isinstance(value, list):
        for item in value[:MAX_ROWS_PER_OBJECT]:
            _flatten(item, f"{path}[]", out, depth + 1)
    elif value is not None and not isinstance(value, bool):
        if (path or "$") not in out and len(out) >= MAX_FIELDS:
            return  # bounded breadth too: a document with a million keys gives at most MAX_FIELDS fields
        values = out.setdefault(path or "$", [])
        if len(values) < MAX_VALUES_PER_FIELD:
            values.append(value if isinstance(value, str) else str(value))


def _read_json(text: str, truncated: bool) -> ReadResult:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        if text.lstrip().startswith("{") and "\n" in text.strip():
            return _read_jsonl(text)
        if truncated:  # a large document cut at the byte limit: keep what is readable as text
            return _read_text(text)
        raise
    out: dict[str, list[Any]] = {}
    if isinstance(doc, list):
        doc = doc[:MAX_ROWS_PER_OBJECT]
        for item in doc:
            _flatten(item, "", out)
    else:
        _flatten(doc, "", out)
    return ReadResult(fields=out)


def flatten(value: Any, path: str, out: dict[str, list[Any]]) -> None:
    """JSON values into ``path.key.path`` fields (``[]`` for list items), bounded."""
    _flatten(value, path, out)


def _read_jsonl(text: str) -> ReadResult:
    out: dict[str, list[Any]] = {}
    loose: list[str] = []
    for i, line in enumerate(text.splitlines()):
        if i >= MAX_ROWS_PER_OBJECT:
            break
        line = line.strip()
        if not line:
            continue
        try:
            _flatten(json.loads(line), "", out)
        except json.JSONDecodeError:
            loose.append(line)
    return ReadResult(fields=out, text=_chunks("\n".join(loose)) if loose else [])


def _chunks(text: str, size: int = 8192) -> list[str]:
    text = text[:MAX_TEXT_CHARS]
    return [text[i : i + size] for i in range(0, len(text), size)]


def _read_text(text: str) -> ReadResult:
    return ReadResult(text=_chunks(text))


def _read_parquet(key: str, size: int, fetch: Fetch, max_bytes: int, head: bytes | None = None) -> ReadResult:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return ReadResult(note=f"parquet skipped (pyarrow not installed): {key}", read=False)
    try:
        if head is not None:
            source: Any = pa.BufferReader(head)
        elif size <= max_bytes:
            source = pa.BufferReader(fetch(0, size - 1))
        else:
            source = RangedFile(fetch, size, max_bytes)
        pf = pq.ParquetFile(source)
        names = list(pf.schema_arrow.names)
        fields: dict[str, list[Any]] = {n: [] for n in names}
        if pf.num_row_groups == 0:
            return ReadResult(fields=fields)
        try:
            batch = next(pf.iter_batches(batch_size=MAX_ROWS_PER_OBJECT, row_groups=[0]), None)
        except BudgetExceeded:
            return ReadResult(fields=fields, note=f"parquet row group over the byte limit, column names only: {key}",
                              partial="parquet row group over the byte limit: column names read, values not sampled")
        if batch is not None:
            for name, column in zip(batch.schema.names, batch.columns):
                for value in column.to_pylist():
                    if value is not None and not isinstance(value, (bool, bytes, dict, list)):
                        fields[name].append(value if isinstance(value, str) else str(value))
        return ReadResult(fields=fields)
    except BudgetExceeded:
        return ReadResult(note=f"parquet footer over the byte limit: {key}", read=False)
    except (pa.ArrowException, OSError, ValueError):
        return ReadResult(note=f"corrupt parquet: {key}", failed=True)
