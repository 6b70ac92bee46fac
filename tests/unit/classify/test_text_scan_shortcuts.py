"""Shortcuts of the free-text scan give the answers of the readings they replace: a block's
extraction without the margin (patterns whose matches stay in a line, blocks cut at line
ends) finds what the scan with the margin found."""

from __future__ import annotations

import random

import re2

from auditor.classify import text as T
from auditor.classify.options import ClassifyOptions
from auditor.classify.prefilter import EXTRACT_PATTERNS


def _with_margin(rx: re2._Regexp, chunk: bytes, start: int = 0, stop: int = -1) -> dict[bytes, list[int]]:
    """``_candidates`` as it was: every block's scan starts and ends a margin outside it."""
    out: dict[bytes, list[int]] = {}
    regexp = rx._regexp
    n = len(chunk)
    stop = n if stop < 0 else stop
    pos, end = max(start - T._MARGIN, 0), min(stop + T._MARGIN, n)
    groups = regexp.NumberOfCapturingGroups()
    while pos <= end:
        spans = regexp.Match(T._UNANCHORED, chunk, pos, end)
        first, last = spans[0]
        if first < 0 or first >= stop:
            break
        pos = last if last > first else last + 1
        if first < start:
            continue
        if last == end < n:
            spans = regexp.Match(T._ANCHOR_START, chunk, first, n)
            first, last = spans[0]
            pos = last if last > first else last + 1
        s, e = first, last
        if groups:
            for span in spans[1:]:
                if span[0] >= 0:
                    s, e = span
                    break
        out.setdefault(chunk[s:e], []).append(s)
    return out


def test_in_line_tells_patterns_that_can_match_a_line_end() -> None:
    for pattern in (r"a.b", r"[^x]", r"\s", r"[\s]", r"(?s)a", r"\x0a", r"a\nb", "a\nb", r"[[:alpha:]]", r"\pL",
                    r"\Qa\E", r"\W", r"\D", r"(?m)a", r"(?-i)a", r"[a-"):
        assert not T._in_line(pattern), pattern
        assert re2.compile(pattern if pattern != "[a-" else "a").search(b"\n") is None or not T._in_line(pattern)
    for pattern in (r"(?i)abc", r"(?i:abc)", r"[]a]", r"[a-z\d]+", r"\b\d{3}\b", r"[._%+'-]+@x\.com", r"\S+"):
        assert T._in_line(pattern), pattern
    # the built-in ones: what the shortcut serves, and what it leaves to the margin
    kinds = {t: T._in_line(p) for t, p in EXTRACT_PATTERNS.items()}
    assert {t for t, ok in kinds.items() if ok} == {"payment_card", "email", "ip_address", "phone"}


def test_in_line_patterns_match_no_line_end() -> None:
    """Each pattern said to stay in a line finds no match holding a line end in text built to
    offer one (values cut by line ends at every place)."""
    rng = random.Random(3)
    values = ["+65 9123 4567", "4111 1111 1111 1111", "10.0.0.1", "fe80::1", "a.b@example.com", "S1234567D",
              "(021) 555 0199", "12-3456789-0", "880101-14-5678"]
    text = "\n".join(v[:i] + "\n" + v[i:] for v in values for i in range(1, len(v))) + "\n"
    text += "\n".join(rng.choice(values) for _ in range(200))
    for pattern in EXTRACT_PATTERNS.values():
        if T._in_line(pattern):
            rx = re2.compile(pattern.encode())
            assert all(b"\n" not in m.group() for m in rx.finditer(text.encode())), pattern


def _texts(seed: int) -> list[bytes]:
    """Dense text of every type's values, back to back and split over lines, digit groups one
    space apart, values straddling line ends, long lines and short ones."""
    rng = random.Random(seed)
    pieces = ["+65 9123 4567", "9123 4567", "4111 1111 1111 1111", "4111111111111111", "10.0.0.1", "fe80::1:2",
              "a.b@example.com", "S1234567D", "123456789012", "1234 5678 9012", "(021) 555-0199", "2024-01-02",
              "12:30", "order 98765432", "tel", "call me on", "ID", "v1.2.3.4", "x", "-", ".", "/", " ", " ", "\n",
              "\u4e2d\u6587", "Dear Mr Tan Kow", "Jl. Sudirman No. 5, Jakarta 10220", "#01-234"]
    pieces += ["A123456", "(3)", "3", "Singapore", "123456", "Dear", "Mr", "Tan", "name:", "DOB", "1990-01-02", "1234",
               "...", "5678", "**** ****"]  # the halves of values a line end may cut
    out = []
    for _ in range(8):
        words = [rng.choice(pieces) for _ in range(rng.randrange(200, 3000))]
        out.append(("".join(w + rng.choice(["", " ", "  ", "\n", "\n", " \n"]) for w in words) + "\n").encode())
    out.append(("1 2 3 4 5 6 7 8 9 0 " * 400 + "\n").encode())  # a run of digit groups longer than the margin
    return out


def _line_blocks(chunk: bytes, rng: random.Random) -> list[tuple[int, int]]:
    """Blocks cut at line ends, of random sizes (some a line, some many)."""
    out, start, n = [], 0, len(chunk)
    while start < n:
        cut = chunk.find(b"\n", min(start + rng.randrange(1, 600), n - 1))
        end = n if cut < 0 else cut + 1
        out.append((start, end))
        start = end
    return out


def test_blocks_without_margin_find_what_the_margin_scan_found() -> None:
    rng = random.Random(11)
    specs = [s for s in T.specs_for(ClassifyOptions()) if s.extract]
    for chunk in _texts(5):
        blocks = _line_blocks(chunk, rng)
        for spec in specs:
            rx = T._extractor(spec)
            for s, e in blocks:
                assert T._candidates(rx, chunk, s, e) == _with_margin(rx, chunk, s, e), (spec.name, s, e)
            assert T._candidates(rx, chunk) == _with_margin(rx, chunk), spec.name
            # a block not cut at a line end is read with the margin, as before
            mid = len(chunk) // 2
            assert T._candidates(rx, chunk, mid, mid + 700) == _with_margin(rx, chunk, mid, mid + 700), spec.name


def test_a_bare_run_of_digits_is_told_as_the_pattern_it_replaced_tells_it() -> None:
    """``_bare_digits`` (two C calls) answers as ``re.fullmatch(rb"(?!00)\\d+", raw)`` did, on
    candidates of every shape a phone's extraction yields and on bytes of any kind."""
    import re

    pattern = re.compile(rb"(?!00)\d+")
    r = random.Random(9)
    shaped = [b"", b"0", b"00", b"007", b"0065", b"65123456", b"+6591234567", b"9123 4567", b"(65) 6123-4567",
              b"\xd9\xa3\xd9\xa4", b"12\n", b" 123", b"0\x000"]
    alphabet = b"0123456789 +-()\n\xd9\xa3"
    for raw in shaped + [bytes(r.choice(alphabet) for _ in range(r.randrange(0, 14))) for _ in range(5000)]:
        assert T._bare_digits(raw) == (pattern.fullmatch(raw) is not None), raw
