"""Everything the HTML report says, computed once from a :class:`Run`.

All grouping, counting, sorting and wording lives here; the templates only lay it out.
Values are returned as plain strings and numbers (never markup): the Jinja environment
escapes every one of them. Unknown facts read ``"unknown"``, never blank and never "no".

Object stores arrive as a tree (bucket -> prefix -> prefix, linked by ``Dataset.parent``)
whose parents' record and byte counts already include their children, so totals only add
the top-most dataset of each tree that matches (see :meth:`_Tree.topmost`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

from auditor.models import SEVERITIES, Dataset, Finding, Run, severity_rank

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
    return (utc(d) if isinstance(d, datetime) else d).strftime("%Y-%m-%d")


def yes_no(b: bool | None, yes: str = "yes", no: str = "no") -> str:
    return UNKNOWN if b is None else (yes if b else no)


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


def _value(v: Any) -> str:
    if v is None:
        return UNKNOWN
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int | float):
        return f"{v:,}" if isinstance(v, int) else f"{v:g}"
    if isinstance(v, list | tuple):
        return ", ".join(_value(x) for x in v) if v else "none"
    text = str(v)
    return text if len(text) <= 400 else text[:400] + " …"


def _label(key: str) -> str:
    return str(key).replace("_", " ")


def evidence_rows(evidence: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Key/value rows of a finding's evidence, exactly as given (already masked)."""
    rows: list[tuple[str, str]] = []
    for key, v in evidence.items():
        label = f"{prefix}{_label(key)}"
        if isinstance(v, dict):
            rows += evidence_rows(v, f"{label} › ") if v else [(label, "none")]
        elif isinstance(v, list | tuple) and v and all(isinstance(x, dict) for x in v):
            for i, item in enumerate(v, 1):
                if "type" in item and "count" in item:  # a personal-data summary
                    text = f"{_value(item['count'])} sampled"
                    if item.get("where"):
                        text += f" in {_value(item['where'])}"
                    if item.get("examples"):
                        text += f"; masked examples: {_value(item['examples'])}"
                    rows.append((f"{label} › {item['type']}", text))
                else:
                    rows += evidence_rows(item, f"{label} #{i} › ")
        else:
            rows.append((label, _value(v)))
    return rows


def _fix_for_denied(call: str) -> str:
    action, _, why = call.rpartition(":") if ":" in call else (call, "", "")
    action, low = (action.strip() or call), call.lower()
    if "notimplemented" in low.replace(" ", "") or "501" in low:
        return f"{action} is not implemented by this store: confirm the setting with the vendor"
    if any(w in low for w in ("denied", "forbidden", "403", "unauthorized", "permission")):
        return f"grant {action} to the auditor's identity"
    return f"make {action} readable ({why.strip() or 'see the reason'})"


def coverage(run: Run) -> dict[str, list[dict[str, Any]]]:
    """What was not assessed at all (``missing``) and what only partly (``partial``)."""
    missing: list[dict[str, Any]] = []
    source_fix = {e.source: e.fix for e in run.errors if e.dataset is None and e.fix}
    vendor_of = {s.id: s.vendor for s in run.sources}
    failed = set()
    for s in run.sources:
        if s.status == "error":
            failed.add(s.id)
            missing.append({"scope": "Source", "source": s.id, "vendor": s.vendor, "what": f"the whole {s.kind} source",
                            "why": s.error or "the source failed (no reason recorded)",
                            "fix": [source_fix.get(s.id) or "check the connection and the auditor's credentials, then re-run"]})
    for e in run.errors:
        if e.dataset is None and e.source in failed:
            continue
        missing.append({"scope": "Dataset" if e.dataset else "Source", "source": e.source,
                        "vendor": vendor_of.get(e.source, ""), "what": e.dataset or "the whole source",
                        "why": e.reason, "fix": [e.fix or "no fix recorded: see the reason"]})
    partial: list[dict[str, Any]] = []
    unknowns: dict[tuple[str, str], list[Finding]] = {}
    for f in run.findings:
        if f.rule == "not-assessed" and f.evidence.get("unknown"):
            unknowns.setdefault((f.source, f.dataset), []).append(f)
    for d in run.datasets:
        fixes = [_fix_for_denied(c) for c in d.denied]
        if d.status == "error":
            missing.append({"scope": "Dataset", "source": d.source, "vendor": d.vendor, "what": d.name,
                            "why": d.error or "could not be read (no reason recorded)",
                            "fix": fixes or ["check the auditor's read permission on it, then re-run"]})
            continue
        rules = unknowns.get(d.key, [])
        if not (d.denied or d.notes or rules):
            continue
        facts = sorted({str(x) for f in rules for x in f.evidence.get("unknown", [])})
        partial.append({"source": d.source, "vendor": d.vendor, "what": d.name,
                        "rules": sorted({str(f.evidence.get("rule", f.rule)) for f in rules}),
                        "unknown": facts, "denied": list(d.denied), "notes": list(d.notes),
                        "fix": fixes or (["make " + ", ".join(facts) + " readable, then re-run"] if facts else
                                         ["see the notes: the parts named could not be read"])})
    return {"missing": missing, "partial": partial}


