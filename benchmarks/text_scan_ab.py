"""Interleaved A/B of the free-text scan: another version of ``auditor/classify/text.py`` against
this tree's, in one process, on the classifier benchmark's text workloads (uncapped, settling).

    git show main:auditor/classify/text.py > /tmp/text_main.py
    python benchmarks/text_scan_ab.py /tmp/text_main.py [--workloads text,csv-as-text] [--reps 8] [--mb 8]

Each rep empties both versions' verdict caches (and the shared validator caches), then feeds every
1 MiB call to both, the order alternating per call, so that a busy spell of the machine touches
both alike. MB/s = input bytes / process CPU seconds of the calls to each version. Prints the
medians, min/max and the per-rep ratio; never asserts.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import classifier_speed as B  # noqa: E402

from auditor.classify import ids  # noqa: E402
from auditor.classify import text as NEW  # noqa: E402
from auditor.classify import validators as v  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("other", help="the other version of auditor/classify/text.py (a file)")
    ap.add_argument("--workloads", default="text,csv-as-text")
    ap.add_argument("--reps", type=int, default=8)
    ap.add_argument("--mb", type=float, default=8.0)
    args = ap.parse_args(argv)
    spec = importlib.util.spec_from_file_location("text_other", args.other)
    assert spec is not None and spec.loader is not None
    other = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(other)
    for kind in args.workloads.split(","):
        warm, _, _, _ = B.workload(kind, 1, 99)
        samples, nbytes, _, _ = B.workload(kind, args.mb, 11)
        for module in (other, NEW):
            for piece in warm:
                module.scan_text(piece.text, B.UNCAPPED)
        mbps: dict[str, list[float]] = {"other": [], "this": []}
        for rep in range(args.reps):
            NEW._VERDICTS.clear()
            other._VERDICTS.clear()
            v._phone_parse.cache_clear()
            ids.is_company_id.cache_clear()
            spent = {"other": 0.0, "this": 0.0}
            for i, sample in enumerate(samples):
                pair = [("other", other), ("this", NEW)]
                for name, module in (pair if (i + rep) % 2 == 0 else pair[::-1]):
                    t0 = time.process_time()
                    module.scan_text(sample.text, B.UNCAPPED)
                    spent[name] += time.process_time() - t0
            for name, t in spent.items():
                mbps[name].append(nbytes / 1e6 / t)
        for name, xs in mbps.items():
            print(f"{kind:12s} {name:5s}: median {statistics.median(xs):6.1f} MB/s  min {min(xs):6.1f}  "
                  f"max {max(xs):6.1f}  (n={len(xs)})")
        ratios = [a / b for a, b in zip(mbps["this"], mbps["other"])]
        print(f"{kind:12s} this/other per rep: median {statistics.median(ratios):.3f}  min {min(ratios):.3f}  "
              f"max {max(ratios):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
