"""National identity numbers: Singapore NRIC/FIN, China resident id, Thai id,
Malaysian MyKad, Indonesian NIK.

Each validator takes a stripped string and returns a tag naming the id kind, or
``None``. ``"sg_m_unknown"`` marks an M-series FIN whose check letter does not match
the published algorithm: the shape is right but the checksum cannot be confirmed.
Tags in :data:`WEAK_TAGS` are ids whose check is too weak (no checksum, or one in
ten random numbers pass) to count without context.
"""

from __future__ import annotations

import datetime as _dt
import re

__all__ = ["validate_national_id", "WEAK_TAGS", "UNKNOWN_TAGS", "nric_check_letter", "cn_check_char", "thai_check_digit"]

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

WEAK_TAGS = frozenset({"th_id", "my_nric", "id_nik"})
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
    return (11 - sum(int(d) * (13 - i) for i, d in enumerate(first12)) % 11) % 10


def _date_ok(year: int, month: int, day: int, *, max_age: int = 130) -> bool:
    try:
        born = _dt.date(year, month, day)
    except ValueError:
        return False
    today = _dt.date.today()
    return today.year - max_age <= born.year and born <= today


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
    this_year = _dt.date.today().year % 100
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


def validate_national_id(value: str) -> str | None:
    """Tag of the national id ``value`` is, or ``None``. Separators (space, dash) allowed."""
    s = value.strip().upper()
    n = len(s)
    if n == 9:
        return _sg(s)
    if n == 18:
        return _cn(s)
    if n == 14 and s[6] == "-" and s[9] == "-":
        return _my(s)
    if n == 17 and s.count("-") == 4:  # Thai printed form 1-2345-67890-12-3
        s = s.replace("-", "")
        n = 13
    if not s.isdigit():
        return None
    if n == 13:
        return _th(s)
    if n == 12:
        return _my(s)
    if n == 16:
        return _nik(s)
    return None
