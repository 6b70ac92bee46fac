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


class _Bad:
    """A value whose conversion raises: the kernel must raise that error, and call no Python
    code while it is pending (a call with an error set is a SystemError, or worse)."""

    def __float__(self) -> float:
        raise ArithmeticError("no float")

    def __index__(self) -> int:
        raise ArithmeticError("no int")


class _Listed(list):
    """A list read through a Python ``__getitem__`` (as a user's sequence would be)."""

    def __getitem__(self, i):
        return list.__getitem__(self, i)


@needs_kernel
def test_a_value_that_cannot_be_read_is_the_error_raised() -> None:
    calls = [
        lambda: K.leverages([(_Listed([_Bad(), 1.0, 1.0]), [], 1.0)], 3, 0.5),
        lambda: K.leverages([([1.0] * 3, [], 1.0), ([1.0] * 3, _Listed([_Bad()]), 1.0)], 3, 0.5),
        lambda: K.left_out([1, 2, 3], [_Listed([1, 2, 3])] * 2, [_Bad(), 1.0], [1.0] * 3, 3),
        lambda: K.left_out([1, 2, 3], [[1, 2, 3]], [1.0], _Listed([_Bad(), 1.0, 1.0]), 3),
        lambda: K.factor([_Listed([_Bad(), 1.0]), [1.0, 1.0]], 1e-3),
        lambda: K.solve([[1.0, 0.0], [0.5, 1.0]], _Listed([_Bad(), 1.0]), [1.0, 1.0]),
        lambda: K.solve([[1.0, 0.0], [0.5, 1.0]], [1.0, 1.0], _Listed([_Bad(), 1.0])),
        lambda: K.sums([[1, 2]], 0, 2, [0], _Listed([_Bad()]), [0]),
        lambda: K.certain([(1, 2), (3, _Bad())], 0, 2),
        lambda: K.measures(b"text", [(_Bad(), 2)]),
    ]
    for call in calls:
        with pytest.raises(ArithmeticError):
            call()

    class Sized:
        def __len__(self) -> int:
            return 1

    with pytest.raises(TypeError):  # not a SystemError from calling Sized.__len__ with the TypeError pending
        K.solve([[1.0]], 5, Sized())
    with pytest.raises(TypeError):  # the column's own error, not a ValueError over it
        K.leverages([(5, [], 1.0)], 3, 0.5)


# Run in a child: before the fixes each of these corrupted memory or read freed memory (a
# segfault or a heap abort kills the process that called, here the whole audit run).
_ADVERSARIAL = r'''
from auditor.classify import _measures as K

class Huge:  # a sequence that says it is huge (up to sys.maxsize) and gives values up to a point
    def __init__(self, length, value=1.0):
        self.length, self.value = length, value
    def __len__(self):
        return self.length
    def __getitem__(self, i):
        if i >= 100000:
            raise IndexError(i)
        return self.value

def clearing(target):  # a value whose reading empties the list it came in
    class C:
        def __index__(self):
            target.clear()
            return 0
        def __float__(self):
            target.clear()
            return 1.0
    return C()

def outcome(call):
    try:
        return repr(call())
    except Exception as e:
        return type(e).__name__

blocks = []
blocks.extend([(clearing(blocks), 1)] + [(0, 4)] * 50)
print(outcome(lambda: K.measures(b"A1=x", blocks)[-1]))
xs = []
class Row:
    def __len__(self):
        return 1
    def __getitem__(self, i):
        xs.clear()
        return 1
xs.extend([Row()] + [(1,)] * 50)
print(outcome(lambda: K.certain(xs, 0, 2)))
steps = []
steps.extend([([clearing(steps), 1.0], [], 1.0), ([1.0, 1.0], [0.5], 1.0)])
print(outcome(lambda: K.leverages(steps, 2, 0.5)))
big = 2 ** 62
print(outcome(lambda: K.leverages([(Huge(big), [], 1.0)] * 4, big, 0.5)))
print(outcome(lambda: K.leverages([([1.0], [], 1.0), ([1.0], [5.0], 1.0)], -3, 0.5)))
print(outcome(lambda: K.sums([Huge(big, 1)] * 4, 0, big, [0] * 4, [0] * 10, [0] * 4)))
print(outcome(lambda: K.sums([[1, 2]], -big, big, [0], [0], [0])))
print(outcome(lambda: K.left_out(Huge(big, 1), [Huge(big, 1)] * 4, [1.0] * 4, Huge(big), big)))
print(outcome(lambda: K.certain([Huge(big, 1)] * 4, 0, 2)))
print(outcome(lambda: K.factor(Huge(2 ** 32, Huge(2 ** 32)), 1e-3)))
print(outcome(lambda: K.solve(Huge(2 ** 32, Huge(2 ** 32)), Huge(2 ** 32), [1.0])))
'''


