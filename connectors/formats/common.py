"""What every content reader shares: its result, its bounds, and ranged access to an object."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Fetch = Callable[[int, int], bytes]  # (start, end inclusive) -> bytes

MAX_ROWS_PER_OBJECT = 200  # rows sampled from one table-like object (CSV, JSONL, Parquet, a sheet): a sample
MAX_VALUES_PER_FIELD = 500
MAX_TEXT_CHARS = 1024 * 1024  # text classified from one object (documents are read whole within the byte budget)
MAX_FIELDS = 2000  # distinct key paths kept from one document (or one SQL sample)
MAX_CELL_CHARS = 1024  # a decoded value is cut to this many characters before it is kept
GZIP_OUTPUT_FACTOR = 4  # decompressed / decoded output is bounded to this many times max_object_bytes
MAX_SKIPS_NAMED = 10  # skipped parts named one by one per object; the rest are counted

KEY_FIELD = "<key>"  # the field of object keys that are values (e-mails, ids), never field names
VALUE_FIELD = "<value>"  # the path component of what such keys hold


class BudgetExceeded(Exception):
    """A read would go past the object's byte budget."""


class ObjectReadDeadline(Exception):
    """The whole-object read deadline passed while the object was being read (a trickling endpoint)."""

    def __init__(self, seconds: float, got: int) -> None:
        super().__init__(f"object read deadline of {seconds:g}s passed after {got} bytes")
        self.seconds, self.got = seconds, got


class ObjectBodyCut(ObjectReadDeadline):
    """A read that ended before the bytes its response declared, or short of the object's listed
    size (the connection broke mid-body, a server cut the transfer and called it complete, or the
    object changed since it was listed): the object was not read, as with a passed deadline (it
    propagates like one), and never taken for a whole object that happens to be shorter."""

    def __init__(self, got: int, declared: int) -> None:
        Exception.__init__(self, f"the body ended after {got} of {declared} bytes: the transfer was cut "
                                 "or the object changed since it was listed")
        self.seconds, self.got, self.declared = 0.0, got, declared


@dataclass
class ReadResult:
    fields: dict[str, list[Any]] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)
    note: str | None = None
    read: bool = True  # False: skipped (binary, over the budget), nothing classified from it
    failed: bool = False  # True: the content could not be read (corrupt, unparseable): unknown, not empty
    skips: list[str] = field(default_factory=list)  # parts read past: "<format>: <what> (<how much>): <why>"
    rows: int | None = None  # records in the part read (CSV rows, JSON Lines, array items, Parquet rows); None: not row data
    bytes_read: int = 0  # bytes fetched (compressed, for gzip)
    whole: bool = False  # the whole object was read, so ``rows`` is its exact count
    cut_cells: int = 0  # long values whose rest found no room in the text budget: read to their cut only
    # (chunks of ``text`` measured, their characters): add_rest measures only the chunks added since
    _measured: tuple[int, int] = field(default=(0, 0), repr=False, compare=False)
    # the skips named so far, as a set (skip() checks a name in O(1)); built again if ``skips`` grew elsewhere
    _named: tuple[int, set[str]] = field(default_factory=lambda: (0, set()), repr=False, compare=False)

    def cell(self, value: str) -> str:
        """``value`` as its field keeps it: a value over MAX_CELL_CHARS (a ticket's thread, a CRM's
        notes, a JSON blob pasted in a cell) is cut at a space shortly before that, and the rest
        is read as the object's free text (see :meth:`add_rest`); the rest was dropped unnamed, so
        an address written past the cut passed clean."""
        if len(value) <= MAX_CELL_CHARS:
            return value
        head, rest = split_long(value)
        self.add_rest(rest)
        return head

    def add_rest(self, rest: str) -> None:
        """The rest of a long value, read as free text while the object's text stays within
        MAX_TEXT_CHARS; past that it is counted in ``cut_cells`` (its dataset names the count)."""
        n, chars = self._measured
        if n > len(self.text):  # the list was cut or replaced: measured again
            n, chars = 0, 0
        chars += sum(map(len, self.text[n:]))  # once per chunk, not once per long value (quadratic)
        if chars + len(rest) <= MAX_TEXT_CHARS:
            added = chunks(rest)
            self.text.extend(added)
            chars += sum(map(len, added))
        else:
            self.cut_cells += 1
        self._measured = (len(self.text), chars)

    def absorb(self, inner: ReadResult, where: str) -> None:
        """A part read as an object of its own (an archive's member, an e-mail's attachment): its
        values, its text, its count of long values cut, and its skips named under ``where``."""
        for k, v in inner.fields.items():
            self.fields.setdefault(k, []).extend(v)
        self.text.extend(inner.text)
        self.cut_cells += inner.cut_cells
        for skip in inner.skips:
            self.skip(f"{where}: {skip}")

    def skip(self, what: str) -> ReadResult:
        """Name a part of the object that was not read (format, what, how much, why)."""
        n, named = self._named
        if n != len(self.skips):  # appended to directly (or a list of its own given): read again
            named = set(self.skips)
        if what not in named:
            self.skips.append(what)
            named.add(what)
        self._named = (len(self.skips), named)
        return self

    @property
    def partial(self) -> str | None:
        """The skipped parts as one ``facts["unsampled"]`` reason, or None when all was read."""
        if not self.skips:
            return None
        named = self.skips[:MAX_SKIPS_NAMED]
        more = len(self.skips) - len(named)
        return "; ".join(named) + (f"; and {more} more parts not read" if more else "")


