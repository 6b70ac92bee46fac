"""Names that are really values are masked; names that are names are left alone."""

import pytest

from auditor.classify.scrub import scrub_text


@pytest.mark.parametrize(("raw", "hidden"), [
    ("S1234567D", "S1234567D"),
    ("user0@example.com", "user0@example.com"),
    ("vip0@example.com.phone", "vip0@example.com"),
    ("+65 9123 4500", "9123 4500"),
    ("exports/4111111111111111.csv", "4111111111111111"),
    ("users/ana.tan@gmail.com/orders/", "ana.tan@gmail.com"),
    ("11010519491231002X", "11010519491231002X"),
])
def test_values_are_masked(raw, hidden):
    out = scrub_text(raw)
    assert hidden not in out and out != raw


@pytest.mark.parametrize("name", [
    "legacy/redmart-2019/", "events/2026/11/27/part-000.jsonl", "public.customers", "order_20261127143000",
    "column_1", 'x"><img src=x onerror=alert(1)>', "a\"; drop table b; --", "S1234567A",  # wrong check letter
    "build_sha_0123456789abcdef", "main.card_vault",
])
def test_names_stay_as_they_are(name):
    assert scrub_text(name) == name


def test_the_same_name_always_scrubs_the_same():
    assert scrub_text("users/ana.tan@gmail.com/") == scrub_text("users/ana.tan@gmail.com/")
