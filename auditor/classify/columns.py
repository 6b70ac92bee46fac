"""Column decision: one field's sampled values in, the types it holds out.

A type is assigned to a field when

- at least ``threshold`` of its non-empty sampled values validate, or
- the field name is a strong hint for the type and at least ``hinted_threshold``
  of the values validate, or
- the field is mixed (validated values of all types together reach ``threshold``)
  and the type holds at least ``mixed_share`` of the values.

Each value counts for one type at most: hinted types first, then the most specific
validator (checksums before formats before context-led checks).
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import operator
from collections import Counter
from decimal import Decimal
from typing import Any, cast

import random
import re
from functools import lru_cache
from itertools import compress, filterfalse, islice, repeat

import re2

from auditor.classify import validators as v
from auditor.classify.custom import specs_of
from auditor.classify.hints import field_hints, field_vetoes, normalise_name
from auditor.classify.options import ClassifyOptions
from auditor.classify.prefilter import PREFILTER_PATTERNS, Prefilter, prefilter_for
from auditor.classify.results import Hit, confidence
from auditor.classify.types import BUILTIN, TypeSpec

PRIORITY: tuple[str, ...] = tuple(t.name for t in BUILTIN)
CONTEXT_LED = frozenset(t.name for t in BUILTIN if t.context_led)
_RAW_HASH_LENGTHS = {16, 20, 32}
GATE_WHOLE = 256  # a settling column longer than this gates each block's values as it reads them
SHARE_PRECISION = 0.05  # a settled type's share is known within this (99% Wilson half-width)

_phone_cache: dict[tuple[str, ...], v.Validator] = {}
# each built-in validator's batch (``validators.BATCHES``), and each phone validator's, by the
# validator itself: a validator replaced in the module (a test's) has none and is called per value
_batches: dict[v.Validator, v.BatchValidator] = dict(v.BATCHES)
_gate_of: dict[v.Validator, str] = dict(v.GATED)  # each validator's line gate (``validators.LINE_GATES``)
# a phone validator's batch and gate copy the rules of ``make_phone`` and ``phone_reading`` as the
# module has them at import: with either replaced (a test's, a plugin's), phones are read per value
_PHONE_RULES = (v.make_phone, v.phone_reading)
_phone_made: set[v.Validator] = set()  # the phone validators given a batch and a gate


def _fast(table: dict[v.Validator, Any], fn: v.Validator) -> Any:
    """``fn``'s batch or gate in ``table``, or None (value by value, every type validated)."""
    got = table.get(fn)
    if got is not None and fn in _phone_made and (v.make_phone, v.phone_reading) != _PHONE_RULES:
        return None
    return got


def specs_for(options: ClassifyOptions) -> tuple[TypeSpec, ...]:
    """User-defined detectors first (the user's word wins), then the built-in types."""
    return specs_of(options.detectors) + BUILTIN


def validators_for(options: ClassifyOptions) -> dict[str, v.Validator]:
    """Each type's validator; built-in ones are looked up in ``validators`` by the type's name."""
    phone = _phone_cache.get(options.phone_regions)
    if phone is None:
        phone = _phone_cache.setdefault(options.phone_regions, v.make_phone(options.phone_regions))
        if (v.make_phone, v.phone_reading) == _PHONE_RULES:
            _batches.setdefault(phone, v.make_phone_batch(options.phone_regions))
            _gate_of.setdefault(phone, "phone")
            _phone_made.add(phone)
    out = {s.name: s.validate_with(phone) for s in specs_of(options.detectors)}
    for s in BUILTIN:
        out[s.name] = phone if s.validator is None else getattr(v, s.name, s.validator)
    return out


def enabled_types(options: ClassifyOptions) -> set[str]:
    return set(options.types) | {d.name for d in options.detectors}


@lru_cache(maxsize=4096)
def _custom_hints(name: str, detectors: tuple) -> frozenset[str]:
    norm = normalise_name(name)
    return frozenset(s.name for s in specs_of(detectors) if s.hints and norm and re.search(s.hints, norm))


