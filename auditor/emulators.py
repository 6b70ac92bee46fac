"""Local object-store endpoints, started in this process on loopback.

Used by the tests, the benchmarks and ``auditor demo``. In-process on purpose: seeding
code can then backdate writes with freezegun (both servers record the frozen time) and
seed large buckets through moto's backend directly.

All need the ``demo`` extra (moto[server], gcp-storage-emulator, pyftpdlib).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"local endpoint on 127.0.0.1:{port} did not start within {timeout:.0f}s")


@contextmanager
def _serving(server: Any, port: int) -> Iterator[str]:
    """Start ``server`` (``start()``/``stop()``), wait until ``port`` answers; yields its URL."""
    server.start()
    try:
        _wait_listening(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@contextmanager
def s3_server(port: int | None = None) -> Iterator[str]:
    """moto's ThreadedMotoServer on 127.0.0.1; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    port = port or free_port()
    with _serving(ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False), port) as url:
        yield url


@contextmanager
def gcs_server(port: int | None = None) -> Iterator[str]:
    """gcp-storage-emulator in memory on 127.0.0.1; yields its endpoint URL.

    Clients talk to it with ``client_options={"api_endpoint": url}`` and anonymous
    credentials.
    """
    from gcp_storage_emulator.server import create_server

    port = port or free_port()
    with _serving(create_server("127.0.0.1", port, in_memory=True), port) as url:
        yield url


@contextmanager
def ftp_server(root: str, user: str, password: str, *, anonymous: bool = False) -> Iterator[tuple[str, int]]:
    """pyftpdlib (plain FTP) in a thread of this process on 127.0.0.1; yields (host, port).

    ``user`` may list and read ``root`` (perm ``elr``); with ``anonymous`` so may anyone.
    """
    import threading

    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.ioloop import IOLoop
    from pyftpdlib.servers import ThreadedFTPServer

    logging.getLogger("pyftpdlib").setLevel(logging.ERROR)  # one line per command otherwise
    auth = DummyAuthorizer()
    auth.add_user(user, password, root, perm="elr")
    if anonymous:
        auth.add_anonymous(root, perm="elr")
    handler = type("DemoFTPHandler", (FTPHandler,), {"authorizer": auth, "passive_ports": None, "timeout": 30,
                                                      "auth_failed_timeout": 0.1})
    # its own IO loop and exit event: pyftpdlib shares both between the servers of a process
    own = type("DemoFTPServer", (ThreadedFTPServer,), {"_lock": threading.Lock(), "_exit": threading.Event()})
    server = own(("127.0.0.1", 0), handler, ioloop=IOLoop())
    port = int(server.socket.getsockname()[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"timeout": 0.2, "blocking": True}, daemon=True)
    thread.start()
    try:
        _wait_listening(port)
        yield "127.0.0.1", port
    finally:
        server.close_all()
        thread.join(5)
