"""Classifier quality at column level: per-type precision, recall and F1.

    python benchmarks/classifier_quality.py [--quick] [--seed N] [--per-type N]

Generates a labelled corpus (benchmarks/corpus.py), classifies each column on its own
(as a connector would hand it over), and compares the types assigned with the labels.
Targets: F1 >= 0.95 for every type; precision >= 0.99 for payment_card and national_id.
Prints; never asserts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402

from auditor.classify import classify  # noqa: E402
from auditor.models import PERSONAL_DATA_TYPES, Sample  # noqa: E402

F1_TARGET = 0.95
PRECISION_TARGETS = {"payment_card": 0.99, "national_id": 0.99}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small corpus, a few seconds")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--per-type", type=int, default=None)
    ap.add_argument("--show-errors", action="store_true", help="print column names (never values) of misses")
    args = ap.parse_args(argv)
    per_type = args.per_type or (12 if args.quick else 60)
    cols = corpus.columns(seed=args.seed, per_type=per_type)
    tp, fp, fn = Counter(), Counter(), Counter()
    errors: list[str] = []
    started = time.perf_counter()
    for name, values, labels in cols:
        got = {p.type for p in classify(Sample(fields={name: values}))}
        for t in got & labels:
            tp[t] += 1
        for t in got - labels:
            fp[t] += 1
            errors.append(f"  FP {t:22s} column {name!r} (labels {sorted(labels)})")
        for t in labels - got:
            fn[t] += 1
            errors.append(f"  FN {t:22s} column {name!r}")
    elapsed = time.perf_counter() - started
    decoys = sum(1 for c in cols if not c[2])
    print(f"classifier quality: {len(cols)} columns ({decoys} decoys), seed {args.seed}, {elapsed:.2f}s")
    print(f"{'type':22s} {'TP':>4s} {'FP':>4s} {'FN':>4s} {'precision':>9s} {'recall':>7s} {'F1':>6s}  target")
    met_all = True
    results = []
    for t in PERSONAL_DATA_TYPES:
        p = tp[t] / (tp[t] + fp[t]) if tp[t] + fp[t] else 1.0
        r = tp[t] / (tp[t] + fn[t]) if tp[t] + fn[t] else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        p_target = PRECISION_TARGETS.get(t)
        met = f1 >= F1_TARGET and (p_target is None or p >= p_target)
        met_all &= met
        target = f"F1>={F1_TARGET}" + (f", P>={p_target}" if p_target else "")
        print(f"{t:22s} {tp[t]:4d} {fp[t]:4d} {fn[t]:4d} {p:9.3f} {r:7.3f} {f1:6.3f}  {target} {'met' if met else 'MISSED'}")
        results.append((t, p, r, f1, met, target))
    if args.show_errors and errors:
        print("errors:")
        print("\n".join(errors))
    for t, _p, _r, f1, met, target in results:
        print("RESULT " + json.dumps({"benchmark": "classifier_quality", "figure": f"{t} F1", "value": round(f1, 3),
                                      "unit": "", "target": target, "met": met}))
    worst = min(results, key=lambda x: x[3])
    pc = next(x for x in results if x[0] == "payment_card")
    ni = next(x for x in results if x[0] == "national_id")
    print(f"FINAL quality: min F1 {worst[3]:.3f} ({worst[0]}) vs target {F1_TARGET}; precision payment_card "
          f"{pc[1]:.3f}, national_id {ni[1]:.3f} vs target 0.99: {'all met' if met_all else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
