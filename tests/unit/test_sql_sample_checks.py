"""The sample's cheaper C-level checks decide as the checks they front did.

- ``sampling._iso_shaped``: every text of one length found by where the separators sit
  (no ``len`` per value) gives what the set of lengths gave, for ISO texts of every length the
  server writes (fractions, zones, BC, 5- and 6-digit years, 'infinity') and mixtures whose
  lengths add up to a uniform column's;
- ``sampling._plain_column``: a text column with no ``{`` or ``[`` anywhere is not JSON, without
  the two-character searches; one with them still goes cell by cell exactly when it did.
"""

from __future__ import annotations

import random

import pytest

from connectors.sql import sampling

_SEP = sampling._SEP


def _old_iso_shaped(values, joined, lengths):  # as it was before the separator check
    sizes = set(map(len, values))
    if not sizes <= lengths or "B" in joined:
        return False
    if len(sizes) == 1:
        return joined[4::sizes.pop() + 1].count("-") == len(values)
    return set(map(sampling._AT4, values)) == {"-"}


def _old_plain_column(col, values, chars, fields, was_cut):  # the JSON check as it was
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds == {str}:
        present = [v for v in values if v is not None]
        joined = _SEP.join(present)
        if joined[:1] in ("{", "[") or _SEP + "{" in joined or _SEP + "[" in joined:
            return None
    return sampling._plain_column(col, values, chars, fields, was_cut)


TEXTS = [
    "2024-01-02 03:04:05", "2024-01-02 03:04:05.123456", "2024-01-02 03:04:05.5", "2024-01-02 03:04:05.12345",
    "0044-01-02 03:04:05 BC", "12024-01-02 03:04:05", "12024-01-02 03:04:05.12345", "infinity", "-infinity",
    "2024-01-02 03:04:05+00", "2024-01-02 03:04:05.123456+00", "2024-01-02 03:04:05.5+00", "0044-01-02 03:04:05+00 BC",
    "2024-01-02 03:04:05.123 BC", "2024-01-02 03:04:0", "2024-01-02 03:04:05.1234567", "2024/01/02 03:04:05",
    "202-01-02 03:04:05.1234", "12345-01-02 03:04:05.1234",
]


@pytest.mark.parametrize("lengths", [{19, 26}, {22, 29}])
def test_iso_shaped_as_the_set_of_lengths(lengths: set[int]) -> None:
    rng = random.Random(24)
    cases = [[t] for t in TEXTS] + [[t] * n for t in TEXTS for n in (2, 3, 200)]
    cases += [rng.choices(TEXTS, k=rng.randint(1, 40)) for _ in range(3000)]
    # mixtures whose lengths add up to a uniform column's (19 + 19 == 12 + 26; 22 + 22 == 15 + 29)
    cases += [["2024-01-02 03:04:05", "2024-01-02 03:04:05"], ["2024-01-02 0", "2024-01-02 03:04:05.123456"],
              ["2024-01-02 03:04:0", "2024-01-02 03:04:05."], ["infinity", "2024-01-02 03:04:05.1234567890"],
              ["2024-01-02 03:04:05+0", "2024-01-02 03:04:05+000"]]
    for values in cases:
        joined = _SEP.join(values)
        assert sampling._iso_shaped(values, joined, lengths) == _old_iso_shaped(values, joined, lengths), values


def test_timestamps_wire_as_before() -> None:
    uniform = [f"2024-01-{d:02d} 03:04:05" for d in range(1, 29)]
    assert sampling._timestamps_wire(uniform, _SEP.join(uniform)) == [v.replace(" ", "T") for v in uniform]
    mixed = ["2024-01-02 03:04:05", "2024-01-02 03:04:05.123"]  # a short fraction: value by value
    assert sampling._timestamps_wire(mixed, _SEP.join(mixed)) is None
    tz = ["2024-01-02 03:04:05+00", "2024-01-02 03:04:05.123456+00"]
    assert sampling._timestamptzs_wire(tz, _SEP.join(tz)) == ["2024-01-02T03:04:05+00:00",
                                                              "2024-01-02T03:04:05.123456+00:00"]


@pytest.mark.parametrize("values", [
    ("Name 1", "Name 2", None), ("{}", "x"), ("x", "{}"), ("x", "[1]"), ("x{", "y["), ("a]", "b}"),
    ("x\x1f{", "y"), ("x\x1f[", None), ("{not json", "y"), ("plain", "text"), ("", ""), ("[", ), ("a", "b [c]"),
    ("a", "b {c}"), tuple(f"user{i}@example.com" for i in range(200)), ("x" * 2000, "{"), ("x" * 2000, "y"),
])
def test_plain_column_json_check_as_before(values: tuple) -> None:
    new_fields: dict = {"c": []}
    old_fields: dict = {"c": []}
    new_cut: dict = {}
    old_cut: dict = {}
    new = sampling._plain_column("c", values, 1500, new_fields, new_cut)
    old = _old_plain_column("c", values, 1500, old_fields, old_cut)
    assert new == old and new_fields == old_fields and new_cut == old_cut


def test_read_rows_digest_unchanged() -> None:
    """The digest and fields of a small sample, pinned (PostgreSQL wire texts and plain columns)."""
    rows = [(str(i), f"Name {i}", f"2024-01-{i:02d} 03:04:05", "{\"a\": 1}" if i == 3 else f"[x] {i}")
            for i in range(1, 8)]
    got = sampling.read_rows(["id", "name", "at", "note"], rows, frozenset(), {"name": 1024, "note": 1024},
                             {"id": "int", "at": "timestamp"})
    # as main's read_rows gave them before these changes
    assert got.digest == "8df7f9605966ea599792867b6124e85b9a1886c7b90f351820b90cd7e60b58fe"
    assert got.fields == {
        "id": [str(i) for i in range(1, 8)], "name": [f"Name {i}" for i in range(1, 8)],
        "at": [f"2024-01-{i:02d}T03:04:05" for i in range(1, 8)],
        "note": ["[x] 1", "[x] 2", "[x] 4", "[x] 5", "[x] 6", "[x] 7"], "note.a": ["1"]}
