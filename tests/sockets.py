"""Loopback socket plumbing shared by the test proxies and stand-in endpoints."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable


def shutdown_both(a: socket.socket, b: socket.socket) -> None:
    """Shut both ends of a proxied pair (either may be gone already)."""
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def accept_until(srv: socket.socket, stop: threading.Event, handle: Callable[[socket.socket], None]) -> None:
    """Accept connections on ``srv`` and hand each to ``handle`` until ``stop`` is set or the
    listening socket is closed (checked every 0.2 s)."""
    srv.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, _ = srv.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        handle(conn)
