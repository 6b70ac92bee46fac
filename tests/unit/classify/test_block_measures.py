"""``blocks.measures`` (every block's measures in one loop, ``Auxiliary``'s) gives exactly the
tuples of ``blocks._measure`` block by block, on real texts and on blocks of every kind of byte."""

from __future__ import annotations

import random

from auditor.classify import blocks as B
from tests.unit.classify.test_block_coverage import _csv, _mixed


def _same(chunk: bytes) -> None:
    blocks = B.cut(chunk)
    assert B.measures(chunk, blocks) == [B._measure(chunk[s:e]) for s, e in blocks]


def test_the_measures_of_real_texts_are_the_block_by_block_ones() -> None:
    for seed in (1, 2):
        _same(_mixed(seed).encode())
        _same(_csv(seed).encode())


def test_the_measures_of_any_bytes_are_the_block_by_block_ones() -> None:
    r = random.Random(7)
    alphabet = b"0123456789AZaz@\n=_:-#. \x00\xff\xc3\xa9*$"
    for _ in range(50):
        chunk = bytes(r.choice(alphabet) for _ in range(r.randrange(0, 9000)))
        _same(chunk)
        _same(bytes(r.randrange(256) for _ in range(r.randrange(0, 5000))))


def test_no_blocks_no_measures() -> None:
    assert B.measures(b"", []) == []
    assert B.measures(b"abc\n", [(0, 0), (0, 4)]) == [B._measure(b""), B._measure(b"abc\n")]
