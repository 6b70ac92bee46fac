"""A loopback TCP proxy that adds a fixed latency to every HTTP request (benchmarks only).

    with LatencyProxy("127.0.0.1", 5000, delay=0.030) as proxy:
        client = boto3.client("s3", endpoint_url=proxy.url, ...)

Each accepted connection gets two pump threads. A request is the first bytes the client sends
after the server last answered on that connection (or after connecting), so keep-alive
connections are delayed once per request, not once per packet; ``requests`` counts them. The
delay is spent before the request is forwarded, as a round trip to a distant endpoint would.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType


class LatencyProxy:
    def __init__(self, upstream_host: str, upstream_port: int, delay: float = 0.030) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.delay = delay
        self.requests = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port = self._listener.getsockname()[1]
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="latency-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LatencyProxy:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._closed.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            awaiting = threading.Event()  # set: the next client bytes start a new request
            awaiting.set()
            threading.Thread(target=self._pump, args=(client, server, awaiting, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, awaiting, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, awaiting: threading.Event, upstream: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if upstream and awaiting.is_set():
                    awaiting.clear()
                    with self._lock:
                        self.requests += 1
                    time.sleep(self.delay)
                elif not upstream:
                    awaiting.set()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
