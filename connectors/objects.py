"""Shared object-store logic: a streamed prefix tree, sample selection and content readers.

Listing pages feed :meth:`PrefixTree.add` one object at a time; the tree keeps only
per-prefix aggregates (objects, bytes, newest, oldest) down to ``depth`` levels and, per
node, an O(sample size) choice of objects to read (newest, oldest and a reservoir of the
rest) among the objects *directly* in that node (objects deeper than ``depth`` count as
direct objects of the deepest node). The object list itself is never held.

:func:`read_object` turns one object into bounded sample values: CSV/TSV (header names),
JSON and JSON Lines (key paths), gzip (bounded output), Parquet (pyarrow, optional),
plain text. Binary objects are skipped and said so. A reader never raises on bad
content: it returns a note naming the key (never a value).
"""

from __future__ import annotations

import csv
import io
import json
import random
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from auditor.models import Dataset, Sample

Fetch = Callable[[int, int], bytes]  # (start, end inclusive) -> bytes

MAX_ROWS_PER_OBJECT = 200
MAX_VALUES_PER_FIELD = 500
MAX_TEXT_CHARS = 64 * 1024
MAX_JSON_DEPTH = 8
MAX_PREFIXES = 10_000  # prefix nodes kept per bucket; objects under further prefixes roll up into a parent
GZIP_OUTPUT_FACTOR = 4  # decompressed output is bounded to this many times max_object_bytes

