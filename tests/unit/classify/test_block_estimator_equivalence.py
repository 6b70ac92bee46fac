"""The block estimator's bookkeeping (``blocks.py``: the sums, the factor and the leverages taken
once per number of blocks read and shared by every type) decides exactly as the straightforward
implementation it replaced: the same blocks read, the same settle points, the same estimates and
needed blocks, float for float (every float operation is the same, in the same order, and every
float sum is a ``sum()`` as before, compensated or not as the Python version has it: no
tolerance is needed nor allowed).

The reference below is that implementation (main at de0be83), verbatim but for its names
(``RefAuxiliary``, ``RefEstimate``, ``ref_factor``, ``ref_solve``). Both run side by side on
the blocks of real texts (the coverage test's corpora) and on adversarial measures and counts
(a measure zero everywhere or nonzero in just under or just at ``MIN_NONZERO`` blocks, one the
sum of two others in every block or all but one, identical blocks, outliers read exactly, tiny
populations, counts the measures fit exactly, counts in a few blocks), over many seeded orders;
several types share one ``Auxiliary`` (in turn, as ``scan_text`` runs them, and interleaved at
different numbers read, which the caches must not confuse), and every outcome of ``step()`` and
``settled()`` and the next check must be equal."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import pytest

from auditor.classify import blocks as B
from auditor.classify.blocks import (CALIBRATION, MAX_LEVERAGE, MIN_BLOCKS, MIN_COUNTED, MIN_NONZERO,
                                     MIN_VALUE_BLOCKS, SETTLE_ABS, SETTLE_REL, _ALL, _COLLINEAR, _PER_MEASURE,
                                     _STAGES, _fitted, _measure, certain, t99)
from tests.unit.classify.test_block_coverage import _csv, _mixed, _population, _section
from tests.unit.classify.test_text_settling import _runs_amid_decoys

# ---------------------------------------------------------------------------------------------
# The reference: blocks.py's Auxiliary, factor, solve and Estimate as of main at de0be83, verbatim
# but for their names. Do not "improve" it: it is the definition the fast code must match.
# ---------------------------------------------------------------------------------------------


class RefAuxiliary:
    """The measures of a chunk's blocks: the blocks read exactly (``certain``), the sampled
    population (``order``: the other blocks, in the seeded order given) and its totals, each
    block's measures, and the least-squares factor of the first n blocks of ``order`` (every type
    reads in that order, so one factor serves every type that checks at n)."""

    def __init__(self, chunk: bytes, blocks: list[tuple[int, int]], order: list[int],
                 xs: list[tuple[int, ...]] | None = None) -> None:
        self.xs = xs if xs is not None else [_measure(chunk[s:e]) for s, e in blocks]
        self.certain = certain(self.xs)
        exact = set(self.certain)
        self.order = [i for i in order if i not in exact]
        self.size = len(self.order)  # the population sampled
        k = len(_ALL)
        self._totals = tuple(map(sum, zip(*[self.xs[i] for i in self.order]))) if self.order else (0,) * k
        # sums of x and of x x' (upper triangle, row by row) over the first n blocks of ``order``,
        # and per measure the blocks among them where it is nonzero
        self._sums: list[tuple[list[int], list[int], list[int]]] = [([0] * k, [0] * (k * (k + 1) // 2), [0] * k)]
        self._factors: dict[int, tuple[list[list[float]], list[float]]] = {}

    def totals(self) -> tuple[int, ...]:
        return self._totals

    def x(self, block: int) -> tuple[int, ...]:
        return self.xs[block]

    def sums(self, n: int) -> tuple[list[int], list[int], list[int]]:
        """Sum of x and of x x' (upper triangle) over the first ``n`` blocks of ``order``, and
        per measure how many of them it is nonzero in."""
        sums = self._sums
        while len(sums) <= n:
            x = self.x(self.order[len(sums) - 1])
            sx, sxx, nz = sums[-1]
            outer = [xi * xj for i, xi in enumerate(x) for xj in x[i:]]
            sums.append(([a + b for a, b in zip(sx, x)], [a + b for a, b in zip(sxx, outer)],
                         [a + (b != 0) for a, b in zip(nz, x)]))
        return sums[n]

    def factor(self, n: int) -> tuple[list[list[float]], list[float]]:
        """The LDL' factor of the sum of x x' over the first ``n`` blocks (see :func:`factor`);
        a measure nonzero in fewer than ``MIN_NONZERO`` of them is left out (its row and column
        zero: no pivot): fitted on a block or two, it fits them exactly (leverage 1, residual 0)
        and the variance reads as if they told the count."""
        found = self._factors.get(n)
        if found is None:
            k = len(_ALL)
            _, tri, nz = self.sums(n)
            a = [[0.0] * k for _ in range(k)]
            at = 0
            for i in range(k):
                for j in range(i, k):
                    if nz[i] >= MIN_NONZERO and nz[j] >= MIN_NONZERO:
                        a[i][j] = a[j][i] = tri[at]
                    at += 1
            found = self._factors[n] = ref_factor(a)
        return found


# a measure whose part the ones before it do not explain is under this share of its sum of squares
# is left out: it differs from a combination of them in a block or two (a CSV's header line, the
# only one with a line end but no "@"), which it would fit exactly (leverage near 1, residual 0)
_COLLINEAR = 1e-3


def ref_factor(a: Sequence[Sequence[float]]) -> tuple[list[list[float]], list[float]]:
    """``a = L D L'`` for a sum-of-squares matrix ``a`` (positive semi-definite: no pivoting);
    a measure without a usable pivot (zero, or a combination of the ones before it, in every
    block read, or nearly: ``_COLLINEAR``) gets ``D = 0`` and is left out of the fit. The factor of a leading block of
    ``a`` is the leading block of its factor: the base measures' fit reads the full factor."""
    k = len(a)
    low = [[0.0] * k for _ in range(k)]
    d = [0.0] * k
    for j in range(k):
        lj = low[j]
        v = a[j][j] - sum(lj[p] * lj[p] * d[p] for p in range(j))
        if v <= _COLLINEAR * a[j][j] + 1e-9:
            continue
        d[j] = v
        for i in range(j + 1, k):
            li = low[i]
            li[j] = (a[i][j] - sum(li[p] * lj[p] * d[p] for p in range(j))) / v
    return low, d


