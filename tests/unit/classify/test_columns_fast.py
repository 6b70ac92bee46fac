"""decide_field's whole-column passes cut down, and nothing it decides changed.

- a column of strings already stripped and non-empty is joined as it is (one RE2 test that it
  is so), not stripped and filtered value by value: the same texts and blob either way;
- the prefilter scans for the types a match can make candidates only (a ``re2.Set`` answers
  each pattern alone): the same candidates;
- a long column that may settle gates each block's values as it reads them, not the whole
  column: the same hits (a gate is a necessary condition of each value alone).

Each decision is compared with ``reference_decide_field`` (the frozen copy of the old one).
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from auditor.classify import columns
from auditor.classify.columns import _SPACE, _UNSTRIPPED, _column, _plan, _texts, decide_field
from auditor.classify.custom import DetectorSpec
from auditor.classify.options import ClassifyOptions
from test_columns_batched import NAMES, OPTIONS, POOL, _same, count_validator_calls  # noqa: I001 - the neighbouring test module

import re2

_EVERY_SPACE = [c for c in map(chr, range(0x110000)) if c.isspace()]

EDGES: list[list[Any]] = [
    [], [""], ["", ""], [" "], ["a"], ["a", ""], ["", "a"], ["a", " "], [" a"], ["a "], ["a\n"], ["\na"],
    ["a\nb"], ["a \nb"], ["a\n b"], ["a\n\nb"], ["4111\n...1111", "x"], ["a", "b", "c"],
    *[[f"{c}x"] for c in _EVERY_SPACE], *[[f"x{c}"] for c in _EVERY_SPACE], *[[f"x{c}y"] for c in _EVERY_SPACE],
    ["a\ud800b"], ["\ud800 "], ["ok", "\udfff"], ["user@example.com", None], [None, None], [1, "2"], [b"x"],
    ["\u200b", "\ufeffa"],  # zero-width space and BOM: not whitespace to str.strip
]


def test_the_space_class_is_every_character_str_strip_strips() -> None:
    one = re2.compile(f"\\A{_SPACE}\\z".encode())
    assert _UNSTRIPPED == f"(?:\\A|\\n){_SPACE}|{_SPACE}(?:\\n|\\z)".encode()
    found = [c for c in map(chr, range(0x110000))
             if not 0xD800 <= ord(c) <= 0xDFFF and one.search(c.encode()) is not None]
    assert found == _EVERY_SPACE


@pytest.mark.parametrize("limit", [1, 2, 3, 1000])
@pytest.mark.parametrize("values", EDGES, ids=range(len(EDGES)))
def test_a_columns_texts_and_blob_are_those_of_its_stripped_values(values: list[Any], limit: int) -> None:
    plan = _plan(ClassifyOptions())
    texts, blob, lines, present = _column(list(values), False, limit, plan.narrowed("notes"))
    want = _texts(list(values), False, limit)
    assert texts == want
    assert [type(t) for t in texts] == [type(t) for t in want]
    joined = "\n".join(want)
    try:
        assert (blob, lines) == (joined.encode("utf-8"), True)
    except UnicodeEncodeError:
        assert (blob, lines) == (joined.encode("utf-8", "replace"), False)
    assert present == (plan.narrowed("notes").match(blob) if want else set())


def test_the_texts_are_a_new_list() -> None:
    values = ["a", "b"]
    texts = _column(values, False, 10, _plan(ClassifyOptions()).narrowed("notes"))[0]
    assert texts == values and texts is not values


@pytest.mark.parametrize("seed", range(4))
def test_columns_with_padding_blanks_and_newlines_decide_as_before(seed: int) -> None:
    rnd = random.Random(seed)
    pads = ["", " ", "\t", "\u00a0", "\u3000", "\n"]
    strings = [x for xs in POOL.values() for x in xs if isinstance(x, str)]
    for _ in range(60):
        n = rnd.choice([1, 3, 40, 65, 130, 400])
        base = [rnd.choice(strings) for _ in range(n)]
        padded = [rnd.choice(pads) + x + rnd.choice(pads) if rnd.random() < 0.05 else x for x in base]
        for values in (base, padded):
            _same(rnd.choice(NAMES), values, rnd.choice(OPTIONS))


def test_the_narrowed_prefilter_finds_the_candidates_the_whole_one_finds() -> None:
    rnd = random.Random(3)
    strings = [x for xs in POOL.values() for x in xs if isinstance(x, str)]
    detectors = (DetectorSpec(name="employee_id", regex=r"EMP-\d{6}", column_hints=("emp",)),
                 DetectorSpec(name="ticket", regex=r"TK\d{5}"))
    for options in (ClassifyOptions(), ClassifyOptions(detectors=detectors)):
        plan = _plan(options)
        for name in NAMES + ["ticket_no", "employee"]:
            unhinted = plan.field(name)[2]
            for _ in range(20):
                blob = "\n".join(rnd.sample(strings + ["EMP-123456", "TK12345"], 12)).encode()
                whole = plan.prefilter.match(blob)
                narrow = plan.narrowed(name).match(blob)
                assert [t for t in unhinted if t in narrow] == [t for t in unhinted if t in whole]
                assert narrow <= set(unhinted)


def _gate_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of values each call of the line gates (``columns._shapeless``) read."""
    read: list[int] = []
    real = columns._shapeless

    def shapeless(order, validators, blob, *rest):  # noqa: ANN001, ANN002, ANN202
        read.append(blob.count(b"\n") + 1)
        return real(order, validators, blob, *rest)

    monkeypatch.setattr(columns, "_shapeless", shapeless)
    return read


