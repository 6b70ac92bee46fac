"""S3 inventory benchmarks (issues 11 and 24).

moto runs in a process of its own (benchmarks/_moto_proc.py), seeded there through its
backend, so the client side (ours, or the bare listing) does not share an interpreter lock
with the server. Every figure is the median of interleaved repetitions, next to its floor
measured in the same run, with min / median / max.

1. Floors: a raw boto3 paginated listing of every bucket against the auditor's full S3
   inventory of the same buckets (bucket settings, prefix tree, no content sampling).
   Target: ours <= 1.2x the raw listing. The bare listing is not equal work: the inventory also
   reads each bucket's settings (about a dozen requests a bucket) and the account's public access
   block, so it makes ~3x the requests of a bare listing of 5,000-object buckets; on a loaded
   machine each extra round trip waits for a CPU twice (client and server). An equal-work floor
   makes the same requests with raw boto3 (same timestamp parser, no prefix tree, no datasets):
   the server counts every run's requests by kind, and the benchmark fails if the equal-work
   floor's differ from the inventory's. The server's CPU (moto's own process) is printed beside
   the client's: client + server CPU is far less noisy than wall time on a shared machine.
2. Client CPU per 100k listed objects (issue 24 item 4): the raw listing with botocore's
   default timestamp parser (the floor), the raw listing with the fast parser, and the
   inventory with and without the fast parser. The server's CPU is not in these figures.
3. Sampling behind latency (issue 24 item 3): one sampled bucket (``--prefixes`` prefixes of
   small CSV objects) behind a loopback proxy adding 30 ms per request; the inventory with
   ``max_workers`` 1 (reads and ACL checks one after the other) against 4 (concurrent, within
   the polite limits). Requests are counted at the proxy.
4. Memory: peak RSS of the inventory at three sizes, each in a fresh subprocess. Target:
   < 250 MB and flat (the largest within 1.3x of the smallest).

moto sorts a bucket's whole key list for every page, so buckets are kept at
``--per-bucket`` objects (default 5,000) and N grows by adding buckets. Default sizes are
reduced (a shared 2-core machine); ``--objects 100000 --memory-sizes 10000,100000,300000``
are the issue's sizes.

    python benchmarks/s3_inventory.py            # reduced sizes, a few minutes
    python benchmarks/s3_inventory.py --quick    # small sizes, well under a minute
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

from _moto_proc import moto_process, server_stats  # noqa: E402 (run as a script from benchmarks/)
from _result import interleaved, median, peak_rss_mb, result, spread  # noqa: E402
from latency_proxy import LatencyProxy  # noqa: E402

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")


def raw_listing(url: str, buckets: list[str], fast: bool = False) -> int:
    import boto3
    import botocore.session

    from connectors.s3.connector import _LOADER

    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)  # as the connector does: the model is parsed once
    if fast:
        from connectors.s3.runtime import use_fast_timestamps

        use_fast_timestamps(core)
    client = boto3.Session(botocore_session=core).client("s3", endpoint_url=url, region_name="us-east-1")
    count = 0
    for name in buckets:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name, PaginationConfig={"PageSize": 1000}):
            count += len(page.get("Contents", ()))
    return count


def equal_work(url: str, buckets: list[str]) -> int:
    """The floor of equal work: with raw boto3 (the fast timestamp parser, as the inventory uses), the
    requests the inventory makes of this estate, one after the other: the bucket listing, the account's
    public access block (STS, S3 Control), per bucket its settings reads and its paginated listing. No
    prefix tree, no datasets. The caller checks at the server that the requests are the same."""
    from urllib.parse import urlsplit, urlunsplit

    import boto3
    import botocore.session
    from botocore.exceptions import ClientError

    from connectors.s3.connector import _LOADER
    from connectors.s3.runtime import use_fast_timestamps

    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    use_fast_timestamps(core)
    session = boto3.Session(botocore_session=core)
    client = session.client("s3", endpoint_url=url, region_name="us-east-1")
    client.list_buckets()
    account = session.client("sts", endpoint_url=url, region_name="us-east-1").get_caller_identity()["Account"]
    control = session.client("s3control", endpoint_url=url, region_name="us-east-1")
    host = urlsplit(url).netloc

    def endpoint_host(request, **_):  # as the connector does: botocore puts the account id into the host
        request.url = urlunsplit(urlsplit(request.url)._replace(netloc=host))
    control.meta.events.register("before-sign.s3-control.*", endpoint_host)
    try:
        control.get_public_access_block(AccountId=account)
    except ClientError:
        pass
    count = 0
    for name in buckets:
        # the estate's buckets have no policy (no status read) and ACLs apply (the bucket ACL is read)
        for op in ("get_bucket_location", "get_bucket_encryption", "get_public_access_block",
                   "get_bucket_ownership_controls", "get_bucket_acl", "get_bucket_policy", "get_bucket_versioning",
                   "get_object_lock_configuration", "get_bucket_lifecycle_configuration", "get_bucket_logging",
                   "get_bucket_tagging", "list_bucket_inventory_configurations"):
            try:
                getattr(client, op)(Bucket=name)
            except ClientError:  # "no such configuration" answers
                pass
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name, PaginationConfig={"PageSize": 1000}):
            count += len(page.get("Contents", ()))
    return count


def inventory(url: str, pattern: str, workers: int, sample_objects: int = 0, fast: bool = True) -> tuple[int, int]:
    """(datasets, objects counted at the bucket level) from the auditor's S3 connector;
    ``fast=False``: with botocore's default timestamp parser (as before issue 24)."""
    from auditor.models import Observation, Vendor
    from connectors.base import CollectContext, SourceSpec
    from connectors.s3 import Connector
    from connectors.s3 import connector as s3connector
    from connectors.s3 import runtime

    s3connector.use_fast_timestamps = runtime.use_fast_timestamps if fast else (lambda core: None)
    opts = Connector.Options(endpoint_url=url, region="us-east-1", buckets=[pattern], sample_objects=sample_objects,
                             max_workers=workers)
    source = SourceSpec(id="bench", kind="s3", vendor=Vendor(id="bench"), options=opts)
    datasets = objects = 0
    for item in Connector(source, CollectContext(as_of=datetime.now(UTC))).collect():
        if isinstance(item, Observation):
            datasets += 1
            if item.dataset.kind == "bucket":
                objects += item.dataset.objects or 0
    return datasets, objects


