"""Politeness and parallelism shared by the object-store connectors (and the file servers).

:class:`RateLimiter` spaces requests of one source; :func:`fan_out` runs one generator
per bucket on a bounded pool and streams their items back to the caller as they come
(a bounded queue, so a slow consumer holds at most a few datasets in memory);
:func:`ordered_map` runs a bucket's sampled reads and ACL checks on a source-wide pool,
results in their sequential order. :func:`iso_timestamp` is the fast path for the
ISO-8601 timestamps object listings carry.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def iso_timestamp(value: Any, zulu_only: bool = False) -> datetime | None:
    """``datetime.fromisoformat`` for the ISO-8601 shapes with an explicit offset (``...Z``,
    ``...+00:00``, fractional seconds) that listed objects carry; None for anything else
    (the caller's library parses it). ``zulu_only``: only ``...Z`` values (RFC 3339 as GCS
    lists them)."""
    if type(value) is str and len(value) >= 20 and value[10] == "T" and (
            value[-1] == "Z" or (not zulu_only and value[-6] in "+-")):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def ordered_map(fn: Callable[[T], R], items: Iterable[T], pool: ThreadPoolExecutor | None,
                ahead: int) -> Iterator[R]:
    """``fn`` over ``items``, results in the items' order: on ``pool`` with at most ``ahead``
    calls submitted and not yet consumed (so memory stays bounded), or one after the other in
    this thread when ``pool`` is None. An exception of ``fn`` is raised here, at its item;
    calls not yet started are cancelled when the consumer stops early."""
    if pool is None:
        for item in items:
            yield fn(item)
        return
    pending: deque[Future[R]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= max(1, ahead):
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()


class RateLimiter:
    """At most ``rate`` requests per second across every thread of one source."""

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("max_requests_per_second must be positive")
        self._interval = 1.0 / rate
        self._lock = threading.Lock()
        self._next = time.monotonic()

    def acquire(self, **_: Any) -> None:  # also used as a botocore event handler
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next)
            self._next = at + self._interval
        if at > now:
            time.sleep(at - now)


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_DONE = object()


def fan_out(tasks: Iterable[Callable[[], Iterator[T]]], workers: int, cancel: threading.Event) -> Iterator[T]:
    """Run each task (a generator function) on a pool of ``workers`` threads; yield items as they come.

    A task's unexpected exception is re-raised here after the others are told to stop.
    """
    q: queue.Queue[Any] = queue.Queue(maxsize=max(2, workers * 4))
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not (stop.is_set() or cancel.is_set()):
            try:
                q.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def run(task: Callable[[], Iterator[T]]) -> None:
        try:
            for item in task():
                if not put(item):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            put(_Failure(exc))
        finally:
            put(_DONE)

    task_list = list(tasks)
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="auditor-objects")
    try:
        for task in task_list:
            pool.submit(run, task)
        remaining = len(task_list)
        while remaining:
            if cancel.is_set():
                return
            try:
                item = q.get(timeout=0.5)
            except queue.Empty:
                continue
            if item is _DONE:
                remaining -= 1
            elif isinstance(item, _Failure):
                raise item.exc
            else:
                yield item
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
