"""Classifier throughput on one core, uncapped, against a plain-``re`` baseline doing equal work.

    python benchmarks/classifier_speed.py [--quick] [--mb N]

Three workloads, each fed 1 MiB per call as the connectors feed them (benchmarks/corpus.py):

- ``csv``: a dense customer/order CSV, parsed into columns by the connectors' own reader,
  then ``classify(Sample(fields=...))``;
- ``jsonl``: the same rows as JSON lines with a nested contact object, parsed likewise;
- ``text``: mixed free text (tickets, letters, KYC notes, log lines) with e-mails, phones
  of SG/MY/ID/TH/VN/PH/CN, cards, national ids and addresses: ``classify(Sample(text=[...]))``;
- ``csv-as-text``: the CSV unparsed, as free text (a file no reader understood): the worst case.

For each, in the same process:

- **classifier, uncapped**: no per-type budget in text (``max_text_values``) and every row
  of a column read (``max_values_per_field``); past 256 values a column's validation stops
  once each type's decision is settled (99% Wilson bounds on the values read in order) and
  its counts are extrapolated (``detail.estimated``); text validates each distinct candidate
  once, and a chunk (at least 1 MiB when settling) is read as a seeded random sample of
  blocks of about 2 KiB until each present type's count is known within 10% (or 0.5 points
  of its candidates) at 99% confidence (regression estimator on block measures, finite-
  population correction), then extrapolated (``detail.estimated``; presence is decided on
  the whole chunk, and a type with too few counted occurrences reads every block);
- **classifier, exact**: the same with settling off (every value validated);
- **baseline**: the same candidates validated the same way with Python ``re`` instead of
  re2, no prefilter, no de-duplication or cache, phones by ``phonenumbers.parse`` per
  candidate and region (the naive reading), every value and every candidate;
- **classifier, capped** (defaults: 1,000 values per column, 1,000 per type in text): the
  second line, a safety bound.

Each timed run starts with the classifier's value caches empty. Before the first, one call's
worth of other text (another seed, 1 MiB; 0.25 with ``--quick``) is classified: it compiles
the patterns and lets RE2 build the DFA states it builds lazily on the first MiB a process
reads (a one-time cost per process, as a nightly run pays it once); no value it validated is
kept (the caches are emptied before each timed run). The counts of the uncapped run are compared with the baseline's on the
baseline's slice (``max count deviation``) and with the exact run's on the whole workload, per
type: the settling's extrapolation (text and columns). Each timed line runs ``--reps`` times
(3), interleaved; the figure is the median, min/median/max printed beside it.
MB/s = bytes / CPU seconds of this single-threaded process. Targets: uncapped >= 50 MB/s
and >= 20x the baseline. Prints; never asserts.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import corpus  # noqa: E402

from auditor.classify import ClassifyOptions, classify  # noqa: E402
from auditor.classify import ids  # noqa: E402
from auditor.classify import text as T  # noqa: E402
from auditor.classify import validators as v  # noqa: E402
from auditor.classify.columns import PRIORITY, validators_for  # noqa: E402
from auditor.classify.hints import field_hints  # noqa: E402
from auditor.classify.prefilter import EXTRACT_PATTERNS  # noqa: E402
from auditor.classify.types import BY_NAME  # noqa: E402
from auditor.models import Sample  # noqa: E402

MBPS_TARGET = 50.0
RATIO_TARGET = 20.0
MIB = 1 << 20
SETTLE = 256  # values a column validates before its decision may settle (the default, 1,000, keeps capped runs exact)
UNCAPPED = ClassifyOptions(max_text_values=10**9, max_text_candidates=10**9, max_values_per_field=10**9,
                           settle_values=SETTLE)
EXACT = ClassifyOptions(max_text_values=10**9, max_text_candidates=10**9, max_values_per_field=10**9, settle_values=0)
CAPPED = ClassifyOptions()


# ------------------------------------------------------------------ the naive baseline


def _py(pattern: str) -> re.Pattern[str]:
    """An re2 pattern in Python ``re`` syntax (Unicode classes spelled out)."""
    py = pattern.replace("[\\p{Ll}", "[a-zß-ÿ").replace("\\p{Lu}", "[A-ZÀ-Þ]").replace("\\p{Han}", "[\u4e00-\u9fff]")
    return re.compile(py)


_PY = {t: _py(p) for t, p in EXTRACT_PATTERNS.items()}


def _naive_validators() -> dict:
    regions = CAPPED.phone_regions
    out = dict(validators_for(CAPPED))

    def phone(value: str, hinted: bool = False) -> str | None:
        if not v._PHONE_SHAPE.fullmatch(value) or v._DATE_LIKE.fullmatch(value):
            return None
        tag = v.phone_parse_reference(value, regions)
        if tag is None or (tag.endswith(":weak") and not hinted):
            return None
        return tag.split(":", 1)[0]

    out["phone"] = phone
    return out


def baseline_fields(fields: dict[str, list]) -> Counter:
    """Every value of every column through the candidate validators in priority order."""
    validators = _naive_validators()
    found: Counter = Counter()
    for name, values in fields.items():
        hints = field_hints(name)
        order = [t for t in PRIORITY if t in hints] + [t for t in PRIORITY if t not in hints and not BY_NAME[t].context_led]
        for value in values:
            text = str(value).strip()
            if not text:
                continue
            for t in order:
                if validators[t](text, t in hints):
                    found[t] += 1
                    break
    return found


def baseline_text(text: str) -> Counter:
    """Every type's pattern over the whole text with ``re``; every candidate validated, and
    the same context rules per occurrence as the classifier's."""
    validators = _naive_validators()
    found: Counter = Counter()
    for t, rx in _PY.items():
        spec = BY_NAME[t]
        hinted = spec.hinted_in_text or t == "phone"
        context = re.compile(spec.text_context) if spec.text_context else None
        for m in rx.finditer(text):
            g = next((i for i in range(1, (rx.groups or 0) + 1) if m.group(i)), 0)
            raw = m.group(g)
            tag = validators[t](raw.strip(), hinted)
            if not tag:
                continue
            s0, e0 = m.start(g), m.end(g)
            local = text[max(0, s0 - 40): e0 + 3].encode()  # the 40 characters before, the match, 3 after
            start = len(text[max(0, s0 - 40): s0].encode())
            if t == "phone":
                ok = T._phone_in_context(local, raw.strip(), start, start + len(raw.encode()),
                                         validators[t](raw.strip(), False) is not None)
            elif spec.text_veto:
                ok = re.search(spec.text_veto, T._before(local, start, 16)) is None
            elif spec.needs_context(tag):
                ok = context is not None and context.search(T._before(local, start, spec.keywords_window)) is not None
            else:
                ok = True
            found[t] += ok
    return found


