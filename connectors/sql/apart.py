"""A SQL source's second connection, in a thread of its own beside the main one (PostgreSQL):
the catalogue's statistics read while the main connection reflects the columns
(:class:`Statistics`), then the big tables read while it reads the others (:class:`ReadAhead`).
Each has its own engine, session settings and client-side watchdog; a source that stops cancels
the statement in flight on it (:func:`_cancel_until_ended`) rather than waiting for the server."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from auditor.models import Observation

from . import sampling
from .dialects import TableInfo

if TYPE_CHECKING:
    from .connector import Connector, ReflectedTable
    from .dialects import Server

# the sampled characters the read-ahead connection (ReadAhead) may hold in observations read but not
# yet taken by the main one before it reads another (one is always read; with the one it reads then,
# under three samples at their bound): two samples at their bound (sampling.SAMPLE_BUDGET_CHARS),
# as the engine bounds the samples alive per source; big tables' samples well under it (1,000 rows of a
# few columns: ~0.1M) are all read ahead, overlapping the small tables however the two are ordered
READ_AHEAD_CHARS = 2 * sampling.SAMPLE_BUDGET_CHARS


def _sample_chars(obs: Observation | None) -> int:
    """The characters ``obs`` holds in its sample (0 without one)."""
    sample = obs.sample if obs is not None else None
    if sample is None:
        return 0
    return sum(len(v) for values in sample.fields.values() for v in values if type(v) is str) + sum(map(len, sample.text))


def _cancel_until_ended(thread: threading.Thread, driver_of: Callable[[], Any], seconds: float) -> None:
    """Cancel the statement in flight on the DBAPI connection ``driver_of()`` gives (the server's
    cancel request) until ``thread`` ends, for at most ``seconds``: again each time, as one sent
    between two statements cancels nothing (the thread's watchdog bounds it otherwise)."""
    deadline = time.monotonic() + seconds
    while thread.is_alive() and (left := deadline - time.monotonic()) > 0:
        driver = driver_of()
        safe = getattr(driver, "cancel_safe", None)  # psycopg 3.2+: bounded by its timeout (with libpq 17+)
        with contextlib.suppress(Exception):
            if safe is not None:
                safe(timeout=max(0.1, min(left, 5.0)))
            elif (cancel := getattr(driver, "cancel", None)) is not None:
                cancel()
        thread.join(0.2)


class Statistics:
    """The catalogue's statistics of a source's schemas (:meth:`.Dialect.tables`: estimates,
    sizes, privileges, row-security policies) read on a second read-only connection, in a thread
    of its own, while the main connection reflects the same schemas' columns: on PostgreSQL both
    are catalogue scans of about the same length (66 and 25 ms of the server's, plus 21 ms of
    this process's on the columns, for 1,001 tables) that no longer follow each other. The
    connection has the main one's session settings, lock wait (``catalog_lock_timeout``) and its
    own client-side watchdog, and is closed before :meth:`result` returns (at most two
    connections at once, as ``max_connections`` allows, and none when the read-ahead one opens).
    A statement that fails on it (a refusal, a statement timeout, a silent server) is the source's
    error, named as on the main connection (``error``, ``silent``); if the second connection
    cannot be had at all (a connection limit, say), the statistics are read on the main one, as
    they always were. (A lock the catalogue waits on is the dialect's to handle, on either.)"""

    def __init__(self, connector: Connector, schemas: list[str | None]) -> None:
        self.c, self.schemas = connector, list(schemas)
        self.infos: dict[tuple[str | None, str], TableInfo] | None = None
        self.error: sa.exc.DBAPIError | None = None  # a statement's failure on the second connection
        self.silent: str | None = None  # ... when its client-side deadline cut it off
        self._driver: Any = None  # the DBAPI connection its statement runs on (to cancel it)
        self._stopping = threading.Event()  # the source stopped before it took them
        self.thread = threading.Thread(target=self._run, name=f"sql-statistics-{connector.source.id}", daemon=True)

    @classmethod
    def start(cls, connector: Connector, schemas: list[str | None]) -> Statistics:
        stats = cls(connector, schemas)
        stats.thread.start()
        return stats

    def result(self) -> dict[tuple[str | None, str], TableInfo] | None:
        """The statistics (None: read them on the main connection), once the thread is done."""
        self.thread.join()
        return self.infos

    def stop(self) -> None:
        """The source stops before it took the statistics: the statement in flight is cancelled
        (the server's cancel request; the watchdog bounds it otherwise) and the thread joined, so
        its connection is closed when the source's are."""
        self._stopping.set()  # not connected yet: it will not start
        _cancel_until_ended(self.thread, lambda: self._driver, self.c.read_timeout)

    def _run(self) -> None:
        c = self.c
        try:
            with c._own_engine() as engine, engine.connect() as conn:
                self._driver = conn.connection.driver_connection
                if self._stopping.is_set():
                    return
                setup = conn.execution_options(auditor_phase="setup")
                try:
                    c.dialect.lock_wait(setup, c._catalog_wait)
                    self.infos = c.dialect.tables(setup, self.schemas)
                except sa.exc.DBAPIError as exc:
                    self.error, self.silent = exc, c._silent(setup)
        except Exception as exc:  # noqa: BLE001 - no second connection, or anything else: read on the main one
            c.ctx.log.info("sql source %s: statistics not read on a second connection (%s): read on the main one",
                           c.source.id, type(exc).__name__)
            self.error = None  # the statistics it read, if any, stand; else they are read on the main one


class ReadAhead:
    """The big tables of a source (see :meth:`Connector._slow`), read in the order given on a
    second read-only connection in a thread of its own, while the main connection reads the
    others: their scans on the server overlap the reading and converting of the small tables.
    The observations are handed back in the source's table order (:meth:`result` waits for its
    table). That connection has its own engine, session settings and client-side watchdog; a
    table that fails on it is that table's error, as on the main connection; if it cannot
    connect (or is lost), the tables it did not read are read on the main connection."""

    def __init__(self, connector: Connector, server: Server, tables: list[ReflectedTable]) -> None:
        self.c, self.server = connector, server
        self.order = list({t.key: t for t in tables}.values())  # a table listed twice is read once
        self.keys = {t.key for t in tables}
        self.done: dict[tuple[str | None, str], Observation | None] = {}  # read, not taken yet
        self.chars: dict[tuple[str | None, str], int] = {}  # ... the sampled characters each holds
        self.taken: set[tuple[str | None, str]] = set()
        self.cond = threading.Condition()
        self.stopped = False
        self.finished = False
        self._driver: Any = None  # the DBAPI connection its statements run on (to cancel them)
        self.thread = threading.Thread(target=self._run, name=f"sql-read-ahead-{connector.source.id}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def result(self, t: ReflectedTable) -> Observation | None:
        """This table's observation, once read; None when it is not one of these tables or was
        not read here (then the main connection reads it)."""
        if t.key not in self.keys:
            return None
        with self.cond:
            while t.key not in self.done and t.key not in self.taken and not self.finished:
                self.cond.wait()
            if t.key in self.taken:  # asked again (never, tables being listed once): read on the main one
                return None
            self.taken.add(t.key)
            obs = self.done.pop(t.key, None)
            self.chars.pop(t.key, None)
            self.cond.notify_all()  # room for the next one
            return obs

    def stop(self) -> None:
        """The source stops (its tables all taken, or cancelled, closed, timed out): the thread
        reads no further table, a statement still in flight is cancelled (the server's cancel
        request, again until the thread ends: one sent between two statements cancels nothing;
        the watchdog bounds it otherwise), and the thread is joined, so its connection is closed
        when the source's are. A table cut off so is never handed back: the source has stopped."""
        with self.cond:
            self.stopped = True
            self.cond.notify_all()
        self.thread.join(0.05)  # its tables all taken: it ends by itself, nothing to cancel
        _cancel_until_ended(self.thread, lambda: self._driver, self.c.read_timeout)

    def _put(self, key: tuple[str | None, str], obs: Observation | None) -> None:
        chars = _sample_chars(obs)  # counted once, outside the lock
        with self.cond:
            self.done[key] = obs
            self.chars[key] = chars
            self.cond.notify_all()

    def _run(self) -> None:
        from .connector import _TABLE  # (imported here: connector imports this module)

        c = self.c
        try:
            with c._own_engine() as engine:
                conn: sa.Connection | None = None
                try:
                    conn = engine.connect().execution_options(**_TABLE)  # its statements are its tables'
                    self._driver = conn.connection.driver_connection
                    conn = c._read_session(conn)  # a lock is named as one, as on the main connection
                    for t in self.order:
                        with self.cond:
                            # samples not taken held within READ_AHEAD_CHARS (one always read)
                            while self.done and sum(self.chars.values()) >= READ_AHEAD_CHARS and not self.stopped:
                                self.cond.wait()
                            if self.stopped:
                                break
                        if c.ctx.cancel.is_set():
                            break
                        self._put(t.key, c._table_or_error(conn, self.server, t))
                        if conn.invalidated or conn.closed:
                            break  # the rest go to the main connection (which reconnects as it always does)
                finally:
                    with contextlib.suppress(Exception):
                        if conn is not None:
                            conn.close()
        except Exception as exc:  # noqa: BLE001 - no second connection: the main one reads these tables
            if self.stopped:  # cut off by stop(): the source has stopped, nothing is read on the main one
                return
            c.ctx.log.info("sql source %s: no read-ahead connection (%s): the big tables are read on the main one",
                           c.source.id, type(exc).__name__)
        finally:
            with self.cond:
                self.finished = True
                self.cond.notify_all()
