"""Age of a table's data: which columns tell when rows were written, and what they say.

Order of evidence (the first that gives a value wins; every signal read is kept):

1. the newest value of the table's write-time columns, found by type and name
   (``updated_at``, ``modified``, ``last_modified``, ``*_updated``, ``last_*``, ``*_at``...);
   ``created_at`` and friends are the weaker fallback, used only when no write-time column
   has a value. Naive datetimes are read as UTC (the connector also sets the session time
   zone to UTC, so ``timestamptz`` / MySQL ``TIMESTAMP`` values arrive in UTC). Values in the
   future (beyond ``as_of`` plus a day) are not writes (expiry dates, typos) and are ignored;
2. engine metadata (MySQL/MariaDB ``UPDATE_TIME``, PostgreSQL commit timestamps, the
   SQLite file's modification time), supplied by the dialect;
3. nothing: ``last_modified`` stays ``None`` and the engine compares the run history: the
   table's write counter (PostgreSQL's statistics, ``facts["write_counter"]`` from the dialect's
   catalogue query) against the previous run's ("written since the run of ..."), else the
   fingerprint ("unchanged since first seen"); see ``auditor.engine.age_from_history``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

MAX_CANDIDATES = 8

# Tier 0: the row was modified; tier 1: generic event times; tier 2: creation only.
_MODIFIED = re.compile(
    r"^(updated|modified|changed|last_?modified|last_?updated|last_?changed|update_?time|"
    r"modify_?time|mtime|date_?modified|date_?updated|modified_?date|updated_?date|lastupdate)"
    r"(_?(at|on|ts|time|date|datetime|utc))?$|_(updated|modified|changed)(_?(at|on|ts|time|date))?$|^last_",
    re.IGNORECASE,
)
_CREATED = re.compile(
    r"^(created|inserted|added|create_?time|creation_?(date|time)|date_?created|date_?added|ctime)"
    r"(_?(at|on|ts|time|date|datetime|utc))?$|_(created|inserted|added)(_?(at|on|ts|time|date))?$",
    re.IGNORECASE,
)
_EVENT = re.compile(r"(_at|_on|_ts|_time|_timestamp|_datetime)$|^(timestamp|ts)$", re.IGNORECASE)
# Names that hold dates that are not writes: never evidence of age.
_NOT_WRITES = re.compile(r"birth|dob|expir|due|valid|until|start|end|schedul|deadline|publish_?(at|date)", re.IGNORECASE)


@dataclass(frozen=True)
class Candidate:
    column: str
    tier: int  # 0 modified, 1 other event time, 2 created
    epoch: bool = False  # an integer column: seconds (or milliseconds) since 1970-01-01 UTC


# an integer write time is read as epoch seconds (or milliseconds) only in this range: 2001-09-09 ..
# 2103; anything else (0 for "never", 20190101 as a number) cannot be placed and is named, not dated
EPOCH_SECONDS = (1_000_000_000, 4_200_000_000)


def _is_time_type(coltype: Any) -> bool:
    return isinstance(coltype, (sa.DateTime, sa.Date))


@lru_cache(maxsize=4096)  # a function of the name alone: an estate's columns share few names
def _tier(name: str) -> int | None:
    """The write-time tier a column's name says (None: not a write time, by its name)."""
    if _NOT_WRITES.search(name):
        return None
    if _MODIFIED.search(name):
        return 0
    if _CREATED.search(name):
        return 2
    if _EVENT.search(name):
        return 1
    return None


def candidates(columns: list[dict], *, loose_types: bool = False) -> list[Candidate]:
    """Write-time columns of one table (reflected column dicts), best first.

    ``loose_types``: SQLite stores dates in TEXT or INTEGER columns; there the name alone
    decides, for columns declared with a date-like, text or no type.

    An integer column named as an update or creation time (``updated_at bigint``) is read as an
    epoch; an integer "event" column (``response_time``) is not: it is as likely a duration.
    """
    found: list[Candidate] = []
    for col in columns:
        name, coltype = col["name"], col["type"]
        typed = _is_time_type(coltype)
        epoch = not typed and isinstance(coltype, sa.Integer) and not isinstance(coltype, sa.Boolean)
        if not typed and not epoch and not (loose_types and isinstance(coltype, (sa.String, sa.types.NullType))):
            continue
        tier = _tier(name)
        if tier is None or (epoch and tier == 1):
            continue
        found.append(Candidate(name, tier, epoch))
    found.sort(key=lambda c: c.tier)
    return found[:MAX_CANDIDATES]


