"""Validators as they were before their fast paths (commit 372256d's ``auditor/classify/ids.py``,
verbatim below the imports, and the payment-card and national-id validators of its
``validators.py``): the reference the tests hold the fast paths to, verdict for verdict. Not
used by the package."""
# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

import datetime as _dt
import operator
import re
import time
from functools import lru_cache



_NRIC = re.compile(r"[STFGM]\d{7}[A-Z]")
_WEIGHTS_SG = (2, 7, 6, 5, 4, 3, 2)
_ST = "JZIHGFEDCBA"
_FG = "XWUTRQPNMLK"
_M = "KLJNPQRTUWX"

_CN = re.compile(r"\d{17}[\dX]")
_CN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_CHECK = "10X98765432"
_CN_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83 91".split()
)

_TH = re.compile(r"[1-8]\d{12}")
_MY = re.compile(r"(\d{6})-?(\d{2})-?(\d{4})")
_MY_PLACES = frozenset(
    [f"{i:02d}" for i in range(1, 17)]
    + [f"{i:02d}" for i in range(21, 69)]
    + ["71", "72"]
    + [f"{i:02d}" for i in range(74, 80)]
    + [f"{i:02d}" for i in range(82, 94)]
    + ["98", "99"]
)
_NIK = re.compile(r"\d{16}")
_NIK_PROVINCES = frozenset(
    "11 12 13 14 15 16 17 18 19 21 31 32 33 34 35 36 51 52 53 61 62 63 64 65 71 72 73 74 75 76 81 82 91 92 93 94 95 96".split()
)

WEAK_TAGS = frozenset({"th_id", "my_nric", "id_nik", "in_aadhaar", "jp_my_number", "vn_cccd", "ph_psn_crn", "ph_sss",
                       "kr_rrn_nocheck"})
UNKNOWN_TAGS = frozenset({"sg_m_unknown"})


def nric_check_letter(prefix: str, digits: str) -> str:
    """The check letter of a Singapore NRIC/FIN (S, T, F, G or M series)."""
    total = sum(w * int(d) for w, d in zip(_WEIGHTS_SG, digits))
    if prefix in "ST":
        return _ST[(total + (4 if prefix == "T" else 0)) % 11]
    if prefix in "FG":
        return _FG[(total + (4 if prefix == "G" else 0)) % 11]
    return _M[10 - (total + 3) % 11]


def cn_check_char(first17: str) -> str:
    return _CN_CHECK[sum(w * int(d) for w, d in zip(_CN_WEIGHTS, first17)) % 11]


def thai_check_digit(first12: str) -> int:
    return (11 - sum(map(operator.mul, map(int, first12), range(13, 1, -1))) % 11) % 10


def today() -> _dt.date:
    """Today's date, read from the clock at most once a second (validators run per value)."""
    return _today(int(time.time()))


@lru_cache(maxsize=2)
def _today(second: int) -> _dt.date:
    return _dt.date.today()


def _date_ok(year: int, month: int, day: int, *, max_age: int = 130) -> bool:
    try:
        born = _dt.date(year, month, day)
    except ValueError:
        return False
    now = today()
    return now.year - max_age <= born.year and born <= now


def _sg(s: str) -> str | None:
    if not _NRIC.fullmatch(s):
        return None
    prefix, digits, letter = s[0], s[1:8], s[8]
    if nric_check_letter(prefix, digits) == letter:
        return "sg_nric" if prefix in "ST" else "sg_fin"
    if prefix == "M" and letter in _M:
        return "sg_m_unknown"
    return None


def _cn(s: str) -> str | None:
    if not _CN.fullmatch(s) or s[:2] not in _CN_PROVINCES:
        return None
    if not _date_ok(int(s[6:10]), int(s[10:12]), int(s[12:14]), max_age=125):
        return None
    return "cn_resident_id" if cn_check_char(s[:17]) == s[17] else None


def _th(s: str) -> str | None:
    if not _TH.fullmatch(s):
        return None
    return "th_id" if thai_check_digit(s[:12]) == int(s[12]) else None


def _my(s: str) -> str | None:
    m = _MY.fullmatch(s)
    if not m or m.group(2) not in _MY_PLACES or m.group(3) == "0000":
        return None
    ymd = m.group(1)
    yy, mm, dd = int(ymd[:2]), int(ymd[2:4]), int(ymd[4:6])
    this_year = today().year % 100
    year = (2000 if yy <= this_year else 1900) + yy
    return "my_nric" if _date_ok(year, mm, dd) else None


