"""Free text: prefilter each chunk in one pass, extract the candidates of the types
present only, validate each distinct candidate once, count every occurrence.

In text there is no column to vote, so weak validators need context: an id without
a checksum (MyKad, NIK, Aadhaar, CCCD, ...), a Thai id, an M-series FIN whose checksum
cannot be confirmed, a bare hex hash, a phone number without international or
separated form, a date of birth, a name, and a user-defined detector with keywords all
count only with a keyword just before them (``NIK:``, ``password=``, ``DOB``, ``tel``).
Phone-shaped numbers in log-like text (after ``order``, ``id``, ``ref``, ``#``, or
glued to a time of day) do not count unless a phone word is nearer.

Validation is the cost (``phonenumbers`` above all), so it runs once per distinct
candidate (and phones go through compiled metadata patterns, see ``validators.py``);
extraction still sees every occurrence. With ``settle_values`` set, a type with more
than ``max(settle_values, 256)`` distinct candidates in a chunk validates a seeded random
sample of them (those occurring more than 8 times are all read) until the share of its occurrences that count is known within 99% Wilson
bounds 10% of it (or 0.5 points) either side, and the occurrences not read count at that share (flagged
``estimated``); a type none of whose candidates has counted yet never settles (estimation
cannot turn a present type into an absent one); such a scan reads chunks of at least
1 MiB, so that one sample serves a connector's whole call. ``max_text_values`` per type stays as a
safety bound (the count is then a lower bound, flagged ``capped``).
"""

from __future__ import annotations

import itertools
import math
import random
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import re2

from auditor.classify import validators as v
from auditor.classify.columns import enabled_types, specs_for, validators_for
from auditor.classify.options import ClassifyOptions
from auditor.classify.prefilter import EXTRACT, prefilter_for
from auditor.classify.results import Hit, confidence
from auditor.classify.types import TypeSpec

TEXT_WHERE = "<text>"
_CONTEXT_BYTES = 40
_PHONE_WORDS = re.compile(r"(?i)phone|\btel\b|mobile|\bhp\b|whatsapp|call|contact|fax|电话|手机|โทร|sđt|điện thoại")
# a piece of each ASCII phone word: an ASCII window without any cannot hold one (tested)
_PHONE_PIECES = (b"phone", b"tel", b"mobile", b"hp", b"whatsapp", b"call", b"contact", b"fax")
# what makes a phone-shaped number in a log line something else
_NOT_PHONE_WORDS = re.compile(r"(?i)(?:order|invoice|ref|id|txn|trace|req|request|ticket|sku|batch|build|version|"
                              r"ts|time|epoch|ms|bytes|size|qty|amount|total|no\.|#|=)\W{0,3}$")
_TIME_AFTER = re.compile(rb"^:\d\d")
_GLUED_AFTER = re.compile(rb"^(?:[-.][0-9A-Za-z]| \d)")
_GLUED_BEFORE = re.compile(rb"[0-9A-Za-z][-.]$")
_DATE_START = re.compile(r"^(?:19|20)\d\d[-/.]\d\d?[-/.]\d\d?")

_extract_cache: dict[str, re2._Regexp] = {}
# one validation per distinct candidate across calls (the connectors feed a dataset's text
# in pieces): bounded, dropped whole when full, and keyed by the candidate's salted hash so
# that no raw value outlives the sample it came from
_VERDICTS: dict[tuple, dict[int, str | None]] = {}  # (type, regions or detector) -> {hash: tag}
_VERDICTS_MAX = 200_000
_UNSEEN: Any = object()


def _before(chunk: bytes, start: int, window: int = _CONTEXT_BYTES) -> str:
    return chunk[max(0, start - window):start].decode("utf-8", "ignore")


_ASCII_TWINS: dict[re.Pattern[str], re.Pattern[bytes]] = {}


def _ascii_twin(rx: re.Pattern[str]) -> re.Pattern[bytes]:
    """``rx`` over bytes: the same answers as ``rx`` on any ASCII text (its non-ASCII
    literals cannot match there, and ``\\b``, ``\\w`` and ``(?i)`` agree on ASCII)."""
    twin = _ASCII_TWINS.get(rx)
    if twin is None:
        twin = _ASCII_TWINS[rx] = re.compile(rx.pattern.encode("utf-8"), rx.flags & ~re.UNICODE)
    return twin


