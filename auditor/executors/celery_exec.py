"""Collection on Celery workers: one unit per source, or per part of one.

The coordinator (``auditor scan --executor celery``) sends each selected source's *id* to the
queue, or one unit per part of it (an object store's buckets, a database's schemas, listed by
the coordinator: :mod:`auditor.executors.units`) with the part's name, and merges the parts'
results back into one source's; a worker (``auditor worker -c CONFIG``) resolves that id in its own copy of
the config (credentials from its own environment), collects and classifies the source
exactly as the local executor does (:func:`auditor.engine._collect_source`: samples are
dropped right after classification, names scrubbed, reasons redacted), keys the sample
fingerprints with the store's key (or drops them) and returns datasets, collection errors
and the source result as JSON. No sample, no raw value and no credential crosses the
broker: messages carry ids, the run's instant, a key *id* and a time limit; results carry
what the JSON report would show anyway.

Faults: late acknowledgement and ``task_reject_on_worker_lost`` redeliver the unit of a
worker that died (Redis: after ``visibility_timeout``); a unit past its time limit comes back
as a source error (not-assessed); a broker unreachable for ``broker_timeout_seconds`` ends
the wait and names the units not done (the run is partial: exit 3). JSON only, never pickle.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from auditor.config import Config, ExecutorConfig, SourceConfig
from auditor.errors import StoreError, UsageError
from auditor.models import CollectionError, Dataset, SourceResult
from auditor.redact import Redactor

log = logging.getLogger("auditor.executors.celery")
BROKER_ENV = "AUDITOR_BROKER_URL"
TASK_NAME = "auditor.collect_unit"
HARD_LIMIT_GRACE = 10.0  # seconds between the soft limit (not-assessed) and the kill
POLL_SECONDS = 0.25
# a unit failing with these failed to store its result (its collection errors come back as an answer)
BACKEND_FAILURES = ("ConnectionError", "ResponseError", "BackendStoreError", "OperationalError", "ConnectionResetError")
WORKER_LOST_RETRIES = 2  # a unit whose pool process died is tried this many more times, then not-assessed
CONSUMER_CHECK_SECONDS = 5.0  # how often the coordinator asks which workers consume its queue
CONSUMER_REPLY_SECONDS = 1.0

_WORKER_CONFIG: Config | None = None  # set by `auditor worker` before the pool forks


def executor_config(config: Config) -> ExecutorConfig:
    return config.executor or ExecutorConfig(kind="celery")


def broker_url(config: Config) -> str:
    url = executor_config(config).broker or os.environ.get(BROKER_ENV)
    if not url:
        where = f" in {config.path}" if config.path else ""
        raise UsageError(f"the celery executor needs a broker: set executor.broker{where} "
                         f"(e.g. ${{{BROKER_ENV}}}) or the {BROKER_ENV} environment variable")
    return url


def key_id(key: bytes) -> str:
    """Names a fingerprint key without revealing it: coordinator and worker compare these."""
    return hmac.new(key, b"auditor fingerprint key id", hashlib.sha256).hexdigest()[:16]


def make_app(config: Config) -> Any:
    from celery import Celery

    ex = executor_config(config)
    broker = broker_url(config)
    backend = ex.backend or (broker if broker.startswith(("redis://", "rediss://", "redis+socket://")) else "rpc://")
    app = Celery("auditor", broker=broker, backend=backend, set_as_current=False)
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"], result_accept_content=["json"],
        task_acks_late=True,  # a unit is acknowledged when done, so a dead worker's unit is redelivered
        task_track_started=True,  # a unit a worker runs says so: a busy ``solo`` worker answers no broadcast
        task_reject_on_worker_lost=True,  # ... also when the pool child died (SIGKILL, OOM)
        task_acks_on_failure_or_timeout=True,  # a unit past its hard time limit is reported, not retried forever
        worker_prefetch_multiplier=1,  # a worker holds one unit per process, never a queue of them
        task_default_queue=ex.queue,
        broker_transport_options=_transport_options(ex.visibility_timeout_seconds),
        result_backend_transport_options={"visibility_timeout": ex.visibility_timeout_seconds},
        result_expires=max(3600, int(ex.visibility_timeout_seconds) * 2),
        broker_connection_timeout=5, broker_connection_retry_on_startup=True,
        redis_socket_connect_timeout=5, redis_socket_timeout=30,
        worker_hijack_root_logger=False, worker_redirect_stdouts=False,
        worker_send_task_events=False, task_send_sent_event=False,
    )
    # a pool process that dies running a unit (the OOM killer, a crash) has the unit tried again, at most
    # WORKER_LOST_RETRIES times: task_reject_on_worker_lost alone requeues it forever, a unit that kills
    # its process every time looped and the run never ended; then it fails (not-assessed), reported
    app.task(name=TASK_NAME, bind=True, retry_on_worker_lost=True, max_retries=WORKER_LOST_RETRIES,
             default_retry_delay=1)(_collect_unit)
    return app


def _transport_options(visibility_timeout: float) -> dict:
    """Redis: a unit unacknowledged for ``visibility_timeout`` goes back to the queue. kombu sweeps
    for such units every interval x throttle seconds (100 s by default): scaled down with the
    timeout so that a short one really redelivers soon (other brokers ignore these keys)."""
    return {"visibility_timeout": visibility_timeout,
            "unacked_restore_interval": max(1, min(10, int(visibility_timeout // 5))),
            "unacked_restore_throttle": max(1, min(10, int(visibility_timeout // 60)))}


# --------------------------------------------------------------------------- worker side


def _worker_key(config: Config) -> bytes | None:
    """The store's fingerprint key, read-only: from AUDITOR_FINGERPRINT_KEY or an existing key
    file (the coordinator creates it before it sends any unit). None: fingerprints are dropped."""
    from auditor import fingerprint

    path = fingerprint.key_path(config.state, config.base_dir)
    if os.environ.get(fingerprint.KEY_ENV) is None and (path is None or not path.exists()):
        return None
    try:
        return fingerprint.key_for(config.state, config.base_dir)
    except StoreError as exc:
        log.warning("fingerprint key unusable on this worker (%s): fingerprints are dropped", exc)
        return None


def _safe_fingerprints(datasets: list[Dataset], key: bytes | None, wanted_id: str) -> list[Dataset]:
    """Keyed with the coordinator's key, or dropped: a raw fingerprint never leaves the worker."""
    from auditor import fingerprint

    if key is not None and key_id(key) != wanted_id:
        log.warning("this worker's fingerprint key differs from the coordinator's (set %s on both): "
                    "fingerprints are dropped", fingerprint.KEY_ENV)
        key = None
    if key is not None:
        datasets = fingerprint.keyed_datasets(datasets, key)
    out = []
    for d in datasets:
        fp = d.facts.get("fingerprint")
        if fp and not str(fp).startswith(fingerprint.PREFIX):
            d = d.model_copy(update={"facts": {k: v for k, v in d.facts.items() if k != "fingerprint"}})
        out.append(d)
    return out


