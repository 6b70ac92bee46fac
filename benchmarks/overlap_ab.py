"""A/B of the SQL scan end to end: one code tree against another, interleaved processes.

Each repetition is a fresh process per side (A, B, A, B, ...; the order alternates by round):
it runs ``sql_inventory.end_to_end`` once as a warm-up (imports, the classifier, the state
store's migrations), then times one ``floor_equal`` and one ``end_to_end`` (wall and this
process's CPU), on the estate kept by ``sql_inventory.py --keep DB``. A side is a code tree put
first on ``sys.path`` (``--a /tmp/main_tree``), or this tree with ``AUDITOR_COLLECT_AHEAD``.

    .venv/bin/python benchmarks/overlap_ab.py --db pipe_bench --a /tmp/pipe_main --b . --reps 7
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _result import same_extensions  # (run as a script from benchmarks/)

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, os, resource, sys, tempfile, time
from pathlib import Path
ahead = os.environ.get("AUDITOR_COLLECT_AHEAD")
import auditor, auditor.engine as engine
if ahead is not None:
    engine.COLLECT_AHEAD = int(ahead)
sys.path.insert(0, os.environ["BENCH_DIR"])
import sql_inventory as b
url = os.environ["BENCH_URL"]
with tempfile.TemporaryDirectory() as tmp:
    b.end_to_end(url, Path(tmp))  # warm-up
    out = {"tree": str(Path(auditor.__file__).parents[1]), "ahead": getattr(engine, "COLLECT_AHEAD", None)}
    for name, fn in (("floor_equal", lambda: b.floor_equal(url)), ("end_to_end", lambda: b.end_to_end(url, Path(tmp)))):
        kids = lambda: (lambda r: r.ru_utime + r.ru_stime)(resource.getrusage(resource.RUSAGE_CHILDREN))
        c0, k0, t0 = time.process_time(), kids(), time.perf_counter()
        fn()
        out[name] = [time.perf_counter() - t0, time.process_time() - c0, kids() - k0]  # children: ended ones
out["sw"] = sys.getswitchinterval()
print("AB " + json.dumps(out))
"""


def run_side(tree: str, ahead: str | None, url: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve()), "BENCH_DIR": str(HERE), "BENCH_URL": url,
           "PYTHONDONTWRITEBYTECODE": "1"}
    if ahead is not None:
        env["AUDITOR_COLLECT_AHEAD"] = ahead
    else:
        env.pop("AUDITOR_COLLECT_AHEAD", None)
    proc = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, cwd="/tmp")
    line = next((x for x in proc.stdout.splitlines() if x.startswith("AB ")), None)
    if line is None:
        raise SystemExit(f"side {tree} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return json.loads(line[3:])


def spread(xs: list[float]) -> str:
    return f"{min(xs):.3f} / {statistics.median(xs):.3f} / {max(xs):.3f} (n={len(xs)})"


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--db", required=True)
    p.add_argument("--a", required=True, help="code tree of side A")
    p.add_argument("--b", required=True, help="code tree of side B")
    p.add_argument("--a-ahead", default=None, help="AUDITOR_COLLECT_AHEAD for side A (a tree with the knob)")
    p.add_argument("--b-ahead", default=None)
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--port", type=int, default=5432, help="e.g. a latency proxy's (latency_proxy.py) in front of 5432")
    args = p.parse_args()
    same_extensions({"A": args.a, "B": args.b})
    url = f"postgresql+psycopg://postgres@127.0.0.1:{args.port}/{args.db}"
    sides = {"A": (args.a, args.a_ahead), "B": (args.b, args.b_ahead)}
    got: dict[str, list[dict]] = {"A": [], "B": []}
    loads = []
    for r in range(args.reps):
        for name in (("A", "B") if r % 2 == 0 else ("B", "A")):
            got[name].append(run_side(*sides[name], url))
            loads.append(os.getloadavg()[0])
            g = got[name][-1]
            print(f"rep {r} {name} ({g['tree']}, ahead={g['ahead']}): e2e {g['end_to_end'][0]:.3f} s "
                  f"cpu {g['end_to_end'][1]:.3f} s (+{g['end_to_end'][2]:.3f} s in child processes), floor {g['floor_equal'][0]:.3f} s, load {loads[-1]:.2f}", flush=True)
    for name in ("A", "B"):
        e2e = [g["end_to_end"][0] for g in got[name]]
        cpu = [g["end_to_end"][1] for g in got[name]]
        kids = [g["end_to_end"][2] for g in got[name]]
        floor = [g["floor_equal"][0] for g in got[name]]
        ratio = [g["end_to_end"][0] / g["floor_equal"][0] for g in got[name]]
        print(f"{name} {sides[name]}: end to end wall {spread(e2e)} s; process CPU {spread(cpu)} s; "
              f"child processes' CPU {spread(kids)} s; "
              f"equal-work floor {spread(floor)} s; per-process ratio {spread(ratio)}x; "
              f"ratio of medians {statistics.median(e2e) / statistics.median(floor):.2f}x")
    a = statistics.median([g["end_to_end"][0] for g in got["A"]])
    b = statistics.median([g["end_to_end"][0] for g in got["B"]])
    print(f"B/A end-to-end medians: {b / a:.3f}  (load average 1-min during the run: {spread(loads)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
