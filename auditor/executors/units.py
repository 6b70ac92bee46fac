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
from collections.abc import Callable, Sequence
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


def merge(src: SourceConfig, parts: Sequence[str], outcomes: Sequence[Any],
          whole: Callable[[str], Any] | None = None) -> Any:
    """One source's outcome from its parts' outcomes (in the parts' order).

    Prefix units of one bucket (``"<bucket>/"``, ``"<bucket>/<prefix>"``, see
    ``ObjectStore.units``) are put back together by :func:`join_bucket`; ``whole(bucket)`` collects a
    bucket as one unit when their merge could not be exact (see there)."""
    from auditor.engine import _SourceOutcome

    datasets: list[Dataset] = []
    errors: list[CollectionError] = []
    failed: list[str] = []
    word = part_kind(src)
    groups: dict[str, list[int]] = {}
    # a prefix unit is "<bucket>/..." of an object store; a SQL schema's name may hold a slash itself
    prefixed = [word == "bucket" and "/" in part for part in parts]
    for i, part in enumerate(parts):
        if prefixed[i]:
            groups.setdefault(_bucket_of(part), []).append(i)
    for i, (part, outcome) in enumerate(zip(parts, outcomes, strict=True)):
        if prefixed[i]:
            reason = outcome.result.error or "not collected"
            if outcome.result.status == "error":
                failed.append(reason)
            members = groups[_bucket_of(part)]
            if i == members[0]:
                joined = join_bucket(src, [parts[j] for j in members], [outcomes[j] for j in members], whole)
                datasets.extend(joined.datasets)
                errors.extend(joined.errors)
            continue
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


FIX = "see the worker's log for this unit; raise executor.time_limit_seconds if it ran out of time"


def join_bucket(src: SourceConfig, parts: Sequence[str], outcomes: Sequence[Any],
                whole: Callable[[str], Any] | None = None, max_prefixes: int | None = None) -> Any:
    """One bucket from its prefix units: ``parts[0]`` is ``"<bucket>/"`` (the bucket's settings and
    root-level objects: its own dataset), the others ``"<bucket>/<prefix>"`` (one top-level prefix's
    datasets each), in key order.

    Exact (``connectors.objects.merge_split`` at the dataset level): the prefix datasets are the ones
    one listing of the bucket gives (each prefix's aggregates and sampled picks depend on the keys under
    its top-level prefix only), in the same order (the top-level prefixes' subtrees in key order are the
    whole tree's sorted order); the bucket's dataset is the ``"<bucket>/"`` unit's, whose sample and
    personal data come from the root-level objects alone as in one listing, with its objects, bytes,
    newest and oldest times summed, maxed and minned over its top-level prefixes' datasets. What a
    prefix unit cannot know is not split at all (``ObjectStore.prefix_split``: depth 0, versioned
    buckets, inventory reports, object ACLs tallied over the bucket) or is read by every unit alike (the
    bucket's settings, the fields common to all its datasets).

    Not exact, so ``whole(bucket)`` (the coordinator collects the bucket as one unit) when given: more
    prefixes than a prefix tree keeps (``max_prefixes``, default ``connectors.objects.MAX_PREFIXES``):
    which prefixes one listing keeps, and rolls the others up into, depends on the whole listing's order.

    A failed unit is not lost: a failed ``"<bucket>/<prefix>"`` is a collection error naming that prefix
    (not assessed), and the bucket's dataset says its counts leave that prefix out; a failed
    ``"<bucket>/"`` is a collection error naming the bucket, the prefixes' datasets stand."""
    from auditor.engine import _SourceOutcome
    from connectors.objects import MAX_PREFIXES

    bucket = _bucket_of(parts[0])
    limit = MAX_PREFIXES if max_prefixes is None else max_prefixes
    done = [o for o in outcomes[1:] if o.result.status != "error"]
    if whole is not None and sum(len(o.datasets) for o in done) >= limit:
        log.info("source %s: bucket %s has too many prefixes for an exact merge of its prefix units: "
                 "collected whole on the coordinator", src.id, bucket)
        return whole(bucket)
    datasets: list[Dataset] = []
    errors: list[CollectionError] = []
    root = outcomes[0]
    if root.result.status == "error":
        errors.append(CollectionError(source=src.id, dataset=bucket, kind="bucket",
                                      reason=f"bucket {bucket} not assessed: {root.result.error or 'not collected'}",
                                      fix=FIX))
    datasets.extend(root.datasets)
    errors.extend(root.errors)
    tops: list[Dataset] = []
    missing: list[str] = []
    names = {d.name for d in root.datasets if d.kind == "bucket"} or {bucket}
    for part, outcome in zip(parts[1:], outcomes[1:], strict=True):
        prefix = part[len(bucket) + 1:]
        if outcome.result.status == "error":
            missing.append(prefix)
            errors.append(CollectionError(source=src.id, dataset=part, kind="prefix",
                                          reason=f"prefix {part} not assessed: {outcome.result.error or 'not collected'}",
                                          fix=FIX))
            continue
        if any(e.kind == "prefix" and e.dataset == part for e in outcome.errors):  # its listing was refused
            missing.append(prefix)
        datasets.extend(outcome.datasets)
        errors.extend(outcome.errors)
        tops.extend(d for d in outcome.datasets if d.kind == "prefix" and d.parent in names)
    for i, ds in enumerate(datasets):
        if ds.kind == "bucket" and ds.status == "assessed" and ds.name in names:
            datasets[i] = bucket_totals(ds, tops, missing)
            break
    return _SourceOutcome(SourceResult(id=src.id, kind=src.kind, vendor=src.vendor, datasets=len(datasets)),
                          datasets, errors)


def bucket_totals(bucket: Dataset, tops: Sequence[Dataset], missing: Sequence[str] = ()) -> Dataset:
    """The bucket's dataset from its root-level objects' (``bucket``) and its top-level prefixes'
    (``tops``): objects and bytes summed, newest and oldest times; ``missing``: top-level prefixes whose
    units failed (named in a note: the counts leave them out)."""
    every = [bucket, *tops]
    newest = [d.last_modified for d in every if d.last_modified is not None]
    oldest = [d.oldest_modified for d in every if d.oldest_modified is not None]
    basis = next((d.last_modified_basis for d in every if d.last_modified_basis), None)
    update: dict[str, Any] = {
        "objects": sum(d.objects or 0 for d in every),
        "bytes": sum(d.bytes or 0 for d in every),
        "last_modified": max(newest) if newest else None,
        "last_modified_basis": basis if newest else None,
        "oldest_modified": min(oldest) if oldest else None,
    }
    if missing:
        update["notes"] = (*bucket.notes, *(f"objects under prefix {p} not counted: its unit was not assessed"
                                             for p in missing))
    return bucket.model_copy(update=update)


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
