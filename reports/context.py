"""Everything the HTML report says, computed once from a :class:`Run`.

All grouping, counting, sorting and wording lives here; the templates only lay it out.
Values are returned as plain strings and numbers (never markup): the Jinja environment
escapes every one of them. Unknown facts read ``"unknown"``, never blank and never "no".

Object stores arrive as a tree (bucket -> prefix -> prefix, linked by ``Dataset.parent``)
whose parents' record and byte counts already include their children, so totals only add
the top-most dataset of each tree that matches (see :meth:`_Tree.topmost`).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from auditor.models import (
    SEVERITIES,
    Dataset,
    DatasetTree,
    Finding,
    Judgment,
    Run,
    leaves_incomplete,
    severity_rank,
    way_out,
)
from reports.coverage import coverage, evidence_rows  # noqa: F401
from reports.format import (
    DEFAULT_MAX_AGE_DAYS,
    RUN_STATUS,
    SEVERITY_LABELS,
    UNKNOWN,
    age_days,
    day,
    days,
    num,
    plural,
    size,
    trigger_words,
    utc,
    when,
    yes_no,
)


class _Tree(DatasetTree):
    """The run's datasets as a tree, read through the judgments policy evaluation made."""

    def personal(self, d: Dataset) -> bool | None:
        """Personal data in or under ``d``: True, False (all classified, none) or None (unknown)."""
        return d.judgment.personal if d.judgment else None

    def topmost(self, pred: Callable[[Dataset], bool]) -> list[Dataset]:
        return [d for d in self.datasets if pred(d) and not any(pred(a) for a in self.ancestors(d))]


def judged(run: Run) -> Run:
    """The run with every dataset judged. Runs stored before judgments existed are judged now, by
    the policies' own function (with the run's limits): the report never decides staleness itself."""
    if all(d.judgment is not None for d in run.datasets):
        return run
    from policies import PolicySet, judge

    vendors = {v.id: v for v in run.vendors}
    limits = dict(run.policy_limits) or {"max_age_days": DEFAULT_MAX_AGE_DAYS}
    return run.model_copy(update={"datasets": tuple(judge(PolicySet(limits=limits), run.datasets, vendors,
                                                          run.as_of))})


def _j(d: Dataset) -> Judgment:
    return d.judgment or Judgment()


def age_text(d: Dataset) -> str:
    """'2,817 days (about 7.7 years)'; 'at least 30 days' for a lower bound, 'at most 1 day' for an
    upper one; 'unknown'."""
    j = _j(d)
    if j.age_days is None:
        return UNKNOWN
    return {"at_least": "at least ", "at_most": "at most "}.get(j.age_bound or "", "") + days(j.age_days)


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


def _with_note(total: dict[str, Any], note: str) -> dict[str, Any]:
    if note:
        total["note"] = "; ".join(x for x in (str(total.get("note") or ""), note) if x)
    return total


def _held(personal: list[Dataset], blind: int) -> dict[str, Any]:
    """Personal records found: the rows of the content that holds personal data (a bucket's events
    beside a personal prefix do not count), a lower bound when some of the estate could not be read."""
    values = [_j(d).personal_rows for d in personal]
    known = [v for v in values if v is not None]
    unknown = len(values) - len(known)
    total = {"value": sum(known), "text": num(sum(known)) if known or not unknown else UNKNOWN, "unknown": unknown,
             "note": f"{plural(unknown, 'dataset')} of unknown size not counted" if unknown and known else "",
             "at_least": False}
    if blind:
        gap = f"{plural(blind, 'source or dataset', 'sources or datasets')} not assessed or not classified"
        if not personal:
            total.update(text=UNKNOWN, note=gap)
        else:
            total.update(at_least=True, note="; ".join(x for x in (str(total["note"]), gap) if x))
    return total


def _blind(run: Run, tree: _Tree, cov: dict[str, list[dict[str, Any]]], vendor: str | None = None) -> int:
    unread = tree.topmost(lambda d: _j(d).personal is None and d.status == "assessed")
    return (sum(1 for c in cov["missing"] if vendor is None or c["vendor"] == vendor)
            + sum(1 for d in unread if vendor is None or d.vendor == vendor))