# ------------------------------------------------------------------ running


def cpu(fn) -> tuple[float, object]:
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


def pieces(text: str) -> list[str]:
    data = text.encode()
    out, start = [], 0
    while start < len(data):
        end = min(start + MIB, len(data))
        cut = data.rfind(b"\n", start, end) if end < len(data) else end
        end = cut + 1 if cut > start else end
        out.append(data[start:end].decode())
        start = end
    return out


def workload(kind: str, mb: float, seed: int, pool: int | None = None) -> tuple[list[Sample], int, float, int]:
    """Samples of about 1 MiB of input each, their bytes, and the reader's parse seconds."""
    size = int(mb * MIB)
    if kind in ("csv", "csv-as-text"):
        text = corpus.csv_text(seed=seed, target_bytes=size, pool_size=pool or 2000)
    elif kind == "jsonl":
        text = corpus.jsonl_text(seed=seed, target_bytes=size, pool_size=pool or 2000)
    else:
        text = corpus.mixed_text(seed=seed, target_bytes=size, pool_size=pool or 3000)
    parts = pieces(text)
    parse = 0.0
    samples = []
    for i, part in enumerate(parts):
        if kind == "csv":
            body = part if i == 0 else parts[0].split("\n", 1)[0] + "\n" + part
            t, fields = cpu(lambda b=body: _csv_fields(b))
            parse += t
            samples.append(Sample(fields=fields))
        elif kind == "jsonl":
            t, fields = cpu(lambda p=part: _jsonl_fields(p))
            parse += t
            samples.append(Sample(fields=fields))
        else:
            samples.append(Sample(text=[part]))
    return samples, len(text.encode()), parse, len(parts[0].encode())