def ref_solve(low: list[list[float]], d: list[float], b: Sequence[float]) -> tuple[list[float], int]:
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


class RefEstimate:
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

    def __init__(self, aux: RefAuxiliary) -> None:
        self.aux = aux
        self.n = self.sy = self.syy = self.sc = self.with_values = 0
        self.exact = 0  # counted in the blocks read exactly (``aux.certain``): no variance, added to the estimate
        self.sxy = [0] * len(_ALL)
        self.ys: list[int] = []  # the count of each block read, in the order read
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
        sxy = self.sxy[:k]
        low, d = self.aux.factor(n)
        b, rank = ref_solve(low, d, sxy)
        df = n - rank - 1
        if n <= 2 * rank or df < 1:
            return None, big_n
        bx = sum(bj * xj for bj, xj in zip(b, sx))
        count = big_n * self.sy / n + sum(bj * (t - big_n * xj / n) for bj, t, xj in zip(b, totals, sx))
        count = max(count, self.sy) + self.exact  # never fewer than the blocks read hold
        sse = self.syy - sum(bj * v for bj, v in zip(b, sxy))  # b' Sxx b = b' Sxy at the least-squares b
        mean_e = (self.sy - bx) / n
        s2 = max(sse - n * mean_e * mean_e, 0.0) / df
        scale = big_n * big_n * (1 - n / big_n) / n
        var = scale * s2
        half = max(SETTLE_REL * count, SETTLE_ABS * big_n * self.sc / n) / t99(df)
        if n >= MIN_BLOCKS and var <= half * half:
            if self.with_values < MIN_VALUE_BLOCKS:
                return None, big_n  # values in too few blocks to tell how they spread: read on, or whole
            s2_loo, leverage = self._left_out(low, d, b, k)
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

    def _left_out(self, low: list[list[float]], d: list[float], b: list[float], k: int) -> tuple[float, float]:
        """The leave-one-out variance of the residuals (each over 1 - its block's leverage, the
        leverage taken at most ``MAX_LEVERAGE``) of the fit ``b`` on the first ``k`` measures
        (factored as ``low``, ``d``), and the largest leverage of a block read. Computed only
        when the usual variance settles a count: a few hundred products a block."""
        aux, n = self.aux, self.n
        order = aux.order
        kept = [i for i in range(k) if d[i]]
        rs = []
        top = 0.0
        for at in range(n):
            x = aux.x(order[at])
            z = [0.0] * k
            h = 0.0
            for i in kept:
                li = low[i]
                zi = z[i] = x[i] - sum(li[p] * z[p] for p in kept if p < i)
                h += zi * zi / d[i]
            top = max(top, h)
            e = self.ys[at] - sum(b[i] * x[i] for i in kept)
            rs.append(e / (1 - min(h, MAX_LEVERAGE)))
        mean = sum(rs) / n
        return sum((r - mean) ** 2 for r in rs) / (n - 1), top



