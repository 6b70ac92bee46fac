"""The outputs for a security team's other tools, written after a run or a re-render:
OCSF records for a SIEM (``--ocsf``), a JUnit XML gate report for CI (``--junit``) and a
Prometheus textfile for the nightly job's monitoring (``--metrics``).

The renderers live in ``reports/`` and take a stored run; this module only gathers what they
need besides the run: the rules in force (every rule is a JUnit test case, also those that
found nothing) and the time of the newest complete run from the state store's history (for
the metrics, when this run is not complete).
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path

from auditor.models import Run

log = logging.getLogger("auditor.outputs")
PathLike = str | os.PathLike[str] | None


def rules_in_force(config, policy_specs: list[str] | None = None) -> list[str]:
    """Enabled rule ids of the config's policies (or of ``policy_specs``, e.g. an event's)."""
    import policies

    specs = list(policy_specs or config.policies)
    rules = policies.describe_rules(policies.load_policies(specs, Path(config.base_dir), config.personal_data_types()))
    return [r["id"] for r in rules if r.get("enabled", True)]


def last_complete_run_at(run: Run, config=None, store=None) -> datetime | None:
    """This run's end when it is complete, else the newest complete run of the same config that started
    before it, from the state store's history."""
    if run.status == "complete" and run.finished_at:
        return run.finished_at
    from auditor.engine import config_identity
    from auditor.errors import AuditorError

    try:
        if store is None and config is not None:
            from auditor.store import Store

            store = Store.open(config.state, verify=False)  # checked when the run opened it
        if store is None:
            return None
        identity = config_identity(config) if config is not None else run.config_path
        history = store.list_runs(identity, limit=1000)
    except AuditorError as exc:  # the metrics still describe this run; the history is what is missing
        log.warning("metrics: the state store's history could not be read (%s); "
                    "auditor_last_complete_run_timestamp_seconds is 0", exc)
        return None
    for r in history:  # newest first; a re-rendered older run looks only at the runs before it
        if r["status"] == "complete" and r["id"] != run.id and _utc(r["started_at"]) <= run.started_at:
            return _utc(r["finished_at"] or r["started_at"])
    return None


def _utc(at) -> datetime:
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at


def write_outputs(run: Run, config=None, *, ocsf: PathLike = None, junit: PathLike = None, metrics: PathLike = None,
                  fail_on: str = "high", policy_specs: list[str] | None = None, store=None) -> list[Path]:
    """Write those asked for; returns their paths. A file that cannot be written raises OSError."""
    written: list[Path] = []
    if ocsf:
        from reports.ocsf import write_ocsf

        written.append(write_ocsf(run, ocsf))
    if junit:
        from reports.junit import write_junit

        rules = rules_in_force(config, policy_specs) if config is not None else None
        written.append(write_junit(run, junit, fail_on=fail_on, rules=rules))
    if metrics:
        from reports.metrics import write_metrics

        written.append(write_metrics(run, metrics, last_complete_run_at(run, config, store)))
    return written
