"""The payment-card validator's fast path (a run of ASCII digits needs no shape pattern; the
IIN prefixes read from one number) gives the verdicts it gave before: those of commit 372256d's
validators, recorded in ``tests/data/id_card_verdicts.json.gz`` (``tests/data/record_id_card_verdicts.py``
says how) on valid numbers of every brand, near misses, the separated forms, Unicode digits and
random digit runs of every length text hands it."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

from auditor.classify import validators as v

RECORDED = json.loads(gzip.decompress((Path(__file__).parents[2] / "data" / "id_card_verdicts.json.gz").read_bytes()))


def _answer(fn: Callable[[str], str | None], value: str) -> str | None:
    try:
        return fn(value)
    except Exception as exc:  # noqa: BLE001 - the same exception type counts as the same answer
        return type(exc).__name__


def _now(value: str, before: str | None) -> str | None:
    """The verdict expected now: the recorded one, except that a number written with another script's
    digits is no card (changed on purpose: it raised KeyError, or read as a card that no text scan extracts;
    validators never raise)."""
    return before if value.isascii() else None


def test_payment_card_gives_the_verdicts_of_before() -> None:
    wrong = [(value, before, _answer(v.payment_card, value)) for value, before in RECORDED["payment_card"]
             if _answer(v.payment_card, value) != _now(value, before)]
    assert not wrong, wrong[:20]  # (value, verdict before, verdict now)
    assert {t for _, t in RECORDED["payment_card"]} >= {"visa", "mastercard", "amex", "mir", "discover", "jcb",
                                                       "unionpay", "diners", "maestro", None}  # every brand met


def test_card_brand_reads_short_prefixes_as_before() -> None:
    for digits, before in RECORDED["card_brand"]:
        assert _answer(v.card_brand, digits) == before, digits
