"""The reports' fast paths say exactly what the plain code they replaced said: the plain code is
kept here as the reference and both are run over odd values (text subclasses, keys that are not
text, long texts, nested and empty containers, personal-data summaries)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Any

from reports.coverage import evidence_rows
from reports.format import UNKNOWN, fact_text


class Text(str):
    def __str__(self) -> str:  # a text subclass that words itself differently
        return "subclass!"


def _ref_fact_text(v: Any) -> str:
    if type(v) is str:
        return v if len(v) <= 400 else v[:400] + " …"
    if v is None:
        return UNKNOWN
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        return f"{v:,}" if isinstance(v, int) else f"{v:g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(map(_ref_fact_text, v)) if v else "none"
    text = str(v)
    return text if len(text) <= 400 else text[:400] + " …"


_LEAF = frozenset({str, int, float, bool, type(None)})


def _ref_evidence_rows(evidence: dict[Any, Any], prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key, v in evidence.items():
        label = prefix + str(key).replace("_", " ")
        if type(v) in _LEAF:
            rows.append((label, _ref_fact_text(v)))
        elif isinstance(v, dict):
            rows += _ref_evidence_rows(v, f"{label} › ") if v else [(label, "none")]
        elif isinstance(v, list | tuple) and v and all(isinstance(x, dict) for x in v):
            for i, item in enumerate(v, 1):
                if "type" in item and "count" in item:
                    text = f"{_ref_fact_text(item['count'])} sampled"
                    if item.get("where"):
                        text += f" in {_ref_fact_text(item['where'])}"
                    if item.get("examples"):
                        text += f"; masked examples: {_ref_fact_text(item['examples'])}"
                    rows.append((f"{label} › {item['type']}", text))
                else:
                    rows += _ref_evidence_rows(item, f"{label} #{i} › ")
        else:
            rows.append((label, _ref_fact_text(v)))
    return rows


LONG = "x_" * 300
ODD: list[Any] = ["", "a_b", LONG, Text("sub_class"), Text(LONG), 0, -12345, 10**30, 1.5, 1e-7, float("nan"), True,
                  False, None, [], (), ["a", LONG, Text("t"), 3, None, True, ["n", 1]], ("x",), {}, set(),
                  frozenset({"q"}), date(2026, 1, 2), datetime(2026, 1, 2, 3, 4, tzinfo=UTC), b"bytes", object,
                  {"k_k": "v", 2: None}, [{"type": "email", "count": 3, "where": ["a", LONG], "examples": ["u***"]}],
                  [{"type": "phone", "count": None}], [{"a_b": 1}, {"c": [{"d": 2}]}], [{"a": 1}, "not a dict"],
                  {"nested": {"deeper": {"deepest_key": [LONG, LONG]}}}]
KEYS: list[Any] = ["plain", "snake_key", "", Text("sub_key"), 1, True, 2.5, None, ("t", "u"), "é_中"]


def test_fact_text_matches_the_plain_code() -> None:
    for v in ODD:
        assert fact_text(v) == _ref_fact_text(v), repr(v)


def test_evidence_rows_match_the_plain_code() -> None:
    rnd = random.Random(7)
    for v in ODD:
        for key in KEYS:
            evidence = {key: v}
            assert evidence_rows(evidence) == _ref_evidence_rows(evidence), evidence
            assert evidence_rows(evidence, "p › ") == _ref_evidence_rows(evidence, "p › "), evidence
    for _ in range(500):
        evidence = {rnd.choice(KEYS): rnd.choice(ODD) for _ in range(rnd.randint(0, 8))}
        assert evidence_rows(evidence) == _ref_evidence_rows(evidence), evidence


def test_first_seen_words_keep_each_zone_apart() -> None:
    """The same instant in two zones compares equal but reads differently: the memo keeps them apart."""
    from datetime import timedelta, timezone

    from reports.context import _seen_words
    from reports.format import age_days, day, days

    as_of = datetime(2026, 3, 1, tzinfo=UTC)
    for seen in (datetime(2026, 1, 1, 23, 30, tzinfo=UTC), datetime(2026, 1, 2, 0, 30, tzinfo=timezone(timedelta(hours=1))),
                 datetime(2026, 1, 1, 23, 30), datetime(2026, 1, 1, 18, 30, tzinfo=timezone(timedelta(hours=-5)))):
        expected = (seen.isoformat(), f"since {day(seen)} ({days(age_days(as_of, seen) or 0)})")
        assert _seen_words(as_of, as_of.utcoffset(), seen, seen.utcoffset()) == expected
