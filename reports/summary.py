"""The console summary of a run: what `auditor scan` and `auditor demo` print.

It leads with the worst stale personal data at vendors (vendor, dataset, age in days and
years, records, types), then the open findings by severity, each with its age where it has
one. Every figure comes from the run's judgments and findings (decided by the policies):
nothing is recomputed here.
"""

from __future__ import annotations

from collections import Counter

from auditor.models import SEVERITIES, Finding, Run, severity_rank, way_out
from reports.context import judged, stale_headline, unknown_age_words
from reports.format import num, plural

MAX_FINDING_LINES = 12
MAX_STALE_LINES = 12  # the oldest stale datasets the console names (the cron mail); the report has them all


# control characters (a newline, a carriage return, an escape) in names from an audited store: shown
# as escapes, so a name never starts a line of its own in the console summary (the cron mail)
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7f, 0xa0))} | {0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t",
                                                                    0x2028: "\\u2028", 0x2029: "\\u2029"} | {
    # and bidi controls (as the log lines escape them): a name never shows the rest of its line reversed
    c: f"\\u{c:04x}" for c in (0x061c, 0x200e, 0x200f, *range(0x202a, 0x202f), *range(0x2066, 0x206a))}


def _short(text: str, width: int) -> str:
    text = text.translate(_CONTROLS)
    return text if len(text) <= width else text[: width - 1] + "…"


def waived_unknowns_line(run: Run) -> str | None:
    """One line when waived not-assessed findings keep the run incomplete (None when none do):
    the summary and the scheduler's log line say why a run with nothing open exits 3."""
    return waived_unknowns_words(len(run.waived_unknowns()))


def waived_unknowns_words(n: int) -> str | None:
    """The words of :func:`waived_unknowns_line` for ``n`` waived not-assessed findings (the
    notification's e-mail, which has only the summary's counts, says them too)."""
    if not n:
        return None
    return (f"{plural(n, 'waived not-assessed finding')} {'keeps' if n == 1 else 'keep'} the run incomplete "
            "(exit 3): a waiver assesses nothing; take the way out each names (the report's Coverage)")


def waive_note(finding_id: str, f: Finding | None) -> list[str]:
    """What `auditor waive` prints (stderr, one or two lines) when it waives a not-assessed
    finding (``f``: its newest stored version, None when never seen): the waiver is recorded, but
    the run stays incomplete until the finding's way out is taken. [] for any other finding."""
    if (f is None and not finding_id.startswith("not-assessed:")) or (f is not None and f.rule != "not-assessed"):
        return []
    first = (f"auditor: note: {_short(finding_id, 80)} is not assessed (a fact the auditor could not read); the waiver "
             "shows it as waived, but every run stays incomplete (exit 3) until its way out is taken")
    if f is None:
        return [first + " (the fix the finding names)"]
    return [first + ":", "  way out: " + way_out(f).translate(_CONTROLS)]


def summary_lines(run: Run) -> list[str]:
    run = judged(run)
    names = {v.id: v.name or v.id for v in run.vendors}
    lines: list[str] = []
    lead = stale_headline(run)
    limit = lead[0]["max_age"] if lead else (run.policy_limits.get("max_age_days") or 365)
    if lead:
        lines.append(f"Stale personal data at vendors (not written for more than {limit} days):")
        for x in lead[:MAX_STALE_LINES]:
            records = "unknown records" if x["records"] is None else f"{num(x['records'])} records"
            lines.append(f"  {_short(x['vendor'], 30):<30} {_short(x['dataset'], 36):<36} "
                         f"{x['age_days']:>6,} days ({x['years']:.1f} y)  {records:>15}  {', '.join(x['types'])}")
        if len(lead) > MAX_STALE_LINES:
            lines.append(f"  ... and {plural(len(lead) - MAX_STALE_LINES, 'more stale dataset')} in the report")
    else:
        unknown = unknown_age_words(run)
        lines.append(f"Stale personal data at vendors: none older than {limit} days found"
                     + (f"; {unknown}" if unknown else ""))
    opens = sorted(run.open_findings(), key=lambda f: (severity_rank(f.severity), names.get(f.vendor, f.vendor),
                                                       f.dataset, f.rule))
    sev = Counter(f.severity for f in opens)
    lines.append("")
    lines.append("Open findings by severity: " + (", ".join(f"{sev[s]} {s}" for s in SEVERITIES if sev[s]) or "none"))
    for f in opens[:MAX_FINDING_LINES]:
        age = f.evidence.get("age_days")
        age_text = f"  {age:,} days" if isinstance(age, int) else ""
        lines.append(f"  {f.severity:<8} {_short(f.rule, 26):<26} {_short(names.get(f.vendor, f.vendor), 26):<26} "
                     f"{_short(f.dataset, 36)}{age_text}")
    if len(opens) > MAX_FINDING_LINES:
        lines.append(f"  ... and {len(opens) - MAX_FINDING_LINES} more in the report")
    return lines


MAX_NOT_ASSESSED_LINES = 10


def not_assessed_lines(run: Run) -> list[str]:
    """One line per open not-assessed finding of a source that ran (a failed source has its own
    "NOT ASSESSED source" line): what could not be assessed, why, and the way out, so the cron mail
    says what to do, not only where. Names from stores are kept on their line."""
    failed = {s.id for s in run.sources if s.status == "error"}
    found = sorted((f for f in run.open_findings() if f.rule == "not-assessed" and f.source not in failed),
                   key=lambda f: (f.source, f.dataset))
    # datasets of one source lost for one reason with one way out (a server gone mid-scan) are one line
    groups: dict[tuple[str, str, str], list[str]] = {}
    for f in found:
        why = str(f.evidence.get("reason") or f.evidence.get("cause") or f.title)
        groups.setdefault((f.source, why, str(f.remediation or "")), []).append(f.dataset)
    lines = []
    for (source, why, fix), names in list(groups.items())[:MAX_NOT_ASSESSED_LINES]:
        what = _short(names[0], 80) if len(names) == 1 else (
            f"{len(names)} datasets ({', '.join(_short(n, 40) for n in names[:3])}{', ...' if len(names) > 3 else ''})")
        fixed = f" (fix: {_short(fix, 240)})" if fix else ""
        lines.append(f"NOT ASSESSED {_short(source, 40)} {what}: {_short(why, 240)}{fixed}")
    if len(groups) > MAX_NOT_ASSESSED_LINES:
        rest = sum(len(names) for names in list(groups.values())[MAX_NOT_ASSESSED_LINES:])
        lines.append(f"... and {rest} more not assessed in the report")
    return lines