def child(url: str, pattern: str) -> None:
    """Run one inventory and print its figures as JSON (peak RSS in MB)."""
    import connectors.s3  # noqa: F401  (imports counted in the base line)

    base = peak_rss_mb()
    start = time.perf_counter()
    datasets, objects = inventory(url, pattern, workers=4)
    print(json.dumps({"objects": objects, "datasets": datasets, "seconds": time.perf_counter() - start,
                      "base_rss_mb": base, "peak_rss_mb": peak_rss_mb()}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--objects", type=int, help="objects for the floor benchmark (default 10000)")
    parser.add_argument("--per-bucket", type=int, default=5000)
    parser.add_argument("--repeats", type=int, help="interleaved timing repeats (median and spread reported)")
    parser.add_argument("--prefixes", type=int, help="prefixes of the sampled bucket (default 40)")
    parser.add_argument("--memory-sizes", help="comma-separated object counts (default 10000,20000,40000)")
    parser.add_argument("--child", nargs=2, metavar=("URL", "PATTERN"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0

    n = args.objects or (500 if args.quick else 10_000)
    per_bucket = min(args.per_bucket, 500) if args.quick else args.per_bucket
    sizes = [int(s) for s in (args.memory_sizes or ("500,2000" if args.quick else "10000,20000,40000")).split(",")]
    prefixes = args.prefixes or (6 if args.quick else 40)
    per_prefix = 3 if args.quick else 5
    repeats = args.repeats or (3 if args.quick else 5)
    spec = [{"kind": "listing", "tag": "floor", "objects": n, "per_bucket": per_bucket},
            {"kind": "sampled", "tag": "sampled", "prefixes": prefixes, "per_prefix": per_prefix}]
    spec += [{"kind": "listing", "tag": f"mem{size}", "objects": size, "per_bucket": per_bucket} for size in sizes]
    ok = True
    t0 = time.perf_counter()
    with moto_process(spec) as (url, info):
        buckets = info["floor"]
        print(f"# S3 inventory benchmark  cores={os.cpu_count()}  N={n}  per_bucket={per_bucket}  repeats={repeats}")
        print(f"moto server in its own process, seeded there through its backend in {time.perf_counter() - t0:.1f}s "
              f"({n + sum(sizes)} listed objects, {prefixes * per_prefix} sampled-bucket objects)")
        raw_listing(url, buckets[:1])  # warm up the server and botocore's loaders
        inventory(url, buckets[0], 1)

        # 1 and 2: floors, server-side request counts and CPU, interleaved
        counts: dict[str, int] = {}
        requests: dict[str, dict[str, int]] = {}
        server_cpu: dict[str, list[float]] = {}

        def run(name, fn):
            def go():
                before, cpu0 = server_stats(url)
                got = fn()
                after, cpu1 = server_stats(url)
                counts[name] = got if isinstance(got, int) else got[1]
                requests[name] = {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}
                server_cpu.setdefault(name, []).append(cpu1 - cpu0)
            return go
        walls, cpus, _ = interleaved({
            "raw": run("raw", lambda: raw_listing(url, buckets)),
            "raw_fast": run("raw_fast", lambda: raw_listing(url, buckets, fast=True)),
            "equal": run("equal", lambda: equal_work(url, buckets)),
            "ours_1": run("ours_1", lambda: inventory(url, "bench-floor-*", 1)),
            "ours_4": run("ours_4", lambda: inventory(url, "bench-floor-*", 4)),
            "ours_1_default_parser": run("ours_1_default_parser", lambda: inventory(url, "bench-floor-*", 1, fast=False)),
        }, repeats)
        assert all(c == n for c in counts.values()), counts
        assert requests["equal"] == requests["ours_1"], ("the equal-work floor must make the inventory's requests",
                                                         requests["equal"], requests["ours_1"])
        raw = median(walls["raw"])
        total = {k: sorted(c + s for c, s in zip(cpus[k], server_cpu[k])) for k in walls}
        print("requests per run, counted by the server:")
        for name in ("raw", "ours_1"):
            print(f"  {name}: {sum(requests[name].values())}: " +
                  ", ".join(f"{v} {k}" for k, v in sorted(requests[name].items(), key=lambda kv: (-kv[1], kv[0]))))
        print("wall, client CPU and server CPU: min / median / max of interleaved runs")
        for name, label in (("raw", "raw boto3 paginated listing (floor)"),
                            ("raw_fast", "raw listing, fast timestamp parser"),
                            ("equal", "equal-work floor (same requests, raw boto3)"),
                            ("ours_1", "auditor inventory, 1 worker"), ("ours_4", "auditor inventory, 4 workers"),
                            ("ours_1_default_parser", "auditor inventory, 1 worker, botocore's parser")):
            print(f"  {label:48s} wall {spread(walls[name])}  ratio {median(walls[name]) / raw:.2f}x  "
                  f"client CPU {spread(cpus[name])}  server CPU {spread(server_cpu[name])}")
        ratio = median(walls["ours_1"]) / raw
        floor = f"raw listing {spread(walls['raw'])}"
        result("S3 inventory floor", f"inventory / raw listing, {n:,} objects, 1 worker (medians)", ratio, "x",
               "<= 1.2", None if args.quick else ratio <= 1.2, floor=floor, spread=spread(walls["ours_1"]))
        result("S3 inventory floor", f"inventory / raw listing, {n:,} objects, 4 workers (medians)",
               median(walls["ours_4"]) / raw, "x", "(reference)", None, floor=floor, spread=spread(walls["ours_4"]))
        result("S3 inventory floor", f"inventory / raw listing with the fast timestamp parser, {n:,} objects, 1 worker "
               "(medians)", median(walls["ours_1"]) / median(walls["raw_fast"]), "x", "(reference)", None,
               floor=f"raw listing, fast parser {spread(walls['raw_fast'])}", spread=spread(walls["ours_1"]))
        equal_ratio = median(walls["ours_1"]) / median(walls["equal"])
        result("S3 inventory floor", f"inventory / equal-work floor ({sum(requests['equal'].values())} requests each, "
               f"counted by the server), {n:,} objects, 1 worker (medians)", equal_ratio, "x", "<= 1.2",
               None if args.quick else equal_ratio <= 1.2,
               floor=f"equal-work floor {spread(walls['equal'])}", spread=spread(walls["ours_1"]))
        result("S3 inventory floor", f"inventory / raw listing, client + server CPU, {n:,} objects, 1 worker (medians)",
               median(total["ours_1"]) / median(total["raw"]), "x", "(reference)", None,
               floor=f"raw listing {spread(total['raw'])}; equal-work floor {spread(total['equal'])}",
               spread=spread(total["ours_1"]))
        ok &= ratio <= 1.2 or args.quick

        per100k = 100_000 / n
        cpu = {k: median(v) * per100k for k, v in cpus.items()}
        print(f"client CPU per 100k objects (medians): raw listing {cpu['raw']:.2f}s, raw + fast parser "
              f"{cpu['raw_fast']:.2f}s, inventory {cpu['ours_1']:.2f}s, inventory with botocore's parser "
              f"{cpu['ours_1_default_parser']:.2f}s")
        cpu_floor = f"raw listing, botocore's parser: {cpu['raw']:.2f} s"
        for name, figure, target in (
                ("ours_1", "inventory client CPU per 100k objects, fast parser", "(after)"),
                ("ours_1_default_parser", "inventory client CPU per 100k objects, botocore's parser", "(before)"),
                ("raw_fast", "raw listing client CPU per 100k objects, fast parser", "(reference)")):
            result("S3 client CPU", figure, cpu[name], "s", target, None, floor=cpu_floor,
                   spread=spread([c * per100k for c in cpus[name]]))

        # 3: sampling behind a 30 ms proxy
        sampled = info["sampled"][0]
        host, port = url.removeprefix("http://").split(":")
        with LatencyProxy(host, int(port), delay=0.030) as proxy:
            inventory(proxy.url, sampled, 1, sample_objects=per_prefix)  # warm up
            proxied: dict[str, int] = {}

            def sampling(workers):
                def go():
                    before = proxy.requests
                    got = inventory(proxy.url, sampled, workers, sample_objects=per_prefix)
                    proxied[f"w{workers}"] = proxy.requests - before
                    return got
                return go
            swalls, _, sgot = interleaved({"w1": sampling(1), "w4": sampling(4)}, max(2, repeats - 2))
        assert sgot["w1"] == sgot["w4"], sgot
        speedup = median(swalls["w1"]) / median(swalls["w4"])
        print(f"sampled bucket behind +30 ms/request: {prefixes} prefixes x {per_prefix} objects, "
              f"{proxied['w1']} requests (max_workers 1) / {proxied['w4']} (max_workers 4)")
        print(f"  max_workers 1 (sequential reads and ACL checks): {spread(swalls['w1'])}")
        print(f"  max_workers 4 (concurrent, source-wide pool):    {spread(swalls['w4'])}  speed-up {speedup:.1f}x")
        result("S3 sampling +30 ms", f"wall per sampled bucket, max_workers 4 ({prefixes} prefixes x {per_prefix})",
               median(swalls["w4"]), "s", "(reference)", None,
               floor=f"max_workers 1 (sequential): {spread(swalls['w1'])}", spread=spread(swalls["w4"]))

        # 4: memory: each size in a fresh child, in rounds (rotating order); medians with min / median / max
        mem_rounds = 1 if args.quick else 3
        figs: dict[int, list[dict]] = {size: [] for size in sizes}
        for r in range(mem_rounds):
            for size in sizes[r % len(sizes):] + sizes[:r % len(sizes)]:
                out = subprocess.run([sys.executable, __file__, "--child", url, f"bench-mem{size}-*"],
                                     capture_output=True, text=True, check=True)
                fig = json.loads(out.stdout.strip().splitlines()[-1])
                assert fig["objects"] == size, fig
                figs[size].append(fig)
                print(f"memory {size:>7,} objects: peak RSS {fig['peak_rss_mb']:6.1f} MB "
                      f"(after imports {fig['base_rss_mb']:.1f} MB, {fig['datasets']} datasets, {fig['seconds']:.1f}s)")
        peak = {size: [f["peak_rss_mb"] for f in figs[size]] for size in sizes}
        peaks = [median(peak[size]) for size in sizes]
        ratio_mem = max(peaks) / min(peaks)
        print(f"memory: largest/smallest median peak {ratio_mem:.2f}x (target <= 1.3x), max {max(peaks):.1f} MB "
              "(target < 250 MB)")
        ok &= ratio_mem <= 1.3 and max(peaks) < 250
        big, small = max(sizes), min(sizes)
        result("S3 inventory memory", f"peak RSS at {big:,} objects", median(peak[big]), "MB", "< 250",
               max(peaks) < 250, floor=f"after imports {spread([f['base_rss_mb'] for f in figs[big]], 'MB', 1)}",
               spread=spread(peak[big], "MB", 1))
        result("S3 inventory memory", f"largest / smallest peak ({small:,} to {big:,} objects)", ratio_mem,
               "x", "<= 1.3", ratio_mem <= 1.3, floor=f"peak at {small:,} objects {spread(peak[small], 'MB', 1)}",
               spread=f"at {big:,} objects {spread(peak[big], 'MB', 1)}")
    print("FINAL:", "targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
