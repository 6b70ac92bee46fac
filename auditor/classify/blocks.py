"""A large chunk of free text read as a sample of its blocks (see ``text.py``): the blocks,
their cheap measures, and the estimator that says when a type's count is known.

A chunk is cut into blocks of about ``BLOCK`` bytes at line ends and read in a seeded random
order. Per present type, the blocks read give its count per block (``y``); the chunk's count
is estimated by regression (GREG) on measures of every block counted in C (``x``), whose
totals over the chunk are known exactly: the better the measures predict a block's count, the
fewer blocks the same precision takes. The measures: bytes, digits, ``@`` and line ends (the
*base* set); then, as more blocks are read (``_STAGES``: the first k measures once
``_PER_MEASURE`` k blocks are read; a measure once it is nonzero in 8 of them), capital
letters, a digit followed by a capital once the bytes no measure counts are left out (an id's check letter, a time's ``T``/``Z``, a number before a capitalised word), and
six punctuation marks (``=`` of key=value logs, ``_`` of identifiers, ``:`` of labels, ``-`` of
dates and dashed numbers, ``#`` of unit and order numbers, ``.`` of dotted numbers and
sentences). Free text is a mix of kinds of lines (tickets, log lines, labelled records, prose),
a type's values come with their kind of line, and these marks of a block tell how many lines of
each kind it holds.

A count settles once its 99% interval (Student's t at the residual degrees of freedom, with
finite-population correction) is within ``SETTLE_REL`` of it (or ``SETTLE_ABS`` of the
candidate occurrences) either side, after at least ``MIN_BLOCKS`` blocks and ``MIN_COUNTED``
counted occurrences in ``MIN_VALUE_BLOCKS`` distinct blocks, the interval confirmed by a
leave-one-out variance and no block read weighing over half the fit (``MAX_LEVERAGE``). The coverage of that rule, its checks and stages included, is tested by
simulation (``tests/unit/classify/test_block_coverage.py``).
"""

from __future__ import annotations

import bisect
import math
import types
from collections.abc import Iterator, Sequence
from itertools import repeat
from operator import mul

BLOCK = 2048  # a settling scan reads a large chunk in blocks of about this many bytes, cut at line ends
MIN_BLOCKS = 16  # blocks of a type read before its count may settle
MIN_COUNTED = 64  # ... and occurrences counted in them
MIN_VALUE_BLOCKS = 8  # ... in at least this many distinct blocks (values in fewer: the rest is read whole)
MIN_NONZERO = 8  # a measure is fitted once it is nonzero in this many blocks read (a rule on the measures only)
MAX_LEVERAGE = 0.5  # no count settles while a block read has a leverage over this (one block would fix its fit)
CERTAIN = 2  # a block with a measure over this many times the chunk's 99th percentile of it is read exactly
CALIBRATION = 3.0  # no count settles while a fitted measure's total is this many standard errors from the sample's
SETTLE_REL = 0.1  # a settled count is known within +-10% of itself (99% confidence) ...
SETTLE_ABS = 0.005  # ... or within +-0.5 points of its candidate occurrences, whichever is wider
_Z = 2.5758293035489004  # 99%, two-sided, normal
# 99%, two-sided, Student's t at 1..30 degrees of freedom (the table: the expansion is low at few)
_T99 = (63.6567, 9.9248, 5.8409, 4.6041, 4.0321, 3.7074, 3.4995, 3.3554, 3.2498, 3.1693, 3.1058, 3.0545,
        3.0123, 2.9768, 2.9467, 2.9208, 2.8982, 2.8784, 2.8609, 2.8453, 2.8314, 2.8188, 2.8073, 2.7969,
        2.7874, 2.7787, 2.7707, 2.7633, 2.7564, 2.7500)
SETTLE_CHUNK = 1 << 20  # the least chunk a settling scan reads (1 MiB: one sample per call of the connectors)

_kernel: types.ModuleType | None
try:  # the optional C kernel (``_measures.c``; setup.py builds it where a compiler is found): the
    # block measures and the estimator's loops over blocks, each the same figures as the Python
    # function beside it (``py_*``: the fallback, and the tests' reference)
    import auditor.classify._measures as _kernel
except ImportError:  # pragma: no cover - a machine without a C compiler at install
    _kernel = None