def test_a_settling_column_gates_only_the_values_it_reads(monkeypatch) -> None:
    """A column of timestamps under a settling read: no validator is called (every block's values
    fail every gate), and the gates read the blocks' values, not the whole column."""
    calls = count_validator_calls(monkeypatch)
    read = _gate_reads(monkeypatch)
    values = [f"2018-01-{1 + i % 28:02d}T{i % 24:02d}:00:00" for i in range(5000)]
    options = ClassifyOptions(max_values_per_field=10**9)
    hits, texts = decide_field("phone", values, options)
    assert hits == [] and len(texts) == 5000
    assert not calls
    assert read and sum(read) < 5000  # the values read, not all of them


def test_a_short_settling_column_is_gated_whole(monkeypatch) -> None:
    read = _gate_reads(monkeypatch)
    values = [f"2018-01-{1 + i % 28:02d}T{i % 24:02d}:00:00" for i in range(columns.GATE_WHOLE)]
    assert decide_field("phone", values, ClassifyOptions())[0] == []
    assert read == [columns.GATE_WHOLE]


@pytest.mark.parametrize("n", [257, 300, 700, 2000])
def test_long_settling_columns_decide_as_before(n: int) -> None:
    """Blocks gated one by one: probes of odd sizes, mixed columns, a lone surrogate."""
    rnd = random.Random(n)
    kinds = list(POOL)
    for options in (ClassifyOptions(), ClassifyOptions(probe_values=8, settle_values=16),
                    ClassifyOptions(probe_values=300, settle_values=100), ClassifyOptions(probe_values=77)):
        for _ in range(6):
            chosen = rnd.sample(kinds, rnd.randint(1, 3))
            values = [rnd.choice(POOL[rnd.choice(chosen)]) for _ in range(n)]
            _same(rnd.choice(NAMES), values, options)
        _same("notes", ["a\ud800b"] * 10 + ["+65 9123 4567"] * (n - 10), options)


def test_a_checked_prefilter_answers_as_the_prefilter_and_a_search_for_its_check() -> None:
    from auditor.classify.prefilter import PREFILTER_PATTERNS, prefilter_for
    rnd = random.Random(5)
    strings = [x for xs in POOL.values() for x in xs if isinstance(x, str)] + [" pad", "pad ", "", "\u3000x"]
    plain = prefilter_for(frozenset(PREFILTER_PATTERNS))
    checked = prefilter_for(frozenset(PREFILTER_PATTERNS), check=_UNSTRIPPED)
    search = re2.compile(_UNSTRIPPED)
    for _ in range(300):
        blob = "\n".join(rnd.sample(strings, rnd.randint(1, 8))).encode()
        assert checked.match_checked(blob) == (plain.match(blob), search.search(blob) is not None)
        assert checked.match(blob) == plain.match(blob)


def _old_is_prose(texts: list[str]) -> bool:  # is_prose before its count moved into C (verbatim)
    if not texts:
        return False
    sample = texts[:200]
    if max(map(len, sample)) < 30:
        return False
    long_ = sum(1 for t in sample if len(t) >= 30 and t.count(" ") >= 3)
    return long_ * 2 >= len(sample)


def test_is_prose_answers_as_before() -> None:
    rnd = random.Random(9)
    words = ["a", "word", "x" * 12, "Jalan", "lorem ipsum", "", "  "]
    for _ in range(3000):
        n = rnd.choice([0, 1, 2, 3, 10, 199, 200, 201, 400])
        texts = [" ".join(rnd.choices(words, k=rnd.randint(1, 9))) for _ in range(n)]
        assert columns.is_prose(texts) == _old_is_prose(texts)
