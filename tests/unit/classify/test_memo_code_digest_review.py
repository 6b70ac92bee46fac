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


def test_free_text_splits_one_way_only():
    from auditor.models import Sample

    def d(text):
        return memo.sample_digest(Sample(text=text), None, b"k" * 32)

    assert len({d(t) for t in (["ab", "c"], ["a", "bc"], ["abc"], ["abc", ""], [], ["a\ud800", "b"],
                                ["a", "\ud800b"])}) == 7
    assert d(["x"]) != memo.sample_digest(Sample(fields={"x": []}), None, b"k" * 32)
