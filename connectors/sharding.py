"""Sharded listing: one bucket's listing split by prefix and run in parallel (issue 21 item 3).

Store-independent. A store gives two callables:

- ``level(prefix)``: a delimiter listing under ``prefix``, as pages of
  ``(objects directly under prefix, common prefixes)`` (S3 ``ListObjectsV2`` with
  ``Delimiter="/"``: ``Contents`` and ``CommonPrefixes``; GCS ``list_blobs(delimiter="/")``);
- ``pages_under(prefix)``: the plain listing of every object whose key starts with
  ``prefix``, as pages.

:func:`sharded_listing` lists the root level first, then every common prefix as a shard of its
own, at most ``workers`` shards at a time, each page request spaced by ``acquire`` (the source's
``max_requests_per_second`` limiter; None when the store's client already spaces its requests).
It yields **the same stream** as the single listing of the bucket: the same objects, in the same
order (key order, as S3 and GCS list), because the root's objects and prefixes are merged in key
order and the shards are drained one after the other while the next ones list ahead. So whatever
consumes the stream (the prefix tree's seeded sampling) sees no difference but the wall time.

Bounds: ``workers`` listings in flight (the delimiter listing only runs when fewer shards are
listing); a shard listing ahead of the one being drained holds at most ``buffer_pages`` pages, so
memory stays at ``workers x buffer_pages`` pages whatever the bucket's size. Costs: one request
per prefix at least (a bucket of many tiny prefixes lists in more requests than one stream), and a
bucket with one top-level prefix gains nothing unless ``depth`` > 1 splits below it.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

T = TypeVar("T")

Level = Callable[[str], Iterable[tuple[Sequence[T], Sequence[str]]]]
PagesUnder = Callable[[str], Iterable[Sequence[T]]]

_DONE = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class _Shard(Generic[T]):
    """One prefix listed on the pool into a bounded queue of pages."""

    def __init__(self, prefix: str, buffer_pages: int) -> None:
        self.prefix = prefix
        self.pages: queue.Queue[Any] = queue.Queue(maxsize=max(1, buffer_pages))


def _paced(pages: Iterable[Any], acquire: Callable[[], None] | None) -> Iterator[Any]:
    """Each page's request waits for the rate limiter first."""
    it = iter(pages)
    while True:
        if acquire is not None:
            acquire()
        try:
            yield next(it)
        except StopIteration:
            return


def _merged(level: Level[T], prefix: str, key: Callable[[T], str],
            acquire: Callable[[], None] | None) -> Iterator[tuple[str, Any]]:
    """The delimiter listing under ``prefix`` as ("objects", [objects]) and ("prefix", p) entries in
    key order: a key without the delimiter sorts against a common prefix as it does against every
    key under that prefix, so merging by name gives the single listing's order."""
    for objects, prefixes in _paced(level(prefix), acquire):
        entries = sorted([(key(o), 0, o) for o in objects] + [(p, 1, p) for p in prefixes],
                         key=lambda e: e[0])
        batch: list[T] = []
        for _, is_prefix, value in entries:
            if is_prefix:
                if batch:
                    yield "objects", batch
                    batch = []
                yield "prefix", value
            else:
                batch.append(value)
        if batch:
            yield "objects", batch


def sharded_listing(level: Level[T], pages_under: PagesUnder[T], key: Callable[[T], str], *, workers: int,
                    acquire: Callable[[], None] | None = None, cancel: threading.Event | None = None,
                    buffer_pages: int = 16, depth: int = 1, min_shards: int | None = None,
                    prefix: str = "") -> Iterator[T]:
    """Every object under ``prefix``, in the single listing's order, listed shard by shard on at most
    ``workers`` threads. ``depth`` > 1: a level with fewer than ``min_shards`` (default ``workers``)
    prefixes is split one level further (one more delimiter listing per prefix, in order).
    An exception of a listing is raised here, at its place in the stream."""
    cancel = cancel or threading.Event()
    stop = threading.Event()
    workers = max(1, workers)
    wanted = min_shards if min_shards is not None else workers

    def run(shard: _Shard[T]) -> None:
        def put(item: Any) -> bool:
            while not (stop.is_set() or cancel.is_set()):
                try:
                    shard.pages.put(item, timeout=0.2)
                    return True
                except queue.Full:
                    continue
            return False

        try:
            for page in _paced(pages_under(shard.prefix), acquire):
                if not put(page) or cancel.is_set():
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it in order
            put(_Failure(exc))
            return
        put(_DONE)

    def entries(under: str, levels_left: int) -> Iterator[tuple[str, Any]]:
        if levels_left <= 1:
            yield from _merged(level, under, key, acquire)
            return
        top = list(_merged(level, under, key, acquire))  # a level's names only: prefixes and its own objects
        if sum(1 for kind, _ in top if kind == "prefix") >= wanted:
            yield from top
            return
        for kind, value in top:
            if kind == "prefix":
                yield from entries(value, levels_left - 1)
            else:
                yield kind, value

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="auditor-list-shard")
    window: deque[Any] = deque()  # object batches and shards, in key order
    listing = [0]  # shards in the window

    def drain_head() -> Iterator[T]:
        head = window.popleft()
        if not isinstance(head, _Shard):
            yield from head
            return
        listing[0] -= 1
        while True:
            try:
                page = head.pages.get(timeout=0.2)
            except queue.Empty:
                if cancel.is_set():
                    return
                continue
            if page is _DONE:
                return
            if isinstance(page, _Failure):
                raise page.exc
            yield from page

    try:
        for kind, value in entries(prefix, max(1, depth)):
            if cancel.is_set():
                return
            if kind == "objects":
                window.append(value)
            else:
                shard: _Shard[T] = _Shard(value, buffer_pages)
                window.append(shard)
                listing[0] += 1
                pool.submit(run, shard)
            while listing[0] >= workers and window:  # the pool is busy: drain before listing further
                yield from drain_head()
            while window and not isinstance(window[0], _Shard):
                yield from drain_head()
        while window:
            if cancel.is_set():
                return
            yield from drain_head()
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