def to_text(value: Any, hash_context: bool) -> str:
    """A sampled value as stripped text; ``""`` for values that cannot hold personal data."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) >= 1e6 else ""
    if isinstance(value, Decimal):
        return str(value) if value == value.to_integral_value() else ""
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        if hash_context and len(raw) in _RAW_HASH_LENGTHS:
            return raw.hex()
        try:
            return raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            return ""
    if isinstance(value, dict | list | tuple):
        try:
            return json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            return ""
    return str(value).strip()


def is_prose(texts: list[str]) -> bool:
    """Free text in a field (comments, messages): scanned like text as well."""
    if not texts:
        return False
    sample = texts[:200]
    lengths = list(map(len, sample))
    if max(lengths) < 30:  # short values (ids, codes, e-mails): no prose, decided in C
        return False
    # the values of 30 characters or more with 3 spaces or more, counted in C
    long_ = sum(map((2).__lt__, map(str.count, compress(sample, map((29).__lt__, lengths)), repeat(" "))))
    return long_ * 2 >= len(sample)


# what separates the parts of a compound cell: "Name <addr>", "addr, addr", "addr;addr", "name addr",
# "(addr)", "email=addr", "'addr':1" (a PostgreSQL tsvector's text)
_COMPOUND_SEP = re.compile(r"[\s,;<>|()\[\]{}'\"=:]+")


def is_compound(texts: list[str]) -> bool:
    """Short values of several parts (``Jose Tan <jt@example.com>``, ``a@x.org, b@y.org``), too short
    or too few words to be prose: a value hidden in one part is no whole value, so whole-value
    validation cannot see it. At least half of the first 200 values hold a separator (or a wrapping:
``(addr)``)."""
    sample = texts[:200]
    if not sample:
        return False
    parts = sum(1 for t in sample if _COMPOUND_SEP.search(t) is not None)
    return parts * 2 >= len(sample)

_not_none = functools.partial(operator.is_not, None)
# columns of one plain type: their texts as to_text() gives them, without a call per value
_FAST_TEXT: dict[type, Any] = {
    str: lambda vs: map(str.strip, vs),
    int: lambda vs: map(int.__repr__, vs),
    _dt.datetime: lambda vs: map(_dt.datetime.isoformat, vs),
    _dt.date: lambda vs: map(_dt.date.isoformat, vs),
}


def _texts(values: list[Any], hash_context: bool, limit: int) -> list[str]:
    """Non-empty texts of the values, at most ``limit``; a column of strings takes a fast path."""
    try:
        # the non-empty ones, the loop in C (a long column: its first ``limit``, the rest not read)
        texts = list(filter(None, map(str.strip, values))) if len(values) <= limit \
            else list(islice(filter(None, map(str.strip, values)), limit))
    except TypeError:  # not all strings
        kinds = set(map(type, values))
        kinds.discard(type(None))  # NULLs hold nothing
        present = filter(_not_none, values) if len(kinds) < len(set(map(type, values))) else values
        fast = _FAST_TEXT.get(kinds.pop()) if len(kinds) == 1 else None
        if fast is not None:  # a column of one plain type (a driver's typed values), the loop in C
            return list(filter(None, fast(present)))[:limit]
        texts = []
        for value in values:
            text = to_text(value, hash_context)
            if text:
                texts.append(text)
                if len(texts) >= limit:
                    break
    return texts if len(texts) <= limit else texts[:limit]  # a new list either way: no copy of it


# Python's whitespace (``str.strip``'s and ``str.isspace``'s: every such character, checked by
# tests/unit/classify/test_columns_fast.py) as an RE2 class over UTF-8
_SPACE = r"[\t-\r\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
# a value that strip() would change or filter(None) would drop, in values joined by newlines:
# whitespace at a value's start or end (its line's), an empty value (two newlines in a row, or
# one at either end; a newline is whitespace). A newline inside a value may answer yes: no harm.
_UNSTRIPPED = f"(?:\\A|\\n){_SPACE}|{_SPACE}(?:\\n|\\z)".encode()


def _column(values: list[Any], hash_context: bool, limit: int,
            prefilter: Prefilter) -> tuple[list[str], bytes, bool, set[str]]:
    """``_texts(values, hash_context, limit)``; the blob (those texts joined by newlines, UTF-8,
    a lone surrogate as ``?``); whether the blob is strict UTF-8 (the line gates can read it);
    and ``prefilter.match(blob)`` (nothing for no texts). ``prefilter``: one made with the check
    ``_UNSTRIPPED``.

    A column of strings already stripped and non-empty (the usual one) is joined as it is,
    its texts the values themselves: the prefilter's scan tells it is so (its check matches
    nowhere), instead of a strip, a test and a list append per value before the scan."""
    head = values if len(values) <= limit else values[:limit]
    try:
        blob = "\n".join(head).encode("utf-8")
    except (TypeError, UnicodeEncodeError):  # not all strings; a lone surrogate: the slow path
        pass
    else:
        got = prefilter.match_checked(blob) if blob else None
        if got is not None and not got[1]:  # every value non-empty and stripped
            return list(head), blob, True, got[0]
    texts = _texts(values, hash_context, limit)
    joined = "\n".join(texts)
    try:
        blob, lines = joined.encode("utf-8"), True
    except UnicodeEncodeError:  # a lone surrogate: as "?" in the blob, which the line gates cannot read
        blob, lines = joined.encode("utf-8", "replace"), False
    return texts, blob, lines, prefilter.match(blob) if texts else set()


@lru_cache(maxsize=1)
def _line_gates() -> tuple[re2.Set, list[str]]:
    """Every line gate as ``(?m)^(?:gate)$`` in one RE2 set, after ``\\A``, which any text
    matches: a match that failed (RE2 out of memory) answers without it, and is not trusted."""
    opts = re2.Options()
    opts.max_mem = 64 << 20
    gates = re2.Set.SearchSet(opts)
    gates.Add(rb"\A")  # not the empty pattern: it matches at every offset, and costs a 3x slower scan
    names = list(v.LINE_GATES)
    for name in names:
        gates.Add(f"(?m)^(?:{v.LINE_GATES[name]})$".encode())
    gates.Compile()
    return gates, names


def _gated(order: list[str], validators: dict[str, v.Validator]) -> list[tuple[str, str]]:
    """The types of ``order`` whose validator has a line gate, each with its gate's name."""
    return [(t, g) for t in order if (g := _fast(_gate_of, validators[t])) is not None]


