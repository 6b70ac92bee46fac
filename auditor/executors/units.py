"""Units smaller than a source (issue 21): a bucket of an object store, a schema of a database.

The Celery coordinator asks each source's connector for its parts (``units()``, optional, see
:mod:`auditor.connector`): an S3 source of twelve buckets becomes twelve units, each collected
by whichever worker is free. A connector answers None (the source stays one unit) whenever the
parts would not add up to what one collection of the source reports: a refused listing, a glob
that matched nothing, a named bucket or schema that is not there; so does a split that fails on
the coordinator (its own credentials, say): the source is then sent whole, as before.

:func:`merge` puts a source's parts back together in the parts' order: their datasets and
collection errors, one source result. A part that failed or ran out of time (on the worker, or
never answered) becomes a collection error naming that bucket or schema: not-assessed for that
part only, the rest of the source stands. :func:`ordered` puts an object store's datasets in
bucket order (a local run lists buckets in parallel and yields them as they finish), so that a
local run and a Celery run report the same datasets in the same order.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from auditor.config import Config, SourceConfig
from auditor.models import CollectionError, Dataset, SourceResult
from auditor.redact import Redactor

log = logging.getLogger("auditor.executors.units")
BUCKET_KINDS = ("bucket", "prefix")


def split(config: Config, src: SourceConfig, as_of: datetime, redact: Redactor) -> list[str] | None:
    """The parts of ``src`` to send as units, or None: the whole source is one unit."""
    from auditor import registry
    from auditor.connector import CollectContext, SourceSpec

    connector_cls = registry.connectors.get(src.kind)
    if getattr(connector_cls, "units", None) is None:
        return None
    try:
        ctx = CollectContext(as_of=as_of, log=logging.getLogger(f"auditor.connector.{src.kind}"),
                             cancel=threading.Event())
        connector = connector_cls(SourceSpec(id=src.id, kind=src.kind, vendor=config.vendor(src.vendor),
                                             options=src.options), ctx)
        parts = connector.units()  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - the workers collect the source whole, and say what fails
        log.info("source %s sent whole: its parts could not be listed here (%s)", src.id,
                 redact(f"{exc.__class__.__name__}"))
        return None
    if not parts or len(parts) < 2:
        return None
    return list(parts)


def part_kind(src: SourceConfig) -> str:
    return "schema" if src.kind == "sql" else "bucket"


def merge(src: SourceConfig, parts: Sequence[str], outcomes: Sequence[Any]) -> Any:
    """One source's outcome from its parts' outcomes (in the parts' order)."""
    from auditor.engine import _SourceOutcome

    datasets: list[Dataset] = []
    errors: list[CollectionError] = []
    failed: list[str] = []
    word = part_kind(src)
    for part, outcome in zip(parts, outcomes, strict=True):
        datasets.extend(outcome.datasets)
        errors.extend(outcome.errors)
        if outcome.result.status == "error":
            reason = outcome.result.error or "not collected"
            failed.append(reason)
            errors.append(CollectionError(
                source=src.id, dataset=part, kind="bucket" if word == "bucket" else None,
                reason=f"{word} {part} not assessed: {reason}",
                fix="see the worker's log for this unit; raise executor.time_limit_seconds if it ran out of time"))
    if failed and len(failed) == len(parts):
        reasons = "; ".join(dict.fromkeys(failed))
        result = SourceResult(id=src.id, kind=src.kind, vendor=src.vendor, status="error",
                              error=f"every {word} failed: {reasons}", datasets=len(datasets))
        return _SourceOutcome(result, datasets, [e for o in outcomes for e in o.errors])
    return _SourceOutcome(SourceResult(id=src.id, kind=src.kind, vendor=src.vendor, datasets=len(datasets)),
                          datasets, errors)


def _bucket_of(name: str | None) -> str:
    return (name or "").split("/", 1)[0]


def ordered(outcome: Any) -> Any:
    """An object store's datasets and errors in bucket order (stable: a bucket's own order stays)."""
    datasets = outcome.datasets
    if not datasets or any(d.kind not in BUCKET_KINDS for d in datasets):
        return outcome
    datasets.sort(key=lambda d: _bucket_of(d.name))
    outcome.errors.sort(key=lambda e: (e.kind in BUCKET_KINDS, _bucket_of(e.dataset) if e.kind in BUCKET_KINDS else ""))
    return outcome