def _found_before(rx: re.Pattern[str], chunk: bytes, start: int, window: int = _CONTEXT_BYTES,
                  pieces: tuple[bytes, ...] = ()) -> bool:
    """``rx.search(_before(chunk, start, window))``: an ASCII window skips the decoding, and
    with ``pieces`` (lower-case, one in every ASCII match of ``rx``) a window holding none
    of them skips the search."""
    near = chunk[max(0, start - window):start]
    if near.isascii():
        if pieces:
            low = near.lower()
            for piece in pieces:
                if piece in low:
                    break
            else:
                return False
        return _ascii_twin(rx).search(near) is not None
    return rx.search(near.decode("utf-8", "ignore")) is not None


def chunks_of(texts: Iterable[str], size: int) -> Iterator[bytes]:
    """UTF-8 chunks of about ``size`` bytes, cut at line ends where possible."""
    for text in texts:
        data = text.encode("utf-8", "replace")
        start, n = 0, len(data)
        while start < n:
            end = min(start + size, n)
            if end < n:
                cut = data.rfind(b"\n", start, end)
                if cut > start:
                    end = cut + 1
            yield data[start:end]
            start = end


def _extractor(spec: TypeSpec) -> re2._Regexp:
    rx = EXTRACT.get(spec.name)
    if rx is None:
        rx = _extract_cache.get(spec.extract or "")
        if rx is None:
            rx = _extract_cache.setdefault(spec.extract or "", re2.compile((spec.extract or "").encode()))
    return rx


_UNANCHORED = re2._Anchor.UNANCHORED
_GROUPS: dict[re2._Regexp, int] = {}  # compiled extractor -> its number of capturing groups


def _candidates(rx: re2._Regexp, chunk: bytes) -> dict[bytes, list[int]]:
    """Each distinct candidate of one pattern in ``chunk`` with the offsets it occurs at.

    Calls the compiled RE2 object directly: one call per match returns every group's span,
    without the wrapper's per-match objects (a third of the cost on dense text). A pattern
    without groups takes a loop that reads the whole match only."""
    out: dict[bytes, list[int]] = {}
    get = out.get
    regexp = rx._regexp
    match = regexp.Match
    pos, n = 0, len(chunk)
    groups = _GROUPS.get(rx)
    if groups is None:
        groups = _GROUPS[rx] = regexp.NumberOfCapturingGroups()
    if not groups:
        while pos <= n:
            start, end = match(_UNANCHORED, chunk, pos, n)[0]
            if start < 0:
                break
            raw = chunk[start:end]
            found = get(raw)
            if found is None:
                out[raw] = [start]
            else:
                found.append(start)
            pos = end if end > start else end + 1
        return out
    while pos <= n:
        spans = match(_UNANCHORED, chunk, pos, n)
        whole = spans[0]
        if whole[0] < 0:
            break
        start, end = whole
        for span in spans[1:]:
            if span[0] >= 0:
                start, end = span
                break
        raw = chunk[start:end]
        found = get(raw)
        if found is None:
            out[raw] = [start]
        else:
            found.append(start)
        pos = whole[1] if whole[1] > whole[0] else whole[1] + 1
    return out


def _phone_in_context(chunk: bytes, raw: str, start: int, end: int, tag_strong: bool) -> bool:
    """A phone-shaped number in text counts when a phone word is near, or it is written
    as a phone (international, or separated) and nothing says it is an order, id or time.

    The phone word decides only what the form alone does not: it is looked for last."""
    return (_written_as_phone(chunk, raw, start, end, tag_strong)
            or _found_before(_PHONE_WORDS, chunk, start, _CONTEXT_BYTES, _PHONE_PIECES))


def _written_as_phone(chunk: bytes, raw: str, start: int, end: int, tag_strong: bool) -> bool:
    if not tag_strong:
        return False
    if _TIME_AFTER.match(chunk[end:end + 3]) or _DATE_START.match(raw):
        return False
    if _GLUED_AFTER.match(chunk[end:end + 2]) or _GLUED_BEFORE.search(chunk[max(0, start - 2):start]):
        return False  # a piece of a longer token: a UUID, a card number, a dotted or dashed code
    if raw.startswith(("+", "00")):
        return True
    if raw.isdigit():
        return False  # a bare run of digits in prose is an id until a phone word says otherwise
    return _NOT_PHONE_WORDS.search(_before(chunk, start)[-16:]) is None


