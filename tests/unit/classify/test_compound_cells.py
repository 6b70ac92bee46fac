"""Cells that hold a personal value inside a little other text, too short to be prose: a name with its
address (RFC 5322 ``Name <addr>``, as mail and CRM exports write contacts), several addresses in one
cell, a legacy export's "name address". Whole-value validation sees none of them; before this, such a
column was reported as holding no personal data at all (a table full of e-mails passed clean)."""

from __future__ import annotations

import pytest

from auditor.classify import classify
from auditor.models import Sample


def _found(values: list[str], field: str = "contact") -> dict[str, int]:
    return {pd.type: pd.count for pd in classify(Sample(fields={field: values}))}


@pytest.mark.parametrize("shape", [
    "Jose Tan <jt{i}@latinmail.example.com>",
    "jt{i}@latinmail.example.com, other{i}@mail.example.org",
    "jt{i}@latinmail.example.com;other{i}@mail.example.org",
    "Jos\u00e9 lat{i}@latinmail.example.com",
    "\"Tan, Jose\" <jt{i}@latinmail.example.com>",
    "'jt{i}@latinmail.example.com':1",  # a PostgreSQL tsvector's text
    "mailto:jt{i}@latinmail.example.com",
    "email=jt{i}@latinmail.example.com",
    "(jt{i}@latinmail.example.com)",
])
def test_an_email_inside_a_short_compound_cell_is_found(shape: str) -> None:
    got = _found([shape.format(i=i) for i in range(200)])
    assert got.get("email", 0) >= 200


def test_compound_cells_without_personal_data_stay_clean() -> None:
    assert _found([f"Order {i} shipped, box {i % 7}" for i in range(200)], "status") == {}
    assert _found([f"v{i}.2.{i % 9} build-{i}" for i in range(200)], "app_version") == {}


def test_timestamp_texts_are_not_compound_cells_with_phones() -> None:
    # a timestamp column read as text ("2024-09-21 20:01:20.630296+00"): no phone in it
    assert _found(["2024-09-21 20:01:20.630296+00"] * 300, "updated_at") == {}
    assert _found([f"2024-09-{d % 28 + 1:02d}T20:01:20.{630000 + d}+00:00" for d in range(300)], "seen") == {}
