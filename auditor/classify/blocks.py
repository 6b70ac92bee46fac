"""A large chunk of free text read as a sample of its blocks (see ``text.py``): the blocks,
their cheap measures, and the estimator that says when a type's count is known.

A chunk is cut into blocks of about ``BLOCK`` bytes at line ends and read in a seeded random
order. Per present type, the blocks read give its count per block (``y``); the chunk's count
is estimated by regression (GREG) on measures of every block counted in C (``x``), whose
totals over the chunk are known exactly: the better the measures predict a block's count, the
fewer blocks the same precision takes. The measures: bytes, digits, ``@`` and line ends (the
*base* set); then, as more blocks are read (``_STAGES``: the first 4k measures once 4k blocks
are read), capital letters, a digit followed by a capital once the bytes no measure counts are
left out (an id's check letter, a time's ``T``/``Z``, a number before a capitalised word), and
six punctuation marks (``=`` of key=value logs, ``_`` of identifiers, ``:`` of labels, ``-`` of
dates and dashed numbers, ``#`` of unit and order numbers, ``.`` of dotted numbers and
sentences). Free text is a mix of kinds of lines (tickets, log lines, labelled records, prose),
a type's values come with their kind of line, and these marks of a block tell how many lines of
each kind it holds.

A count settles once its 99% interval (Student's t at the residual degrees of freedom, with
finite-population correction) is within ``SETTLE_REL`` of it (or ``SETTLE_ABS`` of the
candidate occurrences) either side, after at least ``MIN_BLOCKS`` blocks and ``MIN_COUNTED``
counted occurrences. The coverage of that rule, its checks and stages included, is tested by
simulation (``tests/unit/classify/test_block_coverage.py``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

BLOCK = 2048  # a settling scan reads a large chunk in blocks of about this many bytes, cut at line ends
MIN_BLOCKS = 16  # blocks of a type read before its count may settle
MIN_COUNTED = 64  # ... and occurrences counted in them
SETTLE_REL = 0.1  # a settled count is known within +-10% of itself (99% confidence) ...
SETTLE_ABS = 0.005  # ... or within +-0.5 points of its candidate occurrences, whichever is wider
_Z = 2.576  # 99%, two-sided, normal
SETTLE_CHUNK = 1 << 20  # the least chunk a settling scan reads (1 MiB: one sample per call of the connectors)

_MARKS = (b"=", b"_", b":", b"-", b"#", b".")  # punctuation measures (see the module's docstring)
_DIGITS = b"0123456789"
_UPPER = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CLASSES = bytes.maketrans(_DIGITS + _UPPER, b"0" * len(_DIGITS) + b"A" * len(_UPPER))
_UNCOUNTED = bytes(sorted(set(range(256)) - set(_DIGITS + _UPPER + b"@\n" + b"".join(_MARKS))))
# the measures, in this order: bytes, digits, "@", line ends, capitals, a digit then a capital, then the marks
_ALL = tuple(range(6 + len(_MARKS)))
# the regression fits the first k of them once 4k blocks are read (n >= 4k: with fewer, too few
# residual degrees of freedom, and the interval covered less than its 99% in simulation); the
# first four (the base set) from the start. The stages are a fixed rule of the number of blocks
# read, never a choice made on the values.
_STAGES = (4, 8, len(_ALL))
_PER_MEASURE = 4  # blocks read per measure fitted


def _fitted(n: int) -> int:
    """How many of the measures the regression fits after ``n`` blocks."""
    return max(k for k in _STAGES if n >= _PER_MEASURE * k or k == _STAGES[0])


def t99(df: int) -> float:
    """Student's t for 99% two-sided at ``df`` degrees of freedom (Cornish-Fisher expansion
    about the normal quantile: within 0.03 of the table from 8 on)."""
    z = _Z
    return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df)


def cut(chunk: bytes) -> list[tuple[int, int]]:
    """``chunk`` as (start, end) blocks of about ``BLOCK`` bytes, cut at line ends only: the
    units a settling scan samples. A line longer than a block is one block, however long: a cut
    inside a line can fall inside a run of values written back to back (digit groups one space
    apart), where a scan started a margin before the cut reads other windows of the run than
    the whole chunk's scan for the whole block (no margin is long enough for such a run). A chunk
    with a block over 4 blocks' size is not sampled (see ``text.scan_text``)."""
    out, start, n = [], 0, len(chunk)
    while start < n:
        end = min(start + BLOCK, n)
        if end < n:
            at = chunk.rfind(b"\n", start, end)
            if at < 0:
                at = chunk.find(b"\n", end)
                if at < 0:
                    at = n - 1
            end = at + 1
        out.append((start, end))
        start = end
    return out