_SETTLE_MIN = 256  # distinct candidates of a type in a chunk validated before its share may settle
_SETTLE_REL = 0.1  # a settled share is known within +-10% of itself (99% Wilson bounds) ...
_SETTLE_ABS = 0.005  # ... or within +-0.5 points, whichever is wider
_SETTLE_CHUNK = 1 << 20  # the least chunk a settling scan reads (1 MiB: one sample per call of the connectors)
_HEAVY = 8  # a candidate occurring more often than this in a chunk is never left to the sample
_SETTLE_SAMPLE = 16384  # the random sample a type may settle on (enough for a share of 3%)


def _spread(items: list[tuple[bytes, list[int]]], type_: str) -> Iterator[tuple[bytes, list[int]]]:
    """``items``: first a seeded random sample of ``_SETTLE_SAMPLE`` of them (the only ones a
    type may settle on: text is often written in blocks, its first lines are no sample), then
    the rest in order (read only when the sample did not settle: every one is then validated)."""
    n = len(items)
    rng = random.Random(zlib.crc32(type_.encode()) ^ n)
    draw = rng.random
    order = list(range(n))
    k = 0
    for k in range(min(n, _SETTLE_SAMPLE)):  # a Fisher-Yates shuffle, drawn only as far as read
        j = k + int(draw() * (n - k))
        order[k], order[j] = order[j], order[k]
        yield items[order[k]]
    for i in order[k + 1:]:
        yield items[i]


def _wilson(k: float, n: float, z: float = 2.58) -> tuple[float, float]:
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, mid - half), min(1.0, mid + half)


def _tight(counted: int, seen: int, read: int) -> bool:
    """The share of a type's occurrences that count is known closely enough: its 99% Wilson
    bounds, on ``read`` distinct candidates (fewer than the occurrences: conservative),
    are within 10% of the share (or 0.5 points) either side."""
    share = counted / seen
    lo, hi = _wilson(read * share, read)
    return hi - lo <= 2 * max(_SETTLE_REL * share, _SETTLE_ABS)


def _extrapolate(hit: Hit, local: Counter, counted: int, seen: int, total: int, left: int,
                 tries: int) -> tuple[int, int]:
    """The occurrences of a settled type not read count at the share its sample settled on
    (by tag, as the sample's tags fell); the hit says its count is ``estimated``. Returns
    the budgets left."""
    rest = total - seen
    if rest > tries:  # past the candidate budget: those occurrences are not counted, as a full read stops
        hit.capped = True
    counted_rest = max(min(rest, tries), 0)
    tries -= counted_rest
    add = round(counted_rest * counted / seen)
    if add > left:
        add = left
        hit.capped = True
    if add > 0:
        for tag, n in local.items():
            hit.tags[tag] += round(add * n / counted)
        hit.count += add
        left -= add
    if rest > 0:
        hit.estimated = True  # occurrences not read: the count rests on the sample's share
    return left, tries


