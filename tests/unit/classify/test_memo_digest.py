"""The digest a classification is kept under (auditor.classify.memo): exact where it is taken."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from auditor.classify import ClassifyOptions, memo
from auditor.models import Sample

KEY = b"k" * 32


def _d(fields=None, text=(), options=None, key=KEY):
    return memo.sample_digest(Sample(fields=fields or {}, text=list(text)), options, key)


def test_equal_inputs_equal_digests_and_every_input_counts():
    base = _d({"email": ["a@x.org", "b@y.org"]})
    assert base == _d({"email": ["a@x.org", "b@y.org"]}) and base.startswith("m1:")
    others = [
        _d({"email": ["a@x.org", "b@y.org "]}),  # a value
        _d({"mail": ["a@x.org", "b@y.org"]}),  # a name
        _d({"email": ["b@y.org", "a@x.org"]}),  # the order
        _d({"email": ["a@x.org\x1fb@y.org"]}),  # no separator can make two values one
        _d({"email": ["a@x.org", "b@y.org"]}, text=["a@x.org"]),  # free text
        _d({"email": ["a@x.org", "b@y.org"]}, options=ClassifyOptions(threshold=0.9)),  # options
        _d({"email": ["a@x.org", "b@y.org"]}, key=b"j" * 32),  # the store's key
        _d({"n": [1]}), _d({"n": ["1"]}), _d({"n": [1.0]}), _d({"n": [True]}), _d({"n": [Decimal("1")]}),
    ]
    assert len({base, *others}) == len(others) + 1


def test_no_digest_for_values_without_an_exact_representation():
    class Odd:
        def __repr__(self) -> str:
            return "'x'"

    assert _d({"c": [Odd()]}) is None
    assert _d({"c": [dt.date(2020, 1, 2), None, b"\x00", 3]}) is not None


def test_whether_the_date_was_read_is_known_per_classification():
    from auditor.classify import classify

    memo.start()
    classify(Sample(fields={"email": ["a@example.com"] * 5}))
    assert not memo.date_read()
    memo.start()
    classify(Sample(fields={"date_of_birth": ["1980-02-03"] * 5}))
    assert memo.date_read()


def test_a_column_of_strings_splits_one_way_only():
    assert len({_d({"c": v}) for v in (["ab", "c"], ["a", "bc"], ["abc"], ["a", "b", "c"], ["abc", ""], ["", "abc"],
                                       ["a\ud800", "b"], ["a", "\ud800b"])}) == 8


def test_a_nul_inside_a_value_never_joins_two_values():
    assert _d({"c": ["a\0b"]}) != _d({"c": ["a", "b"]}) and _d({"c": ["a\0b"]}) is not None
    assert _d({"c": ["a", "\0"]}) != _d({"c": ["a\0", ""]})
    assert len({_d({"c": []}), _d({"c": [""]}), _d({"c": ["", ""]})}) == 3
    assert _d({"a": ["b"], "c": ["d"]}) != _d({"a": ["b", "c"]})