def _shapeless(order: list[str], validators: dict[str, v.Validator], blob: bytes,
               gated: list[tuple[str, str]] | None = None) -> frozenset[str]:
    """The types of ``order`` no value of the column can be of: their validator's line gate
    matches no line of ``blob`` (the column's texts joined by newlines, strictly UTF-8).
    ``gated``: ``_gated(order, validators)`` when the caller has it."""
    if gated is None:
        gated = _gated(order, validators)
    if not gated:
        return frozenset()
    gates, names = _line_gates()
    hits = gates.Match(blob)
    if not hits or 0 not in hits:
        return frozenset()  # the match failed: every type is validated
    found = {names[i - 1] for i in hits if i}
    return frozenset(t for t, g in gated if g not in found)


@lru_cache(maxsize=8192)
def _wilson(k: float, n: float, z: float = 2.58) -> tuple[float, float]:
    """99% Wilson score interval of a share ``k / n``."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / d
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / d
    return max(0.0, mid - half), min(1.0, mid + half)


def _settled(active: list[str], counts: Counter, examined: dict[str, int], hints: frozenset[str],
             options: ClassifyOptions) -> bool:
    """Every type's decision is already known with 99% confidence: its share is surely above
    the threshold it needs (and known within ``SHARE_PRECISION`` either way, so the count
    extrapolated from it is close), or surely below the lowest share any rule would accept."""
    for t in active:
        lo, hi = _wilson(counts[t], examined[t])
        need = options.hinted_threshold if t in hints else options.threshold
        floor = min(need, options.mixed_share)
        if not ((lo >= need and hi - lo <= 2 * SHARE_PRECISION) or hi < floor):
            return False
    return True


@lru_cache(maxsize=64)
def _shuffled(n: int) -> tuple[int, ...]:
    """A fixed permutation of ``range(n)`` (the same for every column of ``n`` values: runs repeat)."""
    order = list(range(n))
    random.Random(n).shuffle(order)
    return tuple(order)


class _Plan:
    """What :func:`decide_field` derives from the options alone, built once per options object."""

    __slots__ = ("options", "enabled", "specs", "by_name", "prefilter", "_fields", "_narrowed")

    def __init__(self, options: ClassifyOptions) -> None:
        self.options = options  # held, so the id this plan is cached under is not reused
        self.enabled = frozenset(enabled_types(options))
        self.specs = specs_for(options)
        self.by_name = {s.name: s for s in self.specs}
        extra = tuple((d.name, d.regex) for d in options.detectors)
        self.prefilter = prefilter_for(frozenset(PREFILTER_PATTERNS), extra)
        self._fields: dict[str, tuple[frozenset[str], list[str], tuple[str, ...], bool]] = {}
        self._narrowed: dict[str, Prefilter] = {}

    def field(self, name: str) -> tuple[frozenset[str], list[str], tuple[str, ...], bool]:
        """What a field's name says, once per name: the enabled types it hints at; those types in
        the types' order (always candidates); the types a prefilter match makes candidates (enabled,
        not vetoed by the name, not context-led); whether whole card numbers go first."""
        got = self._fields.get(name)
        if got is None:
            if len(self._fields) >= 4096:
                self._fields.clear()
            enabled = self.enabled
            hints = (field_hints(name) | _custom_hints(name, self.options.detectors)) & enabled
            vetoes = field_vetoes(name) - hints
            allowed = [s for s in self.specs if s.name in enabled and s.name not in vetoes]
            got = self._fields[name] = (
                frozenset(hints), [s.name for s in allowed if s.name in hints],
                tuple(s.name for s in allowed if s.name not in hints and not s.context_led),
                "payment_card_partial" in hints and "payment_card" in enabled)
        hints, hinted, unhinted, card_first = got
        return hints, list(hinted), unhinted, card_first

    def narrowed(self, name: str) -> Prefilter:
        """The prefilter of the types a match can make a field's candidates (``field``'s third
        part), once per name: each pattern of a ``re2.Set`` matches or not whatever else is in
        the set, so it finds of those types what ``prefilter`` finds, without scanning for the
        types the name hints at or vetoes, or context-led ones (smaller automaton, faster scan)."""
        got = self._narrowed.get(name)
        if got is None:
            if len(self._narrowed) >= 4096:
                self._narrowed.clear()
            unhinted = frozenset(self.field(name)[2])
            extra = tuple((d.name, d.regex) for d in self.options.detectors if d.name in unhinted)
            got = self._narrowed[name] = prefilter_for(unhinted & frozenset(PREFILTER_PATTERNS), extra,
                                                       check=_UNSTRIPPED)
        return got


_plans: dict[int, _Plan] = {}


def _plan(options: ClassifyOptions) -> _Plan:
    plan = _plans.get(id(options))
    if plan is None or plan.options is not options:
        if len(_plans) >= 64:
            _plans.clear()
        plan = _plans[id(options)] = _Plan(options)
    return plan


def _surely_below(t: str, counts: Counter, unknown_ids: int, seen: int, hints: frozenset[str],
                  options: ClassifyOptions) -> bool:
    """``t``'s share of a random sample of ``seen`` values is, with 99% confidence, below the
    least share that would report it (its threshold, or a mixed field's share)."""
    if t == "national_id" and unknown_ids:
        return False
    need = options.hinted_threshold if t in hints else options.threshold
    return _wilson(counts[t], seen)[1] < min(need, options.mixed_share)


def _forget(verdicts: dict[str, tuple[str, str] | None], gone: list[str], tags: dict[str, Counter]) -> None:
    """Drop the verdicts of values taken by the types in ``gone`` (no longer validated): such a
    value read again is validated by the types still active. A type that took no value (no tag
    counted) has no verdict to drop."""
    if any(tags[t] for t in gone):
        lost = set(gone)
        for x in [x for x, g in verdicts.items() if g is not None and g[0] in lost]:
            del verdicts[x]


def decide_field(name: str, values: list[Any], options: ClassifyOptions,
                 validators: dict[str, v.Validator] | None = None) -> tuple[list[Hit], list[str]]:
    """Hits for one field, and its non-empty texts (for the free-text pass).

    Each distinct value is validated once and counts as often as it occurs. A type the
    field name vetoes (``app_version`` against IP addresses, ``order_id`` against phones)
    is not considered unless the name also hints at it. ``validators``: :func:`validators_for`
    of ``options``, when the caller already has them (one look-up per sample, not per field)."""
    plan = _plan(options)
    hints, hinted_types, unhinted, card_first = plan.field(name)
    # the prefilter scans only for the types its match can make candidates
    texts, blob, lines, present = _column(values, "password_hash" in hints, options.max_values_per_field,
                                          plan.narrowed(name))
    if not texts:
        return [], texts
    # candidates: the types the name hints at, then the types found by the prefilter (each part in
    # the types' order); a name hinting at partial card numbers makes whole ones a candidate first
    rest = [t for t in unhinted if t in present]
    if card_first:
        if "payment_card" in hints:
            hinted_types = ["payment_card"] + [t for t in hinted_types if t != "payment_card"]
        else:
            rest = ["payment_card"] + [t for t in rest if t != "payment_card"]
    order = hinted_types + rest
    if not order:
        return [], texts
    if validators is None:
        validators = validators_for(options)  # per call, not per plan: a validator replaced in the module counts
    by_name = plan.by_name
    counts: Counter = Counter()
    unknown_ids = 0
    tags: dict[str, Counter] = {t: Counter() for t in order}
    examples: dict[str, list[str]] = {t: [] for t in order}
    active = list(order)
    dropped: dict[str, int] = {}  # type -> values read when the probe dropped it
    probe, floor = options.probe_values, options.threshold * 0.25
    seen = 0
    probed = False
    estimated = 0.0
    verdicts: dict[str, tuple[str, str] | None] = {}  # each distinct value validated once
    n_texts = len(texts)
    # a column that may settle is read in a fixed pseudo-random order, so the values read before
    # it settles are a random sample of the column, not its first rows (data is often sorted or
    # written in blocks); a column too short to settle is read in the data's order
    settle = options.settle_values if options.settle_values and n_texts > options.settle_values else 0
    # types whose shape no value has: never validated (their validator would say None to each).
    # A column read whole, or short, is gated whole (one pass); a long one that may settle reads
    # few of its values, so each block's values still to validate are gated as it reads them (a
    # gate is a condition of each value alone: a type none of them has the shape of is of none;
    # and a type only some other block's values fit is not validated on this one's)
    gated = _gated(order, validators)
    by_block = bool(settle) and n_texts > GATE_WHOLE and bool(gated)
    shapeless = _shapeless(order, validators, blob, gated) if lines and not by_block else frozenset()
    next_check = min(settle, 32) if settle else n_texts + 1
    checkpoint = min(probe, next_check)  # the next number of values read at which to take stock
    order_of = _shuffled(n_texts) if settle else None
    while seen < n_texts:
        # the values up to the next checkpoint are read as one block: nothing is decided between
        # checkpoints, so each type's validator runs over the block's new distinct values at once
        # (the first type in ``active`` order that accepts a value takes it, as one value at a time)
        end = min(max(checkpoint, seen + 1), n_texts)
        block = list(map(texts.__getitem__, order_of[seen:end])) if order_of is not None else texts[seen:end]
        seen = end
        # the block's values not validated yet (a value taken by a type since dropped was
        # forgotten when the type was: it is validated again by the types still active)
        pending = list(filterfalse(verdicts.__contains__, dict.fromkeys(block))) if verdicts \
            else list(dict.fromkeys(block))
        if by_block and pending:
            try:
                shapeless = _shapeless(active, validators, "\n".join(pending).encode("utf-8"), gated)
            except UnicodeEncodeError:  # a lone surrogate: the line gates cannot read it
                shapeless = frozenset()
        for t in active:
            if not pending:
                break
            if t in shapeless:  # none of type t: all still pending
                continue
            fn = validators[t]
            batch = _fast(_batches, fn)  # a validator replaced in the module has none: value by value
            got_tags = batch(pending, t in hints) if batch is not None else list(map(fn, pending, repeat(t in hints)))
            rejected = got_tags.count(None)
            if rejected == len(got_tags):  # none of type t: all still pending, in C
                continue
            if not rejected:  # all of type t
                verdicts.update(zip(pending, zip(repeat(t), cast("list[str]", got_tags))))
                pending = []
                break
            rest = []
            for x, tag in zip(pending, got_tags):
                if tag is None:
                    rest.append(x)
                else:
                    verdicts[x] = (t, tag)
            pending = rest
        verdicts.update(dict.fromkeys(pending))  # validated by no active type
        got_block = Counter(map(verdicts.__getitem__, block))
        fill = False
        for got, n in got_block.items():
            if got is None:
                continue
            t, tag = got
            if tag.startswith("?"):
                unknown_ids += n  # shape of an id, checksum not confirmable, no context
            else:
                counts[t] += n
            tags[t][tag] += n
            fill = fill or len(examples[t]) < 3
        if fill:  # the first three values read of each type, in reading order
            for x in block:
                got = verdicts[x]
                if got is not None and len(examples[got[0]]) < 3:
                    examples[got[0]].append(x)
                    if all(len(examples[g[0]]) >= 3 for g in got_block if g is not None):
                        break  # every type in the block has its three
        if seen < checkpoint:
            continue
        if not probed and seen >= probe:
            probed = True
            keep = [t for t in active if t in hints
                    or counts[t] + (unknown_ids if t == "national_id" else 0) >= floor * seen]
            dropped.update({t: seen for t in active if t not in keep})
            if len(keep) < len(active):
                _forget(verdicts, [t for t in active if t not in keep], tags)
            active = keep
            if not active:
                break
        if seen >= next_check and seen < n_texts:
            next_check = seen + 32
            # a type surely below the least share any rule accepts is settled: no longer validated
            gone = [t for t in active if _surely_below(t, counts, unknown_ids, seen, hints, options)]
            if gone:
                dropped.update({t: seen for t in gone})
                _forget(verdicts, gone, tags)
                active = [t for t in active if t not in gone]
                if not active:
                    break
            examined = {t: dropped.get(t, seen) for t in order}
            if _settled(active, counts, examined, hints, options) and not unknown_ids:
                estimated = n_texts / seen  # the rest counts at the share the sample settled on
                break
        checkpoint = min(probe if not probed else n_texts + 1, next_check)
    examined = {t: dropped.get(t, seen) for t in order}
    if counts["national_id"] > 0:
        counts["national_id"] += unknown_ids
    elif unknown_ids and "national_id" in tags:
        tags["national_id"] = Counter({k: n for k, n in tags["national_id"].items() if not k.startswith("?")})
    if estimated:
        for t in order:
            counts[t] = round(counts[t] * estimated)
            examined[t] = round(examined[t] * estimated)
            tags[t] = Counter({k: round(n * estimated) for k, n in tags[t].items()})
    # the mixed rule's total share: each type at the share it was read at (a type dropped early
    # counts at its sampled share, not at the few values read before it was dropped)
    total_share = sum(counts[t] / max(examined[t], 1) for t in order)
    hits: list[Hit] = []
    for t in order:
        n = counts[t]
        if n < options.min_count:
            continue
        read = max(examined[t], 1)
        share = n / read
        hinted = t in hints
        mixed = total_share >= options.threshold and share >= options.mixed_share
        if share >= options.threshold or (hinted and share >= options.hinted_threshold) or mixed:
            spec = by_name[t]
            hit = Hit(type=t, where=name, count=n, confidence=confidence(t, share, hinted, spec.strength),
                      tags=tags[t], spec=spec if spec.category else None, validated=read,
                      estimated=bool(estimated))
            for raw in examples[t]:
                hit.add_example(raw, options.max_examples)
            hits.append(hit)
    return hits, texts
