"""Settling must never turn a mixed column the full read flags into a clean one.

A type dropped once its share is surely below any rule's (``_surely_below``) stops being
counted; the mixed rule's total (all types together >= ``threshold``) must still count it at
the share it was dropped at, not at the few values read before it was dropped."""

from __future__ import annotations

import random

from auditor.classify.columns import decide_field
from auditor.classify.options import ClassifyOptions


def _column() -> list[str]:
    vals = [f"user{i}@example.com" for i in range(400)]  # 40% e-mails
    vals += [f"+65 9{1000000 + i * 37:07d}" for i in range(300)]  # 30% phones
    vals += [f"10.{i // 200}.{i % 200}.{1 + i % 250}" for i in range(150)]  # 15% IPs (hinted by the name)
    vals += [f"n/a-{i}" for i in range(150)]
    random.Random(7).shuffle(vals)
    return vals


def test_mixed_column_flagged_with_and_without_settling() -> None:
    vals = _column()
    full, _ = decide_field("login_ip", vals, ClassifyOptions(settle_values=0))
    assert {h.type for h in full} == {"email", "phone"}  # 85% personal: mixed
    settled, _ = decide_field("login_ip", vals, ClassifyOptions())
    assert {h.type for h in settled} == {"email", "phone"}
