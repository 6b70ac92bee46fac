"""Classifier CPU per column on the SQL benchmark estate's columns, A/B against another checkout.

    python benchmarks/classifier_columns.py [--tables 1001] [--reps 5] [--baseline DIR]

The columns are those of ``benchmarks/sql_inventory.py``'s estate (``id`` serial, ``full_name``
'Name N', ``email`` 'userN@example.com', ``phone`` '+65 9NNNNNNN', ``city`` 'Singapore',
``score`` float, ``created_at``/``updated_at`` timestamps), as the SQL connector hands them to
the classifier (``connectors/sql/sampling.py``: lists of ``str``, timestamps in ``isoformat``,
floats as ``repr``): ``tables - 1`` tables of 200 rows and one 1,000-row random sample of a
5M-row table. Each table is one ``classify(Sample(fields=...))`` call, as the engine makes it.

The figure is process CPU time of the whole pass divided by the number of columns, in a fresh
child process per repetition (the classifier's caches start empty, as in a scan; the patterns
are compiled and the caches warmed by one table of other values first). With ``--baseline``,
children of this checkout and of ``DIR`` (another revision's tree, e.g. from ``git archive``)
alternate, and both medians with min/max are printed. Prints; never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]


def table(g_values: list[int], seed: int, big: bool = False) -> dict[str, list[str]]:
    """One table's sampled columns, as the SQL connector gives them (``str`` values)."""
    from datetime import datetime, timedelta

    rnd = random.Random(seed)
    step = timedelta(seconds=1) if big else None
    base_c, base_u = datetime(2018, 1, 1), datetime(2019, 3, 1)
    return {
        "id": [str(g) for g in g_values],
        "full_name": [f"Name {g}" for g in g_values],
        "email": [f"user{g}@example.com" for g in g_values],
        "phone": [f"+65 9{g % 10_000_000:07d}" for g in g_values],
        "city": ["Singapore"] * len(g_values),
        "score": [repr(rnd.random()) for _ in g_values],
        "created_at": [(base_c + (step or timedelta(hours=1)) * g).isoformat() for g in g_values],
        "updated_at": [(base_u + (step or timedelta(minutes=1)) * g).isoformat() for g in g_values],
    }


def estate(tables: int) -> list[dict[str, list[str]]]:
    out = [table(list(range(1, 201)), seed=i) for i in range(tables - 1)]
    rnd = random.Random(5)
    out.append(table(sorted(rnd.sample(range(1, 5_000_001), 1000)), seed=tables, big=True))
    return out


def child(root: str, tables: int, what: str) -> None:
    sys.path.insert(0, root)
    import auditor.classify as classify_mod
    from auditor.classify import ClassifyOptions, classify
    from auditor.classify.columns import decide_field, validators_for
    from auditor.models import Sample

    assert Path(classify_mod.__file__).resolve().is_relative_to(Path(root).resolve()), classify_mod.__file__
    samples = estate(tables)
    warm = table(list(range(900_001, 900_201)), seed=-1)
    options = ClassifyOptions()
    classify(Sample(fields=warm))
    found = 0
    if what == "classify":
        wrapped = [Sample(fields=f) for f in samples]
        t0 = time.process_time()
        for s in wrapped:
            found += len(classify(s))
        cpu = time.process_time() - t0
    else:  # decide_field alone, as classify() calls it
        t0 = time.process_time()
        for fields in samples:
            validators = validators_for(options)
            for name, values in fields.items():
                found += len(decide_field(name, values, options, validators)[0])
        cpu = time.process_time() - t0
    columns = sum(map(len, samples))
    print(json.dumps({"cpu": cpu, "columns": columns, "found": found}))


def run(root: str, tables: int, what: str) -> dict:
    env = dict(os.environ, PYTHONHASHSEED="0")
    out = subprocess.run([sys.executable, str(HERE), "--child", root, "--tables", str(tables), "--what", what],
                         check=True, capture_output=True, text=True, env=env, cwd="/")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=1001)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--what", choices=("classify", "decide_field"), default="classify")
    ap.add_argument("--baseline", default=None, help="another checkout's root: A/B, alternating children")
    ap.add_argument("--branch", default=str(ROOT), help="the checkout measured against it (default: this one)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.tables, args.what)
        return
    roots = {"branch": str(Path(args.branch).resolve())}
    if args.baseline:
        roots = {"baseline": str(Path(args.baseline).resolve()), **roots}
    per_col: dict[str, list[float]] = {k: [] for k in roots}
    found: dict[str, set[int]] = {k: set() for k in roots}
    for rep in range(args.reps):
        names = list(roots) if rep % 2 == 0 else list(roots)[::-1]
        for name in names:
            got = run(roots[name], args.tables, args.what)
            per_col[name].append(got["cpu"] / got["columns"] * 1e6)
            found[name].add(got["found"])
    for name, xs in per_col.items():
        print(f"{name:9s} {args.what}: {statistics.median(xs):7.1f} us CPU/column "
              f"(min {min(xs):.1f}, max {max(xs):.1f}, {len(xs)} reps; hits {sorted(found[name])})")
    if args.baseline:
        b, n = statistics.median(per_col["baseline"]), statistics.median(per_col["branch"])
        print(f"branch / baseline: {n / b:.3f}")


if __name__ == "__main__":
    main()