def scan_text(
    texts: Iterable[str], options: ClassifyOptions, where: str = TEXT_WHERE, skip: frozenset[str] = frozenset()
) -> list[Hit]:
    """Validated hits in free text, at most ``max_text_values`` per type."""
    enabled = enabled_types(options) - skip
    validators = validators_for(options)
    specs = {s.name: s for s in specs_for(options) if s.name in enabled and s.extract}
    context = {name: re.compile(s.text_context) for name, s in specs.items() if s.text_context}
    vetoes = {name: re.compile(s.text_veto) for name, s in specs.items() if s.text_veto}
    extra = tuple((d.name, d.regex) for d in options.detectors if d.name in specs)
    hits: dict[str, Hit] = {}
    budget = {t: options.max_text_values for t in specs}
    candidates = {t: options.max_text_candidates for t in specs}
    wanted = frozenset(specs)
    prefilter = prefilter_for(wanted - {n for n, _ in extra}, extra)
    if sum(map(len, _VERDICTS.values())) > _VERDICTS_MAX:
        _VERDICTS.clear()
    custom = {d.name: d for d in options.detectors}
    regions = options.phone_regions
    # per type: its verdict cache (salted hash of a candidate -> tag) and which tags need a keyword
    caches = {t: _VERDICTS.setdefault((t, regions if t == "phone" else custom.get(t)), {}) for t in specs}
    weak: dict[str, dict[str, bool]] = {t: {} for t in specs}
    max_examples = options.max_examples
    settle = max(options.settle_values, _SETTLE_MIN) if options.settle_values else 0
    # a settling type validates a sample per chunk: larger chunks, fewer samples per MiB
    chunk_bytes = max(options.text_chunk_bytes, _SETTLE_CHUNK) if settle else options.text_chunk_bytes
    for chunk in chunks_of(texts, chunk_bytes):
        settled = {t for t in wanted if budget[t] <= 0 or candidates[t] <= 0}
        if settled:
            wanted = wanted - settled
            if not wanted:
                break  # every type has its budget: the rest cannot change the result
            extra = tuple(p for p in extra if p[0] in wanted)
            prefilter = prefilter_for(wanted - {n for n, _ in extra}, extra)
        for type_ in prefilter.match(chunk):
            if type_ not in wanted:
                continue
            spec = specs[type_]
            validate = validators[type_]
            hinted = spec.hinted_in_text
            cache = caches[type_]
            needs = weak[type_]
            left, tries = budget[type_], candidates[type_]
            found = _candidates(_extractor(spec), chunk)
            settling = settle and len(found) > settle
            if settling:
                # a candidate occurring often is read whole first (it would sway a sample's share);
                # the rest are sampled
                heavy = [item for item in found.items() if len(item[1]) > _HEAVY]
                light = [item for item in found.items() if len(item[1]) <= _HEAVY] if heavy else list(found.items())
                order: Iterable[tuple[bytes, list[int]]] = itertools.chain(heavy, _spread(light, type_))
                total_occ = sum(len(item[1]) for item in light)
                seen_occ = counted_occ = read = 0
                local: Counter = Counter()
            else:
                order = found.items()
            for raw_bytes, starts in order:
                sampled = settling and len(starts) <= _HEAVY
                if sampled:
                    if settle <= read <= _SETTLE_SAMPLE and not read % 64 and counted_occ and _tight(counted_occ, seen_occ, read):
                        left, tries = _extrapolate(hits[type_], local, counted_occ, seen_occ, total_occ, left, tries)
                        break
                    read += 1
                    seen_occ += len(starts)
                if left <= 0 or tries <= 0:
                    hit = hits.get(type_)
                    if hit is not None:
                        hit.capped = True
                    break
                tries -= len(starts)
                key = hash(raw_bytes)
                tag = cache.get(key, _UNSEEN)
                if tag is _UNSEEN:
                    raw = raw_bytes.decode("utf-8", "replace").strip()
                    tag = cache[key] = (validate(raw, hinted) if type_ != "phone" else v.phone_reading(raw, regions))
                if tag is None:
                    continue
                if type_ == "phone":
                    raw = raw_bytes.decode("utf-8", "replace").strip()
                    strong = tag.endswith(":strong")
                    tag = tag.split(":", 1)[0]
                    end = len(raw_bytes)
                    n = 0
                    for s in starts:
                        if _phone_in_context(chunk, raw, s, s + end, strong):
                            n += 1
                elif type_ in vetoes:
                    veto, pieces = vetoes[type_], spec.text_veto_pieces
                    n = sum(1 for s in starts if not _found_before(veto, chunk, s, 16, pieces))
                else:
                    weak_tag = needs.get(tag)
                    if weak_tag is None:
                        weak_tag = needs[tag] = spec.needs_context(tag)
                    if not weak_tag:
                        n = len(starts)
                    elif type_ in context:
                        rx, window, pieces = context[type_], spec.keywords_window, spec.text_context_pieces
                        n = sum(1 for s in starts if _found_before(rx, chunk, s, window, pieces))
                    else:
                        n = 0
                if n <= 0:
                    continue
                over = n > left
                if over:
                    n = left
                hit = hits.get(type_)
                if hit is None:
                    hit = hits[type_] = Hit(type=type_, where=where, spec=spec if spec.category else None)
                hit.count += n
                tag = tag.lstrip("?")
                hit.tags[tag] += n
                if sampled:
                    counted_occ += n
                    local[tag] += n
                if len(hit.examples) < max_examples:
                    hit.add_example(raw_bytes.decode("utf-8", "replace").strip(), max_examples)
                left -= n
                if over:
                    hit.capped = True
            budget[type_], candidates[type_] = left, tries
    for hit in hits.values():
        hit.confidence = confidence(hit.type, 0.5, False, (hit.spec or specs[hit.type]).strength)
    return list(hits.values())