# --------------------------------------------------------------------------- the dataset tree


class _Tree:
    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        self.by_key = {d.key: d for d in self.datasets}
        self.children: dict[tuple[str, str], list[Dataset]] = {}
        for d in self.datasets:
            p = self.parent(d)
            if p is not None:
                self.children.setdefault(p.key, []).append(d)
        self._personal: dict[tuple[str, str], bool | None] = {}

    def parent(self, d: Dataset) -> Dataset | None:
        if d.parent is None or d.parent == d.name:
            return None
        return self.by_key.get((d.source, d.parent))

    def ancestors(self, d: Dataset) -> list[Dataset]:
        out, seen, p = [], {d.key}, self.parent(d)
        while p is not None and p.key not in seen:
            out.append(p)
            seen.add(p.key)
            p = self.parent(p)
        return out

    def personal(self, d: Dataset) -> bool | None:
        """Personal data in or under ``d``: True, False (all classified, none) or None (unknown)."""
        if d.key not in self._personal:
            self._personal[d.key] = None  # guards a cyclic parent chain
            kids = [self.personal(k) for k in self.children.get(d.key, [])]
            own = d.has_personal_data
            if own or any(kids):
                result: bool | None = True
            elif d.status != "assessed" or None in kids or (own is None and not kids):
                result = None
            else:
                result = False
            self._personal[d.key] = result
        return self._personal[d.key]

    def topmost(self, pred: Callable[[Dataset], bool]) -> list[Dataset]:
        return [d for d in self.datasets if pred(d) and not any(pred(a) for a in self.ancestors(d))]


def _total(datasets: list[Dataset], attr: str) -> dict[str, Any]:
    values = [getattr(d, attr) for d in datasets]
    known = [v for v in values if v is not None]
    unknown = len(values) - len(known)
    fmt = size if attr == "bytes" else num
    text = fmt(sum(known)) if known or not unknown else UNKNOWN
    note = f"{plural(unknown, 'dataset')} of unknown size not counted" if unknown and known else ""
    return {"value": sum(known), "text": text, "unknown": unknown, "note": note, "at_least": False}


# --------------------------------------------------------------------------- sections


def _vendor_ids(run: Run) -> list[str]:
    ids = [v.id for v in run.vendors]
    for vid in [s.vendor for s in run.sources] + [d.vendor for d in run.datasets] + [f.vendor for f in run.findings]:
        if vid and vid not in ids:
            ids.append(vid)
    return ids


def _kinds_text(datasets: list[Dataset]) -> str:
    counts = Counter(d.kind for d in datasets)
    parts = [plural(counts[k], k) for k in ("table", "bucket") if counts[k]]
    parts += [plural(n, k) for k, n in sorted(counts.items()) if k not in ("table", "bucket", "prefix")]
    if counts["prefix"]:
        parts.append(plural(counts["prefix"], "prefix", "prefixes"))
    return ", ".join(parts) or "none"


def _held(personal: list[Dataset], blind: int) -> dict[str, Any]:
    """Personal records found, read as a lower bound when some of the estate could not be read."""
    total = _total(personal, "records")
    if blind:
        gap = f"{plural(blind, 'source or dataset', 'sources or datasets')} not assessed or not classified"
        if not personal:
            total.update(text=UNKNOWN, note=gap)
        else:
            total.update(at_least=True, note="; ".join(x for x in (total["note"], gap) if x))
    return total