def _nik(s: str) -> str | None:
    if not _NIK.fullmatch(s) or s[:2] not in _NIK_PROVINCES:
        return None
    if s[2:4] == "00" or s[4:6] == "00" or s[12:] == "0000":
        return None
    dd, mm, yy = int(s[6:8]), int(s[8:10]), int(s[10:12])
    if dd > 40:
        dd -= 40  # women: day of birth + 40
    ok = any(_date_ok(century + yy, mm, dd) for century in (1900, 2000))
    return "id_nik" if ok else None


# ---------------------------------------------------------------- North and South Asia
_HKID = re.compile(r"([A-Z]{1,2})(\d{6})\(?([0-9A])\)?")
_TW = re.compile(r"[A-Z][1289]\d{8}")
_TW_CODES = dict(zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36)))
_KR = re.compile(r"\d{6}-?\d{7}")
_VN_PROVINCES = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 037 038 040 042 "
    "044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 077 079 080 082 083 084 086 087 "
    "089 091 092 093 094 095 096".split()
)
_PH_PSN = re.compile(r"\d{4}-\d{7}-\d")
_PH_SSS = re.compile(r"\d{2}-\d{7}-\d")
_AADHAAR_SPACED = re.compile(r"\d{4} \d{4} \d{4}|\d{4}-\d{4}-\d{4}")


def hkid_check(letters: str, digits: str) -> str:
    """The check character of a Hong Kong identity card number (``A123456`` -> ``3``)."""
    chars = letters.rjust(2)  # one letter: a space (value 36) in front
    values = [36 if c == " " else ord(c) - 55 for c in chars] + [int(d) for d in digits]
    total = sum(v * w for v, w in zip(values, range(9, 1, -1)))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def tw_check(first9: str) -> int:
    """The check digit of a Taiwan national id (letter + 8 digits -> 10th digit)."""
    code = _TW_CODES[first9[0]]
    total = code // 10 + (code % 10) * 9 + sum(int(d) * w for d, w in zip(first9[1:], (8, 7, 6, 5, 4, 3, 2, 1)))
    return (10 - total % 10) % 10


def _hk(s: str) -> str | None:
    m = _HKID.fullmatch(s)
    if not m:
        return None
    return "hk_hkid" if hkid_check(m.group(1), m.group(2)) == m.group(3) else None


def _tw(s: str) -> str | None:
    if not _TW.fullmatch(s):
        return None
    return "tw_id" if tw_check(s[:9]) == int(s[9]) else None


def _kr(s: str) -> str | None:
    if not _KR.fullmatch(s):
        return None
    digits = s.replace("-", "")
    if not _date_ok((1800, 1900, 1900, 2000, 2000, 1900, 1900, 2000, 2000, 1800)[int(digits[6])]
                                                  + int(digits[:2]), int(digits[2:4]), int(digits[4:6])):
        return None
    from stdnum.kr import rrn

    return "kr_rrn" if rrn.is_valid(digits) else "kr_rrn_nocheck"  # issued since 2020 without a check digit


_TWELVE_LIBS: list = []  # python-stdnum's verhoeff, in_.aadhaar and jp.in_, once imported


def _twelve(s: str) -> str | None:
    """Twelve digits: Aadhaar (Verhoeff), My Number (mod 11), MyKad (date, place), CCCD (province)."""
    libs = _TWELVE_LIBS
    if not libs:  # imported on first use (python-stdnum's modules load slowly), then kept
        from stdnum import verhoeff
        from stdnum.in_ import aadhaar
        from stdnum.jp import in_ as my_number

        libs[:] = (verhoeff, aadhaar, my_number)  # not extend: two first calls at once would leave six
    verhoeff, aadhaar, my_number = libs
    if s.isascii():  # twelve ASCII digits: the libraries' checks without their cleaning and exceptions
        if s[0] not in "01" and s != s[::-1] and verhoeff.checksum(s) == 0:
            return "in_aadhaar"
        if my_number.calc_check_digit(s[:-1]) == s[-1]:
            return "jp_my_number"
    else:
        if s[0] not in "01" and aadhaar.is_valid(s):
            return "in_aadhaar"
        if my_number.is_valid(s):
            return "jp_my_number"
    tag = _my(s)
    if tag:
        return tag
    if s[:3] in _VN_PROVINCES and _date_ok((1900, 1900, 2000, 2000, 2100, 2100, 2200, 2200, 2300, 2300)[int(s[3])]
                                           + int(s[4:6]), 1, 1):
        return "vn_cccd"
    return None


