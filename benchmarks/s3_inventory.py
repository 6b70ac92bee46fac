"""S3 inventory benchmarks (issue 11, items 1 and 2).

1. Floor: an in-process moto S3 server seeded (through moto's backend, for speed) with N
   objects in B buckets under many prefixes; a raw boto3 paginated listing of every bucket
   against the auditor's full S3 inventory of the same buckets (bucket settings, prefix
   tree, no content sampling). Target: ours <= 1.2x the raw listing at N = 100,000.
2. Memory: peak RSS of the inventory at 10k, 100k and 300k objects, each in a fresh
   subprocess (the moto server stays in this process). Target: < 250 MB and flat (the
   largest within 1.3x of the smallest).

moto sorts a bucket's whole key list for every page, so buckets are kept at
``--per-bucket`` objects (default 5,000) and N grows by adding buckets.

    python benchmarks/s3_inventory.py            # full sizes (several minutes)
    python benchmarks/s3_inventory.py --quick    # small sizes, well under a minute
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime

from _result import result  # noqa: E402 (run as a script from benchmarks/)

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")


def seed(tag: str, objects: int, per_bucket: int) -> list[str]:
    """Seed ``objects`` objects into buckets named ``bench-<tag>-NNN`` through moto's backend."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["global"]
    names, body = [], b"x" * 64
    for b in range((objects + per_bucket - 1) // per_bucket):
        name = f"bench-{tag}-{b:03d}"
        backend.create_bucket(name, "us-east-1")
        names.append(name)
        for i in range(min(per_bucket, objects - b * per_bucket)):
            key = f"tenant-{i % 40:02d}/year={2018 + i % 8}/month={i % 12:02d}/part-{i:07d}.csv"
            backend.put_object(name, key, body)
    return names


def raw_listing(url: str, buckets: list[str]) -> int:
    import boto3

    client = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
    count = 0
    for name in buckets:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name, PaginationConfig={"PageSize": 1000}):
            count += len(page.get("Contents", ()))
    return count


def inventory(url: str, pattern: str, workers: int) -> tuple[int, int]:
    """(datasets, objects counted at the bucket level) from the auditor's S3 connector."""
    from auditor.models import Observation, Vendor
    from connectors.base import CollectContext, SourceSpec
    from connectors.s3 import Connector

    opts = Connector.Options(endpoint_url=url, region="us-east-1", buckets=[pattern], sample_objects=0,
                             max_workers=workers)
    source = SourceSpec(id="bench", kind="s3", vendor=Vendor(id="bench"), options=opts)
    datasets = objects = 0
    for item in Connector(source, CollectContext(as_of=datetime.now(UTC))).collect():
        if isinstance(item, Observation):
            datasets += 1
            if item.dataset.kind == "bucket":
                objects += item.dataset.records or 0
    return datasets, objects


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec and would
    report the parent's (moto's) size at fork time."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(url: str, pattern: str) -> None:
    """Run one inventory and print its figures as JSON (peak RSS in MB)."""
    import connectors.s3  # noqa: F401  (imports counted in the base line)

    base = peak_rss_mb()
    start = time.perf_counter()
    datasets, objects = inventory(url, pattern, workers=4)
    print(json.dumps({"objects": objects, "datasets": datasets, "seconds": time.perf_counter() - start,
                      "base_rss_mb": base, "peak_rss_mb": peak_rss_mb()}))


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--objects", type=int, help="objects for the floor benchmark (default 100000)")
    parser.add_argument("--per-bucket", type=int, default=5000)
    parser.add_argument("--repeats", type=int, help="interleaved timing repeats (best of each is kept)")
    parser.add_argument("--memory-sizes", help="comma-separated object counts (default 10000,100000,300000)")
    parser.add_argument("--child", nargs=2, metavar=("URL", "PATTERN"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0

    from auditor.emulators import s3_server

    n = args.objects or (4000 if args.quick else 100_000)
    per_bucket = min(args.per_bucket, 2000) if args.quick else args.per_bucket
    sizes = [int(s) for s in (args.memory_sizes or ("2000,5000,10000" if args.quick else "10000,100000,300000")).split(",")]
    ok = True
    with s3_server() as url:
        print(f"# S3 inventory benchmark  cores={os.cpu_count()}  N={n}  per_bucket={per_bucket}")
        t_seed, buckets = timed(seed, "floor", n, per_bucket)
        print(f"seeded {n} objects in {len(buckets)} buckets through moto's backend in {t_seed:.1f}s")
        raw_listing(url, buckets[:1])  # warm up the server and botocore's loaders
        # interleaved repeats, best of each: the server shares this process, so runs are noisy
        t_raw = t_one = t_par = float("inf")
        for _ in range(args.repeats or (3 if args.quick else 2)):
            t, raw_count = timed(raw_listing, url, buckets)
            t_raw = min(t_raw, t)
            t, (ds_one, ours_one) = timed(inventory, url, "bench-floor-*", 1)
            t_one = min(t_one, t)
            t, (_, ours_par) = timed(inventory, url, "bench-floor-*", 4)
            t_par = min(t_par, t)
            assert raw_count == ours_one == ours_par == n, (raw_count, ours_one, ours_par)
        ratio = t_one / t_raw
        print(f"raw boto3 paginated listing       {t_raw:8.2f}s  ({raw_count / t_raw:,.0f} objects/s)")
        print(f"auditor inventory, 1 worker       {t_one:8.2f}s  ({ds_one} datasets)  ratio {ratio:.2f}x  (target <= 1.2x)")
        print(f"auditor inventory, 4 workers      {t_par:8.2f}s  ratio {t_par / t_raw:.2f}x")
        result("S3 inventory floor", f"inventory / raw listing, {n:,} objects, 1 worker", ratio, "x", "<= 1.2",
               None if args.quick else ratio <= 1.2)
        result("S3 inventory floor", f"inventory / raw listing, {n:,} objects, 4 workers", t_par / t_raw, "x",
               "(reference)", None)
        ok &= ratio <= 1.2 or args.quick

        peaks = []
        for size in sizes:
            tag = f"mem{size}"
            seed(tag, size, per_bucket)
            out = subprocess.run([sys.executable, __file__, "--child", url, f"bench-{tag}-*"],
                                 capture_output=True, text=True, check=True)
            fig = json.loads(out.stdout.strip().splitlines()[-1])
            assert fig["objects"] == size, fig
            peaks.append(fig["peak_rss_mb"])
            print(f"memory {size:>7,} objects: peak RSS {fig['peak_rss_mb']:6.1f} MB "
                  f"(after imports {fig['base_rss_mb']:.1f} MB, {fig['datasets']} datasets, {fig['seconds']:.1f}s)")
        spread = max(peaks) / min(peaks)
        print(f"memory: largest/smallest peak {spread:.2f}x (target <= 1.3x), max {max(peaks):.1f} MB (target < 250 MB)")
        ok &= spread <= 1.3 and max(peaks) < 250
        result("S3 inventory memory", f"peak RSS at {max(sizes):,} objects", max(peaks), "MB", "< 250",
               max(peaks) < 250)
        result("S3 inventory memory", f"largest / smallest peak ({min(sizes):,} to {max(sizes):,} objects)", spread,
               "x", "<= 1.3", spread <= 1.3)
    print("FINAL:", "targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