def split_long(value: str) -> tuple[str, str]:
    """A value over MAX_CELL_CHARS as (the part its field keeps, the rest): cut after the last
    space or line end in the 256 characters before MAX_CELL_CHARS (else at it), so a word (an
    e-mail, an id) near the cut is whole in one part and counted once."""
    low = MAX_CELL_CHARS - 256
    at = max(value.rfind(" ", low, MAX_CELL_CHARS), value.rfind("\n", low, MAX_CELL_CHARS),
             value.rfind("\t", low, MAX_CELL_CHARS))
    at = at + 1 if at >= 0 else MAX_CELL_CHARS
    return value[:at], value[at:]


def chunks(text: str, size: int = 8192) -> list[str]:
    text = text[:MAX_TEXT_CHARS]
    return [text[i: i + size] for i in range(0, len(text), size)]


def text_result(text: str, fmt: str = "text") -> ReadResult:
    out = ReadResult(text=chunks(text))
    if len(text) > MAX_TEXT_CHARS:
        out.skip(f"{fmt}: {len(text) - MAX_TEXT_CHARS} characters after the first {MAX_TEXT_CHARS} not classified")
    return out


_NUMERIC = re.compile(r"[+-]?(\d+([.,]\d+)*|\d*\.\d+)([eE][+-]?\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?")
_validators: list[Callable[[str, bool], str | None]] = []


def _value_validators() -> list[Callable[[str, bool], str | None]]:
    """The classifier's own validators of values that are never field names (loaded once)."""
    if not _validators:
        from auditor.classify import validators as v
        from auditor.classify.options import DEFAULT_PHONE_REGIONS

        # assigned whole: two first calls at once (readers' threads) leave five, not ten
        _validators[:] = [v.email, v.payment_card, v.national_id, v.ip_address, v.make_phone(DEFAULT_PHONE_REGIONS)]
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


def is_numeric(cell: str) -> bool:
    return bool(_NUMERIC.fullmatch(cell))


def header_is_data(row: list[str]) -> bool:
    """A CSV's first row is data, not a header: a cell validates as personal data or a date,
    or most of its cells are numbers."""
    cells = [c.strip() for c in row if c.strip()]
    if not cells:
        return False
    if any(looks_like_value(c) for c in cells):
        return True
    return sum(1 for c in cells if _NUMERIC.fullmatch(c)) * 2 > len(cells)


class RangedFile(io.RawIOBase):
    """A seekable read-only file over ranged GETs, with a total byte budget."""

    def __init__(self, fetch: Fetch, size: int, budget: int) -> None:
        self._fetch, self._size, self._budget, self._pos = fetch, size, budget, 0
        self.fetched = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    @property
    def budget(self) -> int:
        return self._budget

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
        self.fetched += len(data)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


def ranged(fetch: Fetch, size: int, budget: int, head: bytes | None = None) -> Any:
    """A seekable binary file over the object: in memory when ``head`` holds it all, else a
    buffered :class:`RangedFile` (64 KiB reads) within ``budget`` bytes."""
    if head is not None and len(head) >= size:
        return io.BytesIO(head)
    return io.BufferedReader(RangedFile(fetch, size, budget), buffer_size=64 * 1024)


class LimitedReader(io.RawIOBase):
    """At most ``limit`` bytes out of a (decompressing) stream; past that it ends, as if the
    stream had, and says so in ``hit`` (a parser then fails on the cut, keeping what it gave)."""

    def __init__(self, raw: Any, limit: int) -> None:
        self._raw, self._left, self.hit = raw, limit, False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            self.hit = True
            return 0
        data = self._raw.read(min(len(buffer), self._left))
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()