def _measure(part: bytes) -> tuple[int, ...]:
    """Every measure of ``part`` (a block, or the whole chunk for the totals), in a few passes of
    C rather than one a measure: ``part`` without the bytes no measure counts, digits written
    ``0`` and capitals ``A`` (under half of it: the "shape"), then that without its digits, then
    without its capitals (a few percent), where each mark is counted."""
    shape = part.translate(_CLASSES, _UNCOUNTED)
    letters = shape.translate(None, b"0")
    marks = letters.translate(None, b"A")
    count = marks.count
    return (len(part), len(shape) - len(letters), count(b"@"), count(b"\n"), len(letters) - len(marks),
            shape.count(b"0A"), *[count(m) for m in _MARKS])


class Auxiliary:
    """The measures of a chunk's blocks: their totals over the chunk, each block's when a sample reads it, and the
    least-squares factor of the first n blocks of ``order`` (every type reads in that order,
    so one factor serves every type that checks at n)."""

    def __init__(self, chunk: bytes, blocks: list[tuple[int, int]], order: list[int]) -> None:
        self.chunk, self.blocks, self.order = chunk, blocks, order
        self._totals = _measure(chunk)
        self._x: dict[int, tuple[int, ...]] = {}
        k = len(_ALL)
        # sums of x and of x x' (upper triangle, row by row) over the first n blocks of ``order``
        self._sums: list[tuple[list[int], list[int]]] = [([0] * k, [0] * (k * (k + 1) // 2))]
        self._factors: dict[int, tuple[list[list[float]], list[float]]] = {}

    def totals(self) -> tuple[int, ...]:
        return self._totals

    def x(self, block: int) -> tuple[int, ...]:
        found = self._x.get(block)
        if found is None:
            s, e = self.blocks[block]
            found = self._x[block] = _measure(self.chunk[s:e])
        return found

    def sums(self, n: int) -> tuple[list[int], list[int]]:
        """Sum of x and of x x' (upper triangle) over the first ``n`` blocks of ``order``."""
        sums = self._sums
        while len(sums) <= n:
            x = self.x(self.order[len(sums) - 1])
            sx, sxx = sums[-1]
            outer = [xi * xj for i, xi in enumerate(x) for xj in x[i:]]
            sums.append(([a + b for a, b in zip(sx, x)], [a + b for a, b in zip(sxx, outer)]))
        return sums[n]

    def factor(self, n: int) -> tuple[list[list[float]], list[float]]:
        """The LDL' factor of the sum of x x' over the first ``n`` blocks (see :func:`factor`)."""
        found = self._factors.get(n)
        if found is None:
            k = len(_ALL)
            tri = self.sums(n)[1]
            a = [[0.0] * k for _ in range(k)]
            at = 0
            for i in range(k):
                for j in range(i, k):
                    a[i][j] = a[j][i] = tri[at]
                    at += 1
            found = self._factors[n] = factor(a)
        return found


def factor(a: Sequence[Sequence[float]]) -> tuple[list[list[float]], list[float]]:
    """``a = L D L'`` for a sum-of-squares matrix ``a`` (positive semi-definite: no pivoting);
    a measure without a usable pivot (zero, or a combination of the ones before it, in every
    block read) gets ``D = 0`` and is left out of the fit. The factor of a leading block of
    ``a`` is the leading block of its factor: the base measures' fit reads the full factor."""
    k = len(a)
    low = [[0.0] * k for _ in range(k)]
    d = [0.0] * k
    for j in range(k):
        lj = low[j]
        v = a[j][j] - sum(lj[p] * lj[p] * d[p] for p in range(j))
        if v <= 1e-9 * (1 + a[j][j]):
            continue
        d[j] = v
        for i in range(j + 1, k):
            li = low[i]
            li[j] = (a[i][j] - sum(li[p] * lj[p] * d[p] for p in range(j))) / v
    return low, d


def solve(low: list[list[float]], d: list[float], b: Sequence[float]) -> tuple[list[float], int]:
    """The least-squares coefficients for the normal equations factored as ``L D L'`` (the
    unknowns of the first ``len(b)`` measures; those without a pivot are 0), and their rank."""
    k = len(b)
    z = [0.0] * k
    for i in range(k):
        if d[i]:
            li = low[i]
            z[i] = b[i] - sum(li[p] * z[p] for p in range(i))
    out = [0.0] * k
    for i in range(k - 1, -1, -1):
        if d[i]:
            out[i] = z[i] / d[i] - sum(low[p][i] * out[p] for p in range(i + 1, k))
    return out, sum(1 for i in range(k) if d[i])


class Estimate:
    """A type's count in one chunk from a simple random sample of its blocks: the regression
    (GREG) estimator on the blocks' measures, with finite-population correction (Cochran,
    Sampling Techniques, 7.1; Sarndal et al., Model Assisted Survey Sampling, 6.5):
    Y = N mean(y) + b'(X - N mean(x)), Var = N^2 (1 - n/N) / n * S_e^2, where b is the
    least-squares fit of y on x over the blocks read, e = y - b'x, and S_e^2 has n - rank
    degrees of freedom. The measures fitted grow with the blocks read (``_fitted``: a fixed rule
    of the number read, never a choice made on the values); the least-squares factor of the
    first 4k measures is the leading block of the factor of all twelve, shared by every type."""

    def __init__(self, aux: Auxiliary) -> None:
        self.aux = aux
        self.n = self.sy = self.syy = self.sc = 0
        self.sxy = [0] * len(_ALL)
        self._next = MIN_BLOCKS  # the next number of blocks read at which to check

    def add(self, counted: int, occurrences: int) -> None:
        """The next block of the aux's order: ``counted`` of its ``occurrences`` counted."""
        self.n += 1
        self.sc += occurrences
        if counted:
            self.sy += counted
            self.syy += counted * counted
            self.sxy = [a + xj * counted for a, xj in zip(self.sxy, self.aux.x(self.aux.order[self.n - 1]))]

    def step(self) -> float | bool | None:
        """After each ``add``: the settled estimate of the chunk's count; True when a sample
        saves too little (the rest of the chunk is then read whole); None to read on. Checks
        from ``MIN_BLOCKS`` blocks on, every 4 blocks or, when the blocks the precision needs
        are far ahead, a third of the way to them (fewer checks: fewer solves, never a looser
        rule)."""
        n = self.n
        if n < self._next:
            return None
        estimate, needed = self.settled()
        if estimate is not None:
            return estimate
        big_n = len(self.aux.blocks)
        rare = self.sy * big_n < 2 * MIN_COUNTED * n  # too few values to settle on
        if needed > big_n // 2 and (rare or n >= big_n // 4):
            return True
        ahead = (needed - n) // 3 if self.sy >= MIN_COUNTED and n < needed < big_n else 0
        self._next = n + max(4, ahead - ahead % 4)
        for k in _STAGES[1:]:
            if n < _PER_MEASURE * k <= self._next:
                self._next = _PER_MEASURE * k  # a larger regression's first look
                break
        return None

    def settled(self) -> tuple[float | None, int]:
        """The estimated count of the whole chunk once its 99% interval is within 10% of it
        (or 0.5 points of the candidate occurrences) either side, else None; and the blocks
        the sample would need at its present variance (all of them when few counted)."""
        n, big_n = self.n, len(self.aux.blocks)
        if self.sy < MIN_COUNTED or n >= big_n:
            return None, big_n
        k = _fitted(n)
        totals = self.aux.totals()
        sx = self.aux.sums(n)[0]
        sxy = self.sxy[:k]
        b, rank = solve(*self.aux.factor(n), sxy)
        if n <= 2 * rank:
            return None, big_n
        bx = sum(bj * xj for bj, xj in zip(b, sx))
        count = big_n * self.sy / n + sum(bj * (t - big_n * xj / n) for bj, t, xj in zip(b, totals, sx))
        count = max(count, self.sy)  # never fewer than the blocks read hold
        sse = self.syy - sum(bj * v for bj, v in zip(b, sxy))  # b' Sxx b = b' Sxy at the least-squares b
        mean_e = (self.sy - bx) / n
        s2 = max(sse - n * mean_e * mean_e, 0.0) / (n - rank)
        var = big_n * big_n * (1 - n / big_n) / n * s2
        half = max(SETTLE_REL * count, SETTLE_ABS * big_n * self.sc / n) / t99(n - rank)
        if n >= MIN_BLOCKS and var <= half * half:
            return count, n
        n0 = var / (1 - n / big_n) * n / (half * half)  # blocks needed without the correction ...
        return None, math.ceil(n0 / (1 + n0 / big_n))  # ... and with it


def runs(blocks: list[tuple[int, int]], read: set[int]) -> Iterator[tuple[int, int]]:
    """The blocks not in ``read``, adjacent ones merged: the rest of a chunk in few reads."""
    start = None
    for i, (s, e) in enumerate(blocks):
        if i in read:
            if start is not None:
                yield start, blocks[i - 1][1]
                start = None
        elif start is None:
            start = s
    if start is not None:
        yield start, blocks[-1][1]