# ---------------------------------------------------------------------------------------------
# The comparison
# ---------------------------------------------------------------------------------------------

Population = tuple[list[tuple[int, ...]], list[list[tuple[int, int]]]]  # per block its measures; per type per block (counted, occurrences)


def _same(new: object, ref: object) -> bool:
    """Equal values of equal types, floats bit for bit (``True`` is a decision, ``1.0`` an estimate)."""
    if isinstance(new, tuple) and isinstance(ref, tuple):
        return len(new) == len(ref) and all(_same(a, b) for a, b in zip(new, ref))
    return type(new) is type(ref) and repr(new) == repr(ref)


def _pair(xs: list[tuple[int, ...]], order: list[int]) -> tuple[B.Auxiliary, RefAuxiliary]:
    new, ref = B.Auxiliary(b"", [], order, xs), RefAuxiliary(b"", [], order, xs)
    assert (new.certain, new.order, new.size, new.totals()) == (ref.certain, ref.order, ref.size, ref.totals())
    return new, ref


def _run_in_turn(xs: list[tuple[int, ...]], order: list[int], per_type: list[list[tuple[int, int]]],
                 every_step: bool) -> list[tuple[int, object]]:
    """Each type in turn on one shared aux (as ``scan_text`` runs them), the new estimator and
    the reference fed the same blocks; asserts every outcome equal; the (blocks read, outcome)
    of each type. With ``every_step``, ``settled()`` is compared after every block too (not only
    at the checks ``step`` makes), which asks the caches for every n."""
    new_aux, ref_aux = _pair(xs, order)
    out = []
    for t, ys in enumerate(per_type):
        new, ref = B.Estimate(new_aux), RefEstimate(ref_aux)
        for i in new_aux.certain:
            new.add_certain(i, *ys[i])
            ref.add_certain(i, *ys[i])
        outcome: object = None
        for i in new_aux.order:
            new.add(*ys[i])
            ref.add(*ys[i])
            if every_step:
                a, b = new.settled(), ref.settled()
                assert _same(a, b), (t, new.n, a, b)
                _same_internals(new, ref)
            outcome, expected = new.step(), ref.step()
            assert _same(outcome, expected), (t, new.n, outcome, expected)
            assert new._next == ref._next, (t, new.n)
            if outcome is not None:
                break
        assert (new.n, new.exact, new.sc, new.sy) == (ref.n, ref.exact, ref.sc, ref.sy)
        out.append((new.n, outcome))
    return out


def _same_internals(new: B.Estimate, ref: RefEstimate) -> None:
    """The fit's coefficients and the leave-one-out variance and top leverage at the present n,
    float for float: a difference there could hide in a decision that no input here tips."""
    n = new.n
    if n < 2 or n >= new.aux.size:
        return
    k = _fitted(n)
    low, d = new.aux.factor(n)
    ref_low, ref_d = ref.aux.factor(n)
    b, rank = B.solve(low, d, new.sxy()[:k])
    assert _same((b, rank), ref_solve(ref_low, ref_d, ref.sxy[:k]))
    if n - rank - 1 >= 1:
        assert _same(new._left_out(d, b, k), ref._left_out(ref_low, ref_d, b, k)), n


