"""A column's texts are what ``to_text`` makes of each value, whatever path reads them: a column
of one driver type (ints, datetimes, strings with NULLs) is read without a call per value."""

import datetime as dt
from decimal import Decimal

import pytest

from auditor.classify.columns import _texts, to_text

T0 = dt.datetime(2019, 3, 1, 12, 30, 5, 123456)

COLUMNS = {
    "strings with NULLs": [None, "  a@example.com ", "", None, " ", "b"],
    "ints": [0, -7, 10**30, 6591234567],
    "ints with NULLs": [None, 1, None, 65912345],
    "datetimes": [T0, T0.replace(tzinfo=dt.timezone.utc), None],
    "dates": [T0.date(), None],
    "bools and ints": [True, False, 1, None],
    "mixed": [1, 2.5, "x", None, Decimal("10"), b"abc", 1.0e7, {"a": 1}],
    "NULLs only": [None, None],
}


@pytest.mark.parametrize("name", sorted(COLUMNS))
@pytest.mark.parametrize("limit", [1000, 2])
def test_texts_are_to_text_of_each_value(name, limit):
    values = COLUMNS[name]
    expected = [t for t in (to_text(v, False) for v in values) if t][:limit]
    assert _texts(values, False, limit) == expected