@lru_cache(maxsize=4096)
def is_company_id(value: str) -> bool:
    """A Singapore UEN (business, local company or other entity): a company's number."""
    s = value.strip().upper()
    if not (9 <= len(s) <= 10 and s[-1].isalpha()):
        return False
    if s.isascii() and s[0] not in ("0123456789" if len(s) == 9 else "0123456789RST"):
        return False  # no UEN starts so (an NRIC, an HKID): stdnum's answer, without its parsing
    from stdnum.sg import uen

    return uen.is_valid(s)


def validate_national_id(value: str) -> str | None:
    """Tag of the national id ``value`` is, or ``None``. Separators (space, dash) allowed."""
    s = value.strip().upper()
    n = len(s)
    if n == 9:
        return _sg(s) or _hk(s)
    if n == 18:
        return _cn(s)
    if 8 <= n <= 12 and s[0].isalpha():
        return (_tw(s) if n == 10 else None) or _hk(s)
    if n == 14 and _KR.fullmatch(s):
        return _kr(s)
    if n == 14 and _AADHAAR_SPACED.fullmatch(s):
        return _twelve(s.replace(" ", "").replace("-", ""))
    if n == 14 and _PH_PSN.fullmatch(s):
        return "ph_psn_crn"
    if n == 12 and _PH_SSS.fullmatch(s):
        return "ph_sss"
    if n == 14 and s[6] == "-" and s[9] == "-":
        return _my(s)
    if n == 17 and s.count("-") == 4:  # Thai printed form 1-2345-67890-12-3
        s = s.replace("-", "")
        n = 13
    if not s.isdigit():
        return None
    if n == 13:
        return _th(s) or ("kr_rrn" if _kr(s) == "kr_rrn" else None)
    if n == 12:
        return _twelve(s)
    if n == 16:
        return _nik(s)
    return None


def national_id(value: str, hinted: bool = False) -> str | None:
    """``auditor.classify.validators.national_id`` as it was."""
    tag = validate_national_id(value)
    if tag is None or is_company_id(value):
        return None
    if tag in UNKNOWN_TAGS and not hinted:
        return "?" + tag
    return tag


_CARD_SHAPE = re.compile(r"\d(?:[ -]?\d){12,18}")
_DOUBLED = {str(d): (2 * d if d < 5 else 2 * d - 9) for d in range(10)}


def luhn_ok(digits: str) -> bool:
    return (sum(map(int, digits[-1::-2])) + sum(map(_DOUBLED.__getitem__, digits[-2::-2]))) % 10 == 0


def card_brand(digits: str) -> str | None:
    """``auditor.classify.validators.card_brand`` as it was."""
    n = len(digits)
    p2, p3, p4, p6 = int(digits[:2]), int(digits[:3]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4":
        return "visa" if n in (13, 16, 19) else None
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return "mastercard" if n == 16 else None
    if p2 in (34, 37):
        return "amex" if n == 15 else None
    if 2200 <= p4 <= 2204:
        return "mir" if 16 <= n <= 19 else None
    if p4 == 6011 or 644 <= p3 <= 649 or p2 == 65 or 622126 <= p6 <= 622925:
        return "discover" if 16 <= n <= 19 else None
    if 3528 <= p4 <= 3589:
        return "jcb" if 16 <= n <= 19 else None
    if p4 in (2131, 1800):
        return "jcb" if n == 15 else None
    if 8100 <= p4 <= 8171:
        return "unionpay" if 16 <= n <= 19 else None
    if p2 == 62:
        return "unionpay" if 16 <= n <= 19 else None
    if 300 <= p3 <= 305 or p4 == 3095 or p2 in (36, 38, 39):
        return "diners" if 14 <= n <= 19 else None
    if p2 == 50 or 56 <= p2 <= 69:
        return "maestro" if 13 <= n <= 19 else None
    return None


def payment_card(value: str, hinted: bool = False) -> str | None:
    """``auditor.classify.validators.payment_card`` as it was."""
    if not _CARD_SHAPE.fullmatch(value):
        return None
    digits = value.replace(" ", "").replace("-", "")
    brand = card_brand(digits)
    if brand is None or not luhn_ok(digits):
        return None
    return brand
