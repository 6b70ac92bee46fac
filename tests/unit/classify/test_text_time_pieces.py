"""Free text with timestamps to the microsecond (application logs, audit trails): the seconds and
their fraction ("20.630296" in "20:01:20.630296+00") are a piece of a time, not a phone number.
Before, every such line counted as a phone (a bucket of logs "held" phone numbers)."""

from __future__ import annotations

from auditor.classify import classify
from auditor.models import Sample


def _types(texts: list[str]) -> set[str]:
    return {pd.type for pd in classify(Sample(text=texts))}


def test_microsecond_timestamps_in_log_lines_are_not_phones() -> None:
    lines = [f"User logged in at 2024-09-{d % 28 + 1:02d} 20:01:20.{630000 + d}+00 from the office" for d in range(300)]
    assert "phone" not in _types(lines)
    iso = [f"{d} 2024-09-21T08:15:{d % 60:02d}.{123400 + d}Z GET /index.html 200" for d in range(300)]
    assert "phone" not in _types(iso)


def test_phones_in_text_are_still_found() -> None:
    lines = [f"Call the customer on +65 9{d:03d} {4000 + d} before noon" for d in range(300)]
    assert "phone" in _types(lines)
    tagged = [f"Tel:+65 9{d:03d} {4000 + d}, after 10:30" for d in range(300)]
    assert "phone" in _types(tagged)


def test_an_international_number_right_after_a_digit_and_colon_is_a_phone() -> None:
    """A time's piece never starts with '+': 'line2:+14155552671' was found before the rule above."""
    lines = [f"line{d % 9}:+1415555{2600 + d:04d} called back" for d in range(300)]
    assert "phone" in _types(lines)
