"""The compiled digest of a SQL sample's rows (``connectors/sql/_digest.c``) is the digest the
Python code computes (``sampling.py_sample_digest``): the same hex string for every sample, and the
same errors. A dataset's fingerprint is this digest: a change would reset every table's age (its
"unchanged since first seen"), so a fixed sample keeps the digest it has always had."""

from __future__ import annotations

import random

import pytest

from connectors.sql import sampling

try:
    from connectors.sql import _digest as K
except ImportError:  # not built: the first test says so
    K = None  # type: ignore[assignment]

needs_kernel = pytest.mark.skipif(K is None, reason="the kernel did not build (test_the_kernel_was_built says so)")


def test_the_kernel_was_built() -> None:
    """CI measures what ships: .ci/run provisions a compiler and OpenSSL's headers, so the kernel
    builds there and read_rows uses it."""
    assert K is not None, ("connectors/sql/_digest.c did not build: install a C compiler, the Python headers "
                           "and OpenSSL's (Debian: gcc python3-dev libssl-dev), then reinstall")
    assert sampling._sample_digest is K.sample_digest


def test_a_fixed_sample_keeps_its_digest() -> None:
    """Pinned on the digest read_rows gave before the kernel (every fingerprint already stored)."""
    rows = [(1, "Ana Lim", "naïve café ☕", None), (2, "Bo", "", "2020-01-01"), (1, "Ana Lim", "naïve café ☕", None),
            (3, "x\x1fy", "𝔘nicode", "t")]
    read = sampling.read_rows(["id", "name", "note", "at"], rows)
    assert read.digest == "7e95e7eba32f12b1ab27f5dcc653fe1094ea9f4b56e6bad6348873b05a8ac76d"


def _text(rng: random.Random) -> str:
    alphabet = ["a", "Z", "0", " ", "@", ".", "\x1f", "\x00", "\x01", "é", "☕", "𝔘", "\u200b", "ß"]
    pick = rng.random()
    if pick < 0.1:
        return ""
    if pick < 0.15:
        return "x" * rng.randint(1000, 20000)  # past the buffer's first sizes
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))


@needs_kernel
def test_the_kernel_gives_the_python_digest_on_random_samples() -> None:
    rng = random.Random(24)
    for _ in range(400):
        width, rows = rng.randint(1, 12), rng.choice([0, 1, 2, 3, 50, 200])
        texts = [[_text(rng) for _ in range(rows)] for _ in range(width)]
        if rows and rng.random() < 0.3:  # the same row twice: ties in the sort
            for col in texts:
                col[-1] = col[0]
        assert K.sample_digest(texts) == sampling.py_sample_digest(texts)


@needs_kernel
def test_the_kernel_reads_the_rows_zip_reads() -> None:
    texts = [["a", "b", "c"], ["d", "e"], ["f", "g", "h", "i"]]  # zip(*texts): two rows
    assert K.sample_digest(texts) == sampling.py_sample_digest(texts)
    assert K.sample_digest([]) == sampling.py_sample_digest([])
    assert K.sample_digest([[], ["a"]]) == sampling.py_sample_digest([[], ["a"]])
    assert K.sample_digest((("a", "b"),)) == sampling.py_sample_digest((("a", "b"),))


@needs_kernel
@pytest.mark.parametrize("bad, error, other", [(["ok", 5], TypeError, "x"), (["ok", None], TypeError, "x"),
                                               (["\ud800"], UnicodeEncodeError, "x"),
                                               (["\ud800"], TypeError, 5)])  # join checks every cell before encoding
def test_the_kernel_raises_what_the_python_code_raises(bad: list, error: type[Exception], other: object) -> None:
    texts = [bad, [other] * len(bad)]
    with pytest.raises(error):
        sampling.py_sample_digest(texts)
    with pytest.raises(error):
        K.sample_digest(texts)
    with pytest.raises(TypeError):
        K.sample_digest(5)
    with pytest.raises(TypeError):
        K.sample_digest([5])


@needs_kernel
def test_the_kernel_leaves_its_arguments_as_they_were() -> None:
    texts = [["é", "a"], ["b", "☕"]]
    before = [list(c) for c in texts]
    K.sample_digest(texts)
    assert texts == before
