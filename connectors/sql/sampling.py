"""Bounded samples of a table, for the classifier only.

Only the columns a classifier can use are read (text, character, dates, integers wide
enough to hold an id or a phone number, PostgreSQL ``inet``, JSON/JSONB and ARRAY columns,
whose values are flattened into ``column.key.path`` fields as object readers do for JSON
documents). Columns that may hold personal data but are not read (BLOB/bytea/binary, and
any column beyond :data:`MAX_COLUMNS`) are named with the reason in ``unsampled``, so the
table's personal data is never taken as absent. Strategies, cheapest first:

- a table with at most ``sample_rows`` rows: the first ``sample_rows`` rows;
- PostgreSQL: ``TABLESAMPLE BERNOULLI`` (``SYSTEM`` above 5M rows) ``REPEATABLE(seed)``,
  with a plain ``LIMIT`` fallback when the sample comes back empty;
- MySQL/MariaDB and SQLite: bounded random key ranges on an integer key (a single-column
  integer primary key, or SQLite's ``rowid``): ten ``key >= x ORDER BY key LIMIT m`` slices
  in one ``UNION ALL`` statement; without such a key, MySQL ``RAND(seed) < p``.

The seed is derived from the table's name, so an unchanged table gives the same sample
and therefore the same fingerprint run after run. Values become ``str`` (dates in ISO
form), cut to :data:`MAX_CHARS`; they live in memory only and are never logged.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from connectors.readers import flatten  # one flattening rule for JSON, in objects and in columns

MAX_CHARS = 1024
MAX_COLUMNS = 256
SLICES = 10
SAMPLE_TAG = "/* auditor:sample */ "


def _structured(coltype: Any) -> bool:
    return isinstance(coltype, (sa.JSON, sa.ARRAY))


def _binary(coltype: Any) -> bool:
    return isinstance(coltype, sa.types._Binary) or type(coltype).__name__.upper() in {"BYTEA", "BLOB", "LONGBLOB",
                                                                                         "MEDIUMBLOB", "TINYBLOB"}


def usable(coltype: Any) -> bool:
    """Can the classifier use values of this column type?"""
    if _structured(coltype):
        return True  # flattened into key-path fields
    if isinstance(coltype, (sa.Boolean, sa.Float, sa.Interval, sa.LargeBinary, sa.types._Binary, sa.Uuid)):
        return False
    if isinstance(coltype, sa.SmallInteger):
        return False
    if isinstance(coltype, (sa.String, sa.Integer, sa.Date, sa.DateTime, sa.Enum, sa.types.NullType)):
        return True
    if isinstance(coltype, sa.Numeric):  # DECIMAL(16,0) card numbers; not money with scale
        return not getattr(coltype, "scale", None)
    return type(coltype).__name__.upper() in {"INET", "CIDR", "MACADDR", "CITEXT", "XML", "HSTORE"}


def column_plan(columns: list[dict]) -> tuple[list[str], dict[str, str]]:
    """(columns to sample, {column: why it is not sampled}) for the columns that may hold
    personal data but are not read: binary contents, and those beyond the column cap."""
    sampled: list[str] = []
    unsampled: dict[str, str] = {}
    for c in columns:
        if usable(c["type"]):
            sampled.append(c["name"])
        elif _binary(c["type"]):
            unsampled[c["name"]] = "binary column (BLOB/bytea): its contents are not sampled"
    for name in sampled[MAX_COLUMNS:]:
        unsampled[name] = f"beyond the column cap: only the first {MAX_COLUMNS} sampleable columns are read"
    return sampled[:MAX_COLUMNS], unsampled


def sample_columns(columns: list[dict]) -> list[str]:
    return column_plan(columns)[0]


def structured_columns(columns: list[dict]) -> set[str]:
    """Sampled columns whose values are JSON documents or arrays (flattened into key paths)."""
    return {c["name"] for c in columns if _structured(c["type"])}


def seed_for(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") & 0x7FFFFFFF


@dataclass(frozen=True)
class Plan:
    statement: Any  # a SQLAlchemy selectable, or None when there is nothing to read
    strategy: str


def _table(schema: str | None, name: str, cols: list[str]) -> sa.TableClause:
    return sa.table(name, *[sa.column(c) for c in cols], schema=schema)


def plan(
    dialect: str,
    schema: str | None,
    name: str,
    cols: list[str],
    rows: int,
    records: int | None,
    key: str | None,
    key_range: tuple[Any, Any] | None,
) -> Plan:
    """The one statement that reads this table's sample."""
    if not cols or rows <= 0:
        return Plan(None, "none")
    key_is_column = key is not None and key != "rowid"
    table = _table(schema, name, list(dict.fromkeys(cols + ([key] if key_is_column else []))))
    picked = [table.c[c] for c in cols]
    if records is not None and records <= rows:
        return Plan(sa.select(*picked).limit(rows), "all rows")
    seed = seed_for(f"{schema}.{name}")
    if dialect == "postgresql":
        method = "bernoulli" if records is None or records <= 5_000_000 else "system"
        pct = 100.0 if not records else min(100.0, max(0.0001, 300.0 * rows / records))
        sampled = sa.tablesample(table, getattr(sa.func, method)(pct), seed=sa.literal(seed))
        return Plan(sa.select(*[sampled.c[c] for c in cols]).limit(rows), f"tablesample {method} {pct:.4g}%")
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
                inner = sa.select(*picked).where(keycol >= start).order_by(keycol).limit(per).subquery()
                parts.append(sa.select(*[inner.c[i] for i in range(len(cols))]))
            return Plan(sa.union_all(*parts), f"{SLICES} random key ranges on {key}")
    if dialect == "mysql" and records:
        p = min(1.0, 3.0 * rows / records)
        return Plan(sa.select(*picked).where(sa.func.rand(seed) < p).limit(rows), f"rand() < {p:.4g}")
    return Plan(sa.select(*picked).limit(rows), "first rows (no random access path)")


