"""National identifiers of the region: each checksum or structure, and a decoy of the same shape."""

from __future__ import annotations

import pytest
from stdnum.in_ import aadhaar
from stdnum.jp import in_ as my_number
from stdnum.kr import rrn
from stdnum.sg import uen

from auditor.classify import ClassifyOptions, classify
from auditor.classify.ids import WEAK_TAGS, hkid_check, is_company_id, tw_check, validate_national_id
from auditor.models import Sample


def _aadhaar(body11: str) -> str:
    return body11 + aadhaar.verhoeff.calc_check_digit(body11)


VALID = [
    ("A123456(3)", "hk_hkid"),  # the Immigration Department's published example
    ("A1234563", "hk_hkid"),
    ("AB987654(" + hkid_check("AB", "987654") + ")", "hk_hkid"),
    ("A123456789", "tw_id"),  # Ministry of the Interior's example
    ("F" + "1" + "2345678" + str(tw_check("F12345678")), "tw_id"),
    ("850101-123456" + rrn.calc_check_digit("850101123456"), "kr_rrn"),
    ("12345678901" + my_number.calc_check_digit("12345678901"), "jp_my_number"),
    (_aadhaar("23412341234"), "in_aadhaar"),
    ("2341 2341 234" + _aadhaar("23412341234")[-1], "in_aadhaar"),
    ("1234-5678901-2", "ph_psn_crn"),
    ("34-1234567-8", "ph_sss"),
    ("079090123456", "vn_cccd"),  # Ho Chi Minh City (079), male born 1990
    ("S1234567D", "sg_nric"),
]


@pytest.mark.parametrize(("value", "tag"), VALID)
def test_valid_ids(value: str, tag: str) -> None:
    assert validate_national_id(value) == tag


DECOYS = [
    "A123456(4)",  # HKID, wrong check character
    "A123456788",  # Taiwan, wrong check digit
    "A323456789",  # Taiwan, third character not 1/2/8/9 gender digit
    "850101-1234567" if rrn.calc_check_digit("850101123456") != "7" else "850101-1234568",  # RRN shape only
    "12345678901" + str((int(my_number.calc_check_digit("12345678901")) + 1) % 10),  # My Number, wrong check
    "1234 5678 9012",  # Aadhaar may not start with 1
    "999012345678",  # CCCD province 999 does not exist
    "12-345-678",  # too short for SSS
]


@pytest.mark.parametrize("value", DECOYS)
def test_decoys_are_not_national_ids(value: str) -> None:
    tag = validate_national_id(value)
    assert tag is None or tag == "kr_rrn_nocheck", (value, tag)


def test_rrn_without_a_check_digit_counts_only_as_weak() -> None:
    assert "kr_rrn_nocheck" in WEAK_TAGS
    body = "850101-123456"
    wrong = str((int(rrn.calc_check_digit("850101123456")) + 1) % 10)
    assert validate_national_id(body + wrong) == "kr_rrn_nocheck"


def test_weak_ids_need_context_in_text_but_not_in_a_named_column() -> None:
    value = _aadhaar("56781234123")
    assert classify(Sample(text=[f"batch {value} shipped"])) == ()
    (pd,) = classify(Sample(text=[f"Aadhaar: {value}"]))
    assert pd.type == "national_id" and pd.detail["kinds"] == {"in_aadhaar": 1}
    assert [p.type for p in classify(Sample(fields={"aadhaar": [_aadhaar(f"{i:011d}".replace("0", "5", 1)) for i in range(2, 40)]}))] == ["national_id"]


def test_hkid_and_taiwan_ids_found_in_text() -> None:
    found = classify(Sample(text=["HKID A123456(3) and 身分證 A123456789 on file"]))
    (pd,) = found
    assert pd.count == 2 and set(pd.detail["kinds"]) == {"hk_hkid", "tw_id"}


# ---------------------------------------------------------------- Singapore UEN against NRIC


def _uens(n: int) -> list[str]:
    out = []
    for i in range(n):
        body = f"{2000 + i % 24}{i * 37 % 100000:05d}"
        out.append(body + uen.calc_local_company_check_digit(body))
        b8 = f"{53000000 + i * 7919 % 1000000:08d}"
        out.append(b8 + uen.calc_business_check_digit(b8))
    return out


def test_uen_is_a_company_id_never_a_national_id() -> None:
    uens = _uens(30)
    assert all(is_company_id(u) for u in uens)
    assert classify(Sample(fields={"registration_no": uens})) == ()
    assert classify(Sample(fields={"id_no": uens})) == ()  # even under a name that hints at an id
    assert classify(Sample(text=[f"UEN {u} registered" for u in uens])) == ()
    assert not is_company_id("S1234567D")


def test_uen_column_beside_nric_column() -> None:
    nrics = ["S1234567D", "T0123456C" if validate_national_id("T0123456C") else "S1234567D"] * 20
    found = {p.where[0]: p.type for p in classify(Sample(fields={"uen": _uens(20), "nric": nrics}))}
    assert found == {"nric": "national_id"}


def test_options_still_validate_types() -> None:
    with pytest.raises(ValueError):
        ClassifyOptions(types=("hkid",))


def test_twelve_digit_checks_agree_with_stdnum():
    """Aadhaar and My Number on twelve ASCII digits are checked without stdnum's cleaning and
    exceptions; the answers are stdnum's own (palindromes, leading 0/1, both check digits)."""
    import random

    from auditor.classify.ids import _twelve

    r = random.Random(23)
    values = ["".join(r.choice("0123456789") for _ in range(12)) for _ in range(20000)]
    values += [v[:6] + v[5::-1] for v in values[:500]]  # palindromes: never an Aadhaar
    values += ["234123412346", "123456789018"]
    for value in values:
        if value[0] not in "01" and aadhaar.is_valid(value):
            assert _twelve(value) == "in_aadhaar", value
        elif my_number.is_valid(value):
            assert _twelve(value) == "jp_my_number", value
        else:
            assert _twelve(value) not in ("in_aadhaar", "jp_my_number"), value
