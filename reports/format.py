"""How the reports word facts: numbers, sizes, dates, unknowns, triggers."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from typing import Any

from auditor.models import SEVERITIES, Run

UNKNOWN = "unknown"
DEFAULT_MAX_AGE_DAYS = 365
SEVERITY_LABELS = {s: s.capitalize() for s in SEVERITIES}
RUN_STATUS = {
    "complete": ("Complete", "every source and dataset was assessed"),
    "partial": ("Partial", "some sources or datasets could not be assessed (see Coverage)"),
    "failed": ("Failed", "the run did not finish: what is shown is incomplete"),
    "running": ("Running", "the run had not finished when this report was written"),
}

# --------------------------------------------------------------------------- formatting


def num(n: int | None) -> str:
    return UNKNOWN if n is None else f"{n:,}"


def size(n: int | None) -> str:
    if n is None:
        return UNKNOWN
    value, units = float(n), ("B", "KB", "MB", "GB", "TB", "PB")
    i = 0
    while value >= 1000 and i < len(units) - 1:
        value, i = value / 1000, i + 1
    return f"{n:,} B" if i == 0 else f"{value:.1f} {units[i]}"


def utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def when(dt: datetime | None) -> str:
    return UNKNOWN if dt is None else utc(dt).strftime("%Y-%m-%d %H:%M UTC")


def day(d: date | datetime | None, missing: str = UNKNOWN) -> str:
    if d is None:
        return missing
    d = utc(d) if isinstance(d, datetime) else d
    # date.isoformat is strftime("%Y-%m-%d") for four-digit years, at a fraction of the cost
    return d.isoformat()[:10] if d.year >= 1000 else d.strftime("%Y-%m-%d")


def yes_no(b: bool | None, yes: str = "yes", no: str = "no") -> str:
    return UNKNOWN if b is None else (yes if b else no)


@functools.lru_cache(maxsize=4096, typed=True)  # pure, and the same few ages are worded again and again
def days(n: int) -> str:
    text = f"{n:,} day{'' if n == 1 else 's'}"
    return f"{text} (about {n / 365.25:.1f} years)" if n >= 730 else text


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def age_days(as_of: datetime, dt: datetime | None) -> int | None:
    return None if dt is None else max(0, (utc(as_of) - utc(dt)).days)


def trigger_words(run: Run) -> tuple[str, str]:
    """(headline, detail) for why the run happened."""
    trigger, detail = run.trigger or "manual", run.trigger_detail or {}
    if trigger.startswith("event:") or detail.get("event"):
        name = detail.get("event") or trigger.split(":", 1)[1]
        before = detail.get("days_before")
        text = f"Pre-event audit: {name}"
        if isinstance(before, int):
            text += ", on the day" if before == 0 else f", {plural(before, 'day')} before"
        event_date = detail.get("event_date")
        return text, f"event on {event_date}" if event_date else ""
    if trigger == "schedule:nightly":
        return "Nightly audit", "scheduled"
    if trigger.startswith("schedule:"):
        return f"Scheduled audit ({trigger.split(':', 1)[1]})", "scheduled"
    if trigger == "manual":
        return "Manual run", ""
    return f"Manual run: {trigger}", ""


# --------------------------------------------------------------------------- evidence


FACT_CHARS = 400  # a fact's text is cut here (evidence can hold a whole document)


def fact_text(v: Any) -> str:
    if type(v) is str:  # most evidence: a plain string, before the type tests below
        return v if len(v) <= FACT_CHARS else v[:FACT_CHARS] + " …"
    if v is None:
        return UNKNOWN
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        return f"{v:,}" if isinstance(v, int) else f"{v:g}"
    if isinstance(v, (list, tuple)):
        # a list of short texts (column names, datasets) joined without a call per item
        return ", ".join([x if type(x) is str and len(x) <= FACT_CHARS else fact_text(x) for x in v]) if v else "none"
    text = str(v)
    return text if len(text) <= FACT_CHARS else text[:FACT_CHARS] + " …"


def key_label(key: str) -> str:
    return str(key).replace("_", " ")