def _error_outcome(src_id: str, kind: str, vendor: str, reason: str) -> dict:
    return {"result": SourceResult(id=src_id, kind=kind, vendor=vendor, status="error", error=reason)
            .model_dump(mode="json"), "datasets": [], "errors": []}


def unit_identity(config: Config, src: SourceConfig) -> dict:
    """What a worker must share with the coordinator to collect ``src`` for it: the auditor's version
    and a digest of what decides the unit's datasets (the source as written, its vendor, the
    detectors). No value of it is secret (:func:`auditor.config.written_digest`)."""
    from auditor import __version__

    vendor = next((v for v in config.vendors if v.id == src.vendor), None)
    text = json.dumps({"source": src.written or src.id, "kind": src.kind, "vendor": src.vendor,
                       "vendor_def": vendor.model_dump(mode="json") if vendor else None,
                       "detectors": [d.model_dump(mode="json") for d in config.detectors]},
                      sort_keys=True, default=str)
    return {"version": __version__, "config": hashlib.sha256(text.encode()).hexdigest()[:24]}


def _refusal(config: Config, src: SourceConfig, expect: dict | None) -> str | None:
    """Why this worker must not collect ``src`` for a coordinator that expects ``expect``, or None."""
    if expect is None:
        return None
    mine = unit_identity(config, src)
    if expect.get("version") != mine["version"]:
        return (f"refused by the worker: it runs auditor {mine['version']}, the coordinator "
                f"{expect.get('version')} (upgrade the workers and the coordinator together)")
    if expect.get("config") != mine["config"]:
        return (f"refused by the worker: its config {config.path} differs from the coordinator's for source "
                f"{src.id} (the source as written, its vendor or the detectors): deploy the same config to every worker")
    return None


