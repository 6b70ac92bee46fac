"""The compiled kernel of the free-text estimator (``auditor/classify/_measures.c``) gives the
figures of the Python code it stands in for (``blocks.py``: ``py_measures``, ``py_certain``,
``py_sums``, ``factor``, ``solve``, ``py_leverages``, ``py_left_out``), float for float on the
Python this runs on (3.11: ``sum`` adds in order, as the kernel does), and a scan with it reports
what a scan without it (a machine where it did not build) reports."""

from __future__ import annotations

import math
import random
import sys

import pytest

from auditor.classify import blocks as B
from auditor.classify.options import ClassifyOptions
from auditor.classify.text import scan_text
from tests.unit.classify.test_block_coverage import _csv, _mixed

try:
    from auditor.classify import _measures as K
except ImportError:  # pragma: no cover - the message below says what to do
    K = None

# from 3.12 on, Python's ``sum`` of floats is compensated: the kernel's plain sums then agree to rounding
EXACT = sys.version_info < (3, 12)


def test_the_kernel_was_built() -> None:
    """``.ci/run`` provisions a C compiler and the Python headers; ``pip install -e .`` then
    builds the kernel (setup.py). Without it the scan is right but about a fifth slower."""
    assert K is not None, ("auditor/classify/_measures.c did not build: install a C compiler and the Python headers "
                           "(Debian: gcc python3-dev), then pip install -e . again")
    assert B._kernel is K


def _close(a: object, b: object) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float))
        return a == b if EXACT else math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)
    return a == b


needs_kernel = pytest.mark.skipif(K is None, reason="the kernel did not build (test_the_kernel_was_built says so)")


@needs_kernel
def test_the_measures_are_the_pythons_on_any_bytes() -> None:
    r = random.Random(5)
    alphabet = b"0123456789AZaz@\n=_:-#. \x00\xff\xc3\xa9*$"
    for _ in range(200):
        chunk = bytes(r.choice(alphabet) for _ in range(r.randrange(0, 6000)))
        blocks = B.cut(chunk) + [(0, 0), (0, len(chunk))]
        assert K.measures(chunk, blocks) == B.py_measures(chunk, blocks)
        chunk = bytes(r.randrange(256) for _ in range(r.randrange(0, 3000)))
        assert K.measures(chunk, B.cut(chunk)) == B.py_measures(chunk, B.cut(chunk))
    for seed in (1, 2):
        for text in (_mixed(seed), _csv(seed)):
            chunk = text.encode()
            assert K.measures(chunk, B.cut(chunk)) == B.py_measures(chunk, B.cut(chunk))