def fallback(schema: str | None, name: str, cols: list[str], rows: int) -> Plan:
    table = _table(schema, name, cols)
    return Plan(sa.select(*[table.c[c] for c in cols]).limit(rows), "first rows (sample came back empty)")


def text_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode("utf-8", "replace")
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, default=str)[:MAX_CHARS]
    text = str(value)
    return text[:MAX_CHARS]


def _document(value: Any) -> Any:
    """A JSON/ARRAY cell as a Python structure (drivers hand JSON over parsed, or as text)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode("utf-8", "replace")
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def to_fields(cols: list[str], rows: list[tuple],
              structured: set[str] | frozenset[str] = frozenset()) -> tuple[dict[str, list[str]], str]:
    """Column-wise string values (None dropped) and a digest of the sampled rows.

    ``structured`` columns (JSON, ARRAY), and JSON documents found in text columns, are
    flattened: ``profile`` holding ``{"email": ...}`` gives the field ``profile.email``; an
    array gives ``tags[]``.
    """
    fields: dict[str, list[str]] = {c: [] for c in cols if c not in structured}
    digests = []
    for row in rows:
        cells = [text_of(v) for v in row[: len(cols)]]
        digests.append(hashlib.sha256("\x1f".join("\x00" if c is None else c for c in cells).encode()).digest())
        for col, cell, raw in zip(cols, cells, row):
            if cell is None:
                continue
            if col in structured:
                flatten(_document(raw), col, fields)
            elif cell[:1] in ("{", "[") and isinstance(doc := _document(cell), (dict, list)):
                flatten(doc, col, fields)  # JSON kept in a text column (MariaDB's JSON is LONGTEXT)
            else:
                fields[col].append(cell)
    digest = hashlib.sha256(b"".join(sorted(digests))).hexdigest()
    return fields, digest


def fingerprint(records: int | None, records_basis: str | None, sample_digest: str | None) -> str | None:
    """Row count plus sample hash: equal across runs when the table did not change."""
    if sample_digest is None or records is None:
        return None
    return f"{records_basis}:{records}:{sample_digest[:32]}"