def unread(columns: list[dict], *, loose_types: bool = False) -> list[str]:
    """Columns named as update or creation times whose type the auditor does not read as a time
    (text on an engine with date types: its max() is not the newest time), as ``name (type)``:
    named in the basis of the age, so a reviewer sees what was passed over."""
    out = []
    for col in columns:
        coltype = col["type"]
        if loose_types or not isinstance(coltype, sa.String) or _tier(col["name"]) not in (0, 2):
            continue
        try:
            type_text = str(coltype).lower()
        except Exception:  # a dialect type without a compiled name
            type_text = type(coltype).__name__.lower()
        out.append(f"{col['name']} ({type_text})")
    return out


def to_utc(value: Any) -> datetime | None:
    """A column value as a tz-aware UTC datetime (naive read as UTC), or None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value) / 1000 if value > 1e11 else float(value)  # epoch ms or s
        if not EPOCH_SECONDS[0] <= seconds <= EPOCH_SECONDS[1]:
            return None  # 0, -1, 20190101: not an instant it can place
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("ascii", "replace")
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        if not text or text.startswith("0000-00-00"):
            return None
        try:
            return to_utc(datetime.fromisoformat(text))
        except ValueError:
            return None
    return None


@dataclass
class Age:
    last_modified: datetime | None
    basis: str
    signals: dict[str, Any]


def decide(
    maxima: dict[str, Any],
    tiers: dict[str, int],
    engine_signals: list[tuple[str, datetime | None, Any]],
    as_of: datetime,
    unknown_reason: str,
    epochs: frozenset[str] = frozenset(),
    not_read: list[str] | None = None,
) -> Age:
    """Pick ``last_modified`` from column maxima, then engine signals.

    ``maxima``: column -> raw max() value; ``engine_signals``: (basis, value, raw evidence)
    in order of preference; ``epochs``: integer columns (read as epoch times); ``not_read``:
    write-time columns not read (``name (type)``). What could not be read (``not_read``, a value
    that is not a time) is named in the basis whenever it is not the newest evidence.
    """
    passed = [f"{c} not read: not a date type" for c in not_read or ()]
    signals: dict[str, Any] = {}
    horizon = as_of + timedelta(days=1)
    best: dict[int, tuple[datetime, str]] = {}
    for column, raw in maxima.items():
        key = f"max({column})"
        value = to_utc(raw)
        if value is None:
            signals[key] = None if raw is None else "unparseable"
            if raw is not None:  # named, never quoted: a column's value is never written into a report
                passed.append(f"{key}: not a time" + (" (as epoch seconds or ms, 2001..2103)" if column in epochs
                                                      else ""))
            continue
        signals[key] = value.isoformat()
        if value > horizon:
            signals[key] = f"{value.isoformat()} (in the future: ignored)"
            continue
        tier = 0 if tiers[column] < 2 else 1  # modified and event times rank together; created last
        if tier not in best or value > best[tier][0]:
            best[tier] = (value, key)
    for basis, value, raw in engine_signals:
        signals[basis] = raw if value is None else value.isoformat()
        if value is not None and value > horizon:
            signals[basis] += " (in the future: ignored)"

    def named(basis: str) -> str:
        return basis + "".join(f"; {p}" for p in passed)

    for tier in (0, 1):
        if tier in best:
            value, key = best[tier]
            if key[4:-1] in epochs:
                key += " (epoch)"
            if tier == 0:
                return Age(value, key, signals)  # the newest update time: what else was not read does not matter
            return Age(value, named(f"{key} (creation time: no update column "
                                    f"{'it can read ' if passed else ''}has a value)"), signals)
    for basis, value, _raw in engine_signals:
        if value is not None and value <= horizon:
            return Age(value, named(basis), signals)
    ignored = [k for k, v in signals.items() if isinstance(v, str) and v.endswith("(in the future: ignored)")]
    if ignored:
        unknown_reason = unknown_reason.rstrip(")") + "; future values ignored: " + ", ".join(ignored) + ")"
    if passed:
        head = unknown_reason.rstrip(")")
        unknown_reason = head + ("" if head.endswith("(") else "; ") + "; ".join(passed) + ")"
    return Age(None, unknown_reason, signals)


_RETENTION = re.compile(r"retention\s*[:=]\s*(\d+)\s*(d|days?|w|weeks?|m|months?|y|years?)\b", re.I)
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def retention_from_comment(comment: str | None) -> int | None:
    """A purge rule declared in a table comment ('retention: 90d', 'retention=2y'), in days."""
    m = _RETENTION.search(comment or "")
    return int(m.group(1)) * _UNIT_DAYS[m.group(2)[0].lower()] if m else None