def _collect_unit(task: Any, source_id: str, as_of: str, wanted_key_id: str, limit: float | None,
                  part: str | None = None, checks: bool = True, expect: dict | None = None) -> dict:
    from celery.exceptions import SoftTimeLimitExceeded

    from auditor.engine import _collect_source

    config = _WORKER_CONFIG
    if config is None:
        return _error_outcome(source_id, "unknown", "", "the worker has no config (start it with `auditor worker -c`)")
    src = next((s for s in config.sources if s.id == source_id), None)
    if src is None:
        return _error_outcome(source_id, "unknown", "",
                              f"source {source_id} is not in the worker's config {config.path}")
    refused = _refusal(config, src, expect)
    if refused:
        log.warning("unit %s%s: %s", src.id, f"[{part}]" if part else "", refused)
        return _error_outcome(src.id, src.kind, src.vendor, refused)
    redact = Redactor()
    for s in config.sources:
        redact.add_from_url(getattr(s.options, "url", None))
    timed_out = f"timed out after {limit:g}s (the unit's time limit on the worker)" if limit else "timed out"
    try:
        # inline (ahead=0): the time limit is a signal, raised in this thread only, and must interrupt the read
        outcome = _collect_source(src, config, datetime.fromisoformat(as_of), threading.Event(), redact, None,
                                  unit=part, unit_checks=checks, ahead=0)
    except SoftTimeLimitExceeded:
        return _error_outcome(src.id, src.kind, src.vendor, timed_out)
    result = outcome.result
    if result.status == "error" and "SoftTimeLimitExceeded" in (result.error or ""):
        result = result.model_copy(update={"error": timed_out})
    datasets = _safe_fingerprints(outcome.datasets, _worker_key(config), wanted_key_id)
    answer = {"result": result.model_dump(mode="json"),
              "datasets": [d.model_dump(mode="json") for d in datasets],
              "errors": [e.model_dump(mode="json") for e in outcome.errors]}
    # the size says why, when the result backend refuses it (Redis drops the connection on a value past
    # proto-max-bulk-len, RabbitMQ past max_message_size): its log would say only "connection lost"
    size = len(json.dumps(answer, separators=(",", ":")))
    log.info("unit %s%s: %d datasets, %d errors, result %.1f MB JSON", src.id, f"[{part}]" if part else "",
             len(answer["datasets"]), len(answer["errors"]), size / 1e6)
    return answer


def run_worker(config: Config, concurrency: int | None = None, pool: str = "prefork", name: str | None = None,
               loglevel: str = "WARNING") -> None:
    """`auditor worker`: consume this config's queue until stopped."""
    global _WORKER_CONFIG

    _WORKER_CONFIG = config
    app = make_app(config)
    ex = executor_config(config)
    argv = ["worker", f"--pool={pool}", f"--concurrency={concurrency or config.concurrency}", f"--queues={ex.queue}",
            f"--hostname={name or f'auditor-{os.getpid()}@%h'}", f"--loglevel={loglevel}",
            "--without-gossip", "--without-mingle"]
    app.worker_main(argv)


# --------------------------------------------------------------------------- coordinator side


def _outcome_from(payload: Any, src: SourceConfig) -> Any:
    from auditor.engine import _SourceOutcome

    try:
        result = SourceResult.model_validate(payload["result"])
        datasets = [Dataset.model_validate(d) for d in payload["datasets"]]
        errors = [CollectionError.model_validate(e) for e in payload["errors"]]
    except Exception as exc:  # noqa: BLE001 - a malformed answer is that unit's error
        return _not_done(src, f"the worker's answer could not be read ({exc.__class__.__name__})")
    if result.id != src.id or any(d.source != src.id for d in datasets):
        return _not_done(src, "the worker answered for another source")
    return _SourceOutcome(result, datasets, errors)


def _not_done(src: SourceConfig, reason: str) -> Any:
    from auditor.engine import _SourceOutcome

    return _SourceOutcome(SourceResult(id=src.id, kind=src.kind, vendor=src.vendor, status="error", error=reason),
                          [], [])


