"""Run every benchmark and write benchmarks/RESULTS.md.

    python benchmarks/run_all.py            # full sizes (several minutes)
    python benchmarks/run_all.py --quick    # small sizes, under two minutes

Each benchmark is a script of its own that measures ours and a baseline in the same run
and prints the ratio; a script states its figures on lines starting with ``RESULT `` (a
JSON object: benchmark, figure, value, unit, target, met). This runner records the
machine, the date, the exact command, those figures and each script's full output.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    ("Inventory floor and memory (S3)", "s3_inventory.py"),
    ("SQL inventory", "sql_inventory.py"),
    ("Classifier throughput", "classifier_speed.py"),
    ("Classifier quality", "classifier_quality.py"),
    ("Parallel sources", "parallel_sources.py"),
    ("Hostile inputs: peak memory", "hostile_memory.py"),
]


NOTES = """## What bounds each figure

- **S3 inventory against the raw listing**: the floor is moto's own listing speed
  (about 2,700 objects/s over HTTP; moto sorts a bucket's key list on every page, so the benchmark
  keeps 5,000 objects per bucket). Ours adds about ten settings calls per bucket and the per-object
  prefix aggregation. Four workers do not help here: moto runs in the benchmark's own process and
  shares its interpreter lock.
- **Memory**: the listing streams into per-prefix
  aggregates; at most 10,000 prefixes are kept per bucket (deeper ones roll up into their parent,
  and the bucket says so), so memory does not grow with objects or prefixes.
- **SQL**: two round trips per table plus the sample, a few milliseconds a table on
  loopback; reflection is one bulk call per schema.
- **Classifier throughput**: a `re2.Set` pass over all text decides which types can be present;
  candidates are then validated, and in free text each type stops being validated after 1,000
  confirmed values (the count is then a lower bound, flagged `capped`). Uncapped, validation is
  bounded by `phonenumbers.parse` at about 47 microseconds a candidate (the "uncapped" row). Tables and CSV are
  classified per column on at most 1,000 sampled rows, where the cap rarely applies.
- **Classifier quality**: measured on the project's own labelled generator (Faker locales,
  generated SG/MY ids and addresses, decoys). It shows the detectors and the generator agree; field
  precision on real vendor data will be lower, and names and birth dates are found by column name.
- **Parallel sources**: sources run in their own threads and wait on I/O; the run takes as
  long as its slowest source.
"""


def machine() -> str:
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            kb = int(fh.readline().split()[1])
            mem = f", {kb / 1024 / 1024:.1f} GiB memory"
    except OSError:
        pass
    return f"{os.cpu_count()} cores{mem}, {platform.machine()}, Python {platform.python_version()}, {platform.platform()}"


def run_one(script: str, quick: bool, timeout: float) -> tuple[int, str, list[dict], float, list[str]]:
    cmd = [sys.executable, str(HERE / script)] + (["--quick"] if quick else [])
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=HERE.parent)
        code, out = proc.returncode, proc.stdout + (("\n" + proc.stderr[-3000:]) if proc.returncode else "")
    except subprocess.TimeoutExpired as exc:
        code, out = 124, f"(timed out after {timeout:.0f}s)\n{exc.stdout or ''}"
    results = []
    for line in out.splitlines():
        if line.startswith("RESULT "):
            try:
                results.append(json.loads(line[len("RESULT "):]))
            except json.JSONDecodeError:
                pass
    shown = [c if c != sys.executable else "python" for c in cmd]
    shown[1] = f"benchmarks/{script}"
    return code, out, results, time.perf_counter() - started, shown


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run every benchmark and write RESULTS.md")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=str(HERE / "RESULTS.md"))
    ap.add_argument("--timeout", type=float, default=None, help="seconds per benchmark")
    ap.add_argument("--only", action="append", default=[], help="run only this script (repeatable)")
    args = ap.parse_args(argv)
    timeout = args.timeout or (150 if args.quick else 1800)
    lines = [
        f"# Benchmark results{' (quick mode: small sizes, figures are not the targets)' if args.quick else ''}",
        "",
        f"- date: {datetime.now(timezone.utc).isoformat(timespec='seconds')}",
        f"- machine: {machine()}",
        f"- command: `python benchmarks/run_all.py{' --quick' if args.quick else ''}`",
        "",
        "| benchmark | figure | value | target | met |",
        "| --- | --- | --- | --- | --- |",
    ]
    sections: list[str] = []
    failures = 0
    for title, script in BENCHMARKS:
        if args.only and script not in args.only:
            continue
        if not (HERE / script).exists():
            lines.append(f"| {title} | (script {script} missing) | | | |")
            failures += 1
            continue
        print(f"== {title} ({script})", flush=True)
        code, out, results, took, cmd = run_one(script, args.quick, timeout)
        print(out, flush=True)
        if code != 0:
            failures += 1
        for r in results:
            met = {True: "yes", False: "**no**"}.get(r.get("met"), "-")
            lines.append(f"| {r.get('benchmark', title)} | {r.get('figure', '')} | {r.get('value')} {r.get('unit', '')} "
                         f"| {r.get('target', '')} | {met} |")
        if not results:
            lines.append(f"| {title} | (no RESULT line; exit {code}) | | | |")
        sections += [f"## {title}", "", f"`{' '.join(cmd)}` (exit {code}, {took:.1f}s)", "", "```",
                     out.strip(), "```", ""]
    notes = [] if args.quick else [NOTES]
    Path(args.out).write_text("\n".join(lines + [""] + notes + sections) + "\n")
    print(f"wrote {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
