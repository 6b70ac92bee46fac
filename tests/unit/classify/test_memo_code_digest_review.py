"""The classifier's code digest (auditor.classify.memo.code_digest) must change with everything a
classification's result depends on besides the sample and the options: here, the libraries and
the interpreter the validators use."""

from __future__ import annotations

import sys
import unicodedata
from importlib import metadata

import pytest

from auditor.classify import memo


@pytest.fixture
def fresh(monkeypatch):
    memo.code_digest.cache_clear()
    yield
    memo.code_digest.cache_clear()


def test_python_stdnum_version_is_in_the_code_digest(fresh, monkeypatch):
    """python-stdnum validates Korean RRNs, Aadhaar, My Number, Singapore UENs (which veto a
    national id) and custom detectors' checksums: another version can give another result."""
    before = memo.code_digest()
    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda d: "0.0-other" if d == "python-stdnum" else real(d))
    memo.code_digest.cache_clear()
    assert memo.code_digest() != before


def test_the_interpreter_is_in_the_code_digest(fresh, monkeypatch):
    """The regular expressions' \\w and str.isalpha follow the interpreter's Unicode database
    (3.11: Unicode 14, 3.12: 15, 3.13: 15.1): another Python can read names and text otherwise."""
    before = memo.code_digest()
    monkeypatch.setattr(sys, "version", "3.99.0 (other)")
    monkeypatch.setattr(unicodedata, "unidata_version", "99.0.0")
    memo.code_digest.cache_clear()
    assert memo.code_digest() != before


def _text_sample(mib: int) -> list[str]:
    line = "Kunde rief an\t订单 行 ถนน: delivery tomorrow, ref 4711\x01 status ok\n"
    text = line * ((mib << 20) // len(line.encode()))
    return [text[i:i + 262144] for i in range(0, len(text), 262144)]


def test_free_text_splits_one_way_only():
    from auditor.models import Sample

    def d(text):
        return memo.sample_digest(Sample(text=text), None, b"k" * 32)

    assert len({d(t) for t in (["ab", "c"], ["a", "bc"], ["abc"], ["abc", ""], [], ["a\ud800", "b"],
                                ["a", "\ud800b"])}) == 7
    assert d(["x"]) != memo.sample_digest(Sample(fields={"x": []}), None, b"k" * 32)


def test_the_digest_of_a_big_text_sample_costs_about_one_pass_over_its_bytes():
    """A text sample of 8 MiB was digested by repr: 90 ms, a third of its classification (285 ms),
    paid by every run (5x the classification on text of control characters). It should cost
    about what hashing its bytes once does."""
    import hmac
    import time

    from auditor.models import Sample

    chunks = _text_sample(8)
    sample = Sample(text=chunks)

    def best(fn) -> float:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    floor = best(lambda: hmac.new(b"k" * 32, "".join(chunks).encode("utf-8", "surrogatepass"), "sha256").digest())
    took = best(lambda: memo.sample_digest(sample, None, b"k" * 32))
    assert took < 2.0 * floor, f"digest {took * 1000:.0f} ms, one pass over the bytes {floor * 1000:.0f} ms"