def _run_interleaved(xs: list[tuple[int, ...]], order: list[int], per_type: list[list[tuple[int, int]]]) -> None:
    """The types on one shared aux at once, each starting a few blocks after the one before, a
    block each in turn: the caches are asked for n out of order; every outcome equal."""
    new_aux, ref_aux = _pair(xs, order)
    runs = []
    for ys in per_type:
        new, ref = B.Estimate(new_aux), RefEstimate(ref_aux)
        for i in new_aux.certain:
            new.add_certain(i, *ys[i])
            ref.add_certain(i, *ys[i])
        runs.append((new, ref, ys))
    live = list(range(len(runs)))
    tick = 0
    while live:
        for t in list(live):
            if tick < 5 * t:
                continue  # type t starts 5 ticks after type t - 1
            new, ref, ys = runs[t]
            if new.n >= len(new_aux.order):
                live.remove(t)
                continue
            i = new_aux.order[new.n]
            new.add(*ys[i])
            ref.add(*ys[i])
            a, b = new.step(), ref.step()
            assert _same(a, b), (t, new.n, a, b)
            if a is not None:
                live.remove(t)
        tick += 1


def _orders(size: int, seeds: Sequence[int]) -> list[list[int]]:
    out = []
    for seed in seeds:
        order = list(range(size))
        random.Random(seed).shuffle(order)
        out.append(order)
    return out


# --- real texts: each present type's (counted, occurrences) per block, read once exactly

@pytest.fixture(scope="module")
def real() -> list[Population]:
    texts = [_mixed(100), _mixed(101, drift=True), _csv(100), _section("middle", "decoys", 150),
             _section("start", "logs", 0), _runs_amid_decoys("card_{}\n")]
    out = []
    with pytest.MonkeyPatch.context() as mp:
        for text in texts:
            chunk, blocks, per_type = _population(text, mp)
            out.append(([_measure(chunk[s:e]) for s, e in blocks], list(per_type.values())))
    return out


@pytest.mark.slow
def test_on_real_texts_the_fast_estimator_decides_as_the_reference_at_every_step(real: list[Population]) -> None:
    settled = read_whole = 0
    for xs, per_type in real:
        for k, order in enumerate(_orders(len(xs), range(40))):
            for n, outcome in _run_in_turn(xs, order, per_type, every_step=k < 4):
                settled += isinstance(outcome, float)
                read_whole += outcome is True
        for order in _orders(len(xs), range(1000, 1005)):
            _run_interleaved(xs, order, per_type)
    assert settled > 200 and read_whole > 20  # both ends of the rule were compared, not only "read on"


# --- adversarial measures and counts

