"""Where the uncapped free-text classifier spends its time per MiB, and what bounds it.

    python benchmarks/text_breakdown.py [--mb 8] [--workloads text,csv-as-text]

The same inputs as ``classifier_speed.py`` (seed 11, fed 1 MiB per call, uncapped, one
call's worth of other text classified first). For each workload:

- the CPU time of a plain uncapped run (ms per MiB-call, MB/s);
- an instrumented run (functions wrapped with CPU timers: slower in total, the shares are
  what matters): the whole-chunk passes (encoding, block cut, block measures and the blocks
  read exactly, the prefilter), the per-block work (extraction, estimator checks, first-time
  validation per type) and the rest (the counting loop and context checks);
- the sampled blocks each type reads per chunk and the block count its estimate settled at;
- the floor this gives: the whole-chunk passes plus, per type, ``MIN_BLOCKS`` block reads at
  the measured cost of one (the least the estimator's rule lets a type read), and the cost
  per block read that 50 MB/s would need at the measured number of reads;
- a ``RESULT`` line: that floor in MB/s, beside the plain run's figure;
- three ideas checked against the data before building them: a ``re2.Set`` per block to skip
  a type's extraction where it has no match (how many reads found nothing), a verdict cache
  keyed by the normalised digits of a phone (how many validations it would save), and one
  combined extraction pass for every type (how many of each type's matches a leftmost-first
  alternation keeps: overlapping matches of other types are lost).

Prints; never asserts. Wraps internals for the instrumented run only, and restores them.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import classifier_speed as cs  # noqa: E402
import re2  # noqa: E402
from _result import result  # noqa: E402

from auditor.classify import blocks as B  # noqa: E402
from auditor.classify import text as T  # noqa: E402
from auditor.classify import validators as v  # noqa: E402
from auditor.classify.prefilter import EXTRACT, EXTRACT_PATTERNS  # noqa: E402

MIB = 1 << 20
TARGET = 50.0


def _timed_run(samples) -> float:
    cs.cold()
    t0 = time.process_time()
    for s in samples:
        cs.classify(s, cs.UNCAPPED)
    return time.process_time() - t0


def _instrumented(samples) -> tuple[float, Counter, Counter, Counter, Counter, Counter, list[int], int, set[str]]:
    acc: Counter = Counter()
    calls: Counter = Counter()
    reads: Counter = Counter()
    empty: Counter = Counter()
    matches: Counter = Counter()
    settled_at: list[int] = []
    clock = time.process_time
    names = {id(rx): name for name, rx in EXTRACT.items()}
    phones: set[str] = set()
    saved: list[tuple[object, str, object]] = []

    def patch(owner, attr: str, label: str, before=None, after=None) -> None:
        f = getattr(owner, attr)
        saved.append((owner, attr, f))

        def timed(*a, **k):
            if before is not None:
                before(*a, **k)
            t0 = clock()
            try:
                out = f(*a, **k)
            finally:
                acc[label] += clock() - t0
                calls[label] += 1
            if after is not None:
                after(out, *a, **k)
            return out
        setattr(owner, attr, timed)

    def on_extract(out, rx, chunk, start=0, stop=-1):
        if stop >= 0:  # a block's read (the whole chunk's reads are the unsampled path)
            name = names.get(id(rx), "?")
            reads[name] += 1
            empty[name] += not out
            matches[name] += sum(map(len, out.values()))

    def on_step(out, self):
        if out is not None and out is not True:
            settled_at.append(self.n)

    patch(T, "_present", "prefilter (_present)")
    patch(T, "_candidates", "extraction (_candidates)", after=on_extract)
    patch(B, "cut", "block cut")
    patch(B, "measures", "block measures")
    patch(B, "certain", "blocks read exactly (certain)")
    patch(B.Estimate, "settled", "estimator checks (settled)")
    patch(B.Estimate, "step", "_step", after=on_step)
    patch(v, "phone_reading", "validation: phone", before=lambda raw, regions: phones.add(raw))
    validators_for = T.validators_for
    wrapped: dict[int, dict] = {}

    def timed_validators(options):
        got = validators_for(options)
        if id(got) not in wrapped:
            table = {}
            for name, f in got.items():
                def timed(value, hinted=False, f=f, label=f"validation: {name}"):
                    t0 = clock()
                    try:
                        return f(value, hinted)
                    finally:
                        acc[label] += clock() - t0
                        calls[label] += 1
                table[name] = timed
            wrapped[id(got)] = table
        return wrapped[id(got)]

    T.validators_for = timed_validators  # type: ignore[assignment]
    try:
        total = _timed_run(samples)
        t0 = clock()  # what chunks_of does first: the text to UTF-8 (a generator: not timed by wrapping)
        for s in samples:
            for piece in s.text:
                piece.encode("utf-8", "replace")
        acc["encode (UTF-8)"] += clock() - t0
        total += clock() - t0
    finally:
        T.validators_for = validators_for  # type: ignore[assignment]
        for owner, attr, f in reversed(saved):
            setattr(owner, attr, f)
    return total, acc, calls, reads, empty, matches, settled_at, len(phones), phones


def _combined_keeps(chunk: bytes) -> dict[str, tuple[int, int]]:
    """Per type: its matches scanned alone, and those a leftmost-first alternation of every
    type's pattern (one pass) yields for it."""
    def scan(regexp, groups: dict[int, str] | None) -> Counter:
        out: Counter = Counter()
        pos, n = 0, len(chunk)
        while True:
            spans = regexp.Match(re2._Anchor.UNANCHORED, chunk, pos, n)
            first, last = spans[0]
            if first < 0:
                break
            if groups is None:
                out["*"] += 1
            else:
                out[next((t for g, t in groups.items() if spans[g][0] >= 0), "?")] += 1
            pos = last if last > first else last + 1
        return out
    alone = {t: scan(re2.compile(p.encode())._regexp, None)["*"] for t, p in EXTRACT_PATTERNS.items()}
    groups, g = {}, 1
    for t, p in EXTRACT_PATTERNS.items():
        groups[g] = t
        g += 1 + re2.compile(p.encode())._regexp.NumberOfCapturingGroups()
    combined = re2.compile(b"|".join(b"(" + p.encode() + b")" for p in EXTRACT_PATTERNS.values()))
    together = scan(combined._regexp, groups)
    return {t: (alone[t], together[t]) for t in EXTRACT_PATTERNS if alone[t]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=8.0)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--workloads", default="text,csv-as-text")
    args = ap.parse_args(argv)
    for kind in args.workloads.split(","):
        samples, nbytes, _, _ = cs.workload(kind, args.mb, args.seed)
        warm, _, _, _ = cs.workload(kind, 1.0, args.seed + 99)
        for piece in warm:
            cs.classify(piece, cs.UNCAPPED)
        calls_n = len(samples)
        plain = [_timed_run(samples) for _ in range(args.reps)]
        t_plain = statistics.median(plain)
        total, acc, calls, reads, empty, matches, settled_at, n_phones, phones = _instrumented(samples)
        per = 1e3 / calls_n
        print(f"\n[{kind}] {nbytes / 1e6:.1f} MB in {calls_n} calls; plain run {t_plain * per:.1f} ms/call "
              f"({nbytes / 1e6 / t_plain:.1f} MB/s, median of {args.reps}: "
              + "/".join(f"{nbytes / 1e6 / t:.1f}" for t in sorted(plain, reverse=True)) + ")")
        print(f"  instrumented run {total * per:.1f} ms/call (timers included); per call:")
        whole = ("encode (UTF-8)", "block cut", "block measures", "blocks read exactly (certain)",
                 "prefilter (_present)")
        fixed = sum(acc[k] for k in whole)
        for k in whole:
            print(f"    {k:34s} {acc[k] * per:6.2f} ms")
        print(f"    {'= whole-chunk passes':34s} {fixed * per:6.2f} ms")
        named = [k for k in acc if k not in whole and not k.startswith("_")]
        for k in sorted(named, key=lambda k: -acc[k]):
            print(f"    {k:34s} {acc[k] * per:6.2f} ms  ({calls[k] / calls_n:.0f} calls)")
        rest = total - fixed - sum(acc[k] for k in named)
        print(f"    {'rest (counting loop, contexts, timers)':34s} {rest * per:6.2f} ms")
        n_reads = sum(reads.values())
        if n_reads:
            # the least disturbed plain run (load only adds time) past the passes (as timed: a few calls' timers)
            per_read = (min(plain) - fixed) / n_reads
            types = len(reads)
            print("  block reads per call: " + ", ".join(f"{t} {n / calls_n:.0f}" for t, n in reads.most_common())
                  + f"; total {n_reads / calls_n:.0f} of ~{MIB // B.BLOCK} blocks")
            print("  matches per block read: " + ", ".join(f"{t} {matches[t] / reads[t]:.1f}" for t in reads))
            if settled_at:
                print(f"  settled at n blocks: min {min(settled_at)}, median {statistics.median(settled_at):.0f}, "
                      f"max {max(settled_at)} ({len(settled_at)} settled counts)")
            fixed_plain = fixed / calls_n
            budget = nbytes / calls_n / 1e6 / TARGET
            floor = fixed_plain + types * B.MIN_BLOCKS * per_read
            print(f"  cost of one block read (fastest plain run, past the whole-chunk passes): {per_read * 1e6:.0f} us")
            print(f"  50 MB/s is {budget * 1e3:.1f} ms/call; whole-chunk passes ~{fixed_plain * 1e3:.1f} ms leave "
                  f"{(budget - fixed_plain) * 1e3:.1f} ms: {(budget - fixed_plain) / (n_reads / calls_n) * 1e6:.0f} us "
                  f"a read at the reads measured")
            print(f"  floor at {B.MIN_BLOCKS} reads for each of {types} types (MIN_BLOCKS): {floor * 1e3:.1f} ms/call "
                  f"= {nbytes / calls_n / 1e6 / floor:.1f} MB/s")
            result("classifier_speed", f"{kind}: the sampling design's least cost (whole-chunk passes + {B.MIN_BLOCKS} "
                   f"block reads per present type at the measured cost of one), fed 1 MiB per call",
                   nbytes / calls_n / 1e6 / floor, "MB/s", f"(reference: the most this design can reach; target {TARGET:g} MB/s)",
                   None, floor=f"plain run {nbytes / 1e6 / t_plain:.1f} MB/s (" + " / ".join(
                       f"{nbytes / 1e6 / t:.1f}" for t in sorted(plain, reverse=True)) + f" MB/s, n={args.reps}); "
                   f"whole-chunk passes {fixed_plain * 1e3:.1f} ms/call, {per_read * 1e6:.0f} us a block read, "
                   f"{n_reads / calls_n:.0f} block reads a call")
            print(f"  idea re2.Set per block: {sum(empty.values())} of {n_reads} block reads found nothing "
                  f"({sum(empty.values()) / n_reads:.1%}: all a per-block Set could skip)")
        digits = {re.sub(r"\D", "", p) for p in phones}
        print(f"  idea verdicts by normalised digits: {n_phones} phone validations, {len(digits)} distinct digit "
              f"strings ({n_phones - len(digits)} saved)")
        keeps = _combined_keeps(samples[0].text[0].encode())
        print("  idea one combined pass (first call): matches alone -> kept: "
              + ", ".join(f"{t} {a}->{b}" for t, (a, b) in keeps.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
