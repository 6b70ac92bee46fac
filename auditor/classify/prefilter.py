"""One-pass prefilter (``re2.Set``) and per-type candidate extraction patterns.

The prefilter answers "which types can be present in this chunk?" in one scan of
the bytes; only those types' extraction patterns and validators run afterwards.
Patterns are UTF-8 byte patterns compiled once at import.
"""

from __future__ import annotations

from functools import lru_cache

import re2

from auditor.classify.types import BUILTIN, STREET_WORDS

__all__ = ["present_types", "Prefilter", "prefilter_for", "EXTRACT", "PREFILTER_PATTERNS", "TEXT_PREFILTER_PATTERNS",
           "STREET_WORDS"]

# type -> patterns whose presence makes the type possible (values or text)
PREFILTER_PATTERNS: dict[str, tuple[str, ...]] = {t.name: t.prefilter for t in BUILTIN if t.prefilter}
# free-text extraction: the first group that took part, else the whole match, is the candidate
EXTRACT_PATTERNS: dict[str, str] = {t.name: t.extract for t in BUILTIN if t.extract}
# in free text, a type that counts only what its extraction pattern finds with its keyword in it
# (a date of birth: ``DOB: 1990-01-02``) is present exactly where that pattern matches: a chunk
# with the keyword but no date after it (``born`` in prose) is not read for it at all
TEXT_PREFILTER_PATTERNS: dict[str, tuple[str, ...]] = {
    **PREFILTER_PATTERNS, "date_of_birth": (EXTRACT_PATTERNS["date_of_birth"],)}


class Prefilter:
    """One ``re2.Set`` over the prefilter patterns of some types.

    Free-text scanning narrows it as types fill their budgets: a smaller set is a
    smaller automaton, and a scan for types already settled would be wasted.
    """

    def __init__(self, types: frozenset[str], extra: tuple[tuple[str, str], ...] = (),
                 gates: tuple[tuple[str, str], ...] = (), text: bool = False, check: bytes | None = None) -> None:
        opts = re2.Options()
        opts.max_mem = 64 << 20
        self.types = types
        # every type it can answer for: the built-in ones and the detectors
        self.all_types = frozenset(t for t in types if t in (TEXT_PREFILTER_PATTERNS if text else PREFILTER_PATTERNS)) \
            | {t for t, _ in extra}
        self._set = re2.Set.SearchSet(opts)
        self._index: list[str] = []
        patterns = TEXT_PREFILTER_PATTERNS if text else PREFILTER_PATTERNS
        pairs = [(t, p) for t, ps in patterns.items() if t in types for p in ps] + list(extra)
        for type_, pattern in pairs:
            self._set.Add(pattern.encode())
            self._index.append(type_)
        # a gate: a pattern that must also occur (a detector's keywords); its index names no type
        self._gated = {type_: len(self._index) + i for i, (type_, _) in enumerate(gates)}
        for _, pattern in gates:
            self._set.Add(pattern.encode())
        # a check: a pattern the caller asks about in the same scan (``match_checked``), after
        # ``\A``, which any text matches: a scan that failed (RE2 out of memory) answers without it
        self._check = len(self._index) + len(gates) if check is not None else -1
        if check is not None:
            self._set.Add(rb"\A")
            self._set.Add(check)
        self._set.Compile()

    def match(self, blob: bytes) -> set[str]:
        """The types whose patterns (and gate, if any) occur somewhere in ``blob`` (one scan)."""
        if not self._index:
            return set()
        return self._found(self._set.Match(blob) or ())

    def _found(self, hits: list[int] | tuple[()]) -> set[str]:
        n = len(self._index)
        found = {self._index[i] for i in hits if i < n}
        if self._gated:
            opened = {i for i in hits if i >= n}
            found = {t for t in found if self._gated.get(t, -1) < 0 or self._gated[t] in opened}
        return found

    def match_checked(self, blob: bytes) -> tuple[set[str], bool] | None:
        """``match(blob)`` and whether the check pattern occurs in ``blob``, in one scan; None when
        the scan failed (then ``match`` answers as it would have). Needs a prefilter made with one."""
        assert self._check >= 0, "a prefilter made without a check"
        hits = self._set.Match(blob) or ()
        if self._check not in hits:
            return None
        return self._found(hits), self._check + 1 in hits


@lru_cache(maxsize=256)
def prefilter_for(types: frozenset[str], extra: tuple[tuple[str, str], ...] = (),
                  gates: tuple[tuple[str, str], ...] = (), text: bool = False, check: bytes | None = None) -> Prefilter:
    """``extra``: (type, pattern) pairs of user-defined detectors; ``gates``: (type, pattern)
    pairs of a pattern that must occur too for the type to be present (one per type); ``text``:
    the free-text patterns (see ``TEXT_PREFILTER_PATTERNS``); ``check``: a pattern (UTF-8 bytes)
    ``Prefilter.match_checked`` tells the occurrence of in the same scan."""
    return Prefilter(types, extra, gates, text, check)


_ALL = prefilter_for(frozenset(PREFILTER_PATTERNS))
# Extraction runs only on chunks the prefilter passed and only until a type's budget is
# spent. re2 here too: Python's ``re`` hands out match objects more cheaply (~0.5 us
# against ~6 us) but scans dense CSV several times slower (measured 0.8 s against 0.1 s
# for the same 20 MB fill phase).
EXTRACT: dict[str, "re2._Regexp"] = {t: re2.compile(p.encode()) for t, p in EXTRACT_PATTERNS.items()}


def present_types(blob: bytes) -> set[str]:
    """The types whose prefilter patterns occur somewhere in ``blob`` (one scan)."""
    return _ALL.match(blob)
