"""What could not be assessed, and what would let it be: the report's coverage section,
and evidence laid out as rows."""

from __future__ import annotations

from typing import Any

from auditor.models import Finding, Run
from reports.format import fact_text, key_label


def evidence_rows(evidence: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Key/value rows of a finding's evidence, exactly as given (already masked)."""
    rows: list[tuple[str, str]] = []
    for key, v in evidence.items():
        label = f"{prefix}{key_label(key)}"
        if isinstance(v, dict):
            rows += evidence_rows(v, f"{label} › ") if v else [(label, "none")]
        elif isinstance(v, list | tuple) and v and all(isinstance(x, dict) for x in v):
            for i, item in enumerate(v, 1):
                if "type" in item and "count" in item:  # a personal-data summary
                    text = f"{fact_text(item['count'])} sampled"
                    if item.get("where"):
                        text += f" in {fact_text(item['where'])}"
                    if item.get("examples"):
                        text += f"; masked examples: {fact_text(item['examples'])}"
                    rows.append((f"{label} › {item['type']}", text))
                else:
                    rows += evidence_rows(item, f"{label} #{i} › ")
        else:
            rows.append((label, fact_text(v)))
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
