"""The block estimator's coverage over many seeded orders (``auditor/classify/blocks.py``).

    python benchmarks/estimator_coverage.py [--trials 5000] [--kinds unpredicted,odd-line,mixed]

The CI test (``tests/unit/classify/test_block_coverage.py``) runs 200 orders a text: it catches
a gross loss of coverage, not one of a point. This runs the same simulation (the sampling rule
as ``scan_text`` runs it, per block ``Estimate.add`` then ``Estimate.step``) over many more
orders, from seed 1000 on (not the CI test's), and prints per kind of text the settled trials,
their miss rate (outside 10% of the exact count, or 0.5 points of the candidates) with its 95%
Wilson interval, and the blocks read. The rule holds when the miss rate is at most 1% within
that sampling error (the interval's low end at most 1%).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the test module imports its sibling as tests.unit.classify...
_spec = importlib.util.spec_from_file_location("block_coverage", HERE.parent / "tests/unit/classify/test_block_coverage.py")
assert _spec is not None and _spec.loader is not None
cov = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cov)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if not n:
        return 0.0, 1.0
    p = k / n
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(mid - half, 0.0), min(mid + half, 1.0)


def populations(kind: str) -> list:
    if kind == "unpredicted":
        return [cov._unpredicted(seed) for seed in (1, 2)]
    mp = pytest.MonkeyPatch()
    try:
        return [cov._population(text, mp) for text in cov.CORPORA[kind](100)]
    finally:
        mp.undo()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=5000, help="seeded orders per text")
    ap.add_argument("--kinds", default="unpredicted,odd-line,mixed")
    args = ap.parse_args()
    worst_low = 0.0
    for kind in args.kinds.split(","):
        started = time.process_time()
        missed = settled = trials = 0
        reads: list[int] = []
        for chunk, blocks, per_type in populations(kind):
            for name, runs in cov.simulate(chunk, blocks, per_type, args.trials, first=1000).items():
                s = [w for w, _, _ in runs if w is not None]
                settled += len(s)
                missed += len(s) - sum(s)
                trials += len(runs)
                reads += [r for _, r, _ in runs]
        reads.sort()
        low, high = wilson(missed, settled)
        worst_low = max(worst_low, low)
        print(f"{kind}: {trials} trials, settled {settled}, missed {missed} = {missed / max(settled, 1):.2%} "
              f"(95% {low:.2%}..{high:.2%}); blocks read median {reads[len(reads) // 2]}, "
              f"p90 {reads[len(reads) * 9 // 10]}; {time.process_time() - started:.0f} s CPU", flush=True)
    return 0 if worst_low <= 0.01 else 1


if __name__ == "__main__":
    sys.exit(main())
