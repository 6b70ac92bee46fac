"""National identity numbers: Singapore NRIC/FIN, China resident id, Thai id,
Malaysian MyKad, Indonesian NIK, Hong Kong HKID, Taiwan national id, South Korea RRN,
Japan My Number, India Aadhaar, Philippines PhilSys/UMID CRN and SSS, Vietnam CCCD.

Checksums come from python-stdnum where it has the number (Korea RRN, Japan My Number,
India Aadhaar's Verhoeff, Singapore UEN); the rest are written here from their
published algorithms. A Singapore UEN (a company's number) is recognised so that it is
never counted as a person's id.

Each validator takes a stripped string and returns a tag naming the id kind, or
``None``. ``"sg_m_unknown"`` marks an M-series FIN whose check letter does not match
the published algorithm: the shape is right but the checksum cannot be confirmed.
Tags in :data:`WEAK_TAGS` are ids whose check is too weak (no checksum, or one in
ten random numbers pass) to count without context.
"""

from __future__ import annotations

import datetime as _dt
import operator
import re
import threading
import time
from functools import lru_cache

__all__ = ["validate_national_id", "is_company_id", "hkid_check", "tw_check", "WEAK_TAGS", "UNKNOWN_TAGS", "nric_check_letter", "cn_check_char", "thai_check_digit"]

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
    total = sum(map(operator.mul, _WEIGHTS_SG, map(int, digits)))
    if prefix in "ST":
        return _ST[(total + (4 if prefix == "T" else 0)) % 11]
    if prefix in "FG":
        return _FG[(total + (4 if prefix == "G" else 0)) % 11]
    return _M[10 - (total + 3) % 11]


def cn_check_char(first17: str) -> str:
    return _CN_CHECK[sum(w * int(d) for w, d in zip(_CN_WEIGHTS, first17)) % 11]


def thai_check_digit(first12: str) -> int:
    return (11 - sum(map(operator.mul, map(int, first12), range(13, 1, -1))) % 11) % 10


# set whenever a validator reads today's date (to the date read), per thread: a result that depends
# on it is kept for that day only (auditor.classify.memo)
date_used = threading.local()


def today() -> _dt.date:
    """Today's date, read from the clock at most once a second (validators run per value)."""
    day = date_used.date = _today(int(time.time()))
    return day


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
    return _sg_shaped(s)


def _sg_shaped(s: str) -> str | None:
    """:func:`_sg` of a value of an NRIC's shape."""
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
    return _my_born(m.group(1))


def _my_born(ymd: str) -> str | None:
    yy, mm, dd = int(ymd[:2]), int(ymd[2:4]), int(ymd[4:6])
    this_year = today().year % 100
    year = (2000 if yy <= this_year else 1900) + yy
    return "my_nric" if _date_ok(year, mm, dd) else None


def _nik(s: str) -> str | None:
    if not _NIK.fullmatch(s) or s[:2] not in _NIK_PROVINCES:
        return None
    return _nik_digits(s)


def _nik_digits(s: str) -> str | None:
    """:func:`_nik` past its shape and province: ``s`` is sixteen digits of a known province."""
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
    if digits.isascii():  # python-stdnum's kr.rrn past the date (valid, as checked): place of birth, check digit
        ok = int(digits[7:9]) <= 96 and \
            (11 - sum(map(operator.mul, _RRN_WEIGHTS, map(int, digits[:12]))) % 11) % 10 == int(digits[12])
    else:
        from stdnum.kr import rrn

        ok = rrn.is_valid(digits)
    return "kr_rrn" if ok else "kr_rrn_nocheck"  # issued since 2020 without a check digit


_RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


_TWELVE_LIBS: list = []  # python-stdnum's in_.aadhaar and jp.in_, once imported (non-ASCII digits only)

# the Verhoeff scheme's tables (python-stdnum's ``verhoeff``, which the tests check this against):
# _VERHOEFF[c][i % 8][d] is the next check state after state c reads digit d at place i from the right
_D5 = ((0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5), (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
       (3, 4, 0, 1, 2, 8, 9, 5, 6, 7), (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
       (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3), (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
       (9, 8, 7, 6, 5, 4, 3, 2, 1, 0))
_PERM = ((0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4), (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
         (8, 9, 1, 6, 0, 4, 3, 5, 2, 7), (9, 4, 5, 3, 1, 2, 6, 8, 7, 0), (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
         (2, 7, 9, 3, 8, 0, 6, 4, 1, 5), (7, 0, 4, 6, 9, 1, 3, 2, 5, 8))
_VERHOEFF = tuple(tuple(tuple(_D5[c][_PERM[i][d]] for d in range(10)) for i in range(8)) for c in range(10))
_MY_NUMBER_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_ZERO = ord("0")
_MY_NUMBER_OFFSET = _ZERO * sum(_MY_NUMBER_WEIGHTS)  # what reading codes rather than digits adds to the weighted sum


def verhoeff_checksum(digits: str) -> int:
    """The Verhoeff checksum of ASCII ``digits`` (0 for a valid number): python-stdnum's
    ``verhoeff.checksum``, with its two table look-ups per digit folded into one."""
    check = 0
    for i, d in enumerate(digits.encode()[::-1]):
        check = _VERHOEFF[check][i & 7][d - _ZERO]
    return check


def _twelve(s: str) -> str | None:
    """Twelve digits: Aadhaar (Verhoeff), My Number (mod 11), MyKad (date, place), CCCD (province)."""
    if s.isascii():  # twelve ASCII digits: the libraries' checks without their cleaning and exceptions
        if s[0] not in "01" and s != s[::-1] and verhoeff_checksum(s) == 0:
            return "in_aadhaar"
        if (_MY_NUMBER_OFFSET - sum(map(operator.mul, _MY_NUMBER_WEIGHTS, s[:11].encode()))) % 11 % 10 \
                == ord(s[11]) - _ZERO:
            return "jp_my_number"  # python-stdnum's jp.in_ check digit, on the digits' codes
        tag = _my_born(s[:6]) if s[6:8] in _MY_PLACES and s[8:] != "0000" else None  # _my on twelve digits
    else:
        libs = _TWELVE_LIBS
        if not libs:  # imported on first use (python-stdnum's modules load slowly), then kept
            from stdnum.in_ import aadhaar
            from stdnum.jp import in_ as my_number

            libs[:] = (aadhaar, my_number)  # not extend: two first calls at once would leave four
        aadhaar, my_number = libs
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
    s = value.strip()
    if s.isdigit() and s.isascii():  # ASCII digits only (most candidates): only the all-digit forms can fit
        return _digits_id(s)
    s = s.upper()
    n = len(s)
    if n == 9:  # an NRIC's shape (letter, seven digits, letter) is no HKID's: only the other shapes try it
        return _sg_shaped(s) if _NRIC.fullmatch(s) else _hk(s)
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


def _digits_id(s: str) -> str | None:
    """:func:`validate_national_id` of a run of ASCII digits: by its length, the forms written
    in digits only (no letter, no separator): a Thai or a Korean id, twelve digits, a NIK, a
    Chinese resident id."""
    n = len(s)
    if n == 12:
        return _twelve(s)
    if n == 16:
        return _nik_digits(s) if s[:2] in _NIK_PROVINCES else None
    if n == 13:
        return _th(s) or ("kr_rrn" if _kr(s) == "kr_rrn" else None)
    if n == 18:
        return _cn(s)
    return None
