"""The national-id validator's shape dispatch (a run of ASCII digits tries only the forms
written in digits, by its length) and its inlined checks (Verhoeff, My Number) give the
verdicts the validator gave before them (``tests/validators_reference.py``), on the ids the
other tests and the corpus generators use, valid ones of every kind, near misses and
random strings of every shape the free-text extraction hands it."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest
from stdnum import verhoeff
from stdnum.in_ import aadhaar
from stdnum.jp import in_ as my_number
from stdnum.kr import rrn as korea_rrn

from auditor.classify import ids
from auditor.classify.validators import national_id
from tests import validators_reference as before

ROOT = Path(__file__).resolve().parents[3]


def _corpus():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location("corpus_for_ids", ROOT / "benchmarks" / "corpus.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _valid_ids(rng: random.Random, n: int) -> list[str]:
    """Valid ids of the digit-only kinds (and their printed forms), built from their checks."""
    out: list[str] = []
    for _ in range(n):
        body11 = rng.choice("23456789") + _digits(rng, 10)
        out.append(body11 + aadhaar.verhoeff.calc_check_digit(body11))  # Aadhaar
        body = _digits(rng, 11)
        out.append(body + my_number.calc_check_digit(body))  # My Number
        first = rng.choice("12345678") + _digits(rng, 11)
        out.append(first + str(ids.thai_check_digit(first)))  # Thai id
        y, m, d = rng.randrange(1930, 2024), rng.randrange(1, 13), rng.randrange(1, 29)
        place = rng.choice(sorted(ids._MY_PLACES))
        out.append(f"{y % 100:02d}{m:02d}{d:02d}{place}{_digits(rng, 4)}")  # MyKad
        prov = rng.choice(sorted(ids._NIK_PROVINCES))
        out.append(f"{prov}{rng.randrange(1, 80):02d}{rng.randrange(1, 40):02d}{d + rng.choice((0, 40)):02d}{m:02d}"
                   f"{y % 100:02d}{rng.randrange(1, 10000):04d}")  # NIK
        vn = rng.choice(sorted(ids._VN_PROVINCES))
        out.append(f"{vn}{rng.randrange(10)}{_digits(rng, 8)}")  # CCCD
        cn = f"{rng.choice(['11', '31', '44', '51'])}{_digits(rng, 4)}{y}{m:02d}{d:02d}{_digits(rng, 3)}"
        out.append(cn + ids.cn_check_char(cn))  # China resident id
        rrn_body = f"{y % 100:02d}{m:02d}{d:02d}{rng.choice('1234')}{rng.randrange(100):02d}{_digits(rng, 3)}"
        rrn = rrn_body + korea_rrn.calc_check_digit(rrn_body)  # Korea RRN (a place of birth over 96 now and then)
        out += [rrn, f"{rrn[:6]}-{rrn[6:]}"]
    return out


def _near_misses(rng: random.Random, values: list[str]) -> list[str]:
    out = []
    for value in values:
        i = rng.randrange(len(value))
        out.append(value[:i] + rng.choice("0123456789") + value[i + 1:])  # one digit changed
        out.append(value[:-1])
        out.append(value + rng.choice("0123456789X"))
        out.append(f" {value} ")
        if len(value) == 12:
            out.append(f"{value[:4]} {value[4:8]} {value[8:]}")
            out.append(f"{value[:4]}-{value[4:8]}-{value[8:]}")
            out.append(f"{value[:6]}-{value[6:8]}-{value[8:]}")
    return out


def _random_shapes(rng: random.Random, n: int) -> list[str]:
    """Strings of the lengths and characters free text hands the validator, unicode digits too."""
    alphabet = "0123456789" * 6 + "STFGMAXZstfx" + " -()" + "٣٤" + "²"
    out = []
    for _ in range(n):
        out.append(_digits(rng, rng.randrange(7, 20)))
        out.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(8, 19))))
        out.append(_digits(rng, 12).replace(rng.choice("0123456789"), rng.choice("٣٤")))
    return out


def _known_ids() -> list[str]:
    """The ids the corpus generators make for columns and for free text."""
    corpus = _corpus()
    gen, noisy = corpus.Gen(5), corpus.NoisyGen(6)
    out = []
    for _ in range(2000):
        out += [gen.nric(), gen.nric_sku(), gen.cn_id(), gen.th_id(), gen.mykad(), gen.nik(), gen.order_no()]
        out.append(noisy.national_id()[0])
        out.append(noisy.digits(noisy.r.choice([8, 10, 11, 12, 13, 16])))
    return out


FIXED = [  # the ids the other classifier tests use, and their decoys
    "S1234567D", "T0123456C", "S1234567A", "M1234567K", "G1234567X", "A123456(3)", "A1234563", "AB9876543",
    "A123456789", "F131186754", "900101-1234567", "9001011234567", "880101-14-5678", "880101145678",
    "1234 5678 9012", "2345-6789-0123", "1234-5678901-2", "12-3456789-0", "1-2345-67890-12-3",
    "110105199001011234", "11010519900101123X", "3171012345670001", "079123456789", "123456789012",
    "000000000000", "999999999999", "121212121212", "53202401234C", "201912345K", "T09LL0001B",
]


@pytest.fixture(scope="module")
def values() -> list[str]:
    rng = random.Random(2311)
    valid = _valid_ids(rng, 1500)
    return FIXED + valid + _near_misses(rng, valid) + _random_shapes(rng, 6000) + _known_ids()


def test_shape_dispatch_gives_the_verdicts_of_before(values: list[str]) -> None:
    new = [ids.validate_national_id(v) for v in values]
    old = [before.validate_national_id(v) for v in values]
    assert new == old
    kinds = {t for t in old if t}
    assert kinds >= {"in_aadhaar", "jp_my_number", "th_id", "my_nric", "id_nik", "vn_cccd", "cn_resident_id",
                     "sg_nric", "sg_fin", "hk_hkid", "tw_id", "kr_rrn", "ph_psn_crn", "ph_sss"}  # every kind met
    assert sum(t is None for t in old) > len(old) // 4  # and many refusals


def test_national_id_gives_the_verdicts_of_before(values: list[str]) -> None:
    for hinted in (False, True):
        assert [national_id(v, hinted) for v in values] == [before.national_id(v, hinted) for v in values]


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
