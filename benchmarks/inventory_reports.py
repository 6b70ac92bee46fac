"""Inventory reports instead of listing (issue 21 item 4, benchmark c): objects per second and peak RSS.

A synthetic S3 Inventory report of ``--objects`` objects (10M by default: the issue's size) is written
as Parquet files and as gzip'd CSV files (the layouts S3 Inventory writes: no header, keys
URL-encoded, ``EncryptionStatus`` and base64 ``ObjectAccessControlList`` columns; 1M rows a file), at
two sizes (``--objects`` and a tenth of it). Each reading runs in a fresh subprocess, which reports
its wall time and peak RSS:

- ours: :func:`connectors.inventory.file_batches` + :func:`connectors.inventory.load` into the
  connector's prefix tree (depth 3, 5 samples a prefix), tallying encryption status and ACLs;
- floor: the same files read by the same library (pyarrow's Parquet and CSV readers, the key, size and
  time columns turned into Python values, times as integers, CSV keys URL-decoded), without the prefix
  tree, the datetimes and the tallies;
- for reference (CSV, the small size): the csv module over gzip parsing the same fields.

Rates are objects per CPU second of the reading process (the machine is shared: wall-clock rates,
printed too, depend on the other load). At the full size, ours and the floor run ``--repeats`` times
in interleaved rounds (rotating order): each rate is the median, with min / median / max beside it.

The report files are read from local disk: the download from the store (network-bound, one file at
a time to a temporary file) is not in the figures. Targets: over 200k objects/s, and flat memory (the
peak RSS at the full size within 1.3x of the tenth).

    python benchmarks/inventory_reports.py                    # 10M objects (several minutes)
    python benchmarks/inventory_reports.py --objects 2000000  # shorter
    python benchmarks/inventory_reports.py --quick            # 50k objects, seconds
    python benchmarks/inventory_reports.py --data /tmp/inv    # keep (and reuse) the generated files
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from _result import median, peak_rss_mb, result, spread  # noqa: E402 (run as a script from benchmarks/)

ROWS_PER_FILE = 1_000_000
FIELDS = ["Bucket", "Key", "Size", "LastModifiedDate", "ETag", "StorageClass", "EncryptionStatus",
          "ObjectAccessControlList"]


def _acl(public: bool) -> str:
    import base64

    grants = [{"canonicalId": "79a59df900b949e55d96a1e698fbacedfd6e09d9", "type": "CanonicalUser",
               "permission": "FULL_CONTROL"}]
    if public:
        grants.append({"uri": "http://acs.amazonaws.com/groups/global/AllUsers", "type": "Group", "permission": "READ"})
    return base64.b64encode(json.dumps({"version": "2022-11-10", "status": "AVAILABLE", "grants": grants}).encode()).decode()


def generate(folder: Path, objects: int) -> dict[str, list[str]]:
    """Parquet and CSV.gz report files of ``objects`` objects: keys over 3 levels of prefixes."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[str]] = {"Parquet": [], "CSV": []}
    private, public = _acl(False), _acl(True)
    base = 1_500_000_000_000  # ms: 2017
    for n, start in enumerate(range(0, objects, ROWS_PER_FILE)):
        count = min(ROWS_PER_FILE, objects - start)
        idx = pa.array(range(start, start + count), type=pa.int64())
        s = pc.cast(idx, pa.string())
        # grouped by prefix as a report lists them: 500k objects a tenant, 5,000 an export, 500 a day
        keys = pc.binary_join_element_wise(
            "tenant-", pc.cast(pc.divide(idx, 500_000), pa.string()), "/export ",
            pc.cast(pc.bit_wise_and(pc.divide(idx, 5_000), 63), pa.string()), "/day-",
            pc.cast(pc.bit_wise_and(pc.divide(idx, 500), 15), pa.string()), "/part-", s, ".csv", "")
        sizes = pc.add(pc.bit_wise_and(idx, 4095), 1)
        ms = pc.add(pc.multiply(pc.bit_wise_and(pc.multiply(idx, 7919), 0xFFFFFFF), 1000), base)
        when = pc.cast(ms, pa.timestamp("ms", tz="UTC"))
        enc = pc.if_else(pc.equal(pc.bit_wise_and(idx, 1023), 0), "NOT-SSE", "SSE-S3")
        acl = pc.if_else(pc.equal(pc.bit_wise_and(idx, 4095), 7), public, private)
        table = pa.table({"bucket": pa.array(["bench-bucket"] * count), "key": keys, "size": sizes,
                          "last_modified_date": when, "e_tag": pa.array(["d41d8cd98f00b204e9800998ecf8427e"] * count),
                          "storage_class": pa.array(["STANDARD"] * count), "encryption_status": enc,
                          "object_access_control_list": acl})
        pq_path = folder / f"part-{n}.parquet"
        pq.write_table(table, pq_path, row_group_size=128 * 1024)
        files["Parquet"].append(str(pq_path))
        # S3 Inventory CSV: every field quoted, no header, key URL-encoded (space as +), ISO time with Z
        csv_table = table.set_column(1, "key", pc.replace_substring(keys, " ", "+")).set_column(
            3, "last_modified_date", pc.strftime(when, format="%Y-%m-%dT%H:%M:%SZ"))
        csv_path = folder / f"part-{n}.csv.gz"
        with pa.CompressedOutputStream(str(csv_path), "gzip") as out:
            pacsv.write_csv(csv_table, out, pacsv.WriteOptions(include_header=False, quoting_style="all_valid"))
        files["CSV"].append(str(csv_path))
    return files


