"""moto's S3 server in a process of its own, seeded there (benchmarks only).

A benchmark that ran moto in its own interpreter shared the interpreter lock with the server,
so the floor and ours were both slowed by the server by amounts that differ. Here the server
runs in a child process: it seeds its buckets through moto's backend (fast, no HTTP), starts
``ThreadedMotoServer``, prints ``READY <url>`` and serves until its stdin closes.

    with moto_process([{"kind": "listing", "tag": "floor", "objects": 4000, "per_bucket": 2000}]) as (url, info):
        ...

Seed sets: ``listing`` (64-byte objects under tenant/year/month prefixes, ``per_bucket`` a
bucket), ``buckets`` (``buckets`` buckets of ``per_bucket`` small CSV exports) and ``sampled`` (one bucket, ``prefixes`` prefixes of ``per_prefix`` small CSV objects).
``info`` maps each set's tag to its bucket names.

A spec entry ``{"kind": "fast_listing"}`` makes the server answer ListObjectsV2 as an indexed
store does: the page's keys found by bisection in a sorted index of the bucket's names (moto
filters and sorts every key of the bucket for every request: seconds per page at 20,000 keys on
this machine, which would favour a sharded listing's smaller sorts), written with a plain XML
writer instead of moto's generic serializer (about 0.9 ms of server CPU per listed key). Same
keys, order, elements and values; unversioned buckets; benchmarks only. Without it a benchmark of
request latency would measure moto.

The server counts the requests it answers by kind (method, path shape, query parameter names) and
reports them with its own CPU seconds at ``GET /__bench_stats__`` (:func:`server_stats`): request
counts from the server's side, and the server's share of a run's CPU.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def _seed_listing(backend: Any, tag: str, objects: int, per_bucket: int, tenants: int = 40) -> list[str]:
    names, body = [], b"x" * 64
    for b in range((objects + per_bucket - 1) // per_bucket):
        name = f"bench-{tag}-{b:03d}"
        backend.create_bucket(name, "us-east-1")
        names.append(name)
        for i in range(min(per_bucket, objects - b * per_bucket)):
            key = f"tenant-{i % tenants:02d}/year={2018 + i % 8}/month={i % 12:02d}/part-{i:07d}.csv"
            backend.put_object(name, key, body)
    return names


def _seed_sampled(backend: Any, tag: str, prefixes: int, per_prefix: int) -> list[str]:
    name = f"bench-{tag}"
    backend.create_bucket(name, "us-east-1")
    backend.put_bucket_ownership_controls(name, "ObjectWriter")  # object ACLs apply: each sampled object's is read
    for p in range(prefixes):
        for j in range(per_prefix):
            rows = "".join(f"user{p}x{j}x{k}@example.com,+65 9{k:07d},Singapore\n" for k in range(50))
            backend.put_object(name, f"prefix-{p:03d}/part-{j:03d}.csv", ("email,phone,city\n" + rows).encode())
    return [name]


def _fast_list_objects_v2() -> None:
    """ListObjectsV2 answers written directly (see the module's docstring)."""
    from xml.sax.saxutils import escape

    from moto.s3.responses import S3Response

    generic = S3Response.serialized

    def serialized(self: Any, action_result: Any) -> Any:
        result = getattr(action_result, "result", None)
        if self.data.get("Action") != "ListObjectsV2" or not isinstance(result, dict):
            return generic(self, action_result)
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">']
        for name in ("Name", "Prefix", "MaxKeys", "KeyCount", "Delimiter", "EncodingType", "StartAfter"):
            if name in result:
                out.append(f"<{name}>{escape(str(result[name]))}</{name}>")
        out.append(f"<IsTruncated>{'true' if result['IsTruncated'] else 'false'}</IsTruncated>")
        for item in result["Contents"]:
            out.append(f"<Contents><Key>{escape(item['Key'])}</Key><LastModified>{item['LastModified']}</LastModified>"
                       f"<ETag>{escape(item['ETag'])}</ETag><Size>{item['Size']}</Size>"
                       f"<StorageClass>{item['StorageClass']}</StorageClass></Contents>")
        for folder in result.get("CommonPrefixes", ()):
            out.append(f"<CommonPrefixes><Prefix>{escape(folder['Prefix'])}</Prefix></CommonPrefixes>")
        if "NextContinuationToken" in result:
            out.append(f"<NextContinuationToken>{result['NextContinuationToken']}</NextContinuationToken>")
        out.append("</ListBucketResult>")
        headers = {"Content-Type": "application/xml", **self.response_headers}
        return 200, headers, "".join(out).encode("utf-8")

    S3Response.serialized = serialized  # type: ignore[method-assign]

    # and the keys of a page found in a sorted index of the bucket's names (rebuilt when the count
    # changes; the benchmarks seed first and only read after), not by filtering and sorting every
    # key of the bucket for every request
    import bisect

    from moto.s3.models import FakeDeleteMarker, S3Backend

    generic_list = S3Backend.list_objects_v2
    index: dict[str, tuple[int, list[str]]] = {}
    top = "\U0010ffff"

    def list_objects_v2(self: Any, bucket: Any, prefix: str | None, delimiter: str | None,
                        continuation_token: str | None, start_after: str | None, max_keys: int) -> Any:
        if getattr(bucket, "is_versioned", False) or delimiter not in (None, "/"):
            return generic_list(self, bucket, prefix, delimiter, continuation_token, start_after, max_keys)
        count = len(bucket.keys)
        if bucket.name not in index or index[bucket.name][0] != count:
            index[bucket.name] = (count, sorted(bucket.keys.keys()))
        names = index[bucket.name][1]
        prefix = prefix or ""
        after = self._pagination_tokens.get(continuation_token) if continuation_token else start_after
        i = bisect.bisect_left(names, prefix)
        if after:
            i = max(i, bisect.bisect_right(names, after + top if delimiter and after.endswith(delimiter) else after))
        out: list[Any] = []
        while i < len(names) and len(out) <= max_keys:
            name = names[i]
            if not name.startswith(prefix):
                break
            rest = name[len(prefix):]
            if delimiter and delimiter in rest:
                folder = prefix + rest.split(delimiter)[0] + delimiter
                out.append(folder)
                i = bisect.bisect_left(names, folder + top)
                continue
            key = bucket.keys.get(name)
            if key is not None and not isinstance(key, FakeDeleteMarker):
                out.append(key)
            i += 1
        truncated = len(out) > max_keys
        out = out[:max_keys]
        token = None
        if truncated and out:
            last = out[-1] if isinstance(out[-1], str) else out[-1].name
            token = hashlib.md5(last.encode("utf-8")).hexdigest()
            self._pagination_tokens[token] = last
        return out, truncated, token

    S3Backend.list_objects_v2 = list_objects_v2  # type: ignore[method-assign]


def _seed_buckets(backend: Any, tag: str, buckets: int, per_bucket: int) -> list[str]:
    """``buckets`` buckets of ``per_bucket`` small CSV exports each (one source per bucket)."""
    names = []
    for b in range(buckets):
        name = f"bench-{tag}-{b:03d}"
        backend.create_bucket(name, "us-east-1")
        names.append(name)
        for j in range(per_bucket):
            rows = "".join(f"{k},user{b}x{j}x{k}@fastmail.com\n" for k in range(50))
            backend.put_object(name, f"p{j % 3}/export-{j}.csv", ("id,email\n" + rows).encode())
    return names


STATS_PATH = "/__bench_stats__"


def request_kind(method: str, path: str, query: str) -> str:
    """A request's kind as the server sees it: the method, the path's shape (service, bucket,
    object) and the query's parameter names without values (``GET /bucket?acl``,
    ``GET /bucket?list-type``, ``GET /bucket/key``); S3 Control keeps its path."""
    if path.startswith("/v20180820/"):
        shape = "(s3-control) " + path
    else:
        parts = path.lstrip("/").split("/", 1)
        shape = "/" if not parts[0] else "/bucket" if len(parts) == 1 or not parts[1] else "/bucket/key"
    names = sorted({q.split("=", 1)[0] for q in query.split("&") if q} - {"continuation-token", "max-keys",
                                                                          "prefix", "delimiter", "x-id"})
    return f"{method} {shape}" + ("?" + "&".join(names) if names else "")


def _count_requests() -> None:
    """Tally every request the server answers by :func:`request_kind`, and answer ``GET STATS_PATH``
    with the tallies and this process's CPU seconds (user + system) so far."""
    import resource
    import threading
    from collections import Counter

    from moto.moto_server import threaded_moto_server

    counts: Counter[str] = Counter()
    lock = threading.Lock()
    base = threaded_moto_server.DomainDispatcherApplication

    class Counting(base):  # type: ignore[misc, valid-type]
        def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
            path = environ.get("PATH_INFO", "")
            if path == STATS_PATH:
                with lock:
                    tally = dict(counts)
                usage = resource.getrusage(resource.RUSAGE_SELF)
                body = json.dumps({"requests": tally, "cpu": usage.ru_utime + usage.ru_stime}).encode()
                start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
                return [body]
            kind = request_kind(environ.get("REQUEST_METHOD", "?"), path, environ.get("QUERY_STRING", ""))
            if kind == "POST /" and "sts" in environ.get("HTTP_AUTHORIZATION", ""):
                kind = "POST / (sts)"
            with lock:
                counts[kind] += 1
            return super().__call__(environ, start_response)

    threaded_moto_server.DomainDispatcherApplication = Counting  # type: ignore[misc]


def server_stats(url: str) -> tuple[dict[str, int], float]:
    """(requests per kind answered so far, the server's CPU seconds so far): take the difference
    of two calls around a run. Counted by the server, not by the client under test."""
    from urllib.request import urlopen

    with urlopen(url + STATS_PATH, timeout=30) as resp:
        got = json.loads(resp.read())
    return got["requests"], got["cpu"]


def serve(spec: list[dict[str, Any]]) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    _count_requests()
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["global"]
    info: dict[str, list[str]] = {}
    for s in spec:
        if s["kind"] == "fast_listing":
            _fast_list_objects_v2()
        elif s["kind"] == "buckets":
            info[s["tag"]] = _seed_buckets(backend, s["tag"], s["buckets"], s["per_bucket"])
        elif s["kind"] == "listing":
            info[s["tag"]] = _seed_listing(backend, s["tag"], s["objects"], s["per_bucket"],
                                              s.get("tenants", 40))
        else:
            info[s["tag"]] = _seed_sampled(backend, s["tag"], s["prefixes"], s["per_prefix"])
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server.get_host_and_port()[1]  # port 0: the one the OS chose
    print("READY " + json.dumps({"url": f"http://127.0.0.1:{port}", "info": info}), flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin
    server.stop()


@contextlib.contextmanager
def moto_process(spec: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, list[str]]]]:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), json.dumps(spec)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"moto server process did not start: {line!r}")
        ready = json.loads(line[len("READY "):])
        yield ready["url"], ready["info"]
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (Linux /proc), for the server's share of a run."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    serve(json.loads(sys.argv[1]))
