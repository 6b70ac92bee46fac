"""The JSON report of CONTRACT.md (schema_version 1), for SIEMs and pipelines.

Fields may be added; none is renamed or dropped without a schema_version bump. The JSON
Schema ships inside the package: ``auditor/schema/report.schema.json``.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from auditor.models import Dataset, Finding, Run

SCHEMA_VERSION = 1


def _ts(dt: datetime | None) -> str | None:
    return dt.isoformat().replace("+00:00", "Z") if dt else None


def _dataset(d: Dataset, vendor_names: dict[str, str]) -> dict[str, Any]:
    return {
        "source": d.source, "vendor": d.vendor, "kind": d.kind, "name": d.name, "uri": d.uri,
        "parent": d.parent,
        "records": d.records, "records_basis": d.records_basis, "objects": d.objects, "bytes": d.bytes,
        "created": _ts(d.created),
        "last_modified": _ts(d.last_modified), "last_modified_basis": d.last_modified_basis,
        "oldest_modified": _ts(d.oldest_modified),
        "region": d.region,
        "encryption_at_rest": d.encryption_at_rest, "encryption_in_transit": d.encryption_in_transit,
        "public": d.public, "public_reasons": list(d.public_reasons),
        "has_retention": d.has_retention, "retention_days": d.retention_days,
        "versioning": d.versioning, "logging": d.logging, "object_lock": d.object_lock,
        "tags": d.tags,
        "personal_data": [
            {"type": p.type, "count": p.count, "where": list(p.where), "confidence": round(p.confidence, 3),
             "examples": list(p.examples), "detail": p.detail,
             **({"validated": list(p.validated), "sampled": list(p.sampled)} if p.sampled else {})}
            for p in d.personal_data
        ],
        "classified": d.classified, "unsampled": dict(d.known.unsampled),
        **{f"{fact}_basis": fs.basis for fact, fs in d.fact_basis.items()},
        "fact_sources": {fact: fs.model_dump(mode="json", exclude_none=True) for fact, fs in d.fact_basis.items()},
        "judgment": d.judgment.model_dump(mode="json") if d.judgment else None,
        "denied": list(d.denied), "notes": list(d.notes),
        "status": d.status, "error": d.error,
    }


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "id": f.id, "rule": f.rule, "severity": f.severity, "source": f.source, "vendor": f.vendor,
        "dataset": f.dataset, "title": f.title, "description": f.description, "evidence": f.evidence,
        "remediation": f.remediation, "references": list(f.references), "status": f.status,
        "first_seen": _ts(f.first_seen), "new": f.new, "waiver": f.waiver,
        "rules": list(f.rules) or [f.rule], "merged_ids": list(f.merged_ids),
    }


def render_json(run: Run) -> dict[str, Any]:
    status = run.status if run.status in ("complete", "partial", "failed") else "failed"
    waived_unknowns = [f.id for f in run.waived_unknowns()]
    if status == "complete" and waived_unknowns:
        status = "partial"  # a waiver assesses nothing: never complete while a not-assessed finding stands
    vendor_names = {v.id: v.name or v.id for v in run.vendors}
    return {
        "schema_version": SCHEMA_VERSION,
        "run": {"id": run.id, "started_at": _ts(run.started_at), "finished_at": _ts(run.finished_at),
                "as_of": _ts(run.as_of), "trigger": run.trigger, "trigger_detail": run.trigger_detail,
                "status": status,
                # waived not-assessed findings: shown waived, still not assessed; they keep the run partial
                "not_assessed_waived": waived_unknowns,
                "previous_run_id": run.previous_run_id, "policy_limits": run.policy_limits},
        "vendors": [{"id": v.id, "name": v.name, "contract_end": v.contract_end.isoformat() if v.contract_end else None,
                     "allowed_personal_data": list(v.allowed_personal_data) if v.allowed_personal_data is not None else None,
                     "allowed_regions": list(v.allowed_regions) if v.allowed_regions is not None else None}
                    for v in run.vendors],
        "sources": [s.model_dump() for s in run.sources],
        "datasets": [_dataset(d, vendor_names) for d in run.datasets],
        "findings": [_finding(f) for f in run.findings],
        "resolved": [r.model_dump() for r in run.resolved],
        # open before, not re-checked by this run (source not selected or not readable): still open as far as known
        "not_rechecked": [{"id": f.id, "rule": f.rule, "source": f.source, "dataset": f.dataset, "severity": f.severity}
                          for f in run.carried],
        "errors": [e.model_dump() for e in run.errors],
        "attestations": {"used": [_attestation(a) for a in run.attestations if not a.expired],
                         "expired": [_attestation(a) for a in run.attestations if a.expired]},
    }


def _attestation(a) -> dict[str, Any]:
    return {"where": a.where, "match": a.match, "fact": a.fact, "value": a.value, "evidence": a.evidence, "by": a.by,
            "until": a.until.isoformat(), "datasets": list(a.datasets)}


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike[str], text: str) -> Path:
    """Write next to the target and rename: a reader never sees half a report."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # as an ordinary file would be (mkstemp makes it 0600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


# datetimes and dataclasses go to ``default`` (``str``) as they do with json.dumps(default=str);
# non-string keys are written as json.dumps writes them
_ORJSON_OPTIONS = (orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
                   | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_APPEND_NEWLINE)


def dumps_indented(doc: Any) -> str:
    """The layout of ``json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\\n"``, encoded by
    orjson (the standard library's encoder is pure Python once ``indent`` is given: ~0.3 ms per
    dataset). The same text for what a report holds (strings, integers, rounded floats, null,
    booleans, lists, mappings, datetimes through ``str``). Where they differ: a float below 1e-4
    is written ``1e-7`` rather than ``1e-07`` (the same value), NaN or
    infinity (not JSON) as ``null``, an Enum without a str or int mix-in by its value rather than
    its ``str``. Integers past 64 bits and lone surrogates go through ``json.dumps``."""
    try:
        return orjson.dumps(doc, default=str, option=_ORJSON_OPTIONS).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"


def write_json(run: Run, path: str | os.PathLike[str]) -> Path:
    return atomic_write(path, dumps_indented(render_json(run)))
