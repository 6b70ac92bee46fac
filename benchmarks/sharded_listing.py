"""Sharded listing against the single-stream raw listing, behind 30 ms per request (issue 21 item 3c).

One bucket in moto, in a process of its own (benchmarks/_moto_proc.py: keys under ``--prefixes`` top-level
``tenant-NN/`` prefixes), behind a loopback proxy adding ``--latency`` per request
(benchmarks/latency_proxy.py), as real object stores answer a LIST page in tens of milliseconds.

- floor: one raw boto3 ``ListObjectsV2`` paginator over the bucket (1,000 keys a page);
- ours: :func:`connectors.s3.sharded.objects` with ``--shards`` workers (a delimiter listing,
  then one listing per prefix, at most that many at once), the same client kind.

Both must list the same keys in the same order (checked every run). Figures: medians of
interleaved repetitions with min / median / max, requests counted at the proxy. Target: about
0.3x the floor with 8 shards.

moto filters and sorts every key of the bucket for every request and serializes each listed key
in about 0.9 ms: seconds per 1,000-key page, where a real store answers in tens of milliseconds.
The server process answers ListObjectsV2 from a sorted index with a plain XML writer instead
(``fast_listing`` in benchmarks/_moto_proc.py), for the floor and ours alike. What is left is the
30 ms per request, the server's few milliseconds a page, and botocore parsing each page in this
process (one interpreter for every shard): on a shared 2-core machine that client CPU bounds how
far parallel listings can go.

    python benchmarks/sharded_listing.py            # 20,000 objects, 5 repeats
    python benchmarks/sharded_listing.py --quick    # 4,000 objects, 3 repeats
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _moto_proc import moto_process  # noqa: E402 (run as a script from benchmarks/)
from _result import interleaved, median, result, spread  # noqa: E402
from latency_proxy import LatencyProxy  # noqa: E402

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")


def client(url: str, pool: int):
    import boto3
    import botocore.session
    from botocore.config import Config

    from connectors.s3.runtime import use_fast_timestamps

    core = botocore.session.get_session()
    use_fast_timestamps(core)  # as the connector's clients parse LastModified
    return boto3.Session(botocore_session=core).client("s3", endpoint_url=url, region_name="us-east-1",
                        config=Config(max_pool_connections=max(10, pool * 2), s3={"addressing_style": "path"}))


def raw_listing(s3, bucket: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1000}):
        keys.extend(o["Key"] for o in page.get("Contents", ()))
    return keys


def sharded(s3, bucket: str, shards: int) -> list[str]:
    from connectors.s3 import sharded as s3sharded

    return [o["Key"] for o in s3sharded.objects(s3, bucket, workers=shards)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="4,000 objects, 3 repeats")
    ap.add_argument("--objects", type=int)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--repeats", type=int)
    ap.add_argument("--prefixes", type=int, default=16, help="top-level prefixes of the bucket (default 16)")
    ap.add_argument("--latency", type=float, default=0.030, help="seconds added per request (default 0.030)")
    args = ap.parse_args(argv)
    n = args.objects or (4000 if args.quick else 20_000)
    repeats = args.repeats or (3 if args.quick else 5)
    with moto_process([{"kind": "fast_listing"},
                       {"kind": "listing", "tag": "shards", "objects": n, "per_bucket": n,
                        "tenants": args.prefixes}]) as (url, info):
        bucket = info["shards"][0]
        host, port = url.rsplit("/", 1)[-1].split(":")
        with LatencyProxy(host, int(port), delay=args.latency) as proxy:
            s3 = client(proxy.url, args.shards)
            expected = raw_listing(s3, bucket)  # warms the connection pool; the order both must give
            assert len(expected) == n and expected == sorted(expected)
            counts: dict[str, int] = {}

            def counted(name, fn):
                def run():
                    before = proxy.requests
                    got = fn()
                    counts[name] = proxy.requests - before
                    if got != expected:
                        raise SystemExit(f"{name}: the listing differs from the single-stream listing")
                    return got
                return run

            walls, cpus, _ = interleaved({"floor": counted("floor", lambda: raw_listing(s3, bucket)),
                                       "sharded": counted("sharded", lambda: sharded(s3, bucket, args.shards))},
                                      repeats)
    floor, ours = median(walls["floor"]), median(walls["sharded"])
    ratio = ours / floor
    print(f"{n} objects, {args.prefixes} top-level prefixes, +{args.latency * 1000:.0f} ms per request")
    print(f"single-stream raw listing (floor): {spread(walls['floor'])}, {counts['floor']} requests")
    print(f"sharded listing, {args.shards} shards: {spread(walls['sharded'])}, {counts['sharded']} requests")
    print(f"client CPU per listing (this process): floor {median(cpus['floor']):.2f}s, "
          f"sharded {median(cpus['sharded']):.2f}s; {args.latency * 1000:.0f} ms x {counts['floor']} requests "
          f"= {args.latency * counts['floor']:.2f}s of the floor is latency")
    print(f"sharded / single stream: {ratio:.2f}x")
    result("sharded listing", f"wall({args.shards} shards) / single-stream raw listing", ratio, "x", "about 0.3",
           None if args.quick else ratio <= 0.35, floor=spread(walls["floor"]), spread=spread(walls["sharded"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
