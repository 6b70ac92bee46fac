"""A Prometheus textfile of one run (``--metrics FILE``), for node_exporter's textfile collector.

Written with ``prometheus_client`` (a registry of its own, ``write_to_textfile``: a temporary
file next to the target renamed over it, so the collector never reads half a file). Every
number comes from the run or from the HTML report's own context (``reports.context``), so the
metrics and the report never disagree.

Metrics (all gauges; times are Unix seconds, wall clock):

- ``auditor_run_info{run_id,trigger,status}`` 1, and ``auditor_run_status{auditor_run_status=...}``
  (complete | partial | failed | running, one of them 1);
- ``auditor_run_duration_seconds``, ``auditor_run_finished_timestamp_seconds``;
- ``auditor_last_complete_run_timestamp_seconds``: this run's end when it is complete, else the
  newest complete run in the state store's history (0 when none has ever completed);
- ``auditor_sources{state="assessed|not_assessed"}``, ``auditor_datasets{state=...}``;
- ``auditor_open_findings{severity,rule}``; ``auditor_new_findings{severity}`` (every severity,
  zeros included); ``auditor_resolved_findings``; ``auditor_waived_findings``;
  ``auditor_waived_not_assessed_findings`` (waived, still not assessed: they keep the run partial);
- ``auditor_stale_personal_records`` and ``auditor_stale_personal_datasets``: personal records in
  datasets older than the policy's limit (the report's headline figure).
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Enum, Gauge, Info, write_to_textfile

from auditor.models import SEVERITIES, Run

RUN_STATES = ["complete", "partial", "failed", "running"]


def _ts(dt: datetime | None) -> float:
    return dt.timestamp() if dt else 0.0


def build_registry(run: Run, last_complete_at: datetime | None = None) -> CollectorRegistry:
    """``last_complete_at``: the newest complete run known to the store (used when this run is not complete)."""
    from reports.context import report_summary

    headline = report_summary(run)["headline"]
    reg = CollectorRegistry(auto_describe=True)
    Info("auditor_run", "The run these metrics describe.", registry=reg).info(
        {"run_id": run.id, "trigger": run.trigger, "status": run.status})
    Enum("auditor_run_status", "Status of the run: complete (every source assessed), partial, failed.",
         states=RUN_STATES, registry=reg).state(run.status if run.status in RUN_STATES else "failed")
    duration = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0.0
    Gauge("auditor_run_duration_seconds", "Wall-clock duration of the run.", registry=reg).set(max(duration, 0.0))
    Gauge("auditor_run_finished_timestamp_seconds", "When the run ended (Unix time; 0 if it never finished).",
          registry=reg).set(_ts(run.finished_at))
    last = run.finished_at if run.status == "complete" else last_complete_at
    Gauge("auditor_last_complete_run_timestamp_seconds",
          "When the newest complete run (every source assessed) ended; 0 when none has completed.",
          registry=reg).set(_ts(last))

    sources = Gauge("auditor_sources", "Configured sources of the run by state.", ["state"], registry=reg)
    failed = sum(1 for s in run.sources if s.status == "error")
    sources.labels("assessed").set(len(run.sources) - failed)
    sources.labels("not_assessed").set(failed)
    datasets = Gauge("auditor_datasets", "Datasets of the run by state.", ["state"], registry=reg)
    unread = sum(1 for d in run.datasets if d.status != "assessed")
    datasets.labels("assessed").set(len(run.datasets) - unread)
    datasets.labels("not_assessed").set(unread)

    open_ = run.open_findings()
    by_rule = Gauge("auditor_open_findings", "Open findings by severity and rule.", ["severity", "rule"], registry=reg)
    for (sev, rule), n in sorted(Counter((f.severity, f.rule) for f in open_).items()):
        by_rule.labels(sev, rule).set(n)
    new = Gauge("auditor_new_findings", "Open findings first seen in this run, by severity.", ["severity"], registry=reg)
    new_counts = Counter(f.severity for f in open_ if f.new)
    for sev in SEVERITIES:
        new.labels(sev).set(new_counts.get(sev, 0))
    Gauge("auditor_resolved_findings", "Findings of the previous run gone in this one.", registry=reg).set(
        len(run.resolved))
    Gauge("auditor_waived_findings", "Findings whose risk is accepted (waived) in this run.", registry=reg).set(
        sum(1 for f in run.findings if f.status == "waived"))
    Gauge("auditor_waived_not_assessed_findings",
          "Waived not-assessed findings: still not assessed, they keep the run partial (exit 3).", registry=reg).set(
        len(run.waived_unknowns()))
    Gauge("auditor_stale_personal_records",
          "Personal records in datasets not written for longer than the policy's maximum age.",
          registry=reg).set(headline["stale"]["value"])
    Gauge("auditor_stale_personal_datasets", "Datasets holding personal data older than the policy's maximum age.",
          registry=reg).set(headline["stale_datasets"])
    return reg


def write_metrics(run: Run, path: str | os.PathLike[str], last_complete_at: datetime | None = None) -> Path:
    write_to_textfile(str(path), build_registry(run, last_complete_at))
    return Path(path)
