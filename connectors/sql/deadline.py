"""A client-side deadline for every statement of a SQL source.

A server-side ``statement_timeout`` ends a slow query, but not a connection that goes silent:
a server that hangs, a firewall or proxy that stops forwarding without closing. The client
then waits for an answer that never comes, and TCP keepalives do not help when something on
the path still acknowledges the packets. So each statement is armed here with a deadline
(``read_timeout``): when it passes with the statement still waiting, the connection's socket
is shut down (``shutdown(SHUT_RDWR)``), the blocked read fails at once, the table becomes
not-assessed and the connector goes on over a new connection.

PyMySQL has socket timeouts of its own (``read_timeout``/``write_timeout``); psycopg has none
but the server-side and keepalive settings, so the watchdog serves PostgreSQL.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time


POLL = 0.5  # seconds between the thread's looks at the armed statement


class Watchdog:
    """One daemon thread per source; at most one statement armed at a time (one connection)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._armed: tuple[int, float, int] | None = None  # (token, deadline, fd)
        self._token = 0
        self._fired: set[int] = set()
        self._stop = False
        self._thread: threading.Thread | None = None

    def arm(self, fd: int) -> int:
        """Arm ``fd`` for one statement. The thread is not woken: it looks at least every
        :data:`POLL` seconds, and a deadline is at least that far away (``read_timeout`` >= 1 s),
        so waking it per statement would only hand it the interpreter lock (measured: a GIL
        switch of ~5 ms per statement on a busy machine)."""
        with self._lock:
            self._token += 1
            self._armed = (self._token, time.monotonic() + self.seconds, fd)
            token = self._token
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sql-deadline", daemon=True)
            self._thread.start()
        elif self.seconds < POLL:  # a deadline nearer than the next look: wake the thread for it
            self._wake.set()
        return token

    def disarm(self) -> None:
        with self._lock:
            self._armed = None

    def fired(self, token: int | None = None) -> bool:
        """Did the deadline shut a statement (the last one armed, or ``token``)?"""
        with self._lock:
            return (token if token is not None else self._token) in self._fired

    def close(self) -> None:
        self._stop = True
        self.disarm()
        self._wake.set()

    def _run(self) -> None:
        while not self._stop:
            with self._lock:
                armed = self._armed
            if armed is None:
                self._wake.wait(POLL)
                self._wake.clear()
                continue
            token, deadline, fd = armed
            left = deadline - time.monotonic()
            if left > 0:
                self._wake.wait(min(left, POLL))
                self._wake.clear()
                continue
            with self._lock:
                if self._armed is not None and self._armed[0] == token:  # still waiting: shut it
                    self._armed = None
                    self._fired.add(token)
                    _shutdown(fd)


def _shutdown(fd: int) -> None:
    """Shut the socket behind ``fd`` (the driver keeps its descriptor; its blocked read returns)."""
    with contextlib.suppress(OSError):
        sock = socket.socket(fileno=os.dup(fd))
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()
