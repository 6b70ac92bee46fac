"""The national-id validator's shape dispatch (a run of ASCII digits tries only the forms
written in digits, by its length) and its inlined checks (Verhoeff, My Number) give the
verdicts the validator gave before them: those of commit 372256d's validators, recorded in
``tests/data/id_card_verdicts.json.gz`` (``tests/data/record_id_card_verdicts.py`` says how) on
the ids the other tests and the corpus generators use, valid ones of every kind, near misses,
random strings of every shape the free-text extraction hands it, and dates of birth on either
side of the recording's date. The date is frozen at the recording's (2026-06-15), so the
verdicts do not depend on today's."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
from pathlib import Path

import pytest
from stdnum import verhoeff
from stdnum.jp import in_ as my_number

from auditor.classify import ids
from auditor.classify.validators import national_id

RECORDED = json.loads(gzip.decompress((Path(__file__).parents[2] / "data" / "id_card_verdicts.json.gz").read_bytes()))


@pytest.fixture
def recorded_day(monkeypatch: pytest.MonkeyPatch) -> None:
    day = dt.date.fromisoformat(RECORDED["today"])
    monkeypatch.setattr(ids, "_today", lambda second: day)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


@pytest.mark.usefixtures("recorded_day")
def test_shape_dispatch_gives_the_verdicts_of_before() -> None:
    wrong = [(v, tag, ids.validate_national_id(v)) for v, tag, *_ in RECORDED["national_id"]
             if ids.validate_national_id(v) != tag]
    assert not wrong, wrong[:20]  # (value, verdict before, verdict now)
    old = [row[1] for row in RECORDED["national_id"]]
    kinds = {t for t in old if t}
    assert kinds >= {"in_aadhaar", "jp_my_number", "th_id", "my_nric", "id_nik", "vn_cccd", "cn_resident_id",
                     "sg_nric", "sg_fin", "hk_hkid", "tw_id", "kr_rrn", "ph_psn_crn", "ph_sss"}  # every kind met
    assert sum(t is None for t in old) > len(old) // 4  # and many refusals


@pytest.mark.usefixtures("recorded_day")
def test_national_id_gives_the_verdicts_of_before() -> None:
    for hinted, column in ((False, 2), (True, 3)):
        wrong = [(v, row[column], national_id(v, hinted)) for row in RECORDED["national_id"]
                 if national_id(v := row[0], hinted) != row[column]]
        assert not wrong, (hinted, wrong[:20])  # (value, verdict before, verdict now)


def test_verhoeff_checksum_is_stdnums() -> None:
    rng = random.Random(7)
    for n in (1, 2, 8, 9, 12, 16, 20):
        for _ in range(500):
            value = _digits(rng, n)
            assert ids.verhoeff_checksum(value) == verhoeff.checksum(value), value


def test_my_number_check_is_stdnums() -> None:
    rng = random.Random(8)
    for _ in range(3000):
        value = _digits(rng, 12)
        expect = my_number.is_valid(value) and not (value[0] not in "01" and value != value[::-1]
                                                    and verhoeff.checksum(value) == 0)
        assert (ids._twelve(value) == "jp_my_number") is expect, value