_MARKS = (b"=", b"_", b":", b"-", b"#", b".")  # punctuation measures (see the module's docstring; ``measures`` writes them out in this order)
_DIGITS = b"0123456789"
_UPPER = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CLASSES = bytes.maketrans(_DIGITS + _UPPER, b"0" * len(_DIGITS) + b"A" * len(_UPPER))
_UNCOUNTED = bytes(sorted(set(range(256)) - set(_DIGITS + _UPPER + b"@\n" + b"".join(_MARKS))))
# the measures, in this order: bytes, digits, "@", line ends, capitals, a digit then a capital, then the marks
_ALL = tuple(range(6 + len(_MARKS)))
# the regression fits the first k of them once 8k blocks are read (n >= 8k: with fewer, too few
# residual degrees of freedom, and the interval covered less than its 99% in simulation); the
# first four (the base set) from the start. The stages are a fixed rule of the number of blocks
# read, never a choice made on the values.
_STAGES = (4, 8, len(_ALL))
_PER_MEASURE = 4  # blocks read per measure fitted: with the leave-one-out and leverage checks, 4 and 8 both
# miss the +-10% bound at the nominal rate where the measures do not predict the count (10,000 orders each:
# 4 -> 1.01%, 95% 0.83-1.23%; 8 -> 0.97%, 0.80-1.18%; benchmarks/estimator_coverage.py), and 8 reads about
# a fifth more blocks of free text


def _fitted(n: int) -> int:
    """How many of the measures the regression fits after ``n`` blocks."""
    return max(k for k in _STAGES if n >= _PER_MEASURE * k or k == _STAGES[0])


def t99(df: int) -> float:
    """Student's t for 99% two-sided at ``df`` degrees of freedom: the table up to 30, then the
    Cornish-Fisher expansion about the normal quantile (to its third term: within 1e-4 of the
    table from 30 on)."""
    if df < 1:
        return math.inf
    if df <= len(_T99):
        return _T99[df - 1]
    z = _Z
    return (z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)
            + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * df ** 3))


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


def measures(chunk: bytes, blocks: Sequence[tuple[int, int]]) -> list[tuple[int, ...]]:
    """``[_measure(chunk[s:e]) for s, e in blocks]``: the compiled kernel's where it was built
    (``_measures.c``: one pass of C a block, about a sixth of the time of the code below on a MiB
    of mixed text), else ``py_measures``. The same tuples either way (tested)."""
    if _kernel is not None:
        return _kernel.measures(chunk, blocks)
    return py_measures(chunk, blocks)


def py_measures(chunk: bytes, blocks: Sequence[tuple[int, int]]) -> list[tuple[int, ...]]:
    """``[_measure(chunk[s:e]) for s, e in blocks]``, the same tuples, with the per-block work
    inlined (a chunk has some 500 blocks: the calls and the tuple unpacking were a fifth of the
    measures' time) and one count fewer per block: the marks' part holds ``@``, line ends and
    the six marks only, so ``.`` is its length less the others (tested against ``_measure``)."""
    classes, uncounted = _CLASSES, _UNCOUNTED
    out: list[tuple[int, ...]] = []
    append = out.append
    for s, e in blocks:
        shape = chunk[s:e].translate(classes, uncounted)
        letters = shape.translate(None, b"0")
        marks = letters.translate(None, b"A")
        count = marks.count
        n_letters, n_marks = len(letters), len(marks)
        n_at, n_lines, n_eq, n_us, n_colon, n_dash, n_hash = (
            count(b"@"), count(b"\n"), count(b"="), count(b"_"), count(b":"), count(b"-"), count(b"#"))
        append((e - s, len(shape) - n_letters, n_at, n_lines, n_letters - n_marks, shape.count(b"0A"),
                n_eq, n_us, n_colon, n_dash, n_hash, n_marks - n_at - n_lines - n_eq - n_us - n_colon - n_dash - n_hash))
    return out