def collect_celery(config: Config, sources: Sequence[SourceConfig], as_of: datetime, redact: Redactor,
                   progress: Callable[[str, int], None] | None, key: bytes) -> list:
    from celery import states

    ex = executor_config(config)
    app = make_app(config)
    redact.add_from_url(app.conf.broker_url)
    redact.add_from_url(ex.backend)
    broker_shown = redact(app.conf.broker_url)
    limit = ex.time_limit_seconds or config.source_timeout_seconds
    # results are polled (GET per unit), never awaited on a pub/sub subscription: a subscription
    # would retry a lost broker for 20 s per result, with no say over when the run gives up
    from celery.backends.redis import RedisBackend
    from kombu.exceptions import OperationalError

    on_redis = isinstance(app.backend, RedisBackend)
    if on_redis:
        app.backend.on_task_call = lambda producer, task_id: None
    # connection trouble (waited out up to broker_timeout_seconds); anything else is a bug and raises
    lost = (OSError, OperationalError, *getattr(app.backend, "connection_errors", ()),
            *app.connection_for_read().connection_errors)
    kid = key_id(key)
    from auditor.executors import units as parts_of

    # the units: (source index, part or None for the whole source)
    plan: list[tuple[int, str | None]] = []
    split: dict[int, list[str]] = {}
    for s_i, src in enumerate(sources):
        parts = parts_of.split(config, src, as_of, redact) if ex.split else None
        if parts:
            split[s_i] = parts
            plan.extend((s_i, p) for p in parts)
            log.info("celery: source %s split into %d %s units", src.id, len(parts), parts_of.part_kind(src))
        else:
            plan.append((s_i, None))
    units = [sources[s_i] for s_i, _ in plan]
    names = [src.id if p is None else f"{src.id}[{p}]" for src, (_, p) in zip(units, plan, strict=True)]
    outcomes: dict[int, Any] = {}
    pending: dict[int, str] = {}  # unit index -> task id
    for i, (src, (s_i, part)) in enumerate(zip(units, plan, strict=True)):
        checks = part is None or part == split[s_i][0]  # the source-wide checks: in the first part
        try:
            pending[i] = app.send_task(
                TASK_NAME, args=[src.id, as_of.isoformat(), kid, limit, part, checks, unit_identity(config, src)],
                queue=ex.queue,
                soft_time_limit=limit, time_limit=(limit + HARD_LIMIT_GRACE) if limit else None,
                expires=ex.run_timeout_seconds,  # a unit the run gave up on is discarded, not done later
                retry=True, retry_policy={"max_retries": 2, "interval_start": 0.5, "interval_step": 1}).id
        except Exception as exc:  # noqa: BLE001 - the broker refused or is gone: this unit is not done
            reason = f"not done: could not be sent to the broker {broker_shown} ({exc.__class__.__name__})"
            log.error("unit %s (%s) could not be assessed: %s", names[i], src.kind, reason)
            outcomes[i] = _not_done(src, reason)
    log.info("celery: %d units sent to queue %s on %s", len(pending), ex.queue, broker_shown)
    started = last_ok = last_consumer = last_answer = time.monotonic()
    # a consumed queue answers at least one unit this often (each runs at most limit + grace; a dead
    # worker's unit comes back after the visibility timeout): past it, the units still pending were lost
    # by the broker (a Redis restarted without persistence, a purged queue) and would never answer
    # (AMQP: a vanished worker's unit comes back when the broker misses two heartbeats)
    redelivery = ex.visibility_timeout_seconds if on_redis else 2 * float(app.conf.broker_heartbeat or 120)
    stall = (limit + HARD_LIMIT_GRACE if limit else 0) + redelivery + ex.broker_timeout_seconds
    next_check = started  # when to ask the workers again which queues they consume
    while pending:
        try:
            for i, task_id in list(pending.items()):
                meta = app.backend.get_task_meta(task_id, cache=False) if on_redis else app.backend.get_task_meta(task_id)
                state, value = meta.get("status"), meta.get("result")
                if state in (states.STARTED, states.RETRY):  # a worker runs it (or tries it again): not an
                    last_consumer = time.monotonic()  # answer yet, but a worker consumes the queue
                    continue
                if state == states.SUCCESS:
                    outcomes[i] = _outcome_from(value, units[i])
                elif state in states.EXCEPTION_STATES:
                    exc_type = type(value).__name__ if isinstance(value, BaseException) else str(state)
                    if exc_type == "TimeLimitExceeded" and limit:
                        reason = f"timed out after {limit + HARD_LIMIT_GRACE:g}s (hard time limit on the worker)"
                    elif exc_type == "WorkerLostError":
                        reason = (f"the worker process running it died {WORKER_LOST_RETRIES + 1} times "
                                  "(killed: out of memory? see the worker's log); not tried again")
                    elif exc_type in BACKEND_FAILURES:
                        reason = (f"the worker could not store its result in the result backend ({exc_type}; "
                                  "a result larger than the backend accepts? the worker's log gives its size)")
                    else:
                        reason = f"the worker failed ({exc_type})"

                    outcomes[i] = _not_done(units[i], reason)
                else:
                    continue
                del pending[i]
                last_consumer = last_answer = time.monotonic()  # a worker answered this unit
                if on_redis:
                    try:
                        app.backend.delete(app.backend.get_key_for_task(task_id))  # read once, then gone
                    except lost:  # result_expires removes it later
                        pass
                o = outcomes[i]
                if o.result.status == "error":
                    log.error("unit %s (%s) could not be assessed: %s", names[i], o.result.kind, o.result.error)
                if progress:
                    progress(units[i].id, len(o.datasets))
            last_ok = time.monotonic()
            if pending and last_ok >= next_check:
                if _consumers(app, ex.queue):
                    last_consumer = time.monotonic()
                next_check = time.monotonic() + CONSUMER_CHECK_SECONDS
                if time.monotonic() - last_consumer >= ex.worker_timeout_seconds:
                    _give_up(units, names, pending, outcomes,
                             f"not done: no worker consumes queue {ex.queue} on {broker_shown} (none answered for "
                             f"{ex.worker_timeout_seconds:g}s, executor.worker_timeout_seconds): start "
                             f"`auditor worker -c CONFIG` with this config")
                    break
                if limit and time.monotonic() - last_answer >= stall:
                    _give_up(units, names, pending, outcomes,
                             f"not done: lost by the broker {broker_shown} (no unit answered for {stall:g}s though a "
                             f"worker consumes queue {ex.queue}: the time limit, the visibility timeout and the "
                             "broker timeout are past; a broker restarted without persistence or a purged queue "
                             "loses queued units)")
                    break
        except lost as exc:  # the result backend (broker) is unreachable: wait, then give up
            if time.monotonic() - last_ok >= ex.broker_timeout_seconds:
                _give_up(units, names, pending, outcomes, f"not done: the broker {broker_shown} went away "
                         f"({exc.__class__.__name__}, unreachable for {ex.broker_timeout_seconds:g}s)")
                break
        if pending and ex.run_timeout_seconds and time.monotonic() - started >= ex.run_timeout_seconds:
            _give_up(units, names, pending, outcomes,
                     f"not done: no worker finished it within {ex.run_timeout_seconds:g}s (executor.run_timeout_seconds)")
            for task_id in pending.values():
                try:
                    app.control.revoke(task_id)
                except Exception:  # noqa: BLE001
                    pass
            break
        if pending:
            time.sleep(POLL_SECONDS)
    merged = []
    for s_i, src in enumerate(sources):
        mine = [i for i, (owner, _) in enumerate(plan) if owner == s_i]
        if s_i in split:
            merged.append(parts_of.merge(src, split[s_i], [outcomes[i] for i in mine],
                                         whole=functools.partial(_whole_bucket, src, config, as_of, redact)))
        else:
            merged.append(outcomes[mine[0]])
    return merged


