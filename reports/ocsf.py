"""OCSF records of a run's findings, for a SIEM or a security data lake (``--ocsf FILE``).

Built with ``py-ocsf-models`` (Prowler's OCSF models; the schema version is the library's
``OCSF_VERSION``). That library models no Data Security Finding (class 2006) nor the
``data_classification`` object, so each finding is a **Detection Finding** (class 2004):

- ``finding_info``: the finding's stable id, title, description, rule (as the analytic),
  first seen (``first_seen_time``) and this run's time (``last_seen_time``);
- ``resources[0]``: the dataset (uid = its credential-free URI, name, type table|bucket|prefix,
  region, the vendor as its group) with ``data`` holding its facts: records, bytes, last write
  and its basis, and the personal-data types found with their counts and where (column or key
  pattern); ``labels`` list the types as ``personal_data:<type>``;
- ``unmapped.data_security``: the same types and counts laid out like OCSF's data
  classification (category Personal, discovery details type + count), for pipelines that
  map them into a newer schema;
- severity, status (New / In Progress for open, Suppressed for waived with the waiver's
  reason, Resolved for findings gone since the previous run) and the rule's remediation with
  its references (GDPR, PDPA, PCI DSS). A waived not-assessed finding is Suppressed too, and
  its status detail says it is still not assessed: the run (``run_status:`` label) stays
  partial until its way out is taken.

Never a raw value: only counts, names and the evidence the JSON report already holds
(masked examples are left out here). One record per line (JSON lines), or one JSON array
when the file name ends in ``.json``.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from py_ocsf_models import OCSF_VERSION
from py_ocsf_models.events.findings.activity_id import ActivityID
from py_ocsf_models.events.findings.detection_finding import DetectionFinding
from py_ocsf_models.events.findings.detection_finding_type_id import DetectionFindingTypeID
from py_ocsf_models.events.findings.severity_id import SeverityID
from py_ocsf_models.events.findings.status_id import StatusID
from py_ocsf_models.objects.analytic import Analytic
from py_ocsf_models.objects.finding_info import FindingInformation
from py_ocsf_models.objects.group import Group
from py_ocsf_models.objects.metadata import Metadata
from py_ocsf_models.objects.product import Product
from py_ocsf_models.objects.remediation import Remediation
from py_ocsf_models.objects.resource_details import ResourceDetails

from auditor import __version__
from auditor.models import Dataset, DatasetTree, Finding, ResolvedFinding, Run, leaves_incomplete, way_out
from reports.json_report import atomic_write

PRODUCT = Product(name="vendor-data-auditor", vendor_name="vendor-data-auditor", version=__version__,
                  uid="vendor-data-auditor")
SEVERITY_IDS = {"critical": SeverityID.Critical, "high": SeverityID.High, "medium": SeverityID.Medium,
                "low": SeverityID.Low, "info": SeverityID.Informational}
STATUS_CAPTIONS = {StatusID.New: "New", StatusID.InProgress: "In Progress", StatusID.Suppressed: "Suppressed",
                   StatusID.Resolved: "Resolved"}
TYPE_UIDS = {ActivityID.Create: DetectionFindingTypeID.Create, ActivityID.Update: DetectionFindingTypeID.Update,
             ActivityID.Close: DetectionFindingTypeID.Close}
ANALYTIC_RULE = 1  # OCSF analytic type_id 1: Rule
EVIDENCE_LEFT_OUT = ("examples", "masked", "samples")  # masked examples stay in the JSON/HTML reports only


def _ms(dt: datetime | None) -> int | None:
    return int(dt.timestamp() * 1000) if dt else None


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat().replace("+00:00", "Z") if dt else None


def _clean(value: Any) -> Any:
    """Evidence without masked examples, JSON-safe."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items() if str(k) not in EVIDENCE_LEFT_OUT}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, datetime):
        return _iso(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _personal(d: Dataset | None) -> list[dict[str, Any]]:
    if d is None:
        return []
    return [{"type": p.type, "count": p.count, "where": list(p.where)} for p in d.personal_data]


def _resource(f_source: str, f_vendor: str | None, dataset_name: str, d: Dataset | None,
              vendor_names: dict[str, str]) -> ResourceDetails:
    group = Group(uid=f_vendor, name=vendor_names.get(f_vendor, f_vendor), type="vendor") if f_vendor else None
    if d is None:  # a whole source that could not be read, or a dataset this run did not list
        return ResourceDetails(uid=f"{f_source}:{dataset_name}", name=dataset_name or f_source, type="source",
                               group=group, data={"source": f_source})
    personal = _personal(d)
    data = {"source": d.source, "vendor": d.vendor, "kind": d.kind, "records": d.records,
            "records_basis": d.records_basis, "bytes": d.bytes, "last_modified": _iso(d.last_modified),
            "last_modified_basis": d.last_modified_basis, "encryption_at_rest": d.encryption_at_rest,
            "encryption_in_transit": d.encryption_in_transit, "public": d.public,
            "retention_days": d.retention_days, "status": d.status, "personal_data": personal}
    return ResourceDetails(uid=d.uri, name=d.name, type=d.kind, region=d.region, group=group,
                           labels=[f"personal_data:{p['type']}" for p in personal] or None,
                           data={k: v for k, v in data.items() if v is not None})


def _data_security(d: Dataset | None) -> dict[str, Any] | None:
    personal = _personal(d)
    if not personal:
        return None
    return {"category": "Personal", "category_id": 1,
            "discovery_details": [{"type": p["type"], "count": p["count"]} for p in personal],
            "total": sum(p["count"] for p in personal)}


def _metadata(run: Run, uid: str) -> Metadata:
    return Metadata(product=PRODUCT, version=OCSF_VERSION, uid=uid, correlation_uid=run.id,
                    labels=[f"trigger:{run.trigger}", f"run_status:{run.status}"], profiles=["datetime"])


def finding_record(f: Finding, run: Run, d: Dataset | None, vendor_names: dict[str, str]) -> DetectionFinding:
    if f.status == "waived":
        status = StatusID.Suppressed
        waiver = f.waiver or {}
        detail = f"waived until {waiver.get('until', '?')} by {waiver.get('by') or '-'}: {waiver.get('reason', '')}"
        if leaves_incomplete(f):  # the risk is accepted; the fact is still unknown
            detail += f"; still not assessed: the run stays incomplete until its way out is taken: {way_out(f)}"
    else:
        status = StatusID.New if f.new else StatusID.InProgress
        detail = "open"
    activity = ActivityID.Create if f.new else ActivityID.Update
    at = run.finished_at or run.as_of
    ds = _data_security(d)
    unmapped: dict[str, Any] = {"auditor": {"run_id": run.id, "rule": f.rule, "source": f.source, "vendor": f.vendor,
                                            "dataset": f.dataset, "status": f.status, "new": f.new,
                                            "evidence": _clean(f.evidence)}}
    if ds:
        unmapped["data_security"] = ds
    return DetectionFinding(
        metadata=_metadata(run, f"{run.id}:{f.id}"),
        activity_id=activity, activity_name=activity.name, type_uid=TYPE_UIDS[activity],
        type_name=f"Detection Finding: {activity.name}",
        severity_id=SEVERITY_IDS[f.severity], severity=SEVERITY_IDS[f.severity].name,
        status_id=status, status=STATUS_CAPTIONS[status], status_detail=detail,
        time=_ms(at), time_dt=at,
        message=f.title,
        finding_info=FindingInformation(
            uid=f.id, title=f.title, desc=f.description or f.title, types=[f.rule],
            analytic=Analytic(uid=f.rule, name=f.rule, type="Rule", type_id=ANALYTIC_RULE),
            first_seen_time=_ms(f.first_seen or run.as_of), first_seen_time_dt=f.first_seen or run.as_of,
            last_seen_time=_ms(run.as_of), last_seen_time_dt=run.as_of,
            data_sources=[f.source]),
        resources=[_resource(f.source, f.vendor, f.dataset, d, vendor_names)],
        remediation=Remediation(desc=f.remediation or f.title, references=list(f.references) or None),
        unmapped=unmapped,
    )


def resolved_record(r: ResolvedFinding, run: Run, vendor_names: dict[str, str]) -> DetectionFinding:
    at = run.finished_at or run.as_of
    title = f"{r.rule} resolved: {r.dataset}"
    severity = SEVERITY_IDS.get(r.severity or "", SeverityID.Unknown)
    return DetectionFinding(
        metadata=_metadata(run, f"{run.id}:{r.id}"),
        activity_id=ActivityID.Close, activity_name=ActivityID.Close.name, type_uid=DetectionFindingTypeID.Close,
        type_name="Detection Finding: Close",
        severity_id=severity, severity=severity.name,
        status_id=StatusID.Resolved, status="Resolved", status_detail="not found again by this run",
        time=_ms(at), time_dt=at, message=title,
        finding_info=FindingInformation(uid=r.id, title=title, types=[r.rule],
                                        analytic=Analytic(uid=r.rule, name=r.rule, type="Rule", type_id=ANALYTIC_RULE),
                                        last_seen_time=_ms(run.as_of), last_seen_time_dt=run.as_of,
                                        data_sources=[r.source] if r.source else None),
        resources=[_resource(r.source or "", None, r.dataset, None, vendor_names)],
        unmapped={"auditor": {"run_id": run.id, "rule": r.rule, "source": r.source, "dataset": r.dataset,
                              "status": "resolved"}},
    )


def ocsf_models(run: Run) -> list[DetectionFinding]:
    """Every finding of the run (open and waived), then every finding resolved since the previous run."""
    by_key = DatasetTree(run.datasets).by_key  # a key given twice: its assessed copy, never an error copy of it
    vendor_names = {v.id: v.name or v.id for v in run.vendors}
    out = [finding_record(f, run, by_key.get((f.source, f.dataset)), vendor_names) for f in run.findings]
    out += [resolved_record(r, run, vendor_names) for r in run.resolved]
    return out


def render_ocsf(run: Run) -> list[dict[str, Any]]:
    return [m.model_dump(mode="json", exclude_none=True) for m in ocsf_models(run)]


def write_ocsf(run: Run, path: str | os.PathLike[str]) -> Path:
    records = render_ocsf(run)
    if str(path).lower().endswith(".json"):
        text = json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    else:
        text = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)
    return atomic_write(path, text)