def _blind(run: Run, tree: _Tree, cov: dict[str, list[dict[str, Any]]], vendor: str | None = None) -> int:
    unread = tree.topmost(lambda d: tree.personal(d) is None and d.status == "assessed")
    return (sum(1 for c in cov["missing"] if vendor is None or c["vendor"] == vendor)
            + sum(1 for d in unread if vendor is None or d.vendor == vendor))


def _vendors(run: Run, tree: _Tree, open_findings: list[Finding], cov: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    by_id = {v.id: v for v in run.vendors}
    rows = []
    for vid in _vendor_ids(run):
        v = by_id.get(vid)
        ds = [d for d in run.datasets if d.vendor == vid]
        personal = tree.topmost(lambda d, vid=vid: d.vendor == vid and tree.personal(d) is True)
        blind = _blind(run, tree, cov, vid)
        opens = [f for f in open_findings if f.vendor == vid]
        worst = min((severity_rank(f.severity) for f in opens), default=None)
        ended = v is not None and v.contract_end is not None and v.contract_end < utc(run.as_of).date()
        contract = day(v.contract_end, "not recorded") if v else "not recorded"
        if ended and v is not None and v.contract_end is not None:
            contract += f" (ended {days((utc(run.as_of).date() - v.contract_end).days)} before as-of)"
        types = sorted({p.type for d in ds for p in d.personal_data})
        rows.append({
            "id": vid, "name": (v.name if v and v.name else vid), "contract": contract, "contract_ended": ended,
            "datasets": _kinds_text(ds) if ds else ("none: not assessed" if blind else "none"), "dataset_count": len(ds),
            "personal_records": _held(personal, blind),
            "personal_types": ", ".join(types) or ("none found in what could be read" if blind else "none found"),
            "open": len(opens), "worst": SEVERITIES[worst] if worst is not None else "",
            "worst_label": SEVERITY_LABELS[SEVERITIES[worst]] if worst is not None else "none open",
            "sources": ", ".join(s.id for s in run.sources if s.vendor == vid) or "none",
        })
    return sorted(rows, key=lambda r: (severity_rank(r["worst"]) if r["worst"] else 9, r["name"].lower()))


def _finding(f: Finding, run: Run, tree: _Tree, vendor_names: dict[str, str]) -> dict[str, Any]:
    ds = tree.by_key.get((f.source, f.dataset))
    since = age_days(run.as_of, f.first_seen)
    waiver = f.waiver or {}
    return {
        "id": f.id, "rule": f.rule, "severity": f.severity, "rank": severity_rank(f.severity),
        "severity_label": SEVERITY_LABELS[f.severity], "status": f.status, "new": f.new,
        "title": f.title, "dataset": f.dataset, "source": f.source, "vendor": f.vendor,
        "vendor_name": vendor_names.get(f.vendor, f.vendor or "unknown vendor"),
        "uri": ds.uri if ds else "", "kind": ds.kind if ds else "",
        "first_seen": f.first_seen.isoformat() if f.first_seen else "",
        "since": ("first seen in this run" if f.new or f.first_seen is None
                  else f"since {day(f.first_seen)} ({days(since or 0)})"),
        "description": f.description or "No description given by the rule.",
        "remediation": f.remediation or "No remediation given by the rule.",
        "references": list(f.references), "evidence": evidence_rows(f.evidence),
        "waiver_expired": bool(waiver.get("expired")) and f.status == "open",
        "waiver_until": str(waiver.get("until") or "")[:10],
    }


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _waived(findings: list[dict[str, Any]], run: Run, source: list[Finding]) -> list[dict[str, Any]]:
    by_id = {f.id: f for f in source}
    rows = []
    for item in findings:
        if item["status"] != "waived":
            continue
        w = by_id[item["id"]].waiver or {}
        until = _parse_time(w.get("until"))
        left = None if until is None else (utc(until).date() - utc(run.as_of).date()).days
        rows.append({**item, "reason": w.get("reason") or "no reason recorded", "by": w.get("by") or "not recorded",
                     "until": day(until, "not recorded"),
                     "left": "" if left is None else "expires today" if left == 0 else
                             f"expires in {plural(left, 'day')}" if left > 0 else f"expired {plural(-left, 'day')} ago"})
    return rows


def _protection(d: Dataset, retention: str) -> list[tuple[str, str]]:
    rows = [("at rest", d.encryption_at_rest), ("in transit", d.encryption_in_transit),
            ("public", yes_no(d.public) + (f" ({'; '.join(d.public_reasons)})" if d.public_reasons else "")),
            ("retention", retention)]
    object_facts = (("versioning", d.versioning), ("logging", d.logging), ("object lock", d.object_lock))
    # versioning and object lock are object-store settings: a table shows them only when known
    rows += [(k, yes_no(v)) for k, v in object_facts if d.kind != "table" or v is not None]
    return rows


def _inventory(run: Run, tree: _Tree, max_age: int) -> list[dict[str, Any]]:
    rows = []
    order = sorted(tree.datasets, key=lambda d: (d.vendor, d.source, [a.name for a in reversed(tree.ancestors(d))] + [d.name]))
    for d in order:
        age = age_days(run.as_of, d.last_modified)
        retention = yes_no(d.has_retention)
        if d.has_retention and d.retention_days is not None:
            retention = f"yes, {plural(d.retention_days, 'day')}"
        pd = [f"{p.type}: {num(p.count)}" + (f" in {', '.join(p.where)}" if p.where else "") for p in d.personal_data]
        personal = tree.personal(d)
        rows.append({
            "name": d.name, "uri": d.uri, "kind": d.kind, "source": d.source, "vendor": d.vendor,
            "depth": len(tree.ancestors(d)), "records": num(d.records) + (f" ({d.records_basis})" if d.records_basis and d.records is not None else ""),
            "bytes": size(d.bytes), "last_modified": day(d.last_modified),
            "basis": d.last_modified_basis or ("" if d.last_modified else "no basis"),
            "age": UNKNOWN if age is None else days(age), "stale": age is not None and age > max_age,
            "region": d.region or UNKNOWN,
            "protection": _protection(d, retention),
            "personal": pd or (["none found"] if personal is False else ["in prefixes below"] if personal else ["unknown (not classified)"]),
            "has_personal": personal, "status": d.status, "error": d.error or "",
            "denied": list(d.denied), "notes": list(d.notes),
            "facts": [(str(k), v) for k, v in evidence_rows(d.facts)],
        })
    return rows


def build_report_context(run: Run) -> dict[str, Any]:
    tree = _Tree(run.datasets)
    max_age = int(run.policy_limits.get("max_age_days") or DEFAULT_MAX_AGE_DAYS)
    vendor_names = {v.id: v.name or v.id for v in run.vendors}
    open_findings = [f for f in run.findings if f.status == "open"]
    by_sev = Counter(f.severity for f in open_findings)
    roots = [d for d in run.datasets if tree.parent(d) is None]
    personal = tree.topmost(lambda d: tree.personal(d) is True)

    def stale(d: Dataset) -> bool:
        age = age_days(run.as_of, d.last_modified)
        return age is not None and age > max_age and tree.personal(d) is True

    stale_personal = tree.topmost(stale)
    findings = sorted((_finding(f, run, tree, vendor_names) for f in run.findings),
                      key=lambda x: (x["status"] != "open", x["rank"], x["vendor_name"].lower(), x["dataset"], x["rule"], x["id"]))
    new_open = [f for f in open_findings if f.new]
    cov = coverage(run)
    trigger, trigger_detail = trigger_words(run)
    status_label, status_words = RUN_STATUS.get(run.status, (run.status, ""))
    facets = {
        "severity": [{"value": s, "label": SEVERITY_LABELS[s]} for s in SEVERITIES if any(f.severity == s for f in run.findings)],
        "vendor": [{"value": v, "label": vendor_names.get(v, v)} for v in sorted({f.vendor for f in run.findings})],
        "rule": [{"value": r, "label": r} for r in sorted({f.rule for f in run.findings})],
        "status": [{"value": s, "label": s} for s in ("open", "waived") if any(f.status == s for f in run.findings)],
    }
    return {
        "run": {"id": run.id, "as_of": when(run.as_of), "started": when(run.started_at),
                "finished": when(run.finished_at) if run.finished_at else "not finished",
                "trigger": trigger, "trigger_detail": trigger_detail, "trigger_raw": run.trigger,
                "status": run.status, "status_label": status_label, "status_words": status_words,
                "previous": run.previous_run_id or "", "max_age": days(max_age)},
        "scope": {"vendors": len(_vendor_ids(run)), "sources": len(run.sources),
                  "sources_failed": sum(1 for s in run.sources if s.status == "error"),
                  "datasets": len(run.datasets), "datasets_text": _kinds_text(list(run.datasets)),
                  "records": _total(roots, "records"), "bytes": _total(roots, "bytes")},
        "headline": {
            "open_total": len(open_findings),
            "open": [{"severity": s, "label": SEVERITY_LABELS[s], "count": by_sev.get(s, 0)} for s in SEVERITIES],
            "personal": _held(personal, _blind(run, tree, cov)), "personal_datasets": len(personal),
            "personal_vendors": len({d.vendor for d in personal}),
            "stale": _total(stale_personal, "records"), "stale_datasets": len(stale_personal),
            "new": len(new_open), "resolved": len(run.resolved), "has_previous": run.previous_run_id is not None,
            "not_assessed": len(cov["missing"]), "partly_assessed": len(cov["partial"]),
            "waived": sum(1 for f in run.findings if f.status == "waived"),
        },
        "vendors": _vendors(run, tree, open_findings, cov),
        "findings": findings,
        "resolved": [{"id": r.id, "rule": r.rule, "dataset": r.dataset, "source": r.source or "",
                      "severity": r.severity or ""} for r in run.resolved],
        "coverage": cov,
        "age": age_bins([(age_days(run.as_of, d.last_modified), tree.personal(d)) for d in run.datasets], max_age),
        "oldest": [{"name": d.name, "vendor": vendor_names.get(d.vendor, d.vendor), "source": d.source,
                    "last_modified": day(d.last_modified), "age": days(age_days(run.as_of, d.last_modified) or 0),
                    "over": days((age_days(run.as_of, d.last_modified) or 0) - max_age),
                    "records": num(d.records)}
                   for d in sorted(stale_personal, key=lambda d: utc(d.last_modified))[:10] if d.last_modified],
        "waived": _waived(findings, run, list(run.findings)),
        "inventory": _inventory(run, tree, max_age),
        "blob": {"run": run.id, "facets": facets, "total": len(findings)},
    }


# --------------------------------------------------------------------------- data age


AGE_EDGES = (30, 90, 180, 365, 730, 1095, 1825)
AGE_SERIES = (("personal", "holds personal data"), ("unclassified", "personal data unknown"),
              ("clean", "no personal data found"))


def _age_label(n: int) -> str:
    return f"{n // 365} y" if n >= 365 and n % 365 == 0 else f"{n} d"


def age_bins(items: list[tuple[int | None, bool | None]], max_age: int) -> dict[str, Any]:
    """Datasets per age band (the policy limit is always a band edge), split by personal data."""
    edges = sorted(set(AGE_EDGES) | {max_age})
    bounds = list(zip([0] + edges, edges + [None]))
    bins = []
    for lo, hi in bounds:
        label = f"< {_age_label(hi)}" if lo == 0 else f"> {_age_label(lo)}" if hi is None else f"{_age_label(lo)}–{_age_label(hi)}"
        bins.append({"label": label, "over": lo >= max_age, "unknown": False, "counts": {k: 0 for k, _ in AGE_SERIES}})
    bins.append({"label": "age unknown", "over": False, "unknown": True, "counts": {k: 0 for k, _ in AGE_SERIES}})
    for age, personal in items:
        series = "personal" if personal else "clean" if personal is False else "unclassified"
        if age is None:
            i = len(bins) - 1
        else:
            i = next(j for j, (lo, hi) in enumerate(bounds) if hi is None or age <= hi)
        bins[i]["counts"][series] += 1
    for b in bins:
        b["total"] = sum(b["counts"].values())
    return {"bins": bins, "series": [{"key": k, "label": label} for k, label in AGE_SERIES],
            "limit_index": edges.index(max_age) + 1, "max_age": max_age, "total": len(items),
            "over": sum(b["total"] for b in bins if b["over"]),
            "over_personal": sum(b["counts"]["personal"] for b in bins if b["over"]),
            "unknown": bins[-1]["total"]}
