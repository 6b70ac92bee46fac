"""Classifier throughput on one core, against a plain per-pattern ``re`` baseline.

    python benchmarks/classifier_speed.py [--quick] [--mb N]

Both run in the same process over the same generated CSV text (benchmarks/corpus.py):

- classifier: ``classify(Sample(text=[csv]))`` with default options: one ``re2.Set``
  pass per 64 KiB chunk tells which types can be present, then candidates of those
  types are extracted and validated, up to ``max_text_values`` validated values per
  type (the count is then a lower bound, flagged ``capped``);
- classifier, uncapped: the same with no budget (every candidate validated);
- baseline: for every type, Python ``re.finditer`` of the same pattern over the whole
  text and the same validator on every candidate (what a naive scanner does).

Targets: >= 50 MB/s for the classifier and >= 5x the baseline. Prints; never asserts.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402

from auditor.classify import ClassifyOptions, classify  # noqa: E402
from auditor.classify.columns import validators_for  # noqa: E402
from auditor.classify.prefilter import EXTRACT_PATTERNS  # noqa: E402
from auditor.models import Sample  # noqa: E402

MBPS_TARGET = 50.0
RATIO_TARGET = 5.0


def baseline(text: str, options: ClassifyOptions) -> int:
    validators = validators_for(options)
    found = 0
    for type_, pattern in EXTRACT_PATTERNS.items():
        rx = re.compile(pattern)
        validate = validators[type_]
        for m in rx.finditer(text):
            raw = m.group(1) if rx.groups else m.group()
            if validate(raw.strip(), True) is not None:
                found += 1
    return found


def best_of(fn, repeat: int) -> tuple[float, float]:
    """Best CPU seconds (this process, one thread: one core) and best wall seconds."""
    cpu = wall = float("inf")
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu, wall = min(cpu, time.process_time() - c0), min(wall, time.perf_counter() - w0)
    return cpu, wall


def result(figure: str, value: float, unit: str, target: str, met: bool | None) -> None:
    print("RESULT " + json.dumps({"benchmark": "classifier_speed", "figure": figure, "value": round(value, 1),
                                  "unit": unit, "target": target, "met": met}))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small text, a few seconds")
    ap.add_argument("--mb", type=float, default=None, help="size of the CSV text in MB")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args(argv)
    mb = args.mb or (4.0 if args.quick else 50.0)
    repeat = 2 if args.quick else 3
    text = corpus.csv_text(seed=args.seed, target_bytes=int(mb * 1e6))
    size_mb = len(text.encode()) / 1e6
    options = ClassifyOptions()
    uncapped = ClassifyOptions(max_text_values=10**9, max_text_candidates=10**9)
    sample = Sample(text=[text])
    found = classify(sample, options)
    (t_cls, w_cls) = best_of(lambda: classify(sample, options), repeat)
    # the uncapped run and the baseline validate every candidate (~1-2 MB/s): time a slice
    slice_text = text[: int(len(text) * min(1.0, (0.5 if args.quick else 4.0) / size_mb))]
    slice_mb = len(slice_text.encode()) / 1e6
    slice_sample = Sample(text=[slice_text])
    (t_unc, w_unc) = best_of(lambda: classify(slice_sample, uncapped), 1)
    (t_base, w_base) = best_of(lambda: baseline(slice_text, options), 1)
    cls_mbps, unc_mbps, base_mbps = size_mb / t_cls, slice_mb / t_unc, slice_mb / t_base
    ratio = cls_mbps / base_mbps
    print(f"CSV text: {size_mb:.1f} MB, {text.count(chr(10))} rows; MB/s = bytes / CPU seconds of this single-threaded "
          f"process (wall seconds in brackets); best of {repeat}")
    print(f"types found: {', '.join(f'{p.type}={p.count}' for p in found)}")
    print(f"classifier (re2.Set prefilter + capped validation): {cls_mbps:8.1f} MB/s ({t_cls:.3f}s cpu, {w_cls:.3f}s wall)")
    print(f"classifier, every candidate validated ({slice_mb:.1f} MB):   {unc_mbps:8.1f} MB/s ({t_unc:.3f}s cpu, {w_unc:.3f}s wall)")
    print(f"baseline: per-pattern re + validation ({slice_mb:.1f} MB): {base_mbps:8.1f} MB/s ({t_base:.3f}s cpu, {w_base:.3f}s wall)")
    print(f"ratio classifier / baseline: {ratio:.1f}x; uncapped / baseline: {unc_mbps / base_mbps:.1f}x")
    result("classifier throughput", cls_mbps, "MB/s", f">= {MBPS_TARGET:.0f} MB/s", cls_mbps >= MBPS_TARGET)
    result("classifier throughput, uncapped", unc_mbps, "MB/s", "(reference)", None)
    result("baseline re throughput", base_mbps, "MB/s", "(reference)", None)
    result("ratio vs re baseline", ratio, "x", f">= {RATIO_TARGET:.0f}x", ratio >= RATIO_TARGET)
    print(f"FINAL speed: {cls_mbps:.1f} MB/s vs target {MBPS_TARGET:.0f} ({'met' if cls_mbps >= MBPS_TARGET else 'MISSED'}); "
          f"{ratio:.1f}x baseline vs target {RATIO_TARGET:.0f}x ({'met' if ratio >= RATIO_TARGET else 'MISSED'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