def reuse_or_generate(folder: Path, objects: int) -> dict[str, list[str]]:
    """The report files of ``objects`` objects in ``folder``: those already there when complete, else new."""
    files = {"Parquet": [str(folder / f"part-{n}.parquet") for n in range(-(-objects // ROWS_PER_FILE))],
             "CSV": [str(folder / f"part-{n}.csv.gz") for n in range(-(-objects // ROWS_PER_FILE))]}
    if (folder / "complete").exists():
        return files
    got = generate(folder, objects)
    (folder / "complete").write_text(str(objects))
    return got


def _report(fmt: str, files: list[str]) -> object:
    from datetime import UTC, datetime

    from connectors import inventory

    return inventory.Report("s3-inventory", "bench-dest", "manifest.json", datetime.now(UTC), fmt,  # type: ignore[arg-type]
                            tuple(files), columns=tuple(FIELDS) if fmt == "CSV" else ())


def child(mode: str, fmt: str, files: list[str]) -> None:
    """One reading in this (fresh) process; prints a JSON line: objects, seconds, peak RSS."""
    from connectors import inventory
    from connectors.objects import PrefixTree

    import pyarrow.parquet  # noqa: F401 - imports are not part of the figures
    from pyarrow import orc  # noqa: F401

    report = _report(fmt, files)
    c0, t0 = time.process_time(), time.perf_counter()
    objects = 0
    if mode == "ours":
        tree = PrefixTree(depth=3, sample_objects=5, seed="bench-bucket")
        for path in files:
            tally = inventory.load(tree, inventory.file_batches(path, report), "bench-bucket")  # type: ignore[arg-type]
            objects += tally.records
        extra = {"prefixes": len(tree.nodes), "tree_objects": tree.root.objects}
    elif fmt == "Parquet":  # floor: pyarrow reading the same columns into Python values
        import pyarrow as pa
        import pyarrow.parquet as pq

        for path in files:
            with pq.ParquetFile(path) as pf:
                for rb in pf.iter_batches(batch_size=inventory.BATCH_ROWS, columns=["key", "size", "last_modified_date"]):
                    keys = rb.column(0).to_pylist()
                    rb.column(1).to_pylist()
                    rb.column(2).cast(pa.int64()).to_pylist()  # times as integers: no datetime objects
                    objects += len(keys)
        extra = {}
    elif mode == "floor":  # floor: pyarrow's CSV reader, the same columns into Python values (keys decoded)
        import pyarrow as pa
        import pyarrow.csv as pacsv
        from urllib.parse import unquote_plus

        for path in files:
            reader = pacsv.open_csv(
                pa.CompressedInputStream(pa.OSFile(path), "gzip"),
                read_options=pacsv.ReadOptions(column_names=FIELDS, block_size=4 * 1024 * 1024),
                convert_options=pacsv.ConvertOptions(
                    column_types={"Key": pa.string(), "Size": pa.int64(), "LastModifiedDate": pa.timestamp("ms", "UTC")},
                    include_columns=["Key", "Size", "LastModifiedDate"]))
            for rb in reader:
                keys = [unquote_plus(k) for k in rb.column(0).to_pylist()]
                rb.column(1).to_pylist()
                rb.column(2).cast(pa.int64()).to_pylist()  # times as integers: no datetime objects
                objects += len(keys)
        extra = {}
    else:  # the csv module (gzip), for reference: parsing alone
        import csv
        import gzip
        from urllib.parse import unquote_plus

        parse = inventory.parse_time
        for path in files:
            with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
                for r in csv.reader(fh):
                    unquote_plus(r[1])
                    int(r[2])
                    parse(r[3])
                    objects += 1
        extra = {}
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = peak_rss_mb()
    print(json.dumps({"objects": objects, "seconds": took, "cpu": cpu, "peak_mb": peak, **extra}))


def run(mode: str, fmt: str, files: list[str]) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", mode, fmt, *files], capture_output=True, text=True,
                          cwd=HERE.parent, env={**os.environ, "PYTHONPATH": str(HERE.parent)})
    if proc.returncode:
        raise SystemExit(f"child {mode} {fmt} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--objects", type=int, default=10_000_000)
    ap.add_argument("--quick", action="store_true", help="50k objects (figures are not the targets)")
    ap.add_argument("--formats", default="Parquet,CSV")
    ap.add_argument("--data", help="keep the generated report files in this folder, and reuse them when there")
    ap.add_argument("--repeats", type=int, help="interleaved rounds of ours and the floor at the full size "
                                                "(default 3; quick 1)")
    args = ap.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    big = 50_000 if args.quick else args.objects
    small = max(1, big // 10)
    with tempfile.TemporaryDirectory(prefix="auditor-bench-inventory-") as tmp:
        t0 = time.perf_counter()
        sizes = {n: reuse_or_generate(Path(args.data or tmp) / str(n), n) for n in (small, big)}
        print(f"{small:,} and {big:,} objects as Parquet and CSV.gz ready in {time.perf_counter() - t0:.1f}s",
              flush=True)
        for fmt in args.formats.split(","):
            modes = ("floor", "ours", "csv-module") if fmt == "CSV" else ("floor", "ours")
            got = {(mode, small): run(mode, fmt, sizes[small][fmt]) for mode in modes}
            rounds: dict[str, list[dict]] = {"floor": [], "ours": []}
            for r in range(repeats):  # interleaved, rotating order: neither is always first after a pause
                for mode in ("floor", "ours")[r % 2:] + ("floor", "ours")[:r % 2]:
                    rounds[mode].append(run(mode, fmt, sizes[big][fmt]))
            for mode, runs in rounds.items():
                got[(mode, big)] = runs[0]
            for (mode, n), r in [*got.items(), *((("floor", big), x) for x in rounds["floor"][1:]),
                                  *((("ours", big), x) for x in rounds["ours"][1:])]:
                print(f"{fmt:7} {mode:10} {n:>11,} objects: {r['objects'] / r['cpu']:>10,.0f} objects per CPU s, "
                      f"{r['objects'] / r['seconds']:>10,.0f} objects/s wall ({r['seconds']:.2f}s), "
                      f"peak RSS {r['peak_mb']:.0f} MB" + (f", {r['prefixes']} prefixes" if "prefixes" in r else ""),
                      flush=True)
                assert r["objects"] == n, (mode, n, r)
            cpu_rates = {m: [x["objects"] / x["cpu"] for x in runs] for m, runs in rounds.items()}
            wall_rates = {m: [x["objects"] / x["seconds"] for x in runs] for m, runs in rounds.items()}
            rate, floor_rate = median(cpu_rates["ours"]), median(cpu_rates["floor"])
            name = f"inventory report ({fmt})"
            result(name, f"objects per CPU second, {big:,} objects into the prefix tree", rate, "objects/s",
                   "> 200,000 objects/s", None if args.quick else rate > 200_000,
                   floor=f"{floor_rate:,.0f} objects/s ({spread(cpu_rates['floor'], 'objects/s', 0)}): pyarrow "
                         f"reading the same columns to Python values, no tree (ours {rate / floor_rate:.2f}x of it)",
                   spread=spread(cpu_rates["ours"], "objects/s", 0))
            result(name, f"objects/s wall clock, {big:,} objects (shared machine: load {os.getloadavg()[0]:.1f})",
                   median(wall_rates["ours"]), "objects/s", "informational", None,
                   floor=f"{median(wall_rates['floor']):,.0f} objects/s wall for the floor "
                         f"({spread(wall_rates['floor'], 'objects/s', 0)})",
                   spread=spread(wall_rates["ours"], "objects/s", 0))
            m_small, m_big = got[("ours", small)]["peak_mb"], max(x["peak_mb"] for x in rounds["ours"])
            result(name, f"peak RSS at {small:,} / {big:,} objects", m_big, "MB",
                   "flat: within 1.3x from a tenth of the size to the full size",
                   None if args.quick else m_big <= 1.3 * m_small,
                   floor=f"{m_small:.0f} MB at {small:,} objects (ratio {m_big / m_small:.2f}); floor reader "
                         f"{max(x['peak_mb'] for x in rounds['floor']):.0f} MB at {big:,}",
                   spread=spread([x["peak_mb"] for x in rounds["ours"]], "MB", 1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