@needs_kernel
def test_arguments_that_change_while_read_or_claim_huge_sizes_raise_and_do_not_crash() -> None:
    """A list emptied by the reading of one of its values (read from a copy: the call gives the
    figures of the list as it was passed), a sequence that claims a size whose buffer would
    overflow the size arithmetic (a MemoryError, not a small buffer written past its end), a
    negative block count (a ValueError, not a write before the buffer)."""
    import subprocess

    child = subprocess.run([sys.executable, "-c", _ADVERSARIAL], capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stdout.split() == [
        "(4,", "1,", "0,", "0,", "1,", "0,", "1,", "0,", "0,", "0,", "0,", "0)",  # the last block's measures
        "[]",  # every row 1: none over twice the percentile
        "([0.5,", "0.5],", "1.25)",  # the steps as passed
        "MemoryError", "ValueError", "MemoryError", "ValueError", "MemoryError", "MemoryError",
        "MemoryError", "MemoryError",
    ], child.stderr[-2000:]


@needs_kernel
def test_integers_beyond_64_bits_are_an_error_or_exact_never_wrapped() -> None:
    """The kernel's integers are 64-bit: a sum or a product beyond that is an OverflowError
    (Python's would be exact: never a wrapped, wrong figure); the percentile's limit of
    ``certain`` is compared exactly however large."""
    big = 2 ** 62
    with pytest.raises(OverflowError):
        K.sums([[big, big]], 0, 2, [0], [0], [0])
    with pytest.raises(OverflowError):
        K.sums([[3, 3]], 0, 2, [2 ** 63 - 4], [0], [0])
    for xs in ([(big,), (big,), (1,)], [(-big,), (-big,), (1,)], [(1,), (big,), (big,), (2 ** 63 - 1,)]):
        for at in range(len(xs)):
            assert K.certain(xs, at, 4) == B.py_certain(xs, at, 4), (xs, at)


@needs_kernel
def test_nan_a_zero_divisor_and_an_overflowing_square_are_the_pythons() -> None:
    """Python's ``min(h, cap)`` is h where cap is NaN; a zero pivot or divisor is Python's
    ZeroDivisionError and a square beyond the floats its OverflowError (a silent inf or NaN
    would pass the settling check: ``max(var, nan)`` is ``var``)."""
    nan = float("nan")
    steps = [([1.0, 3.0], [], 2.0)]
    assert K.leverages(steps, 2, nan) == B.py_leverages(steps, 2, nan)
    assert repr(K.leverages([([nan], [], 1.0)], 1, 0.5)) == repr(B.py_leverages([([nan], [], 1.0)], 1, 0.5))
    for leverages in (K.leverages, B.py_leverages):
        with pytest.raises(ZeroDivisionError):
            leverages([([1], [], 0.0)], 1, 0.5)
    for left_out in (K.left_out, B.py_left_out):
        with pytest.raises(ZeroDivisionError):
            left_out([1, 2], [], [], [0.0, 1.0], 2)
        with pytest.raises(OverflowError):
            left_out([1, 2], [[1, 2]], [1e300], [1.0, 1.0], 2)
    assert repr(K.left_out([1, 2], [[1, 2]], [nan], [1.0, 1.0], 2)) == repr(
        B.py_left_out([1, 2], [[1, 2]], [nan], [1.0, 1.0], 2))