def _csv_fields(text: str) -> dict[str, list]:
    """Every row into columns (the connectors' reader stops at its row bound: this does not)."""
    rows = csv.reader(io.StringIO(text))
    header = next(rows)
    cols: list[list] = [[] for _ in header]
    for row in rows:
        for col, value in zip(cols, row):
            col.append(value)
    return dict(zip(header, cols))


def _jsonl_fields(text: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for line in text.splitlines():
        if line.strip():
            _flat(json.loads(line), "", out)
    return out


def _flat(value, path: str, out: dict[str, list]) -> None:
    if isinstance(value, dict):
        for k, v_ in value.items():
            _flat(v_, f"{path}.{k}" if path else k, out)
    elif value is not None:
        out.setdefault(path, []).append(value if isinstance(value, str) else str(value))


def cold() -> None:
    """Empty the classifier's value caches: every timed run starts from nothing validated."""
    T._VERDICTS.clear()
    v._phone_parse.cache_clear()
    ids.is_company_id.cache_clear()


def counts(results) -> Counter:
    out: Counter = Counter()
    for res in results:
        for p in res:
            out[p.type] += p.count
    return out


def result(figure: str, value: float, unit: str, target: str, met: bool | None, floor: str | None = None,
           spread: str | None = None) -> None:
    line = {"benchmark": "classifier_speed", "figure": figure, "value": round(value, 1), "unit": unit, "target": target,
            "met": met}
    line.update({k: v for k, v in (("floor", floor), ("spread", spread)) if v is not None})
    print("RESULT " + json.dumps(line))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small inputs, under a minute")
    ap.add_argument("--mb", type=float, default=None, help="MiB of input per workload")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--workloads", default="csv,jsonl,text,csv-as-text")
    ap.add_argument("--reps", type=int, default=3, help="interleaved repetitions of each timed line (median kept)")
    args = ap.parse_args(argv)
    mb = args.mb or (1.0 if args.quick else 8.0)
    base_mb = 0.25 if args.quick else 1.0  # the baseline runs at ~1 MB/s: timed on the first MiB-piece's share
    print(f"MB/s = input bytes / CPU seconds of this single-threaded process; fed 1 MiB per call; {mb:g} MiB per workload;"
          f" uncapped columns may settle after {SETTLE} values")
    worst_mbps, worst_ratio = float("inf"), float("inf")
    for kind in args.workloads.split(","):
        samples, nbytes, parse, first_bytes = workload(kind, mb, args.seed)
        warm, _, _, _ = workload(kind, base_mb, args.seed + 99)  # other text: compiles the automata, caches nothing used
        for piece in warm:
            classify(piece, UNCAPPED)
        # the baseline on a slice of the same input (it is slow), scaled per byte
        share = min(1.0, base_mb * MIB / first_bytes)
        base_samples = _slice(samples, share)
        base_bytes = int(first_bytes * share)
        times: dict[str, list[float]] = {"unc": [], "exact": [], "cap": [], "base": []}
        for _ in range(args.reps):  # interleaved: a slow spell of the machine touches every line alike
            cold()
            t, res_unc = cpu(lambda s=samples: [classify(x, UNCAPPED) for x in s])
            times["unc"].append(t)
            cold()
            t, res_exact = cpu(lambda s=samples: [classify(x, EXACT) for x in s])
            times["exact"].append(t)
            cold()
            t, _ = cpu(lambda s=samples: [classify(x, CAPPED) for x in s])
            times["cap"].append(t)
            t, res_base = cpu(lambda s=base_samples: [
                baseline_fields(x.fields) + (baseline_text("\n".join(x.text)) if x.text else Counter()) for x in s])
            times["base"].append(t)
        t_unc, t_exact, t_cap, t_base = (statistics.median(times[k]) for k in ("unc", "exact", "cap", "base"))
        unc_mbps, exact_mbps, cap_mbps = nbytes / 1e6 / t_unc, nbytes / 1e6 / t_exact, nbytes / 1e6 / t_cap
        base_mbps = base_bytes / 1e6 / t_base
        ratio = unc_mbps / base_mbps
        got, exact = counts(res_unc), counts(res_exact)
        base = sum(res_base, Counter())
        cold()
        sub_unc = counts([classify(x, UNCAPPED) for x in base_samples])
        dev = max((abs(sub_unc[t] - base[t]) / max(base[t], 1) for t in set(base) | set(sub_unc)), default=0.0)
        dev_exact = {t: (got[t] - exact[t]) / max(exact[t], 1) for t in sorted(set(got) | set(exact))}

        def spread(key: str, nb: float, short: bool = False) -> str:
            mbps = sorted(nb / 1e6 / t for t in times[key])
            if short:
                return f"{mbps[0]:.1f} / {statistics.median(mbps):.1f} / {mbps[-1]:.1f} MB/s (n={len(mbps)})"
            return f"MB/s min/median/max {mbps[0]:.1f}/{statistics.median(mbps):.1f}/{mbps[-1]:.1f} over {len(mbps)} runs"

        print(f"\n[{kind}] {nbytes / 1e6:.1f} MB in {len(samples)} calls"
              + (f"; reader parse {nbytes / 1e6 / parse:.1f} MB/s (not counted)" if parse else ""))
        print(f"  types (uncapped): {', '.join(f'{t}={n}' for t, n in sorted(got.items()))}")
        print(f"  classifier, uncapped:  {unc_mbps:8.1f} MB/s ({t_unc:.2f}s cpu; {spread('unc', nbytes)})")
        print(f"  classifier, exact:     {exact_mbps:8.1f} MB/s ({t_exact:.2f}s cpu; every value validated;"
              f" {spread('exact', nbytes)})")
        print(f"  classifier, capped:    {cap_mbps:8.1f} MB/s ({t_cap:.2f}s cpu; the safety bound; {spread('cap', nbytes)})")
        print(f"  baseline re (naive):   {base_mbps:8.1f} MB/s ({t_base:.2f}s cpu on {base_bytes / 1e6:.2f} MB;"
              f" {spread('base', base_bytes)})")
        print(f"  uncapped / baseline: {ratio:.1f}x; max count deviation from the baseline on its slice: {dev:.1%}")
        print(f"  uncapped counts vs exact on the whole workload: max {max(map(abs, dev_exact.values()), default=0):.1%} ("
              + ", ".join(f"{t} {d:+.1%}" for t, d in dev_exact.items()) + ")")
        floor = f"baseline re, equal work {spread('base', base_bytes, True)}"
        result(f"{kind}: classifier uncapped", unc_mbps, "MB/s", f">= {MBPS_TARGET:.0f} MB/s", unc_mbps >= MBPS_TARGET,
               floor, spread("unc", nbytes, True))
        result(f"{kind}: classifier exact (no settling)", exact_mbps, "MB/s", "(reference)", None, floor,
               spread("exact", nbytes, True))
        result(f"{kind}: classifier capped", cap_mbps, "MB/s", "(reference)", None, floor, spread("cap", nbytes, True))
        result(f"{kind}: baseline re, equal work", base_mbps, "MB/s", "(reference)", None, None,
               spread("base", base_bytes, True))
        result(f"{kind}: uncapped / baseline", ratio, "x", f">= {RATIO_TARGET:.0f}x", ratio >= RATIO_TARGET, floor)
        worst_mbps, worst_ratio = min(worst_mbps, unc_mbps), min(worst_ratio, ratio)
    print(f"\nFINAL speed: slowest workload {worst_mbps:.1f} MB/s uncapped vs target {MBPS_TARGET:.0f} "
          f"({'met' if worst_mbps >= MBPS_TARGET else 'MISSED'}); lowest ratio {worst_ratio:.1f}x vs target "
          f"{RATIO_TARGET:.0f}x ({'met' if worst_ratio >= RATIO_TARGET else 'MISSED'})")
    return 0


def _slice(samples: list[Sample], share: float) -> list[Sample]:
    """The first ``share`` of the first sample (rows of each column, or characters of text)."""
    first = samples[0]
    if first.fields:
        return [Sample(fields={k: vals[: int(len(vals) * share)] for k, vals in first.fields.items()},
                       text=[t[: int(len(t) * share)] for t in first.text])]
    text = first.text[0]
    return [Sample(text=[text[: int(len(text) * share)]])]


if __name__ == "__main__":
    raise SystemExit(main())
