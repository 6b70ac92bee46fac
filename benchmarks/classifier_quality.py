"""Classifier quality: per-type precision, recall and F1, with sample sizes.

    python benchmarks/classifier_quality.py [--quick] [--seed N] [--per-type N]

Three corpora (benchmarks/corpus.py):

1. columns of the project's own labelled generator (``corpus.columns``), each classified on
   its own as a connector hands it over; targets: F1 >= 0.95 for every type, precision
   >= 0.99 for payment_card and national_id;
2. columns of an independent, noisy generator (``corpus.noisy_columns``): mixed formats in
   one column, separators and country prefixes, Asian ids, addresses of seven countries,
   and decoy columns under telling names (app versions, order/invoice numbers, UENs);
3. free-text documents of the same generator (``corpus.documents``): tickets, letters,
   KYC notes and log lines with near-miss decoys; per type, a document counts as found
   when the classifier names the type in it (document-level precision and recall).

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
    ap.add_argument("--noisy-per-type", type=int, default=None, help="independent generator: columns per type")
    ap.add_argument("--docs", type=int, default=None, help="independent generator: free-text documents")
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
    noisy_results = independent(args.seed, args.noisy_per_type or (8 if args.quick else 40),
                                args.docs or (300 if args.quick else 2000), args.show_errors)
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
    for line in noisy_results:
        print(line)
    return 0


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _table(title: str, tp: Counter, fp: Counter, fn: Counter, support: Counter) -> list[str]:
    out = [title, f"{'type':22s} {'n':>5s} {'TP':>5s} {'FP':>5s} {'FN':>5s} {'precision':>9s} {'recall':>7s} {'F1':>6s}"]
    for t in sorted(set(tp) | set(fp) | set(fn)):
        p, r, f1 = _prf(tp[t], fp[t], fn[t])
        out.append(f"{t:22s} {support[t]:5d} {tp[t]:5d} {fp[t]:5d} {fn[t]:5d} {p:9.3f} {r:7.3f} {f1:6.3f}")
    return out


def _flagged_without_vetoes(decoys: list) -> Counter:
    """The decoy columns flagged when names cannot veto a type (the measure of the vetoes)."""
    from auditor.classify import hints

    saved = dict(hints._VETO)
    hints._VETO.clear()
    hints.field_vetoes.cache_clear()
    try:
        out: Counter = Counter()
        for name, values, _ in decoys:
            for p in classify(Sample(fields={name: values})):
                out[f"{name}:{p.type}"] += 1
        return out
    finally:
        hints._VETO.update(saved)
        hints.field_vetoes.cache_clear()


def independent(seed: int, per_type: int, n_docs: int, show_errors: bool) -> list[str]:
    """Per-type precision/recall on the independent noisy generator: columns and documents."""
    lines: list[str] = []
    cols = corpus.noisy_columns(seed=seed + 100, per_type=per_type)
    tp, fp, fn, support = Counter(), Counter(), Counter(), Counter()
    decoy_flagged: Counter = Counter()
    errors: list[str] = []
    for name, values, labels in cols:
        got = {p.type for p in classify(Sample(fields={name: values}))}
        for t in labels:
            support[t] += 1
        for t in got & labels:
            tp[t] += 1
        for t in got - labels:
            fp[t] += 1
            errors.append(f"  FP {t:22s} column {name!r}")
            if not labels:
                decoy_flagged[name] += 1
        for t in labels - got:
            fn[t] += 1
            errors.append(f"  FN {t:22s} column {name!r}")
    decoys = sum(1 for c in cols if not c[2])
    without = _flagged_without_vetoes([c for c in cols if not c[2]])
    lines.append("")
    lines += _table(f"independent noisy columns: {len(cols)} columns ({decoys} decoy columns: app versions, order/invoice "
                    f"numbers, UENs), seed {seed + 100}", tp, fp, fn, support)
    lines.append(f"decoy columns flagged: {sum(decoy_flagged.values())} of {decoys}"
                 + (f" ({dict(decoy_flagged)})" if decoy_flagged else "")
                 + f"; with the column-name vetoes switched off: {sum(without.values())} ({dict(without)})")
    if show_errors:
        lines += errors
    for t in sorted(support):
        p, r, f1 = _prf(tp[t], fp[t], fn[t])
        lines.append("RESULT " + json.dumps({"benchmark": "classifier_quality", "figure": f"noisy columns {t} P/R",
                                             "value": f"{p:.3f}/{r:.3f}", "unit": f"n={support[t]}",
                                             "target": "(reference)", "met": None}))
    docs = corpus.documents(seed=seed + 200, n=n_docs)
    tp, fp, fn, support = Counter(), Counter(), Counter(), Counter()
    for text, labels in docs:
        got = {p.type for p in classify(Sample(text=[text]))}
        want = set(labels)
        for t in want:
            support[t] += 1
        for t in got & want:
            tp[t] += 1
        for t in got - want:
            fp[t] += 1
        for t in want - got:
            fn[t] += 1
    lines.append("")
    lines += _table(f"independent free-text documents: {len(docs)} documents (tickets, letters, KYC notes, log lines; "
                    f"{sum(1 for _, lab in docs if not lab)} with decoys only), seed {seed + 200}", tp, fp, fn, support)
    for t in sorted(set(support) | set(fp)):
        p, r, f1 = _prf(tp[t], fp[t], fn[t])
        lines.append("RESULT " + json.dumps({"benchmark": "classifier_quality", "figure": f"documents {t} P/R",
                                             "value": f"{p:.3f}/{r:.3f}", "unit": f"n={support[t]}",
                                             "target": "(reference)", "met": None}))
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
