"""A connector's generator run a few items ahead of its consumer, in a thread of its own.

While a source's thread classifies one observation, the connector can already be waiting on
its store for the next (a SQL statement, an HTTP response): the wait and the classifier's CPU
overlap instead of following each other.

The generator is made, iterated and closed in its own thread (a generator's ``finally``
blocks close its connections and watchdogs: they run once, in the thread that used them).
It runs at most ``depth`` items ahead: a bounded buffer, so memory stays flat however fast
the store answers. What it raises is raised to the consumer after the items it yielded
before, unchanged. Leaving the ``with`` block early (a break, the consumer's own exception,
``cancel``) tells the producer to stop: it closes the generator at its next item and the
consumer waits a bounded time for that; the thread is a daemon, so a producer stuck in a
read never holds the process.

Stdlib only: nothing of ours is imported here.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger("auditor.overlap")

# How long leaving early waits for the producer to close its generator: the generator is closed
# at its next item, so this is one step of it (a statement, a request); a cancelled run waits less.
CLOSE_WAIT_SECONDS = 30.0
CANCELLED_CLOSE_WAIT_SECONDS = 1.0
# How often a consumer waiting for an item looks at ``cancel`` (nobody notifies it when it is set).
CANCEL_POLL_SECONDS = 0.1


class Overlapped(Generic[T]):
    """``with Overlapped(make, cancel=ev, depth=4) as items: for item in items: ...``

    ``make()`` is called in the producer thread and returns the iterator to run there.
    Iteration ends when it is exhausted, or as soon as ``cancel`` is set (the items it had
    yielded ahead are dropped, unseen, as the consumer would have stopped at them)."""

    def __init__(self, make: Callable[[], Iterator[T]], *, cancel: threading.Event, depth: int = 4,
                 name: str = "collect") -> None:
        if depth < 1:
            raise ValueError("depth must be at least 1")
        self._make, self._cancel, self._depth = make, cancel, depth
        self._buffer: deque[T] = deque()
        self._cond = threading.Condition()
        self._stopping = False  # the consumer left: the producer closes its generator at its next item
        self._finished = False  # the producer's generator is exhausted, raised or was closed
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._produce, name=name, daemon=True)

    def __enter__(self) -> Overlapped[T]:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the producer's thread -------------------------------------------------------
    def _produce(self) -> None:
        try:
            items = self._make()
            try:
                for item in items:
                    with self._cond:
                        while len(self._buffer) >= self._depth and not self._stopping:
                            self._cond.wait()
                        if self._stopping:
                            break
                        self._buffer.append(item)
                        self._cond.notify_all()
                    del item  # the buffer holds it now; this thread keeps no extra one
            finally:
                close = getattr(items, "close", None)
                if close is not None:
                    close()  # here, in the thread that iterated it (a no-op once it is exhausted)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there after the items before it
            with self._cond:
                self._error = exc
        finally:
            with self._cond:
                self._finished = True
                self._cond.notify_all()

    # -- the consumer's thread -------------------------------------------------------
    def __iter__(self) -> Iterator[T]:
        while True:
            with self._cond:
                while not self._buffer and not self._finished and not self._cancel.is_set():
                    self._cond.wait(CANCEL_POLL_SECONDS)
                if self._cancel.is_set():
                    return
                if self._buffer:
                    item = self._buffer.popleft()
                    self._cond.notify_all()  # room for the producer's next item
                elif self._error is not None:
                    error, self._error = self._error, None
                    try:
                        raise error
                    finally:
                        del error  # no reference cycle through this frame
                else:
                    return  # exhausted
            yield item
            del item

    def close(self) -> None:
        """Stop the producer (it closes its generator at its next item) and wait a bounded time for it."""
        with self._cond:
            self._stopping = True
            self._buffer.clear()  # samples not classified are not kept
            self._cond.notify_all()
        if not self._thread.is_alive() or self._thread is threading.current_thread():
            return
        self._thread.join(CANCELLED_CLOSE_WAIT_SECONDS if self._cancel.is_set() else CLOSE_WAIT_SECONDS)
        if self._thread.is_alive():
            log.info("%s: still in a read when its source ended; it closes on its own when the read returns",
                     self._thread.name)

    @property
    def alive(self) -> bool:
        """The producer thread is still running (tests: no thread is left behind)."""
        return self._thread.is_alive()
