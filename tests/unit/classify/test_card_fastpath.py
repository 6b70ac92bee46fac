"""The payment-card validator's fast path (a run of ASCII digits needs no shape pattern; the
IIN prefixes read from one number) gives the verdicts it gave before
(``tests/validators_reference.py``): on valid numbers of every brand, near misses, the
separated forms, Unicode digits and random digit runs of every length text hands it."""

from __future__ import annotations

import random

from auditor.classify import validators as v
from tests import validators_reference as before

PREFIXES = ["4", "51", "55", "2221", "2720", "34", "37", "2200", "2204", "6011", "644", "649", "65", "622126", "622925",
            "3528", "3589", "2131", "1800", "8100", "8171", "62", "300", "305", "3095", "36", "38", "39", "50", "56",
            "69", "0", "1", "7", "9", "22", "35", "60", "64", "81"]


def _luhn_complete(body: str) -> str:
    for d in "0123456789":
        if before.luhn_ok(body + d):
            return body + d
    raise AssertionError(body)


def _values(rng: random.Random) -> list[str]:
    out = []
    for prefix in PREFIXES:
        for n in range(12, 21):
            for _ in range(25):
                body = prefix + "".join(rng.choice("0123456789") for _ in range(max(n - len(prefix) - 1, 0)))
                good = _luhn_complete(body)
                out += [good, body + rng.choice("0123456789")]
                if len(good) == 16:
                    out += [" ".join(good[i:i + 4] for i in range(0, 16, 4)), "-".join(good[i:i + 4] for i in range(0, 16, 4))]
    for _ in range(3000):
        out.append("".join(rng.choice("0123456789") for _ in range(rng.randrange(1, 22))))
        out.append("".join(rng.choice("0123456789 -٣x") for _ in range(rng.randrange(12, 24))))
    out += ["٤١١١١١١١١١١١١١١١", "4111111111111111", "411111111111111١"]
    return out


def test_payment_card_gives_the_verdicts_of_before() -> None:
    values = _values(random.Random(41))
    got, expected = [], []
    for value in values:
        for fn, acc in ((v.payment_card, got), (before.payment_card, expected)):
            try:
                acc.append(fn(value))
            except Exception as exc:  # noqa: BLE001 - the same exception type counts as the same answer
                acc.append(type(exc).__name__)
    assert got == expected
    assert len({t for t in expected if t}) >= 9  # every brand met


def test_card_brand_reads_short_prefixes_as_before() -> None:
    for digits in ["4", "41", "51", "5112", "34567", "622126", "62212", "0", "00000", "3095", "1800"]:
        try:
            expected = before.card_brand(digits)
        except Exception as exc:  # noqa: BLE001
            expected = type(exc).__name__
        try:
            got = v.card_brand(digits)
        except Exception as exc:  # noqa: BLE001
            got = type(exc).__name__
        assert got == expected, digits
