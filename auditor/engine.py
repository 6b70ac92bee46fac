"""One audit run: the only orchestrator.

config -> every source in a bounded pool of daemon threads, each isolated from the
others' failures -> connector observations -> classifier (samples dropped right after)
-> age from run history; prefixes judged by the policies with their sub-prefixes -> policy
evaluation -> first_seen / new / waivers / resolved from the store -> one transaction.

The CLI and the scheduler are two doors into :func:`run_audit`; neither holds logic.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from auditor import fingerprint, registry, tempdirs
from auditor.classify import ClassifyOptions, classify
from auditor.classify import memo as classify_memo
from auditor.classify.scrub import scrub_text
from auditor.config import Config, SourceConfig
from auditor.errors import AuditorError, LockedError, RunNotSaved, StoreError
from auditor.gcpause import fewer_collections
from auditor.logs import safe_text
from auditor.models import (
    CollectionError,
    Dataset,
    Finding,
    Observation,
    PersonalData,
    ResolvedFinding,
    Run,
    SourceResult,
    WriteCounter,
    leaves_incomplete,
    severity_rank,
)
from auditor.overlap import Overlapped
from auditor.plugins import capabilities_of, load_connectors
from auditor.redact import Redactor
from auditor.memos import Memos
from auditor.store import Memo, Store
from connectors.base import CollectContext, SourceSpec

log = logging.getLogger("auditor.engine")
# observations a connector may read ahead of their classification, in a thread of its own; 0: none,
# the connector's generator runs in the source's thread. Small, as each holds its sample until it is
# classified (at most COLLECT_AHEAD + 2 samples alive per source: the queue's, the one the connector
# holds waiting for room, the one classified). On the SQL benchmark the connector is the slower side:
# with 4 the queue was full for ~0 of 1,001 tables; with 2 it was, at times, for up to 0.66 s a run.
COLLECT_AHEAD = 4


@dataclass
class RunOptions:
    as_of: datetime | None = None
    trigger: str = "manual"
    trigger_detail: dict | None = None  # {"event": name, "event_date": "2026-11-11", "days_before": 3}
    source_ids: Sequence[str] | None = None
    policies: Sequence[str] | None = None  # replaces the config's policy list (stricter pre-event packs)
    progress: Callable[[str, int], None] | None = None  # (source id, datasets so far)
    redactor: Redactor = field(default_factory=Redactor)
    executor: str | None = None  # "local" | "celery": overrides the config's executor.kind
    # called with the run once it is built, just before it is stored (a door starts rendering its HTML
    # report then: auditor.publish.Prerender); what it raises is the run's failure
    before_save: Callable[[Run], None] | None = None


def new_run_id(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def exit_code(run: Run, fail_on: str = "high") -> int:
    """0 clean, 1 findings at or above fail_on, 3 incomplete (see the contract): a not-assessed
    finding, open or waived, leaves the run incomplete (a waiver assesses nothing)."""
    if run.status in ("partial", "failed") or any(leaves_incomplete(f) for f in run.findings):
        return 3
    return 1 if run.open_findings(fail_on) else 0


# --------------------------------------------------------------------------- collecting


@dataclass
class _SourceOutcome:
    result: SourceResult
    datasets: list[Dataset]
    errors: list[CollectionError]
    memos: dict[str, tuple[str, Memo]] = field(default_factory=dict)  # classifications made, to keep


def _collect_source(src: SourceConfig, config: Config, as_of: datetime, cancel: threading.Event,
                    redact: Redactor, progress: Callable[[str, int], None] | None,
                    unit: str | None = None, unit_checks: bool = True, ahead: int | None = None,
                    memos: Memos | None = None) -> _SourceOutcome:
    """One source, or one part of it (``unit``: a bucket, a schema; ``unit_checks``: the part that
    makes the source-wide checks; see :mod:`auditor.executors.units`). ``ahead``: observations the
    connector may read ahead of their classification (default ``COLLECT_AHEAD``); 0 reads inline,
    in this thread, as a caller whose time limit is a signal must (a Celery unit: the signal reaches
    this thread only, and must interrupt the connector's read). ``memos``: the classifications
    kept by earlier runs, used again for a sample whose digest is equal (:class:`Memos`)."""
    vendor = config.vendor(src.vendor)
    found: list[Dataset] = []
    errors: list[CollectionError] = []
    started = time.monotonic()
    try:
        connector_cls = registry.connectors.get(src.kind)
        ctx = CollectContext(as_of=as_of, log=logging.getLogger(f"auditor.connector.{src.kind}"), cancel=cancel)
        options = src.options
        if unit is not None:
            narrow = getattr(connector_cls, "unit_options", None)
            if narrow is not None:
                options = narrow(options, unit)
            else:
                ctx.unit, ctx.unit_checks = unit, unit_checks
        connector = connector_cls(SourceSpec(id=src.id, kind=src.kind, vendor=vendor, options=options), ctx)
        classify_opts = classify_options(config)
        # the connector reads ahead in a thread of its own while this one classifies: its waits on
        # the store overlap the classifier's CPU (see auditor.overlap); unless it overlaps them itself
        if ahead is None:  # a connector that keeps its store busy itself is read inline (see auditor.connector)
            ahead = 0 if getattr(connector, "overlaps_its_waits", False) else COLLECT_AHEAD
        with _observations(connector.collect, cancel, ahead) as items:
            for item in items:
                if cancel.is_set():
                    break
                if isinstance(item, CollectionError):
                    errors.append(item.model_copy(update={
                        "reason": scrub_text(redact(item.reason)),
                        # the fix names the exact grant (table, schema, database): names from the store
                        "fix": scrub_text(redact(item.fix)) if item.fix else item.fix,
                        "dataset": scrub_text(item.dataset) if item.dataset else None}))
                    continue
                ds = _with_capabilities(_classified(item, redact, classify_opts, memos), connector_cls)
                found.append(ds)
                log.debug("source %s: %s %r: status %s, records %s, last modified %s (%s), personal data %s",
                          src.id, ds.kind, ds.name, ds.status, ds.records, ds.last_modified, ds.last_modified_basis,
                          {p.type: p.count for p in ds.personal_data}
                          or ("none" if ds.classified else "not classified"))
                if progress:
                    progress(src.id, len(found))
    except Exception as exc:  # noqa: BLE001 - one source's crash is that source's error, never the run's
        reason = safe_text(redact(f"{exc.__class__.__name__}: {exc}" if not isinstance(exc, AuditorError) else str(exc)))
        log.error("source %s (%s) could not be assessed: %s", src.id, src.kind, reason)
        return _SourceOutcome(SourceResult(id=src.id, kind=src.kind, vendor=src.vendor, status="error",
                                           error=reason, datasets=len(found)), found, errors)
    reused = f", {memos.reused} samples the same as an earlier run's (its classification used again)" \
        if memos is not None and memos.reused else ""
    log.info("source %s (%s): %d datasets, %d not readable%s, %.1fs", src.id, src.kind, len(found), len(errors),
             reused, time.monotonic() - started)
    return _SourceOutcome(SourceResult(id=src.id, kind=src.kind, vendor=src.vendor, datasets=len(found)), found, errors,
                          memos.made if memos is not None else {})


_Collect = Callable[[], Iterator[Observation | CollectionError]]  # a connector's collect()


def _observations(collect: _Collect, cancel: threading.Event,
                  ahead: int) -> contextlib.AbstractContextManager[Iterable[Observation | CollectionError]]:
    """The connector's observations, read up to ``ahead`` ahead in a thread of its own (0: inline)."""
    if ahead < 1:
        return _inline(collect)
    name = f"{threading.current_thread().name}-collect"
    return Overlapped(collect, cancel=cancel, depth=ahead, name=name)


@contextlib.contextmanager
def _inline(collect: _Collect) -> Iterator[Iterable[Observation | CollectionError]]:
    """The connector's generator run in this thread (no read-ahead); closed on the way out."""
    items = collect()
    try:
        yield items
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()


def classify_options(config: Config) -> ClassifyOptions | None:
    """The classifier's options: its defaults, plus the config's user-defined detectors."""
    return ClassifyOptions(detectors=tuple(config.detectors)) if config.detectors else None


def _with_capabilities(ds: Dataset, connector_cls: object) -> Dataset:
    """``facts["never_known"]``: the facts left unknown that this connector kind can never read
    (its declared capabilities), with why; a policy tells them from a refusal a grant would fix."""
    caps = capabilities_of(connector_cls)
    declared = dict(ds.facts.get("never_known") or {})  # the connector's own, for this dataset (a local file)
    # facts this dataset's store can have (by attestation) although its kind never reads them:
    # unknown, not never known (a Snowflake account's network exposure)
    attestable = ds.facts.get("unknown_unless_attested") or {}
    never = {f: why for f, why in (caps.never.items() if caps else ())
             if getattr(ds, f, None) in (None, "unknown") and f not in declared and f not in attestable}
    if not never:
        return ds
    return ds.model_copy(update={"facts": {**ds.facts, "never_known": {**never, **declared}}})


def _classified(obs: Observation, redact: Redactor, options: ClassifyOptions | None = None,
                memos: Memos | None = None) -> Dataset:
    ds = obs.dataset
    update: dict = {}
    if ds.error:
        update["error"] = redact(ds.error)
    kept: tuple[str, str | None, str | None] | None = None  # a classification made, to keep: key, digest, day
    if obs.sample is not None and ds.status == "assessed":
        try:
            key, digest = memos.digest(obs, options) if memos is not None else ("", None)
            found = memos.reuse(key, digest) if memos is not None else None
            if found is None:
                day = classify_memo.today_text() if memos is not None else None  # the day it is made on
                classify_memo.start()
                found = tuple(classify(obs.sample, options))
                # a result that read today's date (a birth date's plausibility) holds for that day
                # only; one made across midnight may have read either day: not kept
                if not classify_memo.date_read():
                    kept = (key, digest, None)
                elif classify_memo.today_text() == day:
                    kept = (key, digest, day)
            update["personal_data"] = found
            if obs.sample.rows is not None:  # rows seen in the objects read: records are rows, not objects
                update["facts"] = {**ds.facts, "rows_sampled": obs.sample.rows.model_dump()}
            # part of the content could not be sampled (binary columns, skipped objects, noncurrent
            # versions): what was found counts, but absence is not known
            # (no typed view of the facts for that where they name nothing unsampled: the usual table)
            update["classified"] = not (ds.facts.get("unsampled") and ds.known.unsampled)
        except Exception as exc:  # noqa: BLE001 - bad data in one dataset: a note, not a crash
            update["notes"] = ds.notes + (f"classifier failed: {exc.__class__.__name__}",)
    obs.sample = None  # samples never outlive classification
    ds = scrubbed(ds, update)
    if kept is not None and memos is not None and "notes" not in update:
        memos.keep(kept[0], kept[1], kept[2], ds)  # as the run keeps it: masked examples, scrubbed names
    return ds


def _scrubbed_where(p: PersonalData) -> PersonalData:
    where = tuple(scrub_text(w) for w in p.where)
    return p if where == p.where else p.model_copy(update={"where": where})


def scrubbed(ds: Dataset, update: dict | None = None) -> Dataset:
    """Values hiding in names (a headerless CSV's first row, a prefix named by e-mail) are
    masked in everything the run keeps. Deterministic, so finding ids stay stable.
    ``update``: field values replacing the dataset's before it is scrubbed (one copy, not two)."""
    u = update or {}
    facts = dict(u.get("facts", ds.facts))
    for key in ("columns", "unsampled"):
        if isinstance(facts.get(key), dict):
            facts[key] = {scrub_text(str(k)): v for k, v in facts[key].items()}
    if isinstance(facts.get("columns"), dict):  # a type names its labels: ENUM('wl.tan@example.com', ...)
        facts["columns"] = {k: scrub_text(v) if isinstance(v, str) else v for k, v in facts["columns"].items()}
    if isinstance(facts.get("unsampled"), dict):  # a reason names the parts not read: members, attachments
        facts["unsampled"] = {k: scrub_text(v) if isinstance(v, str) else v for k, v in facts["unsampled"].items()}
    error, notes = u.get("error", ds.error), u.get("notes", ds.notes)
    return ds.model_copy(update={
        **u,
        "name": scrub_text(ds.name), "parent": scrub_text(ds.parent) if ds.parent else None,
        "uri": scrub_text(ds.uri), "columns": tuple(scrub_text(c) for c in ds.columns),
        "notes": tuple(scrub_text(n) for n in notes), "error": scrub_text(error) if error else None,
        # a refused call names what it was refused on (a file server's folder: /customers/<address>/)
        "denied": tuple(scrub_text(c) for c in u.get("denied", ds.denied)),
        # and why it is public names the object whose ACL grants everyone (its key)
        "public_reasons": tuple(scrub_text(r) for r in u.get("public_reasons", ds.public_reasons)),
        "personal_data": tuple(map(_scrubbed_where, u.get("personal_data", ds.personal_data))),
        # a bucket's tags and labels are the store's own text too (owner: an address, contact: a phone)
        "tags": {scrub_text(str(k)): scrub_text(str(v)) for k, v in u.get("tags", ds.tags).items()},
        "facts": facts})


def collect_all(config: Config, sources: Sequence[SourceConfig], as_of: datetime, redact: Redactor,
                progress: Callable[[str, int], None] | None = None,
                memos: tuple[dict[str, Memo], bytes] | None = None) -> list[_SourceOutcome]:
    """Every source in daemon threads, at most ``config.concurrency`` at once.

    A source still running ``source_timeout_seconds`` after it started is recorded as an error
    and abandoned (its thread is a daemon and is told to stop), and its slot goes to the next
    source: one hung vendor cannot hold the whole nightly run, nor fail the sources queued
    behind it (each source's clock starts when it does). ``memos``: the classifications kept by
    earlier runs (``Store.memos``) and the key of their digests: each source uses them again (:class:`Memos`)."""
    results: queue.Queue[tuple[int, _SourceOutcome]] = queue.Queue()
    cancels = [threading.Event() for _ in sources]
    timeout = config.source_timeout_seconds

    def worker(i: int, src: SourceConfig) -> None:
        results.put((i, _collect_source(src, config, as_of, cancels[i], redact, progress,
                                        memos=Memos(*memos) if memos is not None else None)))

    pending = list(range(len(sources)))
    running: dict[int, float] = {}  # source index -> its deadline (monotonic)
    outcomes: dict[int, _SourceOutcome] = {}

    def fill() -> None:
        while pending and len(running) < config.concurrency:
            i = pending.pop(0)
            running[i] = time.monotonic() + timeout
            threading.Thread(target=worker, args=(i, sources[i]), name=f"source-{sources[i].id}", daemon=True).start()

    fill()
    while len(outcomes) < len(sources):
        try:
            i, outcome = results.get(timeout=max(0.0, min(running.values()) - time.monotonic()))
            if i in running:  # not one given up already (its late answer is dropped)
                del running[i]
                outcomes[i] = outcome
        except queue.Empty:
            now = time.monotonic()
            for i in [i for i, deadline in running.items() if deadline <= now]:
                del running[i]
                cancels[i].set()
                src = sources[i]
                reason = f"timed out after {timeout:g}s (source_timeout_seconds in the config gives a slow source more)"
                log.error("source %s (%s) could not be assessed: %s", src.id, src.kind, reason)
                outcomes[i] = _SourceOutcome(SourceResult(id=src.id, kind=src.kind, vendor=src.vendor,
                                                          status="error", error=reason), [], [])
        fill()
    return [outcomes[i] for i in range(len(sources))]


# --------------------------------------------------------------------------- post-processing


def _counter_history(now: WriteCounter, mark: tuple[WriteCounter, datetime] | None,
                     as_of: datetime) -> tuple[WriteCounter, datetime | None, str | None, bool]:
    """Step 3 of the age ladder, first half: the dataset's write counter against the previous run's
    (``Store.write_marks``). Returns the counter with what the history knows (``since``,
    ``written_after``: kept in the store for the next run), the previous run's instant when the
    counter went up within one epoch (written since that run), else why it says nothing new, and
    whether it stood still since the previous run (no write counted)."""
    if mark is None:
        return now.model_copy(update={"since": as_of}), None, None, False
    before, then = mark
    carried = before.written_after  # a write known once stays known, across resets too
    if then > as_of:  # the previous read is as of a later instant (a re-judgement of the past): no order
        return now.model_copy(update={"since": as_of, "written_after": carried}), None, None, False
    day = then.date().isoformat()
    if before.epoch != now.epoch:
        what = ("statistics reset" if before.epoch.split(";")[0] != now.epoch.split(";")[0]
                else "counted relations changed (the table created again, or partitions attached or detached)")
        note = f"{now.by}: {what} since the previous run of {day}, write counts not compared"
    elif now.value < before.value:
        note = f"{now.by}: write count went down since the previous run of {day}"
    elif now.value == before.value:
        return (now.model_copy(update={"since": before.since or then, "written_after": carried}), None,
                f"{now.by}: no write counted since the run of {(before.since or then).date().isoformat()}", True)
    else:
        return now.model_copy(update={"since": as_of, "written_after": then}), then, None, False
    return now.model_copy(update={"since": as_of, "written_after": carried}), None, note, False


# a write this far after the run's instant is a vendor clock ahead of ours (age 0); further, it is a
# write the run's instant had not seen (--as-of in the past): as for SQL write-time columns
CLOCK_SKEW = timedelta(days=1)


def writes_after_as_of(datasets: list[Dataset], as_of: datetime) -> list[Dataset]:
    """A dataset whose newest write is after the run's instant (beyond :data:`CLOCK_SKEW`) says
    nothing of its age at that instant: its age is unknown, never fresh, and the basis says why."""
    horizon = as_of + CLOCK_SKEW
    out = []
    for d in datasets:
        lm = d.last_modified
        if lm is not None and (lm if lm.tzinfo else lm.replace(tzinfo=timezone.utc)) > horizon:
            at = lm.isoformat()
            d = d.model_copy(update={
                "last_modified": None,
                "last_modified_basis": (f"unknown: the newest write ({at}, {d.last_modified_basis or 'last modified'}) "
                                        f"is after the run's as-of ({as_of.isoformat()}): its age then cannot be told"),
                "facts": {**d.facts, "age_signals": {**d.facts.get("age_signals", {}), "after_as_of": at}}})
        out.append(d)
    return out


def age_from_history(datasets: list[Dataset], store: Store, as_of: datetime) -> list[Dataset]:
    """Step 3 of the age ladder: the store's own write counter (PostgreSQL's statistics) against the
    previous run's, else an unchanged fingerprint since it was first seen; a write the counters
    once showed is never forgotten by the fingerprint (it is never "unchanged" since before it)."""
    marks = store.write_marks({d.source for d in datasets if d.known.write_counter is not None})  # one query
    rejudged: list[str] | None = None  # the history's re-judgements, read once (Store.rejudgements)
    out = []
    for d in datasets:
        counter = d.known.write_counter
        if d.status != "assessed":
            out.append(d)
            continue
        written, note, unchanged = None, None, False
        if counter is not None:
            counter, written, note, unchanged = _counter_history(counter, marks.get((d.source, d.name)), as_of)
            d = d.with_fact("write_counter", counter.model_dump(mode="json"))
        if d.last_modified is not None:
            out.append(d)
            continue
        signals = d.facts.get("age_signals", {})
        if written is not None:
            assert counter is not None
            previous = marks[(d.source, d.name)][0].value
            out.append(d.model_copy(update={
                "last_modified": written,
                "last_modified_basis": f"written since the run of {written.date().isoformat()} ({counter.by}: "
                                       f"{counter.value - previous} rows inserted, updated or deleted since)",
                # the last write was at or after this: an age of "at most", never stale on its own
                "facts": {**d.facts, "last_modified_bound": "at_least",
                          "age_signals": {**signals, "written_since_run": written.isoformat()}}}))
            continue
        after = counter.written_after if counter is not None else None
        if after is not None and unchanged:
            assert counter is not None and counter.since is not None
            # written between two runs, none counted since the later: both bounds of the age are known
            out.append(d.model_copy(update={
                "last_modified": after,
                "last_modified_basis": f"written between the runs of {after.date().isoformat()} and "
                                       f"{counter.since.date().isoformat()} ({note})",
                "facts": {**d.facts, "last_modified_bound": "at_least", "written_before": counter.since.isoformat(),
                          "age_signals": {**signals, "written_after": after.isoformat(),
                                          "written_before": counter.since.isoformat()}}}))
            continue
        fp = d.known.fingerprint
        if fp and rejudged is None:
            rejudged = store.rejudgements(as_of)
        since = store.fingerprint_since(d.source, d.name, fp, as_of=as_of, rejudged=rejudged) if fp else None
        if since is not None and counter is not None and after is not None and since <= after:
            # the fingerprint says "unchanged since" an instant before a write the counters showed: the
            # sample did not see that write. The write is the bound: at most this old, never stale.
            out.append(d.model_copy(update={
                "last_modified": after,
                "last_modified_basis": f"written since the run of {after.date().isoformat()} (shown by {counter.by} "
                                       "then; the sample fingerprint did not change" + (f"; {note}" if note else "") + ")",
                "facts": {**d.facts, "last_modified_bound": "at_least",
                          "age_signals": {**signals, "written_after": after.isoformat()}}}))
            continue
        if since is not None and since < as_of:
            d = d.model_copy(update={
                "last_modified": since,
                "last_modified_basis": f"unchanged since first seen {since.date().isoformat()} "
                                       "(same row count and sample fingerprint in the run history"
                                       + (f"; {note}" if note else "") + ")",
                # the last write was at or before this: an age of "at least", never a pass on its own
                "facts": {**d.facts, "last_modified_bound": "at_most",
                          "age_signals": {**signals, "history_first_seen": since.isoformat()}}})
            note = None
        if note:
            d = d.model_copy(update={"facts": {**d.facts, "age_signals": {**signals, "write_counter": note}}})
        out.append(d)
    return out


def apply_history(findings: list[Finding], store: Store, as_of: datetime) -> list[Finding]:
    """first_seen and new from earlier runs; waivers (and their expiry at as_of). A finding that
    stands for several packs' rules also carries their ids (``merged_ids``): it was first seen when
    the first of them was, and a waiver on any of them applies to it."""
    seen = store.first_seen([i for f in findings for i in (f.id, *f.merged_ids)], as_of=as_of)
    waivers = store.waivers()
    out = []
    for f in findings:
        firsts = [seen[i] for i in (f.id, *f.merged_ids) if i in seen]
        first = min(firsts) if firsts else None
        update: dict = {"first_seen": first or as_of, "new": first is None}
        w = next((waivers[i] for i in (f.id, *f.merged_ids) if i in waivers), None)
        if w is not None:
            expired = w.lapsed(as_of)
            worse = w.severity is not None and severity_rank(f.severity) < severity_rank(w.severity)
            update["waiver"] = {"reason": w.reason, "until": w.until.isoformat(), "by": w.by, "expired": expired,
                                "accepted_severity": w.severity, "escalated": worse}
            update["status"] = "open" if expired or worse else "waived"
        out.append(f.model_copy(update=update))
    return out


def diff_with_previous(previous: Run | None, findings: list[Finding], seen_sources: set[str],
                       results: Sequence[SourceResult], datasets: Sequence[Dataset],
                       errors: Sequence[CollectionError]) -> tuple[list[ResolvedFinding], list[Finding]]:
    """(resolved, carried). Resolved: open before (in the previous run, or carried by it
    because it could not look), gone now, and looked at again now. A finding is never
    "resolved" because its source was not selected, failed, or its dataset was unreadable:
    such findings are carried forward to be compared by a later run."""
    if previous is None:
        return [], []
    now = {i for f in findings for i in (f.id, *f.merged_ids)}  # a rule merged into another's finding is not resolved
    blind_sources = {r.id for r in results if r.status == "error"} | {e.source for e in errors if e.dataset is None}
    blind = {(d.source, d.name) for d in datasets if d.status == "error"}
    blind |= {(e.source, e.dataset) for e in errors if e.dataset is not None}

    def looked_at(f: Finding) -> bool:
        if f.source not in seen_sources or f.source in blind_sources:
            return False
        return not any(s == f.source and (f.dataset == name or f.dataset.startswith(name.rstrip("/") + "/"))
                       for s, name in blind)

    # not-assessed findings too: one the run no longer has, where it looked, was fixed (a grant, a setting)
    before = {f.id: f for f in (*previous.carried, *previous.findings)
              if f.status in ("open", "waived") and f.id not in now}
    resolved = [ResolvedFinding(id=f.id, rule=f.rule, dataset=f.dataset, source=f.source, severity=f.severity)
                for f in before.values() if looked_at(f)]
    carried = [f for f in before.values() if not looked_at(f)]
    return resolved, carried


def ensure_not_assessed(findings: list[Finding], sources: Sequence[SourceResult], datasets: Sequence[Dataset],
                        errors: Sequence[CollectionError]) -> list[Finding]:
    """Whatever the policy files say, what could not be assessed is reported: never a silent pass.
    The findings are built by the policies (one builder); this only guards that none is missing."""
    from policies.evaluate import not_assessed_errors

    have = {f.id for f in findings}
    return findings + [f for f in not_assessed_errors(sources, datasets, errors) if f.id not in have]


def run_status(sources: Sequence[SourceResult], datasets: Sequence[Dataset], errors: Sequence[CollectionError],
               findings: Sequence[Finding]) -> str:
    if sources and all(s.status == "error" for s in sources):
        return "failed"
    incomplete = (any(s.status == "error" for s in sources) or errors
                  or any(d.status == "error" for d in datasets)
                  or any(leaves_incomplete(f) for f in findings))  # a waived unknown is still unknown
    return "partial" if incomplete else "complete"


def facts_from_elsewhere(config: Config, selected: Sequence[SourceConfig], datasets: list[Dataset],
                         as_of: datetime) -> tuple[list[Dataset], list]:
    """Unknown facts filled from managed instances' APIs (``provider:``), then from attestations."""
    from auditor.attest import apply_attestations, apply_provider

    for src in selected:
        if src.provider is not None:
            from connectors.providers import provider_facts

            datasets = apply_provider(datasets, src.id, functools.partial(provider_facts, src.provider))
    return apply_attestations(datasets, config.attestations, as_of, where=config.path or "<config>")


# --------------------------------------------------------------------------- the run


def config_identity(config: Config) -> str:
    return str(Path(config.path).resolve()) if config.path else "<inline config>"


@contextlib.contextmanager
def _run_lock(store: Store, run_id: str, config: Config) -> Iterator[None]:
    """The store's run lock for this run; a refusal that names ``auditor unlock`` names it with
    this config, as the user would type it."""
    try:
        store.acquire_lock(run_id, stale_after=timedelta(hours=config.lock_stale_hours))
    except LockedError as exc:
        if config.path and "`auditor unlock`" in str(exc):
            raise LockedError(str(exc).replace("`auditor unlock`", f"`auditor unlock -c {config.path}`")) from None
        raise
    try:
        yield
    finally:
        store.release_lock(run_id)


def run_audit(config: Config, options: RunOptions | None = None) -> Run:
    """One full audit run. Raises AuditorError subclasses only before anything is scanned."""
    with fewer_collections():
        return _run_audit(config, options)


def _run_audit(config: Config, options: RunOptions | None) -> Run:
    import policies

    load_connectors()  # the composition root: built-in kinds and installed plug-ins, once per process
    options = options or RunOptions()
    redact = options.redactor
    for s in config.sources:
        redact.add_from_url(getattr(s.options, "url", None))
    as_of = (options.as_of or datetime.now(timezone.utc)).astimezone(timezone.utc)
    policy_set = policies.load_policies(list(options.policies or config.policies), Path(config.base_dir),
                                        config.personal_data_types())
    selected = list(config.sources)
    if options.source_ids:
        unknown = set(options.source_ids) - {s.id for s in selected}
        if unknown:
            from auditor.errors import UsageError

            raise UsageError(f"--source: no source with id {', '.join(sorted(unknown))} in {config.path}")
        selected = [s for s in selected if s.id in set(options.source_ids)]

    tempdirs.sweep()  # private copies left by an earlier run that was killed (SIGKILL, OOM)
    store = Store.open(config.state)
    started = datetime.now(timezone.utc)
    run_id = new_run_id(started)
    identity = config_identity(config)
    try:
        with _run_lock(store, run_id, config):
            stub = Run(id=run_id, started_at=started, as_of=as_of, trigger=options.trigger,
                       trigger_detail=options.trigger_detail or {}, status="running")
            store.begin_run(stub, identity)
            try:
                run, made = _execute(config, selected, options, policy_set, store, stub, identity, redact)
                if options.before_save is not None:
                    options.before_save(run)
                store.save_run(run, made)  # inside: a stop while saving (its transaction rolled back) is marked too
            except RunNotSaved:
                raise  # save_run marked it failed already (or could not: the next start does)
            except BaseException:
                store.mark_failed(run_id)
                raise
            return run
    finally:
        store.close()


def _execute(config, selected, options, policy_set, store, stub: Run, identity: str,
             redact: Redactor) -> tuple[Run, dict[str, tuple[str, Memo]]]:
    """The run, and the classifications it made to keep (``Store.save_run``'s ``memos``)."""
    import policies

    as_of = stub.as_of
    key = fingerprint.key_for(config.state, config.base_dir)  # before anything is read
    log.info("run %s: %d sources, as of %s, trigger %s", stub.id, len(selected), as_of.isoformat(), stub.trigger)
    from auditor import executors  # local threads or Celery workers: the same per-source outcomes

    try:  # the classifications kept by earlier runs: used again where a sample is the same
        kept = store.memos({s.id for s in selected})
    except StoreError as exc:  # a cache: every sample is classified, never a failed run
        log.warning("run %s: kept classifications not read (%s): every sample is classified", stub.id, exc)
        kept = {}
    outcomes = executors.collect(config, selected, as_of, redact, options.progress, key, options.executor,
                                 memos=(kept, key))
    made = {k: m for o in outcomes for k, m in o.memos.items()}
    results = [o.result for o in outcomes]
    datasets = fingerprint.keyed_datasets([d for o in outcomes for d in o.datasets], key)
    errors = [e for o in outcomes for e in o.errors]
    datasets = writes_after_as_of(datasets, as_of)
    datasets = age_from_history(datasets, store, as_of)  # policies judge object trees themselves
    datasets, attestations = facts_from_elsewhere(config, selected, datasets, as_of)
    vendors = config.vendor_models()
    datasets = policies.judge(policy_set, datasets, vendors, as_of)  # staleness, roll-ups, rows: decided once
    findings = policies.evaluate(policy_set, datasets, errors, results, vendors, as_of)
    findings = ensure_not_assessed(list(findings), results, datasets, errors)
    findings = apply_history(findings, store, as_of)
    findings.sort(key=lambda f: (severity_rank(f.severity), f.rule, f.source, f.dataset))
    # the run before in time as of this run's instant: a re-judgement of last month is diffed against the
    # history as it stood then, and tonight's next run against tonight's, never against a re-judgement
    previous_id = store.previous_run_id(identity, before=stub.started_at, exclude=stub.id, complete_only=False,
                                        as_of=as_of)
    # what the diff reads of the previous run: its findings not found again (by id or merged id), not its inventory
    now = {i for f in findings for i in (f.id, *f.merged_ids)}
    previous = store.load_run(previous_id, with_datasets=False, findings_except=now) if previous_id else None
    resolved, carried = diff_with_previous(previous, findings, {s.id for s in selected}, results, datasets, errors)
    status = run_status(results, datasets, errors, findings)
    used_vendors = {s.vendor for s in selected}
    run = stub.model_copy(update={
        "finished_at": datetime.now(timezone.utc), "status": status, "config_path": identity,
        "sources": tuple(results), "datasets": tuple(datasets), "findings": tuple(findings),
        "resolved": tuple(resolved), "carried": tuple(carried), "errors": tuple(errors),
        "vendors": tuple(v for k, v in vendors.items() if k in used_vendors),
        "previous_run_id": previous_id, "policy_limits": dict(policy_set.limits),
        "attestations": tuple(attestations),
    })
    log.info("run %s %s: %d datasets, %d open findings (%d new), %d resolved", run.id, status, len(datasets),
             len(run.open_findings()), sum(1 for f in findings if f.new), len(resolved))
    return run, made