def _consumers(app: Any, queue: str) -> list[str]:
    """The workers that say they consume ``queue`` (a broadcast, answered by each worker's main
    process, also while its pool runs a unit; a ``solo`` pool busy with a unit does not answer)."""
    replies = app.control.inspect(timeout=CONSUMER_REPLY_SECONDS).active_queues() or {}
    return [name for name, queues in replies.items() if any(q.get("name") == queue for q in queues or ())]


def _whole_bucket(src: SourceConfig, config: Config, as_of: datetime, redact: Redactor, bucket: str) -> Any:
    """A bucket whose prefix units cannot be merged exactly, collected as one unit here, on the
    coordinator (:func:`auditor.executors.units.join_bucket`)."""
    from auditor.engine import _collect_source

    # inline (ahead=0), as a unit on a worker reads
    return _collect_source(src, config, as_of, threading.Event(), redact, None, unit=bucket, ahead=0)


def _give_up(units: Sequence[SourceConfig], names: Sequence[str], pending: dict[int, Any], outcomes: dict[int, Any],
             reason: str) -> None:
    named = ", ".join(names[i] for i in sorted(pending))
    log.error("celery: %d unit(s) not done: %s; %s", len(pending), named, reason)
    for i in pending:
        outcomes[i] = _not_done(units[i], reason)
