"""Free text: prefilter each chunk in one pass, extract the candidates of the types
present only, validate each distinct candidate once, count every occurrence.

In text there is no column to vote, so weak validators need context: an id without
a checksum (MyKad, NIK, Aadhaar, CCCD, ...), a Thai id, an M-series FIN whose checksum
cannot be confirmed, a bare hex hash, a phone number without international or
separated form, a date of birth, a name, and a user-defined detector with keywords all
count only with a keyword just before them (``NIK:``, ``password=``, ``DOB``, ``tel``).
Phone-shaped numbers in log-like text (after ``order``, ``id``, ``ref``, ``#``, or
glued to a time of day) do not count unless a phone word is nearer.

Each distinct candidate is validated once (phones through compiled metadata patterns, see
``validators.py``); every occurrence is context-checked. With ``settle_values`` set, a chunk
(then at least 1 MiB: one sample per call of the connectors) of at least 128 blocks, none
over 8 KiB (a line is never cut), is read as a sample: cut into blocks of about 2 KiB at
line ends, taken in a seeded random order,
each present type is extracted, validated and context-checked block by block, and once at
least 16 blocks and 64 counted occurrences are read, the counted values occur in at least 8
of the blocks read, and the 99% confidence interval of a regression estimator (on block
measures counted in C: bytes, digits, ``@``, line ends, capitals, a digit then a capital, six
punctuation marks, more of them as more blocks are read; Student's t; finite-population
correction; confirmed by a leave-one-out variance, and never with a block read whose leverage
is over 0.5, nor while a fitted measure's total is far from the sample's expansion of it;
blocks far outside the rest, such as a run of empty lines, read exactly and left out of the
sample: ``blocks.py``) is within 10% of the estimate (or 0.5 points of the candidate
occurrences) either side, the type's count and tags are extrapolated to the chunk (flagged
``estimated``). Presence is never sampled: the prefilter reads the whole chunk, and a type
with too few counted occurrences to settle reads every block (so one value in megabytes of
near misses is found). A type that counts only with its keyword is present only where the
keyword is, decided in that same pass: a date of birth where its keyword and a date occur
together (its extraction pattern), a user-defined detector with keywords where one occurs.
A large chunk's prefilter reads a head of it with every type's patterns, then the whole chunk
with the patterns of the types the head did not show only. A bare run of digits, a phone only
after a phone word, is validated only where one of its occurrences has one. Context windows look back across blocks (offsets are the chunk's).
``max_text_values`` and ``max_text_candidates`` per type stay as safety bounds (the count is
then a lower bound, flagged ``capped``).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import re2

from auditor.classify import blocks as _bk
from auditor.classify import validators as v
from auditor.classify.columns import enabled_types, specs_for, validators_for
from auditor.classify.ids import date_used as _date_used
from auditor.classify.ids import today as _today
from auditor.classify.options import ClassifyOptions
from auditor.classify.prefilter import EXTRACT, Prefilter, prefilter_for
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
# read up to and with the candidate's first byte: "\d:" then a digit is a time's seconds ("20:01:20.630296");
# a time's piece never starts with "+" ("line2:+14155552671" is a phone)
_GLUED_BEFORE = re.compile(rb"[0-9A-Za-z][-.].$|\d:[^+]$", re.S)
_DATE_START = re.compile(r"^(?:19|20)\d\d[-/.]\d\d?[-/.]\d\d?")

_extract_cache: dict[str, re2._Regexp] = {}
# one validation per distinct candidate across calls (the connectors feed a dataset's text
# in pieces): bounded, dropped whole when full, and keyed by the candidate's salted hash so
# that no raw value outlives the sample it came from
# A verdict whose validation read today's date (a birth date inside an id) is kept as (that day, tag):
# it holds for that day only, and reading it again reads the date (ids.date_used: a result made of
# it is kept for that day only, auditor.classify.memo)
_VERDICTS: dict[tuple, dict[int, Any]] = {}  # (type, regions or detector) -> {hash: tag | (day, tag)}
_VERDICTS_MAX = 200_000
_UNSEEN: Any = object()


def _before(chunk: bytes, start: int, window: int = _CONTEXT_BYTES) -> str:
    return chunk[max(0, start - window):start].decode("utf-8", "ignore")


# the per-pattern caches below hold patterns of the config (detectors' keywords), never scanned data;
# each is emptied when it reaches this size, so a long-lived process meeting many configs stays bounded
_PATTERN_CACHE_MAX = 512
# rx -> its twin (``_ascii_twin``) and whether the twin reads lower-cased text case-sensitively
_ASCII_TWINS: dict[re.Pattern[str], tuple[re.Pattern[bytes], bool]] = {}
# the only non-ASCII letters Python's ``(?i)`` matches to ASCII ones (İ and ı to i, ſ to s, the Kelvin sign to k)
_FOLDS_TO_ASCII = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def _ascii_twin(rx: re.Pattern[str]) -> tuple[re.Pattern[bytes], bool]:
    """``rx`` over bytes: the same answers as ``rx`` on any ASCII text (its non-ASCII
    literals cannot match there, and ``\\b``, ``\\w`` and ``(?i)`` agree on ASCII). A pattern
    that is ``(?i)`` and lower-case throughout (escapes aside) gets a case-sensitive twin, to
    be searched in the lower-cased text (the second item, True): the same answers, found faster."""
    got = _ASCII_TWINS.get(rx)
    if got is None:
        if len(_ASCII_TWINS) >= _PATTERN_CACHE_MAX:
            _ASCII_TWINS.clear()
        pattern = rx.pattern
        if rx.flags & re.IGNORECASE:  # the letters ``(?i)`` matches to ASCII ones: those ones (on ASCII text)
            pattern = pattern.translate(_FOLDS_TO_ASCII)
        lower = pattern.startswith("(?i)") and re.search(r"\(\?[^:]", pattern[4:]) is None and not any(
            c.isascii() and c.isupper() for c in re.sub(r"\\.", "", pattern[4:]))
        if lower:
            pattern = pattern[4:]
        flags = rx.flags & ~re.UNICODE & ~(re.IGNORECASE if lower else 0)
        got = _ASCII_TWINS[rx] = (re.compile(pattern.encode("utf-8"), flags), lower)
    return got


def _found_before(rx: re.Pattern[str], chunk: bytes, start: int, window: int = _CONTEXT_BYTES,
                  pieces: tuple[bytes, ...] = ()) -> bool:
    """``rx.search(_before(chunk, start, window))``: an ASCII window skips the decoding, and
    with ``pieces`` (lower-case, one in every ASCII match of ``rx``) a window holding none
    of them skips the search (``_finder``)."""
    return _finder(rx, pieces)(chunk, start, window)


_Finder = Callable[[bytes, int, int], bool]  # (chunk, start, window) -> whether the window before start holds a match
_FINDERS: dict[tuple[re.Pattern[str], tuple[bytes, ...]], _Finder] = {}


def _finder(rx: re.Pattern[str], pieces: tuple[bytes, ...] = ()) -> _Finder:
    """``_found_before`` for one pattern and its pieces, with the patterns it reads looked up
    once (a count checks thousands of windows with the same ones)."""
    found = _FINDERS.get((rx, pieces))
    if found is not None:
        return found
    if len(_FINDERS) >= _PATTERN_CACHE_MAX:
        _FINDERS.clear()
    gate = None
    if pieces:
        gate = _GATES.get(pieces)
        if gate is None:
            if len(_GATES) >= _PATTERN_CACHE_MAX:
                _GATES.clear()
            gate = _GATES[pieces] = _piece_gate(pieces)
    gate_search = gate.search if gate is not None else None
    twin, lower = _ascii_twin(rx)
    twin_search = twin.search
    search = rx.search

    def found_before(chunk: bytes, start: int, window: int) -> bool:
        near = chunk[start - window if start > window else 0:start]
        if near.isascii():
            low = near.lower()
            if gate_search is not None and gate_search(low) is None:
                return False
            return twin_search(low if lower else near) is not None
        return search(near.decode("utf-8", "ignore")) is not None

    found = _FINDERS[(rx, pieces)] = found_before
    return found


_GATES: dict[tuple[bytes, ...], re.Pattern[bytes]] = {}  # pieces -> _piece_gate(pieces)


def _piece_gate(pieces: tuple[bytes, ...]) -> re.Pattern[bytes]:
    """``any(piece in text for piece in pieces)`` as one search (half the cost of a test per
    piece for the dozen pieces of an id's keywords)."""
    return re.compile(b"|".join(re.escape(p) for p in pieces))


def _gate(pattern: str) -> str | None:
    """A detector's keywords (``(?i)`` and escaped keywords, written for Python's ``re``) for
    RE2, which finds them wherever ``re`` does: RE2's ``(?i)`` does not match ``i``, ``I``,
    ``İ`` and ``ı`` to one another as ``re`` does, so each of them reads as all four. ``None``
    when RE2 cannot read it."""
    if pattern.startswith("(?i)"):
        pattern = "(?i)" + re.sub("[iI\u0130\u0131]", "[iI\u0130\u0131]", pattern[4:])
    try:
        re2.compile(pattern.encode())
    except re2.error:
        return None
    return pattern


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
_ANCHOR_START = re2._Anchor.ANCHOR_START
_KINDS: dict[re2._Regexp, tuple[int, bool]] = {}  # compiled extractor -> its capturing groups, and _in_line


_MARGIN = 256  # bytes a block's extraction reads either side of it: more than a candidate spans (addresses ~200)


def _candidates(rx: re2._Regexp, chunk: bytes, start: int = 0, stop: int = -1) -> dict[bytes, list[int]]:
    """Each distinct candidate of one pattern in ``chunk`` with the offsets it occurs at; with
    ``start``/``stop``, those of the matches starting in ``chunk[start:stop]`` as the scan of the
    whole chunk finds them (the scan starts a margin before, so that a value straddling a
    block's start is read whole by the block it starts in, and ends a margin after).

    A pattern none of whose matches can hold a line end (``_in_line``) needs no margin where
    ``start`` is a line start and ``chunk[:stop]`` ends a line (as blocks do): no match then
    straddles either end, and a scan started at ``start`` meets the matches the whole chunk's
    scan does from there (no match starts between the last one before and ``start``).

    Calls the compiled RE2 object directly: one call per match returns every group's span,
    without the wrapper's per-match objects (a third of the cost on dense text)."""
    out: dict[bytes, list[int]] = {}
    get = out.get
    regexp = rx._regexp
    match = regexp.Match
    n = len(chunk)
    if stop < 0:
        stop = n
    kind = _KINDS.get(rx)
    if kind is None:
        kind = _KINDS[rx] = (regexp.NumberOfCapturingGroups(), _in_line(rx.pattern))
    groups, in_line = kind
    if in_line and (start == 0 or chunk[start - 1] == 10) and (stop == n or chunk[stop - 1] == 10):
        pos, end = start, stop
    else:
        pos, end = max(start - _MARGIN, 0), min(stop + _MARGIN, n)
    unanchored = _UNANCHORED
    while pos <= end:
        spans = match(unanchored, chunk, pos, end)
        first, last = spans[0]
        if first < 0 or first >= stop:
            break
        pos = last if last > first else last + 1
        if first < start:
            continue  # the previous block's
        if last == end < n:  # it may run past the scan's end (longer than the margin): read it whole
            spans = match(_ANCHOR_START, chunk, first, n)
            first, last = spans[0]
            pos = last if last > first else last + 1
        if groups:
            for span in spans[1:]:
                if span[0] >= 0:
                    first, last = span
                    break
        raw = chunk[first:last]
        found = get(raw)
        if found is None:
            out[raw] = [first]
        else:
            found.append(first)
    return out


# escapes that match no line end (a class, an assertion, or a punctuation mark written escaped)
_IN_LINE_ESCAPES = frozenset("dwSbBAz.-+*?()[]{}|^$/\\:#&~=!,<>@%'\"_ ")


def _in_line(pattern: str | bytes) -> bool:
    """Whether no match of ``pattern`` (RE2 syntax) can hold a line end. Conservative: any
    ``.``, negated or POSIX class, escape that can match one (``\\s``, ``\\W``, ``\\D``, ``\\n``,
    ``\\x..``, ``\\p..``, ...), flag group or control character says it can."""
    if isinstance(pattern, bytes):
        pattern = pattern.decode("utf-8", "replace")
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c < " ":
            return False
        if c == "\\":
            if i + 1 >= n or pattern[i + 1] not in _IN_LINE_ESCAPES:
                return False
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif c == "[" and pattern[i + 1:i + 2] == ":":
                return False
        elif c == "[":
            if pattern[i + 1:i + 2] in ("^", "["):
                return False
            in_class = True
            if pattern[i + 1:i + 2] == "]":
                i += 1  # a ``]`` first in a class is a member
        elif c == ".":
            return False
        elif c == "(" and pattern[i + 1:i + 2] == "?" and pattern[i + 2:i + 3] not in (":", "P", "<"):
            # a flag group: only (?i) and (?i: ... ) are known harmless
            j = i + 2
            while j < n and pattern[j] not in ":)":
                if pattern[j] != "i":
                    return False
                j += 1
        i += 1
    return not in_class


_phone_word = _finder(_PHONE_WORDS, _PHONE_PIECES)  # whether a phone word is in the window before an offset

# how the occurrences of a candidate with a given verdict count (``_reading``): all of them, none,
# those with the type's keyword before them, those without its veto before them, a phone's
# (``_phone_in_context``), those after a phone word
_ALL, _NONE, _KEYWORD, _VETO, _PHONE, _PHONE_WORD = range(6)


def _reading(tag: str, spec: TypeSpec, is_phone: bool, veto: bool, context: bool) -> tuple[str, int]:
    """The tag a verdict counts under and how its occurrences count: decided once per tag."""
    if is_phone:
        mode = _PHONE if tag.endswith(":strong") else _PHONE_WORD
        tag = tag.split(":", 1)[0]
    elif veto:
        mode = _VETO
    elif not spec.needs_context(tag):
        mode = _ALL
    else:
        mode = _KEYWORD if context else _NONE
    if tag[:1] == "?":
        tag = tag.lstrip("?")
    return tag, mode


def _phone_in_context(chunk: bytes, raw: str, start: int, end: int, tag_strong: bool) -> bool:
    """A phone-shaped number in text counts when a phone word is near, or it is written
    as a phone (international, or separated) and nothing says it is an order, id or time.

    The phone word decides only what the form alone does not: it is looked for last."""
    return (_written_as_phone(chunk, raw, start, end, tag_strong)
            or _phone_word(chunk, start, _CONTEXT_BYTES))


def _written_as_phone(chunk: bytes, raw: str, start: int, end: int, tag_strong: bool) -> bool:
    if not tag_strong:
        return False
    if _TIME_AFTER.match(chunk[end:end + 3]) or _DATE_START.match(raw):
        return False
    if _GLUED_AFTER.match(chunk[end:end + 2]) or _GLUED_BEFORE.search(chunk[max(0, start - 2):start + 1]):
        return False  # a piece of a longer token: a UUID, a card number, a dotted or dashed code
    if raw.startswith(("+", "00")):
        return True
    if raw.isdigit():
        return False  # a bare run of digits in prose is an id until a phone word says otherwise
    return _NOT_PHONE_WORDS.search(_before(chunk, start)[-16:]) is None


# per type, the candidates that count in text only after a keyword whatever their validation
# says: a bare run of digits is a phone only after a phone word (``_written_as_phone``). Such
# a candidate is validated only where an occurrence has one (the phone words' window check is
# cheap; a phone's validation is not). (Ids of twelve or sixteen digits count only after a
# keyword too, but they recur: validating once beats a keyword check at every sighting.)
def _bare_digits(raw: bytes) -> bool:
    """``re.fullmatch(rb"(?!00)\\d+", raw)`` (ASCII digits, not starting ``00``) in two C calls
    rather than a regex match: it is asked of every sighting of a number not yet validated."""
    return raw.isdigit() and not raw.startswith(b"00")


_KEYWORD_SHAPES: dict[str, Callable[[bytes], bool]] = {"phone": _bare_digits}

# what counting a type reads at every block (``scan_text``'s ``plan``): its record, validator, whether
# it validates as hinted, its verdict cache, its verdicts' readings, whether it is the phone, its
# keyword shape, its veto's and its keywords' window checks, and its keywords' window
_Plan = tuple[TypeSpec, v.Validator, bool, dict[int, Any], dict[str, tuple[str, int]], bool,
              "Callable[[bytes], bool] | None", "_Finder", "_Finder", int]


def _nowhere(chunk: bytes, start: int, window: int) -> bool:
    """The window check of a type without such a pattern (never called: its readings say so)."""
    return False


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
    custom = {d.name: d for d in options.detectors}
    hits: dict[str, Hit] = {}
    budget = {t: options.max_text_values for t in specs}
    candidates = {t: options.max_text_candidates for t in specs}
    wanted = frozenset(specs)
    # a detector with keywords counts nothing in a chunk without one: gated on them, not read
    gates = tuple((name, gate) for name, _ in extra
                  if custom[name].keywords and (gate := _gate(specs[name].text_context or "")) is not None)
    prefilter = prefilter_for(wanted - {n for n, _ in extra}, extra, gates, True)
    if sum(map(len, _VERDICTS.values())) > _VERDICTS_MAX:
        _VERDICTS.clear()
    regions = options.phone_regions
    # per type: its verdict cache (salted hash of a candidate -> tag)
    caches = {t: _VERDICTS.setdefault((t, regions if t == "phone" else custom.get(t)), {}) for t in specs}
    plans: dict[str, _Plan] = {}  # per type, what count() reads at every call (``plan``)
    max_examples = options.max_examples

    def plan(type_: str) -> _Plan:
        """What counting ``type_`` reads: looked up once per scan, not once per block."""
        spec = specs[type_]
        veto, ctx = vetoes.get(type_), context.get(type_)
        found: _Plan = (
            spec, validators[type_], spec.hinted_in_text, caches[type_],
            {},  # tag -> its reading (``_reading``)
            type_ == "phone", _KEYWORD_SHAPES.get(type_),
            _finder(veto, spec.text_veto_pieces) if veto is not None else _nowhere,
            _finder(ctx, spec.text_context_pieces) if ctx is not None else _nowhere, spec.keywords_window)
        plans[type_] = found
        return found

    def count(type_: str, chunk: bytes, found: dict[bytes, list[int]], tally: Counter) -> int:
        """Validate ``found`` (candidate -> offsets in ``chunk``) once per distinct candidate and
        check each occurrence's context; the occurrences that count go to ``tally`` by tag
        (within the type's budgets). Returns how many counted."""
        spec, validate, hinted, cache, readings, is_phone, shape, veto, ctx, window = plans.get(type_) or plan(type_)
        get = cache.get
        hit = hits.get(type_)
        examples = hit is None or len(hit.examples) < max_examples
        left, tries = budget[type_], candidates[type_]
        counted = 0
        for raw_bytes, starts in found.items():
            if left <= 0 or tries <= 0:
                if hit is not None:
                    hit.capped = True
                break
            tries -= len(starts)
            key = hash(raw_bytes)
            tag = get(key, _UNSEEN)
            if tag is None:
                continue  # known not to be one: the commonest verdict, told first
            if type(tag) is tuple:  # a verdict that read the date: today's, or validated again
                tag = tag[1] if tag[0] == _today() else _UNSEEN
                if tag is None:
                    continue
            if tag is _UNSEEN:
                if shape is not None and shape(raw_bytes):
                    # a candidate that can count only after a keyword, and has none before any
                    # occurrence here: not validated (nor cached: a later sighting may have one)
                    for s in starts:
                        if _phone_word(chunk, s, _CONTEXT_BYTES):
                            break
                    else:
                        continue
                raw = raw_bytes.decode("utf-8", "replace").strip()
                read = getattr(_date_used, "date", False)
                _date_used.date = False
                tag = (v.phone_reading(raw, regions) if is_phone else validate(raw, hinted))
                day = _date_used.date  # the date the validation read (ids.today), or False
                cache[key] = tag if day is False else (day, tag)
                _date_used.date = day or read
                if tag is None:
                    continue
            reading = readings.get(tag)
            if reading is None:
                reading = readings[tag] = _reading(tag, spec, is_phone, type_ in vetoes, type_ in context)
            tag, mode = reading
            if mode == _ALL:
                n = len(starts)
            elif mode == _NONE:
                continue
            else:
                n = 0
                if mode == _KEYWORD:
                    for s in starts:
                        if ctx(chunk, s, window):
                            n += 1
                elif mode == _VETO:
                    for s in starts:
                        if not veto(chunk, s, 16):
                            n += 1
                elif mode == _PHONE:
                    raw = raw_bytes.decode("utf-8", "replace").strip()
                    end = len(raw_bytes)
                    for s in starts:
                        if _phone_in_context(chunk, raw, s, s + end, True):
                            n += 1
                else:  # not written as a phone: counted after a phone word only (``_phone_in_context``)
                    for s in starts:
                        if _phone_word(chunk, s, _CONTEXT_BYTES):
                            n += 1
                if n <= 0:
                    continue
            if hit is None:
                hit = hits[type_] = Hit(type=type_, where=where, spec=spec if spec.category else None)
            if n > left:
                n = left
                hit.capped = True
            tally[tag] += n
            counted += n
            if examples:
                hit.add_example(raw_bytes.decode("utf-8", "replace").strip(), max_examples)
                examples = len(hit.examples) < max_examples
            left -= n
        budget[type_], candidates[type_] = left, tries
        return counted

    settle = options.settle_values > 0
    # a settling scan samples blocks of large chunks: the larger the chunk, the smaller its sample's share
    chunk_bytes = max(options.text_chunk_bytes, _bk.SETTLE_CHUNK) if settle else options.text_chunk_bytes
    spent: set[str] = set()  # types whose budget ran out: a later candidate makes their count a lower bound
    for chunk in chunks_of(texts, chunk_bytes):
        for type_ in [t for t in spent if _extractor(specs[t]).search(chunk) is not None]:
            spent.discard(type_)
            if type_ in hits:
                hits[type_].capped = True
        settled = {t for t in wanted if budget[t] <= 0 or candidates[t] <= 0}
        if settled:
            wanted = wanted - settled
            for type_ in settled:
                if type_ in hits and not hits[type_].capped:
                    spent.add(type_)
                    if _extractor(specs[type_]).search(chunk) is not None:
                        spent.discard(type_)
                        hits[type_].capped = True
            if not wanted:
                if not spent:
                    break  # every type has its budget: the rest cannot change the result
                continue
            extra = tuple(p for p in extra if p[0] in wanted)
            gates = tuple(p for p in gates if p[0] in wanted)
            prefilter = prefilter_for(wanted - {n for n, _ in extra}, extra, gates, True)
        blocks: list[tuple[int, int]] = []
        aux: _bk.Auxiliary | None = None
        if settle and len(chunk) >= 8 * _bk.MIN_BLOCKS * _bk.BLOCK:
            blocks = _bk.cut(chunk)
            if len(blocks) < 8 * _bk.MIN_BLOCKS or any(e - s > 4 * _bk.BLOCK for s, e in blocks):
                blocks = []  # long lines: too few blocks, or one that would weigh many (left out of a sample, its
                # values would be extrapolated from the others'): the chunk is read whole
            order = list(range(len(blocks)))
            random.Random(len(blocks)).shuffle(order)  # seeded: the same text, the same sample
        for type_ in _present(prefilter, chunk, wanted, extra, gates):  # on the whole chunk, never sampled
            if type_ not in wanted:
                continue
            rx = _extractor(specs[type_])
            tally: Counter = Counter()
            if not blocks:
                count(type_, chunk, _candidates(rx, chunk), tally)
                _add(hits.get(type_), tally)
                continue
            aux = aux or _bk.Auxiliary(chunk, blocks, order)
            sample = _bk.Estimate(aux)
            exact: Counter = Counter()  # the blocks unlike the rest: read exactly, not sampled (nor extrapolated)
            for i in aux.certain:
                found = _candidates(rx, chunk, *blocks[i])
                sample.add_certain(i, count(type_, chunk, found, exact), sum(map(len, found.values())))
            for k, i in enumerate(aux.order, 1):
                found = _candidates(rx, chunk, *blocks[i])
                sample.add(count(type_, chunk, found, tally), sum(map(len, found.values())))
                if budget[type_] <= 0 or candidates[type_] <= 0:
                    if type_ in hits:  # a budget ran out: the count is a lower bound, not an estimate
                        hits[type_].capped = True
                    break
                outcome = sample.step()
                if outcome is None:
                    continue
                if outcome is True:
                    # a sample this large saves little: read the rest whole, in as few reads as it takes
                    for s, e in _bk.runs(blocks, {*aux.order[:k], *aux.certain}):
                        count(type_, chunk, _candidates(rx, chunk, s, e), tally)
                else:
                    _extrapolate(hits[type_], tally, outcome - sample.exact, sample.sc, budget, candidates, type_)
                break
            tally.update(exact)
            _add(hits.get(type_), tally)
    for hit in hits.values():
        hit.confidence = confidence(hit.type, 0.5, False, (hit.spec or specs[hit.type]).strength)
    return list(hits.values())


_HEAD = 1 << 15  # a large chunk's prefilter reads this much of it first (cut at a line end) with every type


def _present(prefilter: Prefilter, chunk: bytes, wanted: frozenset[str], extra: tuple[tuple[str, str], ...],
             gates: tuple[tuple[str, str], ...]) -> set[str]:
    """The types whose prefilter patterns occur in ``chunk``. A large chunk is read twice in
    part rather than once whole with every pattern: its head with every type's patterns, then
    the whole chunk with the patterns of the types the head did not show only (a smaller
    automaton; none when the head showed them all). Exact: a match in the head is one in the
    chunk (the head ends at a line end, where no prefilter pattern's ``\\b`` can hold in one and
    not in the other; a detector's own anchors may at worst open it for nothing: its
    extraction decides), and every other type is looked for in the whole chunk."""
    if len(chunk) < 4 * _HEAD:
        return prefilter.match(chunk)
    cut = chunk.rfind(b"\n", 0, _HEAD) + 1
    if cut <= 0:
        return prefilter.match(chunk)
    found = prefilter.match(chunk[:cut])
    rest = (wanted & prefilter.all_types) - found
    if rest:
        names = {n for n, _ in extra}
        found |= prefilter_for(frozenset(rest - names), tuple(p for p in extra if p[0] in rest),
                               tuple(p for p in gates if p[0] in rest), True).match(chunk)
    return found


def _add(hit: Hit | None, tally: Counter) -> None:
    if hit is not None:
        for tag, n in tally.items():
            hit.tags[tag] += n
            hit.count += n


def _extrapolate(hit: Hit, tally: Counter, estimate: float, occurrences: int,
                 budget: dict[str, int], candidates: dict[str, int], type_: str) -> None:
    """Scale a settled type's ``tally`` (the blocks read) to its ``estimate`` for the whole
    chunk, tags as the sample's fell, and flag the hit ``estimated``. The occurrences not read
    spend the budgets as a full read would: past them the count is a lower bound (``capped``)."""
    read = sum(tally.values())
    scale = max(estimate / read, 1.0)
    rest = round(occurrences * (scale - 1))  # candidate occurrences in the blocks not read
    tries = candidates[type_]
    if rest > tries:
        hit.capped = True
        scale = 1 + (scale - 1) * tries / rest
    candidates[type_] = max(tries - rest, 0)
    add = round(read * (scale - 1))
    if add > budget[type_]:
        add = budget[type_]
        hit.capped = True
    budget[type_] -= add
    hit.estimated = True
    if add > 0:
        for tag, n in list(tally.items()):
            tally[tag] = n + round(add * n / read)
