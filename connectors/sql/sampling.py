"""Bounded samples of a table, for the classifier only.

Every column is either read or named, with the reason, in ``unsampled`` (so the table's
personal data is never taken as absent):

- read as they are (bounded by their type): integers of every width, floats and decimals
  (an integral value is written as digits, so a ``double precision`` 4111111111111111.0 is
  the card number ``4111111111111111``), dates, times, intervals, booleans, UUIDs;
- read cut **on the server** (``left(CAST(c AS text), n)`` on PostgreSQL, ``LEFT(CAST(c AS
  CHAR), n)`` on MySQL/MariaDB, ``substr(c, 1, n)`` on SQLite for text and blob values), so
  a 30 MB cell costs ``n`` characters on the wire and in memory: text of any type (char,
  varchar, text, enum, set, citext, xml, inet, hstore, PostGIS, unknown types) at most
  :data:`TEXT_CHARS`; JSON/JSONB and ARRAY columns (sent as JSON text) and unbounded text
  types at most :data:`LONG_CHARS`, less when the table is wide (the sample stays within
  :data:`SAMPLE_BUDGET_CHARS` characters: rows x columns x cut);
- JSON documents (in JSON columns, or text cells that hold one) are walked **iteratively**
  to any depth by the object readers' walker (:func:`walk_json`; a cut document gives the
  key paths of the part read) into ``column.key.path`` fields;
- named in ``unsampled``: binary columns (BLOB/bytea/binary), columns beyond
  :data:`MAX_COLUMNS`, and the cells of a column that could not be rendered (one bad cell
  stays that cell's problem: the column is named with the count, the rest is read).

Strategies, cheapest first:

- a table with at most ``sample_rows`` rows: the first ``sample_rows`` rows;
- PostgreSQL: ``TABLESAMPLE BERNOULLI`` (``SYSTEM`` above 5M rows) ``REPEATABLE(seed)``,
  with a plain ``LIMIT`` fallback when the sample comes back empty;
- MySQL/MariaDB and SQLite: bounded random key ranges on an integer key (a single-column
  integer primary key, or SQLite's ``rowid``): ten ``key >= x ORDER BY key LIMIT m`` slices
  in one ``UNION ALL`` statement; without such a key, MySQL ``RAND(seed) < p``.

The seed is derived from the table's name, so an unchanged table gives the same sample
and therefore the same fingerprint run after run. Values become ``str`` (dates in ISO
form); text cut on the server reaches the classifier as the server sent it (the digest keeps
its first :data:`MAX_CHARS` characters, so fingerprints are as before); they live in memory only
and are never logged.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import operator
import random
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import sqlalchemy as sa

# one flattening rule for JSON, in objects and in columns: the same walker, field names and bounds
from connectors.formats.common import MAX_FIELDS, MAX_VALUES_PER_FIELD
from connectors.formats.jsonwalk import KeyMaps, Walker

from .dialects import ALL_VERSIONS as ALL_VERSIONS
from .dialects import LONG_CHARS, Dialect, TableInfo

MAX_CHARS = 1024  # plain text kept per cell for the classifier
TEXT_CHARS = MAX_CHARS  # server-side cut of text columns
MIN_CHARS = 256  # the cut never goes below this, however wide the table
SAMPLE_BUDGET_CHARS = 32 * 1024 * 1024  # rows x cut over every cut column stays within this
MAX_COLUMNS = 256
SLICES = 10
SAMPLE_TAG = "/* auditor:sample */ "

NATIVE, TEXT, LONG = "native", "text", "long"


def _structured(coltype: Any) -> bool:
    # read_as_json: a type the dialect reads as JSON (PostgreSQL composite types and hstore, as to_json)
    return isinstance(coltype, (sa.JSON, sa.ARRAY)) or getattr(coltype, "read_as_json", False) is True


def _binary(coltype: Any) -> bool:
    return isinstance(coltype, sa.types._Binary) or type(coltype).__name__.upper() in {"BYTEA", "BLOB", "LONGBLOB",
                                                                                         "MEDIUMBLOB", "TINYBLOB"}


# bounded by their type; PostgreSQL network addresses as the driver gives them ('10.1.2.3',
# where a cast to text would say '10.1.2.3/32')
_NATIVE_NAMES = frozenset({"INET", "CIDR", "MACADDR", "MACADDR8"})
_NATIVE_TYPES = (sa.Integer, sa.Numeric, sa.Float, sa.Date, sa.DateTime, sa.Time, sa.Interval, sa.Boolean, sa.Uuid)


def kind_of(coltype: Any) -> str | None:
    """How a column is read: ``native`` (bounded by its type), ``text`` (cut at TEXT_CHARS),
    ``long`` (JSON, arrays, unbounded text: cut at LONG_CHARS), or None (binary: named unsampled).
    A function of the type's class and length alone: remembered per (class, length)."""
    length = getattr(coltype, "length", None)
    if length is not None and type(length) is not int:
        return _kind_of(coltype)
    key = (type(coltype), length)
    try:
        return _KINDS[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable class: not remembered
        return _kind_of(coltype)
    kind = _KINDS[key] = _kind_of(coltype)
    return kind


_KINDS: dict[tuple[type, int | None], str | None] = {}


def _kind_of(coltype: Any) -> str | None:
    if _structured(coltype):
        return LONG
    if _binary(coltype):
        return None
    if isinstance(coltype, _NATIVE_TYPES) or type(coltype).__name__.upper() in _NATIVE_NAMES:
        return NATIVE
    if isinstance(coltype, sa.String) and not isinstance(coltype, sa.Enum) and coltype.length \
            and coltype.length <= TEXT_CHARS:
        return TEXT
    if isinstance(coltype, (sa.Enum,)):
        return TEXT
    return LONG  # text, longtext, clob, citext, xml, hstore, unknown types: read as text, cut on the server


def usable(coltype: Any) -> bool:
    """Can the classifier use values of this column type? (every type but binary)"""
    return kind_of(coltype) is not None


def column_plan(columns: list[dict]) -> tuple[list[str], dict[str, str]]:
    """(columns to sample, {column: why it is not sampled}) for the columns that may hold
    personal data but are not read: binary contents, and those beyond the column cap."""
    sampled: list[str] = []
    unsampled: dict[str, str] = {}
    for c in columns:
        if usable(c["type"]):
            sampled.append(c["name"])
        else:
            unsampled[c["name"]] = (getattr(c["type"], "unsampled_reason", None)
                                    or "binary column (BLOB/bytea): its contents are not sampled")
    for name in sampled[MAX_COLUMNS:]:
        unsampled[name] = f"beyond the column cap: only the first {MAX_COLUMNS} sampleable columns are read"
    return sampled[:MAX_COLUMNS], unsampled


def sample_columns(columns: list[dict]) -> list[str]:
    return column_plan(columns)[0]


def structured_columns(columns: list[dict]) -> set[str]:
    """Sampled columns whose values are JSON documents or arrays (flattened into key paths)."""
    return {c["name"] for c in columns if _structured(c["type"])}


def cuts(columns: list[dict], sampled: list[str], rows: int, enforced: bool = False) -> dict[str, int]:
    """Server-side cut (characters) of each sampled column that is not bounded by its type.

    Text columns are cut at TEXT_CHARS, long ones at LONG_CHARS; both shrink (never below
    MIN_CHARS) so that rows x the sum of the cuts stays within SAMPLE_BUDGET_CHARS.
    ``enforced``: the server holds a character column to its declared length, in characters that
    are Python's (the dialect's ``lengths_bound()``); one whose length is within both its cut and
    MAX_CHARS is read whole, without a cut: no value of it could be cut, and the texts kept of it
    are the same (the shares of the others are as they were)."""
    types = {c["name"]: c["type"] for c in columns}
    kinds = {name: kind_of(types[name]) for name in sampled}
    cut = [n for n in sampled if kinds[n] in (TEXT, LONG)]
    if not cut:
        return {}
    share = max(MIN_CHARS, SAMPLE_BUDGET_CHARS // (max(1, rows) * len(cut)))
    out = {n: min(TEXT_CHARS if kinds[n] == TEXT else LONG_CHARS, share) for n in cut}
    if enforced:
        out = {n: chars for n, chars in out.items() if not _fits(types[n], min(chars, MAX_CHARS))}
    return out


def _fits(coltype: Any, chars: int) -> bool:
    """A varying character column whose declared length is at most ``chars`` (an enum's labels,
    a domain or an unbounded type: never; nor a fixed-width ``char(n)``, whose value read as it is
    keeps the blank padding that its text form, the cut's, drops)."""
    length = getattr(coltype, "length", None)
    return (isinstance(coltype, sa.String) and not isinstance(coltype, (sa.Enum, sa.CHAR, sa.NCHAR))
            and type(length) is int and 0 < length <= chars)


def seed_for(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") & 0x7FFFFFFF


@dataclass(frozen=True)
class Plan:
    statement: Any  # a SQLAlchemy selectable, or None when there is nothing to read
    strategy: str


def plan(
    dialect: Dialect,
    schema: str | None,
    name: str,
    cols: list[str],
    rows: int,
    records: int | None,
    key: str | None,
    key_range: tuple[Any, Any] | None,
    cut: dict[str, int] | None = None,
    structured: set[str] | frozenset[str] = frozenset(),
    all_versions: bool = False,
    info: TableInfo | None = None,
    texts: Mapping[str, str] | None = None,
) -> Plan:
    """The one statement that reads this table's sample (values cut on the server by ``cut``;
    ``all_versions``: every stored version of a MariaDB system-versioned table; ``texts``: columns
    read as the server's text form, see :func:`as_text`). The dialect builds the FROM, the cut
    and its own random sample; key ranges are the same everywhere."""
    if not cols or rows <= 0:
        return Plan(None, "none")
    cut = cut or {}
    texts = texts or {}
    key_is_column = key is not None and key != "rowid"
    table = dialect.table_clause(schema, name, list(dict.fromkeys(cols + ([key] if key_is_column and key is not None else []))), info)

    def select(*columns: Any) -> Any:
        stmt = sa.select(*columns)
        return dialect.all_versions(stmt, table) if all_versions else stmt

    def picked_from(t: Any) -> list[Any]:
        return [t.c[c] if c == key else as_text(t.c[c]) if c in texts else dialect.cut(t.c[c], cut.get(c), c in structured)
                for c in cols]

    picked = picked_from(table)
    if records is not None and records <= rows:
        return Plan(select(*picked).limit(rows), "all rows")
    seed = seed_for(f"{schema}.{name}")
    own = dialect.engine_sample(table, picked_from, rows, records, seed)
    if own is not None:
        return Plan(*own)
    if key and key_range and None not in key_range:
        lo, hi = key_range
        try:
            lo, hi = int(lo), int(hi)
        except (TypeError, ValueError):
            lo = hi = None
        if lo is not None and hi is not None:
            keycol = sa.literal_column("rowid") if key == "rowid" else table.c[key]
            rng = random.Random(seed)
            per = max(1, math.ceil(rows / SLICES))
            # start low enough that the last slice still finds ``per`` rows on a dense key
            top = max(lo, hi - int(per * (hi - lo + 1) / records)) if records else hi
            parts = []
            for start in sorted(rng.randint(lo, top) for _ in range(SLICES)):
                inner = select(*picked).where(keycol >= start).order_by(keycol).limit(per).subquery()
                parts.append(sa.select(*[inner.c[i] for i in range(len(cols))]))
            return Plan(sa.union_all(*parts), f"{SLICES} random key ranges on {key}")
    filtered = dialect.filter_sample(select, picked, rows, records, seed)
    if filtered is not None:
        return Plan(*filtered)
    return Plan(select(*picked).limit(rows), "first rows (no random access path)")


def fallback(dialect: Dialect, schema: str | None, name: str, cols: list[str], rows: int,
             cut: dict[str, int] | None = None, structured: set[str] | frozenset[str] = frozenset(),
             all_versions: bool = False, info: TableInfo | None = None,
             texts: Mapping[str, str] | None = None) -> Plan:
    table = dialect.table_clause(schema, name, cols, info)
    texts = texts or {}
    picked = [as_text(table.c[c]) if c in texts else dialect.cut(table.c[c], (cut or {}).get(c), c in structured)
              for c in cols]
    stmt = sa.select(*picked)
    if all_versions:
        stmt = dialect.all_versions(stmt, table)
    return Plan(stmt.limit(rows), "first rows (sample came back empty)")


def as_text(column: Any) -> Any:
    """``column`` read as the server's text form (``CAST(c AS TEXT)``), labelled with its name: a
    column the dialect names in ``wire_texts``, whose text :func:`read_rows` turns into exactly
    the text of the driver's value (see :data:`WIRE_KINDS`) at a fraction of the cost of loading
    the value and converting it back."""
    return sa.cast(column, sa.Text).label(column.name)


def number_text(value: float | Decimal) -> str:
    """A number as the classifier should see it: integral values as plain digits
    (4111111111111111.0 and Decimal('6591234567.00') are a card and a phone number)."""
    try:
        if isinstance(value, float):
            if math.isfinite(value) and value.is_integer() and abs(value) < 1e22:
                return f"{value:.0f}"
            return repr(value)
        if value.is_finite() and value == value.to_integral_value() and abs(value.adjusted()) < 40:
            return f"{value.to_integral_value():f}"
        return str(value)
    except (ArithmeticError, ValueError, OverflowError):
        return str(value)


def text_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (float, Decimal)):
        return number_text(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value[: MAX_CHARS * 4]).decode("utf-8", "replace")
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, default=str)[:MAX_CHARS]
    if isinstance(value, (uuid.UUID, timedelta)):
        return str(value)
    text = str(value)
    return text[:MAX_CHARS]


# --------------------------------------------------------------------------- JSON, iteratively


def walk_json(text: str, path: str, out: dict[str, list[Any]], dropped: list[int] | None = None,
              keys: KeyMaps | None = None) -> str:
    """Flatten the JSON document in ``text`` into ``out`` (``path.key.path``, ``[]`` for list
    items) with the object readers' walker (:mod:`connectors.formats.jsonwalk`: ijson events,
    no recursion, any depth, long paths shortened in the middle). Returns ``complete``,
    ``partial`` (the text ended inside the document, as a document cut on the server does:
    what was read is in ``out``) or ``invalid`` (not JSON; ``out`` may hold what came before).
    ``dropped[0]`` counts the values under key paths past MAX_FIELDS, which ``out`` does not keep.
    ``keys``: shared by the documents of one column (keys at one path count across its rows); the
    caller then settles the column's fields once (:meth:`KeyMaps.settle`), else this document is."""
    import ijson

    walker = Walker(out, root=path, keys=keys)
    try:
        walker.feed_all(ijson.basic_parse(io.BytesIO(text.encode("utf-8", "replace")), use_float=True))
    except ijson.JSONError as exc:
        return "partial" if "premature EOF" in str(exc) else "invalid"
    finally:
        if keys is None:
            walker.settle()  # what a map keyed by data held, under its <value> segment (no raw key in a name)
        if dropped is not None:
            dropped[0] += walker.dropped
    return "complete"


def _put(out: dict[str, list[Any]], path: str, value: str) -> bool:
    """``value`` kept under ``path``; False when the path is past the MAX_FIELDS bound (not kept)."""
    key = path or "$"
    if key not in out and len(out) >= MAX_FIELDS:
        return False  # bounded breadth: at most MAX_FIELDS key paths
    values = out.setdefault(key, [])
    if len(values) < MAX_VALUES_PER_FIELD:
        values.append(value)
    return True


# --------------------------------------------------------------------------- rows into fields


@dataclass
class SampleRead:
    """What one sample gave the classifier, and how far it got."""

    fields: dict[str, list[str]]
    digest: str
    unsampled: dict[str, str] = field(default_factory=dict)  # column -> cells not read, and why
    cut: dict[str, int] = field(default_factory=dict)  # column -> cells cut on the server


def read_rows(cols: list[str], rows: list[tuple], structured: set[str] | frozenset[str] = frozenset(),
              cut: dict[str, int] | None = None, wire: Mapping[str, str] | None = None,
              masks_on_read: bool = False) -> SampleRead:
    """Column-wise string values (None dropped) and a digest of the sampled rows.

    ``structured`` columns (JSON, ARRAY), and JSON documents found in text columns, are
    flattened: ``profile`` holding ``{"email": ...}`` gives the field ``profile.email``; an
    array gives ``tags[]``. A cell that cannot be rendered is counted against its column in
    ``unsampled``; the other cells and columns are read.

    Column by column: a column whose values are all of one plain type (text, integers,
    dates and times, floats, booleans) is converted by one comprehension for that type; any
    other column (JSON, bytes, mixed or exotic values) cell by cell (:func:`_cell`). The texts
    are the same either way, and so is the digest (of each row's texts, as before).

    ``wire``: columns read as the server's text form (:func:`as_text`), by kind
    (:data:`WIRE_KINDS`): turned into the texts their values would have given (a value that
    cannot be is that cell's problem, counted as above).
    """
    cut = cut or {}
    wire = wire or {}
    fields: dict[str, list[str]] = {c: [] for c in cols if c not in structured}
    failed: dict[str, tuple[int, str]] = {}
    was_cut: dict[str, int] = {}
    json_cut: dict[str, int] = {}
    dropped: dict[str, int] = {}  # column -> values under key paths past MAX_FIELDS (not kept)
    width = len(cols)
    columns = list(zip(*rows)) if rows else []
    texts: list[list[str]] = []  # per column, each row's text for the digest
    slow: list[int] = []  # columns read cell by cell, row after row (JSON key paths in row order)
    json_keys: dict[str, KeyMaps] = {}  # per column: its JSON documents' keys, counted across the rows
    for i, col in enumerate(cols):
        values = columns[i] if i < len(columns) else (None,) * len(rows)
        kind = wire.get(col)
        if kind is not None and col not in structured:
            texts.append(_wire_column(col, kind, values, fields, failed))
            continue
        got = None if col in structured else _plain_column(col, values, cut.get(col), fields, was_cut)
        if got is None:
            slow.append(i)
            got = []
        texts.append(got)
    for n, row in enumerate(rows):
        for i in slow:
            col = cols[i]
            raw = row[i] if i < len(row) else None
            try:
                cell = _cell(col, raw, col in structured, cut.get(col), fields, was_cut, json_cut, dropped,
                             json_keys)
                texts[i].append("\x00" if cell is None else cell)
            except Exception as exc:  # noqa: BLE001 - one cell's failure stays that cell's
                count, _ = failed.get(col, (0, ""))
                failed[col] = (count + 1, type(exc).__name__)
                texts[i].append("\x01")
    for keys in json_keys.values():  # maps found keyed by data after some rows: those rows' raw keys moved too
        keys.settle(fields)
    if width and (not rows or min(map(len, rows)) >= width):
        digest = _sample_digest(texts)
    else:  # ragged rows (never from a SELECT): each row's own cells, as zip(cols, row) read them
        sha = hashlib.sha256
        digests = [sha("\x1f".join(texts[i][n] for i in range(min(width, len(r)))).encode()).digest()
                   for n, r in enumerate(rows)]
        digests.sort()
        digest = sha(b"".join(digests)).hexdigest()
    unsampled = {col: f"{count} sampled value(s) could not be read ({why}): not classified"
                 for col, (count, why) in failed.items()}
    for col, n in json_cut.items():  # a document cut on the server: what came after the cut is not known
        if col not in unsampled:
            unsampled[col] = (f"{n} JSON value(s) longer than {cut[col]} characters: only the first "
                              f"{cut[col]} characters of each were read")
    for col, n in dropped.items():  # key paths past the bound: what was under them is not known
        if col not in unsampled:
            unsampled[col] = (f"{n} value(s) under JSON key paths beyond the first {MAX_FIELDS} of the sample "
                              "were not kept: not classified")
    # a column served masked (a masking policy): its stored values are not read. Only where the server
    # masks on read (``masks_on_read``: Snowflake); elsewhere a column of masks is what is stored
    # (a vendor that redacted it): read, and no personal data in it
    for col in (cols if masks_on_read else ()):
        texts_of = fields.get(col)
        if texts_of and col not in unsampled and _MASK.fullmatch(texts_of[0]) and all(map(_MASK.fullmatch, texts_of)):
            fields[col] = []
            unsampled[col] = (f"every sampled value ({len(texts_of)}) is a mask such as '***MASKED***': the stored values "
                              "are hidden from the audit identity (a masking policy or a masked view), not read")
    return SampleRead({k: v for k, v in fields.items() if v or k in cols}, digest, unsampled, was_cut)


# a value that is only a mask: '***MASKED***', '********', '####', 'XXXX-XXXX', 'REDACTED' (never a partial mask
# such as 'j***@e***.com', which keeps part of the value and is classified as it is)
_MASK = re.compile(r"(?i)[\W_]*(?:masked|redacted)[\W_]*|[*\u2022#][*\u2022#\s.\-]{2,}|X{3,}(?:[\s.\-]X{3,})*")


_EMPTY_SHA256 = hashlib.sha256()  # copied, never updated: a new hash without the library's look-up


def _row_digests(rows: Any) -> list[bytes]:
    """sha256 of each of ``rows`` (bytes): each from a copy of an empty hash (cheaper than a new
    one per row, the same digest)."""
    new = _EMPTY_SHA256.copy
    out: list[bytes] = []
    add = out.append
    for row in rows:
        h = new()
        h.update(row)
        add(h.digest())
    return out


def py_sample_digest(texts: Sequence[Sequence[str]]) -> str:
    """The digest of a sample's rows, ``texts`` its columns' digest texts: each row's texts
    joined by U+001F (as many rows as the shortest column), its SHA-256 of the UTF-8; the hex
    SHA-256 of those digests, sorted (the sample's rows in any order give the same digest).
    The reference of the compiled kernel (``_digest.c``), used where it did not build."""
    digests = _row_digests(map(str.encode, map("\x1f".join, zip(*texts))))
    digests.sort()
    return hashlib.sha256(b"".join(digests)).hexdigest()


try:  # the optional compiled kernel (``_digest.c``; setup.py builds it where a compiler and OpenSSL's
    # headers are found): the same digest in about two fifths of the time (tests compare the two)
    from connectors.sql._digest import sample_digest as _sample_digest
except ImportError:  # pragma: no cover - a machine without them
    _sample_digest = py_sample_digest


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _int(value: int) -> str:
    return str(value)[:MAX_CHARS]


# one converter per plain type (exact type: subclasses such as bool-of-int go cell by cell)
_PLAIN: dict[type, Any] = {int: _int, float: number_text, Decimal: number_text, bool: _bool,
                           datetime: datetime.isoformat, date: date.isoformat, time: time.isoformat,
                           uuid.UUID: str, timedelta: str}
_NONE = type(None)
_BOOL_TEXT = {True: "true", False: "false"}
_present = partial(operator.is_not, None)  # filter(_present, values): the values that are not NULL
_SEP = "\x1f"


def _float_texts(values: Any) -> list[str]:
    """number_text of each float, in C-level calls: ``repr`` gives it except for integral values,
    whose repr below 1e16 is the digits and ``.0`` (the ``.0`` is dropped); an exponent form
    (``1e+16``) goes value by value."""
    reprs = list(map(float.__repr__, values))
    joined = _SEP.join(reprs)
    if "e+" in joined:
        return [f"{v:.0f}" if v.is_integer() and -1e22 < v < 1e22 else repr(v) for v in values]
    if ".0" + _SEP not in joined and not joined.endswith(".0"):
        return reprs
    return (joined + _SEP).replace(".0" + _SEP, _SEP)[:-1].split(_SEP)


def _plain_column(col: str, values: tuple, chars: int | None, fields: dict[str, list[str]],
                  was_cut: dict[str, int]) -> list[str] | None:
    """The digest texts of a column of one plain type, its values appended to ``fields``; None
    when the column needs the cell-by-cell path (JSON text, bytes, mixed or other types)."""
    kinds = set(map(type, values))
    nulls = _NONE in kinds
    if nulls:
        kinds.discard(_NONE)
    if not kinds:
        return ["\x00"] * len(values)
    if len(kinds) > 1:
        return None
    kind = kinds.pop()
    out = fields[col]
    texts: list[Any]
    present: Any = list(filter(_present, values)) if nulls else values
    if kind is str:
        # JSON kept in a text column goes cell by cell: a value that starts with { or [ (found in
        # one joined string; a separator inside a value may send a column there too: same texts)
        joined = _SEP.join(present)
        if ("{" in joined or "[" in joined) and (
                joined[:1] in ("{", "[") or _SEP + "{" in joined or _SEP + "[" in joined):
            return None
        limit = MAX_CHARS if chars is None else min(chars, MAX_CHARS)  # the digest's text (as ever)
        keep = MAX_CHARS if chars is None else chars  # the classifier's: all the server sent
        longest = max(map(len, present))
        if longest > limit:
            if chars is not None:
                n = sum(1 for v in present if len(v) > chars)
                if n:
                    was_cut[col] = was_cut.get(col, 0) + n
            texts = [v[:limit] for v in present]
            out.extend(texts if keep == limit else [v[:keep] for v in present] if longest > keep else present)
        else:
            texts = list(present)
            out.extend(texts)
        if not nulls:
            return texts
        it = iter(texts)
        return ["\x00" if v is None else next(it) for v in values]
    elif kind is float:
        texts = _float_texts(present)
    elif kind is int:
        try:
            texts = list(map(int.__repr__, present))
        except ValueError:  # past the interpreter's digit limit: counted cell by cell
            return None
        if max(map(len, texts)) > MAX_CHARS:
            texts = [t[:MAX_CHARS] for t in texts]
    elif kind is bool:
        texts = list(map(_BOOL_TEXT.__getitem__, present))
    else:
        convert = _PLAIN.get(kind)
        if convert is None:
            return None
        try:
            texts = list(map(convert, present))
        except Exception:  # noqa: BLE001 - a value that cannot be rendered: counted cell by cell
            return None
    out.extend(texts)
    if not nulls:
        return texts  # no None among them
    it = iter(texts)
    return ["\x00" if v is None else next(it) for v in values]


def _iso_datetime(text: str) -> str:
    return datetime.fromisoformat(text).isoformat()


def _iso_date(text: str) -> str:
    return date.fromisoformat(text).isoformat()


def _float_wire(text: str) -> str:
    return number_text(float(text))


def _bool_wire(text: str) -> str:
    return _BOOL_WIRE[text]


# each takes the values (str, no NULL) and their _SEP-joined text (_SEP is in none of them)
def _same(values: Any, joined: str) -> list[str]:
    return list(values)


def _floats_wire(values: Any, joined: str) -> list[str] | None:
    # PostgreSQL 12+ (extra_float_digits > 0) writes a double's shortest exact digits, as repr
    # does, and an integral value below 1e15 without ".0", as number_text does; an exponent
    # (e), NaN or Infinity goes value by value
    return None if "e" in joined or "N" in joined or "I" in joined else list(values)


_AT4 = operator.itemgetter(4)


def _iso_shaped(values: Any, joined: str, lengths: set[int]) -> bool:
    """Whether every text (DateStyle ISO, the session's) is one Python holds, by its length and
    two C-level checks. The server writes 'YYYY-MM-DD HH:MM:SS', a fraction of 1-6 digits with
    its trailing zeros dropped, the zone ('+00'), ' BC', a year of 4-6 digits, or 'infinity':
    with a 4-digit year ('-' at index 4) and no ' BC', a length of 19 / 22 (with '+00') has no
    fraction and 26 / 29 a 6-digit one; the same length is also '.fff BC' (BC), or a 5-digit
    year with a 5-digit fraction (a 6-digit one with 4): those go value by value. It relies, as
    the split of ``joined`` after it does, on no timestamp text holding ``_SEP`` (the server never
    writes one there)."""
    n = len(values)
    for size in lengths:  # every text ``size`` long: the n - 1 separators sit every size + 1 characters
        if len(joined) == n * (size + 1) - 1 and joined[size::size + 1] == _SEP * (n - 1):
            return "B" not in joined and joined[4::size + 1].count("-") == n
    sizes = set(map(len, values))
    if not sizes <= lengths or "B" in joined:
        return False
    if len(sizes) == 1:  # every text as long: index 4 of each is every (size + 1)-th character
        return joined[4::sizes.pop() + 1].count("-") == len(values)
    return set(map(_AT4, values)) == {"-"}


def _timestamps_wire(values: Any, joined: str) -> list[str] | None:
    # DateStyle ISO: 'YYYY-MM-DD HH:MM:SS[.ffffff]'; isoformat() has 'T' and six digits of a
    # fraction when there is one (a shorter fraction, BC, 'infinity', a year past 9999: value by value)
    if not _iso_shaped(values, joined, {19, 26}):
        return None
    return joined.replace(" ", "T").split(_SEP)


def _timestamptzs_wire(values: Any, joined: str) -> list[str] | None:
    # as timestamps, in the session's TimeZone UTC: '+00' where isoformat() says '+00:00'
    if not _iso_shaped(values, joined, {22, 29}):
        return None
    joined += _SEP
    if joined.count("+00" + _SEP) != len(values):
        return None
    return joined.replace(" ", "T").replace("+00" + _SEP, "+00:00" + _SEP)[:-1].split(_SEP)


def _dates_wire(values: Any, joined: str) -> list[str] | None:
    # DateStyle ISO: 10 characters are always 'YYYY-MM-DD' of a year 1-9999 (a 5-digit year is
    # 11 or more, BC adds ' BC', 'infinity' is 8): value by value otherwise
    return list(values) if set(map(len, values)) == {10} else None


def _bools_wire(values: Any, joined: str) -> list[str] | None:
    # CAST(boolean AS text) says 'true' / 'false', as the sample does
    return list(values) if set(values) <= {"true", "false"} else None


_BOOL_WIRE = {"true": "true", "false": "false", "t": "true", "f": "false"}

# kind -> (every value at once, or None to go value by value; one value, raising when it cannot)
WIRE_KINDS: dict[str, tuple[Any, Any]] = {
    "int": (_same, str),  # integers of every width: the digits, as str(int)
    "uuid": (_same, lambda t: str(uuid.UUID(t))),  # lower-case, hyphenated, as str(UUID)
    "bool": (_bools_wire, _bool_wire),
    "float": (_floats_wire, _float_wire),  # double precision (not real: a float4 loads widened)
    "timestamp": (_timestamps_wire, _iso_datetime),
    "timestamptz": (_timestamptzs_wire, _iso_datetime),
    "date": (_dates_wire, _iso_date),
}


def _wire_column(col: str, kind: str, values: tuple, fields: dict[str, list[str]],
                 failed: dict[str, tuple[int, str]]) -> list[str]:
    """The digest texts of a column read as the server's text (``kind``: :data:`WIRE_KINDS`),
    its values appended to ``fields``: the texts the driver's values would have given."""
    if not values:
        return []
    present: Any = values
    try:  # the server's text of these types never holds the separator
        joined, nulls = _SEP.join(values), False
    except TypeError:  # a NULL among them
        nulls, present = True, list(filter(_present, values))
        if not present:
            return ["\x00"] * len(values)
        joined = _SEP.join(present)
    texts = WIRE_KINDS[kind][0](present, joined)
    if texts is not None:
        fields[col].extend(texts)
        if not nulls:
            return texts
        it = iter(texts)
        return ["\x00" if v is None else next(it) for v in values]
    one = WIRE_KINDS[kind][1]
    out, digest = fields[col], []
    for v in values:
        if v is None:
            digest.append("\x00")
            continue
        try:
            text = one(v)
        except Exception as exc:  # noqa: BLE001 - one cell's failure stays that cell's
            count, _ = failed.get(col, (0, ""))
            failed[col] = (count + 1, type(exc).__name__)
            digest.append("\x01")
            continue
        out.append(text)
        digest.append(text)
    return digest


def _cell(col: str, raw: Any, structured: bool, chars: int | None, fields: dict[str, list[str]],
          was_cut: dict[str, int], json_cut: dict[str, int], dropped: dict[str, int] | None = None,
          json_keys: dict[str, KeyMaps] | None = None) -> str | None:
    """One cell into ``fields``; returns its text for the digest (``dropped``: values under JSON key
    paths past MAX_FIELDS, counted per column; ``json_keys``: per column, its JSON documents' keys,
    shared across its rows: the caller settles ``fields`` with them once every row is read)."""
    lost = [0]
    if raw is None:
        return None
    if isinstance(raw, (bytes, bytearray, memoryview)) and (structured or chars):
        raw = bytes(raw).decode("utf-8", "replace")
    cut_here = isinstance(raw, str) and chars is not None and len(raw) > chars
    if cut_here:
        raw = raw[:chars]  # the server sent one character more than kept: the value was cut
        was_cut[col] = was_cut.get(col, 0) + 1
    if structured:
        if isinstance(raw, (dict, list, tuple)):  # a driver that parsed it (not the connector's own reads)
            raw = json.dumps(raw, default=str)
        text = raw if isinstance(raw, str) else text_of(raw) or ""
        doc: dict[str, list[Any]] = {}
        keys = None if json_keys is None else json_keys.setdefault(col, KeyMaps())
        if walk_json(text, col, doc, lost, keys) == "invalid" and not doc:
            _put(fields, col, text[:MAX_CHARS])
        lost[0] += _merge(fields, doc, keys)
        if lost[0] and dropped is not None:
            dropped[col] = dropped.get(col, 0) + lost[0]
        if cut_here:
            json_cut[col] = json_cut.get(col, 0) + 1
        return text[:MAX_CHARS]
    cell = text_of(raw)
    if cell is None:
        return None
    if isinstance(raw, str) and raw[:1] in ("{", "["):  # JSON kept in a text column (MariaDB's JSON is LONGTEXT)
        doc = {}
        keys = None if json_keys is None else json_keys.setdefault(col, KeyMaps())
        state = walk_json(raw, col, doc, lost, keys)
        if state == "complete" or (state == "partial" and cut_here and doc):
            lost[0] += _merge(fields, doc, keys)
            if lost[0] and dropped is not None:
                dropped[col] = dropped.get(col, 0) + lost[0]
            if cut_here:
                json_cut[col] = json_cut.get(col, 0) + 1
            return cell
        if keys is not None:  # not read as JSON after all: the shapes of its paths are not kept either
            for path in doc:
                if path not in fields:
                    keys.shapes.pop(path, None)
    # text cut on the server is classified whole (the digest keeps its first MAX_CHARS characters)
    fields[col].append(raw if chars is not None and isinstance(raw, str) else cell)
    return cell


def _merge(fields: dict[str, list[str]], doc: dict[str, list[Any]], keys: KeyMaps | None = None) -> int:
    """``doc``'s values into ``fields``; returns how many were not kept (paths past MAX_FIELDS).
    ``keys``: the column's shared key maps, which keep the shapes of the paths ``fields`` holds only."""
    lost = 0
    for key, values in doc.items():
        for v in values:
            if not _put(fields, key, v):
                lost += 1
        if keys is not None and key not in fields:
            keys.shapes.pop(key, None)
    return lost


def to_fields(cols: list[str], rows: list[tuple],
              structured: set[str] | frozenset[str] = frozenset()) -> tuple[dict[str, list[str]], str]:
    """Column-wise string values and a digest (see :func:`read_rows`)."""
    got = read_rows(cols, rows, structured)
    return got.fields, got.digest


def fingerprint(records: int | None, records_basis: str | None, sample_digest: str | None) -> str | None:
    """Row count plus sample hash: equal across runs when the table did not change."""
    if sample_digest is None or records is None:
        return None
    return f"{records_basis}:{records}:{sample_digest[:32]}"