def _vendors(run: Run, tree: _Tree, open_findings: list[Finding], cov: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    by_id = {v.id: v for v in run.vendors}
    rows = []
    for vid in _vendor_ids(run):
        v = by_id.get(vid)
        ds = [d for d in run.datasets if d.vendor == vid]
        personal = [d for d in run.datasets if d.vendor == vid and _j(d).held_unit]
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


@functools.lru_cache(maxsize=1024, typed=True)
def _seen_words(as_of: datetime, as_of_offset: timedelta | None, first_seen: datetime,
                offset: timedelta | None) -> tuple[str, str]:
    """(ISO text, "since D (N days)") of a first-seen time: the same for every finding first seen in
    the same run, so worded once. The UTC offsets are part of the key: datetimes in different zones
    compare equal at the same instant, but their ISO texts differ."""
    return first_seen.isoformat(), f"since {day(first_seen)} ({days(age_days(as_of, first_seen) or 0)})"


def _finding(f: Finding, run: Run, tree: _Tree, vendor_names: dict[str, str]) -> dict[str, Any]:
    ds = tree.by_key.get((f.source, f.dataset))
    waiver = f.waiver or {}
    first_seen = f.first_seen
    seen, since = (("", "first seen in this run") if first_seen is None else
                   _seen_words(run.as_of, run.as_of.utcoffset(), first_seen, first_seen.utcoffset()))
    return {
        "id": f.id, "rule": f.rule, "severity": f.severity, "rank": severity_rank(f.severity),
        "severity_label": SEVERITY_LABELS[f.severity], "status": f.status, "new": f.new,
        "title": f.title, "dataset": f.dataset, "source": f.source, "vendor": f.vendor,
        "vendor_name": vendor_names.get(f.vendor, f.vendor or "unknown vendor"),
        "uri": ds.uri if ds else "", "kind": ds.kind if ds else "",
        "first_seen": seen, "since": "first seen in this run" if f.new else since,
        "description": f.description or "No description given by the rule.",
        "remediation": f.remediation or "No remediation given by the rule.",
        "references": list(f.references), "evidence": evidence_rows(f.evidence),
        "waiver_expired": bool(waiver.get("expired")) and f.status == "open",
        "stale": "age_days" in f.evidence and "max_age_days" in f.evidence,
        "age": _finding_age(f, ds),
        "frameworks": list(f.rules) if len(f.rules) > 1 else [],
        "waiver_until": str(waiver.get("until") or "")[:10],
    }


def _finding_age(f: Finding, ds: Dataset | None) -> str:
    """The age of what a finding is about, shown on the finding itself."""
    if isinstance(f.evidence.get("age_days"), int):
        return f"not written for {days(f.evidence['age_days'])}"
    if ds is not None and _j(ds).age_days is not None and f.rule != "not-assessed":
        return f"last written {age_text(ds)} ago"
    return ""


def _age_item(d: Dataset) -> tuple[int | None, bool | None]:
    """A lower-bound age ('unchanged since first seen') under the limit is an unknown age, never '< 30 d'."""
    j = _j(d)
    if j.age_bound == "at_least" and j.stale is not True:
        return None, j.personal
    if j.age_bound == "at_most" and j.stale is not False:  # written since a run long ago: maybe younger
        return None, j.personal
    return j.age_days, j.personal


def _age_section(run: Run, max_age: int) -> dict[str, Any]:
    """The chart's bands, with the "older than the limit" counts taken from the judgments (each
    dataset against its own limit, scoped overrides included), not from where its bar falls."""
    units = [d for d in run.datasets if _j(d).age_unit]
    out = age_bins([_age_item(d) for d in units], max_age)
    out["over"] = sum(1 for d in units if _j(d).stale is True)
    out["over_personal"] = sum(1 for d in units if _j(d).stale is True and _j(d).personal is True)
    return out


def unknown_age_personal(run: Run) -> int:
    """Datasets holding personal data whose age could not be judged (no age, or only a lower bound
    under the limit): "no stale data" is never said of them."""
    return sum(1 for d in run.datasets if _j(d).age_unit and _j(d).personal is True and _age_item(d)[0] is None)


def unknown_age_words(run: Run) -> str:
    n = unknown_age_personal(run)
    return f"age unknown for {plural(n, 'dataset')} holding personal data (not assessed)" if n else ""


def stale_headline(run: Run) -> list[dict[str, Any]]:
    """The worst stale personal data at vendors, oldest first: what the console and the page open with."""
    names = {v.id: v.name or v.id for v in run.vendors}
    rows = []
    for d in run.datasets:
        j = _j(d)
        if not j.stale_unit:
            continue
        rows.append({"vendor": names.get(d.vendor, d.vendor), "vendor_id": d.vendor, "source": d.source,
                     "dataset": d.name, "age_days": j.age_days, "age": age_text(d),
                     "years": round((j.age_days or 0) / 365.25, 1),
                     "records": d.records, "records_text": num(d.records) + (
                         f" ({d.records_basis})" if d.records_basis and d.records is not None and d.kind != "table" else ""),
                     "types": list(j.personal_types), "max_age": j.max_age_days})
    return sorted(rows, key=lambda r: (-(r["age_days"] or 0), -(r["records"] or 0), r["vendor"], r["dataset"]))


def attestations_section(run: Run) -> dict[str, Any]:
    """Attestations the run used (with the datasets they covered) and the expired ones it ignored."""
    def row(a: Any) -> dict[str, Any]:
        return {"fact": a.fact, "value": str(a.value).lower() if isinstance(a.value, bool) else str(a.value),
                "match": ", ".join(f"{k} {v}" for k, v in a.match.items()) or "every dataset",
                "by": a.by, "until": a.until.isoformat(), "evidence": a.evidence, "where": a.where,
                "datasets": list(a.datasets),
                "words": f"declared by {a.by} until {a.until.isoformat()}, not verified"}
    return {"used": [row(a) for a in run.attestations if not a.expired],
            "expired": [row(a) for a in run.attestations if a.expired]}


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
        f = by_id[item["id"]]
        rows.append({**item, "reason": w.get("reason") or "no reason recorded", "by": w.get("by") or "not recorded",
                     # a waived unknown is still unknown: the run stays incomplete until its way out is taken
                     "incomplete_until": way_out(f) if leaves_incomplete(f) else "",
                     "until": day(until, "not recorded"),
                     "left": "" if left is None else "expires today" if left == 0 else
                             f"expires in {plural(left, 'day')}" if left > 0 else f"expired {plural(-left, 'day')} ago"})
    return rows


def _basis(d: Dataset, fact: str) -> str:
    """' (declared by X until D, not verified)' / ' (provider API: ...)' for a fact not read by the connector."""
    fs = d.fact_basis.get(fact)
    if fs is None:
        return ""
    if fs.basis == "attested":
        return f" (declared by {fs.by} until {fs.until.isoformat() if fs.until else 'no date'}, not verified)"
    return f" ({fs.detail})"


def _protection(d: Dataset, retention: str) -> list[tuple[str, str]]:
    rows = [("at rest", d.encryption_at_rest + _basis(d, "encryption_at_rest")),
            ("in transit", d.encryption_in_transit + _basis(d, "encryption_in_transit")),
            ("public", yes_no(d.public) + (f" ({'; '.join(d.public_reasons)})" if d.public_reasons else "")
             + _basis(d, "public")),
            ("retention", retention + _basis(d, "retention_days") + _basis(d, "has_retention"))]
    object_facts = (("versioning", d.versioning), ("logging", d.logging), ("object lock", d.object_lock))
    # versioning and object lock are object-store settings: a table shows them only when known
    rows += [(k, yes_no(v)) for k, v in object_facts if d.kind != "table" or v is not None]
    return rows


def _inventory(run: Run, tree: _Tree, max_age: int) -> list[dict[str, Any]]:
    rows = []
    # each dataset's ancestors found once, for its place in the order and its depth
    ancestors = {id(d): tree.ancestors(d) for d in tree.datasets}
    order = sorted(tree.datasets, key=lambda d: (d.vendor, d.source, [a.name for a in reversed(ancestors[id(d)])] + [d.name]))
    for d in order:
        j = _j(d)
        retention = yes_no(d.has_retention)
        if d.has_retention and d.retention_days is not None:
            retention = f"yes, {plural(d.retention_days, 'day')}"
        pd = [f"{p.type}: {num(p.count)}" + (f" in {', '.join(p.where)}" if p.where else "") for p in d.personal_data]
        personal = tree.personal(d)
        rows.append({
            "name": d.name, "uri": d.uri, "kind": d.kind, "source": d.source, "vendor": d.vendor,
            "depth": len(ancestors[id(d)]), "records": num(d.records) + (f" ({d.records_basis})" if d.records_basis and d.records is not None else ""),
            "objects": "" if d.objects is None else plural(d.objects, "object"),
            "attested": [(fact, fs.detail) for fact, fs in d.fact_basis.items()],
            "bytes": size(d.bytes), "last_modified": day(d.last_modified),
            "basis": d.last_modified_basis or ("" if d.last_modified else "no basis"),
            "age": age_text(d), "stale": j.stale is True,
            "region": d.region or UNKNOWN,
            "protection": _protection(d, retention),
            "personal": pd or (["none found"] if personal is False else ["in prefixes below"] if personal else ["unknown (not classified)"]),
            "has_personal": personal, "status": d.status, "error": d.error or "",
            "denied": list(d.denied), "notes": list(d.notes),
            "facts": evidence_rows(d.facts),  # (text, text) rows
        })
    return rows


def _summary(run: Run, tree: _Tree, cov: dict[str, list[dict[str, Any]]], max_age: int,
             vendor_names: dict[str, str], open_findings: list[Finding]) -> dict[str, Any]:
    """The report's headline figures and its oldest stale datasets (``run`` judged)."""
    by_sev = Counter(f.severity for f in open_findings)
    personal = [d for d in run.datasets if _j(d).held_unit]
    stale_personal = [d for d in run.datasets if _j(d).stale_unit]
    return {
        "headline": {
            "open_total": len(open_findings),
            "open": [{"severity": s, "label": SEVERITY_LABELS[s], "count": by_sev.get(s, 0)} for s in SEVERITIES],
            "personal": _held(personal, _blind(run, tree, cov)), "personal_datasets": len(personal),
            "personal_vendors": len({d.vendor for d in personal}),
            "stale": _with_note(_total(stale_personal, "records"), unknown_age_words(run)),
            "stale_datasets": len(stale_personal),
            "new": sum(1 for f in open_findings if f.new), "resolved": len(run.resolved),
            "has_previous": run.previous_run_id is not None,
            "not_assessed": len(cov["missing"]), "partly_assessed": len(cov["partial"]),
            "lead": stale_headline(run),
            "waived": sum(1 for f in run.findings if f.status == "waived"),
        },
        "oldest": [{"name": d.name, "vendor": vendor_names.get(d.vendor, d.vendor), "source": d.source,
                    "last_modified": day(d.last_modified), "age": age_text(d),
                    "over": days((_j(d).age_days or 0) - (_j(d).max_age_days or max_age)),
                    "records": num(d.records)}
                   for d in sorted(stale_personal, key=lambda d: -(_j(d).age_days or 0))[:10]],
    }


def _max_age(run: Run) -> int:
    return int(run.policy_limits.get("max_age_days") or DEFAULT_MAX_AGE_DAYS)


def report_summary(run: Run) -> dict[str, Any]:
    """What a notification and the metrics read of the report: its ``headline`` figures, its
    ``oldest`` stale datasets and the ``max_age`` they are judged by, as :func:`build_report_context`
    gives them (the same code), without the rest of the report (its inventory and findings' rows,
    most of the work on a large estate)."""
    run = judged(run)
    max_age = _max_age(run)
    vendor_names = {v.id: v.name or v.id for v in run.vendors}
    open_findings = [f for f in run.findings if f.status == "open"]
    return {**_summary(run, _Tree(run.datasets), coverage(run), max_age, vendor_names, open_findings),
            "max_age": days(max_age)}


def build_report_context(run: Run) -> dict[str, Any]:
    run = judged(run)
    tree = _Tree(run.datasets)
    max_age = _max_age(run)
    vendor_names = {v.id: v.name or v.id for v in run.vendors}
    open_findings = [f for f in run.findings if f.status == "open"]
    roots = [d for d in run.datasets if tree.parent(d) is None]
    cov = coverage(run)
    summary = _summary(run, tree, cov, max_age, vendor_names, open_findings)
    lead_keys = {(x["source"], x["dataset"]) for x in summary["headline"]["lead"]}
    findings = sorted((_finding(f, run, tree, vendor_names) for f in run.findings),
                      key=lambda x: (x["status"] != "open", not (x["stale"] and (x["source"], x["dataset"]) in lead_keys),
                                     x["rank"], x["vendor_name"].lower(), x["dataset"], x["rule"], x["id"]))
    trigger, trigger_detail = trigger_words(run)
    status = run.status
    if status == "complete" and (cov["missing"] or cov["partial"] or run.waived_unknowns()):
        status = "partial"  # never "complete" above a non-empty Coverage list: a waiver assesses nothing
    status_label, status_words = RUN_STATUS.get(status, (status, ""))
    waived_unknowns = run.waived_unknowns()
    if waived_unknowns and status == "partial":
        n = len(waived_unknowns)
        status_words = (f"{plural(n, 'waived not-assessed finding')} {'keeps' if n == 1 else 'keep'} the run "
                        "incomplete: a waiver accepts the risk, it does not assess; see Coverage for the way out")
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
                "status": status, "status_label": status_label, "status_words": status_words,
                "previous": run.previous_run_id or "", "max_age": days(max_age)},
        "scope": {"vendors": len(_vendor_ids(run)), "sources": len(run.sources),
                  "sources_failed": sum(1 for s in run.sources if s.status == "error"),
                  "datasets": len(run.datasets), "datasets_text": _kinds_text(list(run.datasets)),
                  "records": _total(roots, "records"), "bytes": _total(roots, "bytes")},
        "headline": summary["headline"],
        "vendors": _vendors(run, tree, open_findings, cov),
        "findings": findings,
        "resolved": [{"id": r.id, "rule": r.rule, "dataset": r.dataset, "source": r.source or "",
                      "severity": r.severity or ""} for r in run.resolved],
        "coverage": cov,
        "age": _age_section(run, max_age),
        "oldest": summary["oldest"],
        "attestations": attestations_section(run),
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
    bounds: list[tuple[int, int | None]] = list(zip([0] + edges, [*edges, None]))
    bins: list[dict[str, Any]] = []
    for lo, hi in bounds:
        label = f"> {_age_label(lo)}" if hi is None else f"< {_age_label(hi)}" if lo == 0 else f"{_age_label(lo)}–{_age_label(hi)}"
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