def _poisson(r: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, r.random()
    while p > limit:
        k += 1
        p *= r.random()
    return k


def _measures(r: random.Random, size: int, kind: str) -> list[tuple[int, ...]]:
    """``size`` blocks' twelve measures, plausible for free text but for the twist ``kind``."""
    xs = []
    for b in range(size):
        length = r.randrange(1500, 2100)
        x = [length, _poisson(r, 150), _poisson(r, 2), _poisson(r, 25), _poisson(r, 60), _poisson(r, 8),
             _poisson(r, 6), _poisson(r, 4), _poisson(r, 20), _poisson(r, 15), _poisson(r, 1), _poisson(r, 30)]
        if kind == "zero-columns":
            x[6] = x[10] = x[2] = 0
        elif kind == "at-min-nonzero":  # two measures nonzero in 7 and 8 blocks of the population
            x[7] = r.randrange(1, 9) if b < MIN_NONZERO - 1 else 0
            x[10] = r.randrange(1, 9) if MIN_NONZERO - 1 <= b < 2 * MIN_NONZERO - 1 else 0
        elif kind == "collinear":  # one measure the sum of two others in every block
            x[8] = x[1] + x[3]
        elif kind == "near-collinear":  # ... in all blocks but one
            x[8] = x[1] + x[3] + (1 if b == size // 2 else 0)
        elif kind == "identical":
            x = [2000, 100, 1, 20, 50, 5, 5, 5, 5, 5, 5, 5]
        elif kind == "few-distinct":
            x = [2000 + b % 3, 100 + b % 2, b % 2, 20, 50, 5 + b % 3, 5, 0, 5, 5, 0, 5]
        elif kind == "outliers" and b % 97 == 13:  # blocks far outside the rest: read exactly
            x[3] = 1500
            x[6] = 700
        elif kind == "heavy":  # a few blocks with most of a measure
            x[5] = 400 if b % 50 == 0 else r.randrange(0, 3)
        xs.append(tuple(x))
    return xs


def _counts(r: random.Random, xs: list[tuple[int, ...]], kind: str) -> list[tuple[int, int]]:
    """Per block (counted, occurrences) of one type, shaped as ``kind`` says."""
    out = []
    for b, x in enumerate(xs):
        if kind == "poisson":
            y = _poisson(r, r.choice([0.5, 3.0, 12.0]) if b == 0 else 6.0)
        elif kind == "exact-fit":  # the measures fit the count exactly: residuals 0
            y = x[2] + 2 * x[5]
        elif kind == "near-fit":
            y = x[3] // 2 + (r.random() < 0.1)
        elif kind == "few-blocks":  # values in a handful of blocks only
            y = 40 if b % (len(xs) // 5 or 1) == 0 else 0
        elif kind == "one-measure":
            y = x[8] + _poisson(r, 0.5)
        elif kind == "rare":
            y = 1 if r.random() < 0.05 else 0
        elif kind == "huge":
            y = r.randrange(10**6, 10**7)
        else:
            raise AssertionError(kind)
        out.append((y, y + _poisson(r, 2.0)))
    return out


MEASURE_KINDS = ("plain", "zero-columns", "at-min-nonzero", "collinear", "near-collinear", "identical", "few-distinct",
                 "outliers", "heavy")
COUNT_KINDS = ("poisson", "exact-fit", "near-fit", "few-blocks", "one-measure", "rare", "huge")


@pytest.mark.parametrize("measures", MEASURE_KINDS)
def test_on_adversarial_inputs_the_fast_estimator_decides_as_the_reference_at_every_step(measures: str) -> None:
    r = random.Random(measures)
    outcomes = set()
    for size, orders in ((MIN_BLOCKS + 4, 6), (60, 6), (130, 4), (400, 1)):
        xs = _measures(r, size, measures)
        per_type = [_counts(r, xs, kind) for kind in COUNT_KINDS]
        for k, order in enumerate(_orders(size, range(orders))):
            for _, outcome in _run_in_turn(xs, order, per_type, every_step=k < 2 and size <= 130):
                outcomes.add(type(outcome).__name__)
        _run_interleaved(xs, _orders(size, [99])[0], per_type)
    assert "float" in outcomes  # some count settled (the comparison did not only read on)


def test_the_sums_are_the_same_whatever_order_the_numbers_read_are_asked_in() -> None:
    r = random.Random(5)
    xs = _measures(r, 300, "plain")
    order = _orders(300, [1])[0]
    new, ref = _pair(xs, order)
    ns = list(range(0, 301))
    r.shuffle(ns)
    for n in ns:
        assert new.sums(n) == ref.sums(n), n


def test_the_factor_and_the_solve_are_the_references_float_for_float() -> None:
    r = random.Random(8)
    for trial in range(300):
        k = r.randrange(1, 13)
        rows = [[r.randrange(0, 50) for _ in range(k)] for _ in range(r.randrange(2, 40))]
        if k > 2 and trial % 3 == 0:
            for row in rows:
                row[-1] = row[0] + row[1] + (trial % 2 and row is rows[0])  # dependent, or nearly
        a = [[sum(x[i] * x[j] for x in rows) for j in range(k)] for i in range(k)]
        if trial % 5 == 0:
            j = r.randrange(k)
            for i in range(k):
                a[i][j] = a[j][i] = 0.0  # a measure left out
        low, d = B.factor(a)
        assert (low, d) == ref_factor(a)
        b = [sum(x[i] * r.randrange(0, 9) for x in rows) for i in range(k)]
        for m in range(1, k + 1):  # the leading measures' fit reads the full factor
            assert _same(tuple(B.solve(low, d, b[:m])), tuple(ref_solve(low, d, b[:m])))


def test_the_aux_factor_is_the_leading_block_of_the_references_full_one() -> None:
    xs = _measures(random.Random(2), 200, "near-collinear")
    new, ref = _pair(xs, _orders(200, [4])[0])
    for n in range(0, 201, 3):
        k = _fitted(n)
        low, d = new.factor(n)
        ref_low, ref_d = ref.factor(n)
        assert (low, d) == ([row[:k] for row in ref_low[:k]], ref_d[:k]), n
