"""The server-text fast path of timestamp, timestamptz and date sample columns (DateStyle ISO)
takes a column whole only when every text is one Python holds: a text of the right length but
another shape (BC, a year past 9999, 'infinity') sends the column value by value, where that cell
is named unread (tests/integration/sql/test_sql_wire_texts.py runs these against PostgreSQL)."""

from __future__ import annotations

import pytest

from connectors.sql.sampling import WIRE_KINDS

SEP = "\x1f"
GOOD = {
    "timestamp": ["2020-01-02 03:04:05", "0044-03-15 12:00:00.123456", "9999-12-31 23:59:59.999999"],
    "timestamptz": ["2020-01-02 03:04:05+00", "0044-03-15 12:00:00.123456+00"],
    "date": ["2020-01-02", "0001-01-01"],
}
# each the length of a good text (26 / 29 / 19 / 22 / 10) or not, none a Python value
BAD = {
    "timestamp": ["0044-03-15 12:00:00.123 BC", "12345-01-02 03:04:05.12345", "123456-01-02 03:04:05.1234",
                  "12345-01-02 03:04:05", "0044-03-15 12:00:00 BC", "infinity", "-infinity"],
    "timestamptz": ["0044-03-15 12:00:00.123+00 BC", "12345-01-02 03:04:05.12345+00",
                    "123456-01-02 03:04:05.1234+00", "12345-01-02 03:04:05+00", "infinity"],
    "date": ["12345-01-02", "0044-03-15 BC", "infinity"],
}


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_good_texts_go_whole(kind):
    many, one = WIRE_KINDS[kind]
    texts = many(GOOD[kind], SEP.join(GOOD[kind]))
    assert texts == [one(v) for v in GOOD[kind]]


@pytest.mark.parametrize(("kind", "bad"), [(k, v) for k, vs in sorted(BAD.items()) for v in vs])
def test_a_text_python_cannot_hold_sends_the_column_value_by_value(kind, bad):
    many, one = WIRE_KINDS[kind]
    values = [*GOOD[kind], bad]
    assert many(values, SEP.join(values)) is None
    with pytest.raises(ValueError):
        one(bad)


@pytest.mark.parametrize(("kind", "bad"), [(k, v) for k, vs in sorted(BAD.items()) for v in vs
                                           if any(len(g) == len(v) for g in GOOD[k])])
def test_among_texts_of_its_own_length_too(kind, bad):
    """Every text equally long (checked by a stride over the joined text): the bad one still found,
    wherever it is among the good ones."""
    many, _ = WIRE_KINDS[kind]
    same = [v for v in GOOD[kind] if len(v) == len(bad)]
    for at in range(4):
        values = [same[0]] * at + [bad] + [same[-1]] * (3 - at)
        assert many(values, SEP.join(values)) is None, values
    assert many(same * 4, SEP.join(same * 4)) is not None