@needs_kernel
def test_the_blocks_read_exactly_are_the_pythons() -> None:
    r = random.Random(6)
    for _ in range(300):
        n, k = r.randrange(1, 700), r.randrange(1, 13)
        spike = r.random() < 0.5
        xs = [tuple(r.choice((0, 0, 1, 3, 40, 2048)) * (50 if spike and r.random() < 0.005 else 1)
                    for _ in range(k)) for _ in range(n)]
        assert K.certain(xs, (99 * (n - 1)) // 100, B.CERTAIN) == B.py_certain(xs)
    chunk = _mixed(3).encode()
    xs = B.measures(chunk, B.cut(chunk))
    assert B.certain(xs) == B.py_certain(xs)
    assert B.certain([]) == B.py_certain([]) == []


@needs_kernel
def test_the_sums_are_the_pythons() -> None:
    r = random.Random(7)
    k = len(B._ALL)
    for _ in range(300):
        size = r.randrange(1, 200)
        columns = [[r.choice((0, 0, 1, 7, 2048, 8191)) for _ in range(size)] for _ in range(k)]
        base = r.randrange(0, size)
        n = r.randrange(base, size + 1)
        start = ([r.randrange(10**6) for _ in range(k)], [r.randrange(10**9) for _ in B._PAIRS],
                 [r.randrange(100) for _ in range(k)])
        assert K.sums(columns, base, n, *start) == B.py_sums(columns, base, n, *start)


def _sum_of_squares(r: random.Random, k: int, rows: int) -> list[list[int]]:
    """x'x of ``rows`` random rows of ``k`` measures, some columns zero or copies of others."""
    xs = [[r.choice((0, 1, 5, 200, 2048)) for _ in range(k)] for _ in range(rows)]
    for row in xs:
        if k > 3:
            row[3] = row[1]  # collinear: no pivot
        if k > 5:
            row[5] = 0  # zero: no pivot
    return [[sum(x[i] * x[j] for x in xs) for j in range(k)] for i in range(k)]


@needs_kernel
def test_the_factor_the_solve_the_leverages_and_the_left_out_variance_are_the_pythons() -> None:
    r = random.Random(8)
    for _ in range(300):
        k, n = r.randrange(1, 13), r.randrange(2, 70)
        a = _sum_of_squares(r, k, r.randrange(1, 80))
        low, d = B.factor(a)
        assert _close(K.factor(a, B._COLLINEAR), (low, d))
        rhs = [float(r.randrange(-10**6, 10**6)) for _ in range(r.randrange(0, k + 1))]
        assert _close(K.solve(low, d, rhs), B.solve(low, d, rhs))
        kept = [i for i in range(k) if d[i]]
        columns = [[r.choice((0, 0, 2, 9, 300, 2048)) for _ in range(n + 3)] for _ in kept]
        steps = [(columns[p], [low[i][q] for q in kept if q < i], d[i]) for p, i in enumerate(kept)]
        assert _close(K.leverages(steps, n, B.MAX_LEVERAGE), B.py_leverages(steps, n, B.MAX_LEVERAGE))
        divisors, _ = B.py_leverages(steps, n, B.MAX_LEVERAGE)
        ys = [r.choice((0, 0, 1, 4, 60, 32044021)) for _ in range(n)]
        coefficients = [r.uniform(-1e3, 1e3) for _ in kept]
        assert _close(K.left_out(ys, columns, coefficients, divisors, n),
                      B.py_left_out(ys, columns, coefficients, divisors, n))


@needs_kernel
def test_bad_arguments_raise_and_do_not_crash() -> None:
    with pytest.raises(TypeError):
        K.measures("text", [(0, 1)])
    with pytest.raises(TypeError):
        K.measures(b"text", [[0, 1]])  # a list, not a (start, end) tuple
    for outside in ((-2, 3), (0, 99), (3, 2)):
        with pytest.raises(ValueError):
            K.measures(b"text", [outside])
    with pytest.raises(ValueError):
        K.sums([[1, 2]], 0, 5, [0], [0], [0])  # a column shorter than n
    with pytest.raises(ValueError):
        K.leverages([([1, 2], [], 1.0)], 5, 0.5)
    with pytest.raises(ValueError):
        K.left_out([1], [], [], [1.0], 1)
    with pytest.raises(ValueError):
        K.certain([(1, 2), (3,)], 0, 2)
    with pytest.raises(ValueError):
        K.factor([[1, 2], [3]], 1e-3)
    with pytest.raises(ValueError):
        K.solve([[1.0]], [1.0], [1.0, 2.0])


@needs_kernel
def test_a_scan_reports_the_same_with_and_without_the_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settling scan of a few MiB of mixed text and of CSV read as text: the same counts,
    tags and flags whether the estimator's loops run in C or in Python."""
    options = ClassifyOptions(max_text_values=10**9, max_text_candidates=10**9, settle_values=256)
    texts = ["\n".join(_mixed(seed) for _ in range(3)) for seed in (4, 5)] + [_csv(6) * 3]

    def scan() -> list[tuple]:
        return sorted((h.type, h.count, sorted(h.tags.items()), h.estimated, h.capped)
                      for text in texts for h in scan_text([text], options))

    with_kernel = scan()
    assert any(h[3] for h in with_kernel), "no count settled: the test would not read the estimator"
    monkeypatch.setattr(B, "_kernel", None)
    assert scan() == with_kernel
