"""What could not be assessed, and what would let it be: the report's coverage section,
and evidence laid out as rows."""

from __future__ import annotations

from typing import Any

from auditor.models import DeniedCall, Run
from policies.causes import grant
from reports.format import FACT_CHARS, UNKNOWN, fact_text, key_label


_LEAF = frozenset({str, int, float, bool, type(None)})


def evidence_rows(evidence: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Key/value rows of a finding's evidence, exactly as given (already masked)."""
    rows: list[tuple[str, str]] = []
    append = rows.append
    for key, v in evidence.items():
        # key_label and fact_text inlined for text keys and for text, integer and None values (nearly
        # every row of a large report: a call each was half the cost); the rest go through them as before
        label = prefix + (key.replace("_", " ") if type(key) is str else key_label(key))
        t = type(v)
        if t is str:
            append((label, v if len(v) <= FACT_CHARS else v[:FACT_CHARS] + " …"))
        elif t is int:
            append((label, f"{v:,}"))
        elif v is None:
            append((label, UNKNOWN))
        elif t in _LEAF:
            append((label, fact_text(v)))
        elif isinstance(v, dict):
            rows += evidence_rows(v, f"{label} › ") if v else [(label, "none")]
        # a list of texts fails at its first item, before all() is set up for it
        elif isinstance(v, list | tuple) and v and isinstance(v[0], dict) and all(isinstance(x, dict) for x in v):
            for i, item in enumerate(v, 1):
                if "type" in item and "count" in item:  # a personal-data summary
                    text = f"{fact_text(item['count'])} sampled"
                    if item.get("where"):
                        text += f" in {fact_text(item['where'])}"
                    if item.get("examples"):
                        text += f"; masked examples: {fact_text(item['examples'])}"
                    append((f"{label} › {item['type']}", text))
                else:
                    rows += evidence_rows(item, f"{label} #{i} › ")
        else:
            append((label, fact_text(v)))
    return rows


def _fix_for_denied(entry: str, where: str) -> str:
    """The fix of one refused or failed call on the dataset ``where``, in the words of what
    happened (never "make X readable")."""
    c = DeniedCall.parse(entry)
    if c.not_implemented:
        return f"{c.call} is not implemented by this store: confirm the setting with the vendor in writing"
    if c.refused:
        return grant([c], where)
    return f"{c.call} failed ({c.code or 'no code'}): check the endpoint and the network from the auditor, then re-run"


WAY_OUT_WORDS = {"permission": "Permission", "setting": "Setting on the store", "provider_api": "Provider API",
                 "attestation": "Attestation", "connection": "Connection"}


def coverage(run: Run) -> dict[str, list[dict[str, Any]]]:
    """What was not assessed at all (``missing``) and which facts stayed unknown (``partial``: one
    row per source and cause, as policy evaluation grouped them, with the one fix)."""
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
    for d in run.datasets:
        if d.status == "error":
            missing.append({"scope": "Dataset", "source": d.source, "vendor": d.vendor, "what": d.name,
                            "why": d.error or "could not be read (no reason recorded)",
                            "fix": [_fix_for_denied(c, d.name) for c in d.denied]
                            or ["check the auditor's read permission on it, then re-run"]})
    partial: list[dict[str, Any]] = []
    for f in run.findings:
        ev = f.evidence
        if f.rule != "not-assessed" or "cause" not in ev:
            continue
        datasets = [str(x) for x in ev.get("datasets", [])]
        kind = str(ev.get("way_out") or "")
        partial.append({
            "id": f.id, "source": f.source, "vendor": f.vendor, "status": f.status,
            "what": str(ev["cause"]) + (" (waived: still not assessed)" if f.status == "waived" else ""),
            "rules": [str(r) for r in ev.get("rules", [])], "unknown": [str(x) for x in ev.get("unknown", [])],
            "denied": [str(x) for x in ev.get("denied", [])],
            "notes": [f"{len(datasets)} dataset{'' if len(datasets) == 1 else 's'}: " + ", ".join(datasets[:12])
                      + (f" and {len(datasets) - 12} more" if len(datasets) > 12 else "")] if datasets else [],
            "datasets": datasets, "way_out": kind,
            "fix": [f"{WAY_OUT_WORDS.get(kind, kind.title())}: {ev.get('fix') or f.remediation}"],
        })
    return {"missing": missing, "partial": partial}


# --------------------------------------------------------------------------- the dataset tree