def certain(xs: Sequence[tuple[int, ...]]) -> list[int]:
    """The blocks read exactly rather than sampled: those with a measure over ``CERTAIN`` times
    the chunk's 99th percentile of it (a run of empty lines, a banner of ``=``, a block of a
    kind the chunk has almost nowhere else). Left to the sample, such a block is extrapolated
    over by the regression's coefficients times its excess, which nothing read describes (a
    certainty stratum, as surveys take their largest units whole). At most about 1% of the
    blocks a measure, by the percentile's definition."""
    if _kernel is not None:
        return _kernel.certain(xs, (99 * (len(xs) - 1)) // 100, CERTAIN) if xs else []
    return py_certain(xs)


def py_certain(xs: Sequence[tuple[int, ...]], at: int | None = None, times: int = CERTAIN) -> list[int]:
    """``certain`` in Python (the fallback, and the tests' reference); ``at`` and ``times``: the
    rank (default: the 99th percentile's) and the factor, as the kernel's ``certain`` takes them."""
    if not xs:
        return []
    if at is None:
        at = (99 * (len(xs) - 1)) // 100
    out: set[int] = set()
    for column in zip(*xs):
        ranked = sorted(column)
        limit = times * ranked[at]
        if ranked[-1] > limit:
            out.update(i for i, v in enumerate(column) if v > limit)
    return sorted(out)


class Auxiliary:
    """The measures of a chunk's blocks: the blocks read exactly (``certain``), the sampled
    population (``order``: the other blocks, in the seeded order given) and its totals, each
    block's measures, and what the fit at n blocks read takes of the first n blocks of
    ``order``: the sums, the least-squares factor and the blocks' leverages. Every type reads in
    that order, so each is taken once per n and serves every type that checks at n."""

    def __init__(self, chunk: bytes, blocks: list[tuple[int, int]], order: list[int],
                 xs: list[tuple[int, ...]] | None = None) -> None:
        self.xs = xs if xs is not None else measures(chunk, blocks)
        self.certain = certain(self.xs)
        exact = set(self.certain)
        self.order = [i for i in order if i not in exact]
        self.size = len(self.order)  # the population sampled
        k = len(_ALL)
        # each measure over the blocks of ``order``, in that order
        self.columns = [list(c) for c in zip(*[self.xs[i] for i in self.order])] or [[] for _ in range(k)]
        self._totals = tuple(map(sum, self.columns))
        # per n: the sums of x and of x x' (upper triangle, row by row) over the first n blocks of
        # ``order``, and per measure the blocks among them where it is nonzero; ``_summed``: those
        # n, ascending (the sums at n are those at the largest n below it plus the blocks between)
        self._sums: dict[int, tuple[list[int], list[int], list[int]]] = {0: ([0] * k, [0] * len(_PAIRS), [0] * k)}
        self._summed = [0]
        self._factors: dict[int, tuple[list[list[float]], list[float]]] = {}
        self._leverages: dict[int, tuple[list[float], float]] = {}

    def totals(self) -> tuple[int, ...]:
        return self._totals

    def x(self, block: int) -> tuple[int, ...]:
        return self.xs[block]

    def sums(self, n: int) -> tuple[list[int], list[int], list[int]]:
        """Sum of x and of x x' (upper triangle) over the first ``n`` blocks of ``order``, and
        per measure how many of them it is nonzero in (integers: exact, whatever the order of
        the additions)."""
        found = self._sums.get(n)
        if found is None:
            base = self._summed[bisect.bisect(self._summed, n) - 1]
            found = self._sums[n] = (_kernel.sums if _kernel else py_sums)(self.columns, base, n, *self._sums[base])
            bisect.insort(self._summed, n)
        return found

    def factor(self, n: int) -> tuple[list[list[float]], list[float]]:
        """The LDL' factor of the sum of x x' of the measures fitted at n (the first
        ``_fitted(n)``) over the first ``n`` blocks (see :func:`factor`: the leading block of the
        factor of all the measures, entry for entry); a measure nonzero in fewer than
        ``MIN_NONZERO`` of them is left out (its row and column zero: no pivot): fitted on a
        block or two, it fits them exactly (leverage 1, residual 0) and the variance reads as if
        they told the count."""
        found = self._factors.get(n)
        if found is None:
            k = _fitted(n)
            _, tri, nz = self.sums(n)
            a = [[0.0] * k for _ in range(k)]
            for (i, j), v in zip(_PAIRS, tri):
                if j < k and nz[i] >= MIN_NONZERO and nz[j] >= MIN_NONZERO:
                    a[i][j] = a[j][i] = v
            found = self._factors[n] = _kernel.factor(a, _COLLINEAR) if _kernel else factor(a)
        return found

    def leverages(self, n: int) -> tuple[list[float], float]:
        """Of the first ``n`` blocks of ``order`` under the fit at n (its ``_fitted(n)`` first
        measures, those with a pivot in ``factor(n)``): each block's 1 - leverage, the leverage
        taken at most ``MAX_LEVERAGE`` (the divisor of its leave-one-out residual), and the
        largest leverage. A block's leverage ``h = sum z_i^2 / d_i``, z its measures forward-
        substituted through the factor, does not depend on the type: taken once per n. Each
        ``z_i`` is ``sum()`` over the same products in the same order as the per-type loop this
        replaced had it (``sum`` of floats rounds as it will on every Python, compensated from
        3.12 on: the same on both sides), so the leverages are the same floats."""
        found = self._leverages.get(n)
        if found is None:
            low, d = self.factor(n)
            kept = [i for i in range(_fitted(n)) if d[i]]
            # per measure fitted: its column, its row of the factor over the fitted measures before it, its pivot
            steps = [(self.columns[i], [low[i][p] for p in kept if p < i], d[i]) for i in kept]
            found = self._leverages[n] = (_kernel.leverages if _kernel else py_leverages)(steps, n, MAX_LEVERAGE)
        return found


def py_leverages(steps: list[tuple[list[int], list[float], float]], n: int, cap: float) -> tuple[list[float], float]:
    """The loop of ``Auxiliary.leverages`` (the compiled kernel's where it was built, the same
    floats on Python 3.11, equal to rounding from 3.12 on: tested): over the first ``n`` blocks,
    each block's ``1 - min(h, cap)`` and the largest ``h``, each step a fitted measure's column,
    its row of the factor over the fitted measures before it, and its pivot."""
    divisors, top = [], 0.0
    for block in range(n):
        z: list[float] = []  # the block's z of the fitted measures so far
        h = 0.0
        for column, row, pivot in steps:
            zi = column[block] - sum(map(mul, row, z))
            z.append(zi)
            h += zi * zi / pivot
        top = max(top, h)
        divisors.append(1 - min(h, cap))
    return divisors, top


def py_sums(columns: list[list[int]], base: int, n: int, sx: list[int], tri: list[int],
            nz: list[int]) -> tuple[list[int], list[int], list[int]]:
    """``Auxiliary.sums`` at ``n`` from its sums at ``base`` (the fallback of the compiled
    kernel's, and the tests' reference): over blocks ``base:n`` of ``columns``, each column's
    sum, each pair's sum of products (``_PAIRS``' order) and the blocks where each is nonzero,
    added to ``sx``, ``tri`` and ``nz``."""
    part = [c[base:n] for c in columns]
    return ([a + sum(c) for a, c in zip(sx, part)],
            [t + sum(map(mul, part[i], part[j])) for t, (i, j) in zip(tri, _PAIRS)],
            [a + len(c) - c.count(0) for a, c in zip(nz, part)])


# the upper triangle of x x', row by row: (row, column) of each entry of ``Auxiliary.sums``' second
_PAIRS = tuple((i, j) for i in range(len(_ALL)) for j in range(i, len(_ALL)))

# a measure whose part the ones before it do not explain is under this share of its sum of squares
# is left out: it differs from a combination of them in a block or two (a CSV's header line, the
# only one with a line end but no "@"), which it would fit exactly (leverage near 1, residual 0)
_COLLINEAR = 1e-3


def factor(a: Sequence[Sequence[float]]) -> tuple[list[list[float]], list[float]]:
    """``a = L D L'`` for a sum-of-squares matrix ``a`` (positive semi-definite: no pivoting);
    a measure without a usable pivot (zero, or a combination of the ones before it, in every
    block read, or nearly: ``_COLLINEAR``) gets ``D = 0`` and is left out of the fit. The factor of a leading block of
    ``a`` is the leading block of its factor: the base measures' fit reads the full factor."""
    k = len(a)
    low = [[0.0] * k for _ in range(k)]
    d = [0.0] * k
    for j in range(k):
        lj = low[j]
        dj = d[:j]
        v = a[j][j] - sum(map(mul, map(mul, lj[:j], lj), dj))  # sum over p < j of lj[p] lj[p] d[p]
        if v <= _COLLINEAR * a[j][j] + 1e-9:
            continue
        d[j] = v
        for i in range(j + 1, k):
            li = low[i]
            li[j] = (a[i][j] - sum(map(mul, map(mul, li[:j], lj), dj))) / v  # ... of li[p] lj[p] d[p]
    return low, d


def solve(low: list[list[float]], d: list[float], b: Sequence[float]) -> tuple[list[float], int]:
    """The least-squares coefficients for the normal equations factored as ``L D L'`` (the
    unknowns of the first ``len(b)`` measures; those without a pivot are 0), and their rank."""
    k = len(b)
    z = [0.0] * k
    for i in range(k):
        if d[i]:
            z[i] = b[i] - sum(map(mul, low[i][:i], z))
    out = [0.0] * k
    for i in range(k - 1, -1, -1):
        if d[i]:
            out[i] = z[i] / d[i] - sum([low[p][i] * out[p] for p in range(i + 1, k)])
    return out, sum(1 for i in range(k) if d[i])


class Estimate:
    """A type's count in one chunk from a simple random sample of its blocks: the regression
    (GREG) estimator on the blocks' measures, with finite-population correction (Cochran,
    Sampling Techniques, 7.1; Sarndal et al., Model Assisted Survey Sampling, 6.5):
    Y = N mean(y) + b'(X - N mean(x)), Var = N^2 (1 - n/N) / n * S_e^2, where b is the
    least-squares fit of y on x over the blocks read, e = y - b'x, and S_e^2 has n - rank - 1
    degrees of freedom (the mean residual is subtracted: an intercept in effect). The measures
    fitted grow with the blocks read (``_fitted``: a fixed rule of the number read, never a
    choice made on the values) and a measure is fitted once nonzero in ``MIN_NONZERO`` blocks
    read; the least-squares factor of the first k measures is the leading block of the factor
    of all twelve, shared by every type.

    A count that the usual variance settles is confirmed by a leave-one-out one (each residual
    over 1 - h, h the block's leverage: the jackknife's, HC3's) and settles only when that is
    within the bound too, no block read has a leverage over ``MAX_LEVERAGE`` and counted values
    occur in ``MIN_VALUE_BLOCKS`` blocks read: a block read early that the fit describes alone
    has residual 0, and the usual variance then says the count is known when it holds what
    that block holds."""

    def __init__(self, aux: Auxiliary) -> None:
        self.aux = aux
        self.n = self.sy = self.syy = self.sc = self.with_values = 0
        self.exact = 0  # counted in the blocks read exactly (``aux.certain``): no variance, added to the estimate
        self.ys: list[int] = []  # the count of each block read, in the order read
        self._sxy = [0] * len(_ALL)  # sum of x y over the first ``_sxy_n`` blocks read (brought up to n at a check)
        self._sxy_n = 0
        self._next = MIN_BLOCKS  # the next number of blocks read at which to check

    def add_certain(self, block: int, counted: int, occurrences: int) -> None:
        """A block of ``aux.certain`` (read exactly, before the sample): ``counted`` of its
        ``occurrences`` counted."""
        self.exact += counted

    def add(self, counted: int, occurrences: int) -> None:
        """The next block of the aux's order: ``counted`` of its ``occurrences`` counted."""
        self.n += 1
        self.sc += occurrences
        self.ys.append(counted)
        if counted:
            self.with_values += 1
            self.sy += counted
            self.syy += counted * counted

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
        big_n = self.aux.size
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

    def sxy(self) -> list[int]:
        """Sum of x y over the blocks read (integers: exact), brought up to date a measure at a
        time from where the last check left it."""
        m, n = self._sxy_n, self.n
        if m < n:
            ys = self.ys[m:n]
            self._sxy = [a + sum(map(mul, c[m:n], ys)) for a, c in zip(self._sxy, self.aux.columns)]
            self._sxy_n = n
        return self._sxy

    def settled(self) -> tuple[float | None, int]:
        """The estimated count of the whole chunk once its 99% interval is within 10% of it
        (or 0.5 points of the candidate occurrences) either side, else None; and the blocks
        the sample would need at its present variance (all of them when few counted)."""
        n, big_n = self.n, self.aux.size
        if self.sy < MIN_COUNTED or n >= big_n:
            return None, big_n
        k = _fitted(n)
        totals = self.aux.totals()
        sx = self.aux.sums(n)[0]
        sxy = self.sxy()[:k]
        low, d = self.aux.factor(n)
        b, rank = (_kernel.solve if _kernel else solve)(low, d, sxy)
        df = n - rank - 1
        if n <= 2 * rank or df < 1:
            return None, big_n
        bx = sum(map(mul, b, sx))
        count = big_n * self.sy / n + sum([bj * (t - big_n * xj / n) for bj, t, xj in zip(b, totals, sx)])
        count = max(count, self.sy) + self.exact  # never fewer than the blocks read hold
        sse = self.syy - sum(map(mul, b, sxy))  # b' Sxx b = b' Sxy at the least-squares b
        mean_e = (self.sy - bx) / n
        s2 = max(sse - n * mean_e * mean_e, 0.0) / df
        scale = big_n * big_n * (1 - n / big_n) / n
        var = scale * s2
        half = max(SETTLE_REL * count, SETTLE_ABS * big_n * self.sc / n) / t99(df)
        if n >= MIN_BLOCKS and var <= half * half:
            if self.with_values < MIN_VALUE_BLOCKS:
                return None, big_n  # values in too few blocks to tell how they spread: read on, or whole
            s2_loo, leverage = self._left_out(d, b, k)
            var = max(var, scale * s2_loo)
            if leverage <= MAX_LEVERAGE and var <= half * half and self._representative(d, k, n, big_n):
                return count, n
        n0 = var / (1 - n / big_n) * n / (half * half)  # blocks needed without the correction ...
        return None, math.ceil(n0 / (1 + n0 / big_n))  # ... and with it


    def _representative(self, d: list[float], k: int, n: int, big_n: int) -> bool:
        """Whether the blocks read stand for the rest in every measure fitted: each measure's
        total over the population within ``CALIBRATION`` standard errors of the sample's
        expansion of it, as a random sample's is but for chance. A sample that has missed a few
        blocks unlike the rest (runs of empty lines, banners: more than ``certain`` takes out)
        fails it, and the regression would extrapolate its coefficients over their excess,
        which nothing read describes; it reads on until it has met them (their leverage then
        holds it back) or reads the rest whole."""
        sx, tri, _ = self.aux.sums(n)
        totals = self.aux.totals()
        width = len(_ALL)
        se2 = CALIBRATION * CALIBRATION * big_n * big_n * (1 - n / big_n) / n
        for j in range(k):
            if not d[j]:
                continue  # not in the fit: the estimate does not lean on it
            mean = sx[j] / n
            s2 = max(tri[j * width - j * (j - 1) // 2] - sx[j] * mean, 0.0) / (n - 1)
            gap = totals[j] - big_n * mean
            if gap * gap > se2 * s2 + 1.0:
                return False
        return True

    def _left_out(self, d: list[float], b: list[float], k: int) -> tuple[float, float]:
        """The leave-one-out variance of the residuals (each over 1 - its block's leverage, the
        leverage taken at most ``MAX_LEVERAGE``) of the fit ``b`` on the first ``k`` measures
        (``d``: the pivots of ``aux.factor(n)``), and the largest leverage of a block read.
        Computed only when the usual variance settles a count; the leverages are the aux's
        (shared by the types)."""
        n = self.n
        divisors, top = self.aux.leverages(n)
        kept = [i for i in range(k) if d[i]]
        coefficients = [b[i] for i in kept]
        columns = [self.aux.columns[i] for i in kept]
        return (_kernel.left_out if _kernel else py_left_out)(self.ys, columns, coefficients, divisors, n), top


def py_left_out(ys: list[int], columns: list[list[int]], coefficients: list[float], divisors: list[float],
                n: int) -> float:
    """The leave-one-out variance of ``Estimate._left_out`` over the first ``n`` blocks (the
    fallback of the compiled kernel's, and the tests' reference): each residual of the fit
    over its divisor, their squared deviations from their mean summed over ``n - 1``."""
    rows = zip(*columns) if columns else repeat(())  # each block's fitted measures, in the order read
    rs = [(y - sum(map(mul, coefficients, x))) / div for y, div, x in zip(ys[:n], divisors, rows)]
    mean = sum(rs) / n
    return sum([(r - mean) ** 2 for r in rs]) / (n - 1)


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
