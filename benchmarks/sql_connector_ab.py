"""A/B of the SQL connector alone: one code tree against another, interleaved fresh processes.

Each repetition is a fresh process per side (A, B, A, B, ...; the order alternates by round): it
imports the tree (put first on ``sys.path``), runs ``collect()`` once as a warm-up, then times one
``floor_equal`` (the equal-work floor of ``sql_inventory.py``: catalogue, count/max and a 1,000-row
sample per table over psycopg) and one ``collect()`` (wall and this process's CPU, the read-ahead
thread's included), on the estate kept by ``sql_inventory.py --keep DB``. Each side also prints a
hash of everything the connector yielded (datasets as JSON minus the run's own clock, samples'
fields and values), so the two trees' outputs are compared, not only their speed.

    .venv/bin/python benchmarks/sql_connector_ab.py --db sqlconn_bench --a /work/wt/sqlconn_base --b . --reps 5
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
import hashlib, json, os, sys, time
from datetime import UTC, datetime
sys.path.insert(0, os.environ["BENCH_DIR"])
import sql_inventory as b
from auditor.gcpause import fewer_collections
from auditor.models import Observation, Vendor
from connectors.base import CollectContext, SourceSpec
from connectors.sql import Connector
url = os.environ["BENCH_URL"]
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)

def collect():
    spec = SourceSpec(id="bench", kind="sql", vendor=Vendor(id="bench"), options=Connector.Options(url=url))
    with fewer_collections():
        return list(Connector(spec, CollectContext(as_of=AS_OF)).collect())

def digest(items):
    h = hashlib.sha256()
    for o in items:
        if isinstance(o, Observation):
            h.update(o.dataset.model_dump_json().encode())
            fields = None if o.sample is None else o.sample.fields
            h.update(json.dumps(fields, sort_keys=False).encode())
        else:
            h.update(o.model_dump_json().encode())
    return h.hexdigest()

items = collect()  # warm-up
out = {"tree": os.environ["PYTHONPATH"], "tables": sum(isinstance(o, Observation) for o in items)}
for name, fn in (("floor_equal", lambda: b.floor_equal(url)), ("connector", collect)):
    c0, t0 = time.process_time(), time.perf_counter()
    got = fn()
    out[name] = [time.perf_counter() - t0, time.process_time() - c0]
    if name == "connector":
        out["digest"] = digest(got)
print("AB " + json.dumps(out))
"""


def run_side(tree: str, url: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve()), "BENCH_DIR": str(HERE), "BENCH_URL": url,
           "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, cwd="/tmp")
    line = next((x for x in proc.stdout.splitlines() if x.startswith("AB ")), None)
    if line is None:
        raise SystemExit(f"side {tree} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return json.loads(line[3:])


def spread(xs: list[float], scale: float = 1.0, digits: int = 3) -> str:
    ys = [x * scale for x in xs]
    return f"{min(ys):.{digits}f} / {statistics.median(ys):.{digits}f} / {max(ys):.{digits}f} (n={len(ys)})"


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--db", required=True)
    p.add_argument("--a", required=True, help="code tree of side A")
    p.add_argument("--b", required=True, help="code tree of side B")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--port", type=int, default=5432)
    args = p.parse_args()
    same_extensions({"A": args.a, "B": args.b})
    url = f"postgresql+psycopg://postgres@127.0.0.1:{args.port}/{args.db}"
    got: dict[str, list[dict]] = {"A": [], "B": []}
    loads = []
    for r in range(args.reps):
        for name in (("A", "B") if r % 2 == 0 else ("B", "A")):
            got[name].append(run_side(args.a if name == "A" else args.b, url))
        loads.append(os.getloadavg()[0])
    print(f"load average (1 min) after each round: {', '.join(f'{x:.2f}' for x in loads)}")
    tables = {got[s][0]["tables"] for s in got}
    n = max(tables)
    print(f"tables: {sorted(tables)}  (min / median / max)")
    for side in ("A", "B"):
        runs = got[side]
        wall = [x["connector"][0] for x in runs]
        cpu = [x["connector"][1] for x in runs]
        fwall = [x["floor_equal"][0] for x in runs]
        fcpu = [x["floor_equal"][1] for x in runs]
        print(f"{side} {runs[0]['tree']}")
        print(f"  connector wall {spread(wall)} s   cpu {spread(cpu)} s   cpu/table {spread(cpu, 1000 / n)} ms")
        print(f"  floor     wall {spread(fwall)} s   cpu {spread(fcpu)} s   cpu/table {spread(fcpu, 1000 / n)} ms")
        print(f"  connector/floor wall ratio {spread([w / f for w, f in zip(wall, fwall)], digits=2)}")
        print(f"  output digests: {sorted({x['digest'] for x in runs})}")
    same = {x["digest"] for s in got for x in got[s]}
    print("outputs identical across sides and runs" if len(same) == 1 else "OUTPUTS DIFFER")
    return 0 if len(same) == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