BINARY_EXTENSIONS = frozenset(
    [".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".ico", ".pdf", ".zip", ".7z", ".rar", ".tar", ".bz2", ".xz", ".zst", ".avro", ".orc", ".mp3", ".mp4", ".mov", ".avi", ".wav", ".exe", ".dll", ".so", ".bin", ".jar", ".class", ".pyc", ".woff", ".woff2", ".ttf", ".db", ".sqlite"]
)
TEXT_EXTENSIONS = frozenset([".txt", ".log", ".md", ".xml", ".html", ".htm", ".yaml", ".yml", ".ini", ".conf", ".sql", ".eml", ".vcf"])


# --------------------------------------------------------------------------- prefix tree


@dataclass(slots=True)
class Pick:
    key: str
    size: int
    modified: datetime


class Node:
    """Aggregates of one prefix (``""`` is the bucket itself)."""

    __slots__ = ("bytes", "direct", "first", "last", "newest", "objects", "oldest", "path", "reservoir")

    def __init__(self, path: str) -> None:
        self.path = path
        self.objects = 0
        self.bytes = 0
        self.newest: datetime | None = None
        self.oldest: datetime | None = None
        self.direct = 0  # readable-candidate objects directly in this node
        self.first: Pick | None = None  # newest direct object
        self.last: Pick | None = None  # oldest direct object
        self.reservoir: list[Pick] = []


class PrefixTree:
    """Per-prefix aggregates, fed one listed object at a time."""

    def __init__(self, depth: int = 3, sample_objects: int = 5, seed: str = "", max_prefixes: int = MAX_PREFIXES) -> None:
        self.depth = max(0, depth)
        self.max_prefixes = max(0, max_prefixes)
        self.rolled_up = 0  # objects counted at their nearest kept prefix once the tree was full
        self.sample_objects = max(0, sample_objects)
        self.reservoir_size = max(0, self.sample_objects - 2)
        self._rng = random.Random(seed)
        self.root = Node("")
        self.nodes: dict[str, Node] = {"": self.root}
        self._last_dir: str | None = None
        self._last_chain: list[Node] = [self.root]

    def _chain(self, key: str) -> list[Node]:
        parts = key.split("/", self.depth)
        dirs = parts[:-1] if len(parts) <= self.depth else parts[: self.depth]
        deepest = "".join(p + "/" for p in dirs)
        if deepest == self._last_dir:
            return self._last_chain
        chain = [self.root]
        path = ""
        for part in dirs:
            path = f"{path}{part}/"
            node = self.nodes.get(path)
            if node is None:
                if len(self.nodes) > self.max_prefixes:  # memory is bounded in breadth too
                    self.rolled_up += 1
                    return chain  # not cached: the next key may still belong to a kept prefix
                node = self.nodes[path] = Node(path)
            chain.append(node)
        self._last_dir, self._last_chain = deepest, chain
        return chain

    @property
    def note(self) -> str | None:
        if not self.rolled_up:
            return None
        return (f"more than {self.max_prefixes} prefixes: {self.rolled_up} objects beyond them are counted "
                "in their nearest listed parent prefix")

    def add(self, key: str, size: int, modified: datetime) -> None:
        chain = self._chain(key)
        for node in chain:
            node.objects += 1
            node.bytes += size
            if node.newest is None or modified > node.newest:
                node.newest = modified
            if node.oldest is None or modified < node.oldest:
                node.oldest = modified
        if self.sample_objects and size > 0 and not key.endswith("/"):
            self._offer(chain[-1], Pick(key, size, modified))

    def _offer(self, node: Node, pick: Pick) -> None:
        node.direct += 1
        if node.first is None or pick.modified > node.first.modified:
            node.first = pick
        if node.last is None or pick.modified < node.last.modified:
            node.last = pick
        if self.reservoir_size:
            if len(node.reservoir) < self.reservoir_size:
                node.reservoir.append(pick)
            else:
                j = self._rng.randrange(node.direct)
                if j < self.reservoir_size:
                    node.reservoir[j] = pick

    def __iter__(self) -> Iterator[Node]:
        """Nodes, parents before children."""
        return iter(self.nodes[p] for p in sorted(self.nodes))

    def picks(self, node: Node) -> list[Pick]:
        """The objects to read for ``node``: newest, oldest, then random ones; unique."""
        chosen: list[Pick] = []
        seen: set[str] = set()
        for pick in (node.first, node.last, *node.reservoir):
            if pick is not None and pick.key not in seen and len(chosen) < self.sample_objects:
                seen.add(pick.key)
                chosen.append(pick)
        return chosen


def prefix_datasets(
    tree: PrefixTree, *, source: str, vendor: str, bucket: str, scheme: str, common: dict[str, Any],
    per_node: Callable[[str], dict[str, Any]] | None = None,
) -> Iterator[tuple[Node, Dataset]]:
    """One Dataset per node: the bucket (path ``""``) and each prefix, with ``common`` facts."""
    for node in tree:
        extra = per_node(node.path) if per_node else {}
        fields = {**common, **extra}
        if not node.path and tree.note:
            fields["notes"] = (*fields.get("notes", ()), tree.note)
        if node.path:
            parent_path = node.path[: node.path[:-1].rfind("/") + 1]
            name, kind = f"{bucket}/{node.path}", "prefix"
            parent = f"{bucket}/{parent_path}" if parent_path else bucket
        else:
            name, kind, parent = bucket, "bucket", None
        yield node, Dataset(
            source=source, vendor=vendor, kind=kind, name=name, parent=parent,
            uri=f"{scheme}://{bucket}/{node.path}" if node.path else f"{scheme}://{bucket}",
            records=node.objects, records_basis="objects", bytes=node.bytes,
            last_modified=node.newest, last_modified_basis="newest object LastModified" if node.newest else None,
            oldest_modified=node.oldest, **fields,
        )


# --------------------------------------------------------------------------- readers


@dataclass
class ReadResult:
    fields: dict[str, list[Any]] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)
    note: str | None = None
    read: bool = True  # False: skipped (binary), nothing classified from it
    failed: bool = False  # True: the content could not be read (corrupt, unparseable): unknown, not empty


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
    names = [h.strip() or f"column_{i + 1}" for i, h in enumerate(header)]
    fields: dict[str, list[Any]] = {n: [] for n in names}
    rows = 0
    for i, row in enumerate(reader):
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
            _flatten(v, f"{path}.{k}" if path else str(k), out, depth + 1)
    elif isinstance(value, list):
        for item in value[:MAX_ROWS_PER_OBJECT]:
            _flatten(item, f"{path}[]", out, depth + 1)
    elif value is not None and not isinstance(value, bool):
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
            return ReadResult(fields=fields, note=f"parquet row group over the byte limit, column names only: {key}")
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


def sample_node(
    picks: Iterable[Pick], read: Callable[[Pick], ReadResult], on_error: Callable[[Pick, Exception], str | None],
) -> tuple[Sample | None, list[str]]:
    """Read the picked objects of one node; (sample or None when nothing could be read, notes).

    ``read`` raises for a failed GET; ``on_error`` turns that into a note (or None). An object
    whose content could not be read (corrupt, unparseable) counts as failed too: when no
    picked object could be read the node's personal data is unknown (no sample), never "none".
    """
    builder, notes = SampleBuilder(), []
    tried = failed = 0
    for pick in picks:
        tried += 1
        try:
            result = read(pick)
        except Exception as exc:  # noqa: BLE001 - each store's SDK errors; on_error classifies them
            failed += 1
            note = on_error(pick, exc)
            if note:
                notes.append(note)
            continue
        if result.note:
            notes.append(result.note)
        if result.failed:  # unreadable content tells nothing: it must not read as "no personal data"
            failed += 1
            continue
        builder.add(result)
    if tried and failed == tried:
        return None, notes
    return builder.sample, notes


def safe_endpoint(url: str | None, default: str) -> str:
    """An endpoint as it may appear in a message: scheme, host and port; never a user,
    password, path or query string."""
    if not url:
        return default
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}"
