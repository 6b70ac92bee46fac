"""Value validators, one per personal-data type (national ids live in ``ids.py``).

Signature: ``validate(value: str, hinted: bool) -> str | None``. ``value`` is
stripped text; ``hinted`` says the field name or nearby text points at the type. The
return is a short tag (brand, algorithm, id kind, ...) when the value validates, else
``None``. Validators never raise and never log.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re
from collections.abc import Callable, Sequence
from functools import lru_cache

import phonenumbers

from auditor.classify.ids import UNKNOWN_TAGS, validate_national_id
from auditor.classify.tlds import TLDS

Validator = Callable[[str, bool], "str | None"]

# ---------------------------------------------------------------- email
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]{1,64}@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24}))")


def email(value: str, hinted: bool = False) -> str | None:
    if value.startswith("mailto:"):
        value = value[7:]
    m = _EMAIL.fullmatch(value)
    if not m or m.group(2).lower() not in TLDS or ".." in value:
        return None
    return "email"


# ---------------------------------------------------------------- payment cards
_CARD_SHAPE = re.compile(r"\d(?:[ -]?\d){12,18}")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """Brand by IIN range and length, or ``None`` when no scheme issues such a number."""
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
    if p2 == 62:
        return "unionpay" if 16 <= n <= 19 else None
    if 300 <= p3 <= 305 or p4 == 3095 or p2 in (36, 38, 39):
        return "diners" if 14 <= n <= 19 else None
    if p2 == 50 or 56 <= p2 <= 69:
        return "maestro" if 13 <= n <= 19 else None
    return None


def payment_card(value: str, hinted: bool = False) -> str | None:
    if not _CARD_SHAPE.fullmatch(value):
        return None
    digits = value.replace(" ", "").replace("-", "")
    brand = card_brand(digits)
    if brand is None or not luhn_ok(digits):
        return None
    return brand


_PARTIAL = re.compile(r"[0-9*Xx#•](?:[ -]?[0-9*Xx#•]){11,18}")
_PARTIAL_CUT = re.compile(r"(\d{4,8})\s?(?:\.{2,3}|…|\|)\s?(\d{4})")
_LAST4 = re.compile(r"[*Xx#•]{0,4}\d{4}")


def payment_card_partial(value: str, hinted: bool = False) -> str | None:
    """A masked or truncated PAN; a bare last four only in card context (``hinted``).

    The tag is ``form/visible digits`` (``masked/10`` for first six + last four)."""
    if hinted and _LAST4.fullmatch(value):
        return "last4/4"
    m = _PARTIAL_CUT.fullmatch(value)
    if m:
        return f"truncated/{len(m.group(1)) + 4}" if m.group(1)[0] in "2345678" else None
    if not _PARTIAL.fullmatch(value):
        return None
    chars = value.replace(" ", "").replace("-", "")
    masked = sum(1 for c in chars if not c.isdigit())
    if masked < 4 or not chars[-4:].isdigit():
        return None
    head = chars[: len(chars) - len(chars.lstrip("0123456789"))]
    if len(head) > 8 or chars[len(head):-4].strip("*Xx#•"):
        return None  # digits between the mask and the last four: not a masked PAN
    if head and head[0] not in "2345678":
        return None
    return f"masked/{len(head) + 4}"


# ---------------------------------------------------------------- phones
_PHONE_SHAPE = re.compile(r"\+?\(?\d[\d ().\-/]{5,22}\d")
_DATE_LIKE = re.compile(r"(?:19|20)\d\d[-/.](?:0?[1-9]|1[0-2])[-/.]\d\d?|\d\d?[-/.]\d\d?[-/.](?:19|20)\d\d|\d{1,3}(?:\.\d{1,3}){3}")
_PHONE_CC = ("852", "886", "65", "60", "62", "66", "63", "84", "86")


@lru_cache(maxsize=512)
def _national_pattern(region: str) -> tuple[re.Pattern[str], tuple[str, ...]] | None:
    """The region's national-number pattern and the prefixes a national number may carry
    (trunk prefix, country code), for a cheap check before parsing."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None or meta.general_desc is None or not meta.general_desc.national_number_pattern:
        return None
    prefixes = tuple(p for p in (meta.national_prefix or "", str(meta.country_code or "")) if p)
    return re.compile(meta.general_desc.national_number_pattern), prefixes


def _maybe_national(digits: str, region: str) -> bool:
    """False only when no reading of ``digits`` can be a number of ``region``."""
    known = _national_pattern(region)
    if known is None:
        return True
    pattern, prefixes = known
    if pattern.fullmatch(digits):
        return True
    return any(digits.startswith(p) and pattern.fullmatch(digits[len(p):]) for p in prefixes)


@lru_cache(maxsize=65536)
def _phone_parse(text: str, regions: tuple[str, ...]) -> str | None:
    digits = re.sub(r"\D", "", text)
    if not 7 <= len(digits) <= 15 or len(set(digits)) < 3:
        return None
    tries: list[tuple[str, str | None]] = []
    if text.startswith("+"):
        tries.append((text, None))
    elif text.startswith("00"):
        tries.append(("+" + digits[2:], None))
    else:
        # regions with a special prefix rule (CN carrier codes) are always parsed
        tries.extend((text, r) for r in regions if r == "CN" or _maybe_national(digits, r))
        if len(digits) >= 10 and digits.startswith(_PHONE_CC):
            tries.append(("+" + digits, None))
    for candidate, region in tries:
        try:
            num = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(num):
            region_code = phonenumbers.region_code_for_number(num) or "??"
            formatted = text.startswith(("+", "00", "(")) or not text.isdigit()
            mobile = phonenumbers.number_type(num) in (
                phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
            )
            strong = formatted or (mobile and len(digits) >= 10)
            return f"{region_code}:{'strong' if strong else 'weak'}"
    return None


def make_phone(regions: Sequence[str]) -> Validator:
    regions_t = tuple(r.upper() for r in regions)

    def phone(value: str, hinted: bool = False) -> str | None:
        if not _PHONE_SHAPE.fullmatch(value) or _DATE_LIKE.fullmatch(value):
            return None
        tag = _phone_parse(value, regions_t)
        if tag is None or (tag.endswith(":weak") and not hinted):
            return None
        return tag.split(":", 1)[0]

    return phone


# ---------------------------------------------------------------- password hashes
_HASH_FORMATS: tuple[tuple[re.Pattern[str], str, bool], ...] = (
    (re.compile(r"\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}"), "bcrypt", False),
    (re.compile(r"\$argon2(?:id|i|d)\$(?:v=\d+\$)?m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}"), "argon2", False),
    (re.compile(r"\$scrypt\$ln=\d+,r=\d+,p=\d+\$[A-Za-z0-9+/.]+={0,2}\$[A-Za-z0-9+/.]+={0,2}"), "scrypt", False),
    (re.compile(r"scrypt\$[A-Za-z0-9+/.]+\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+"), "scrypt", False),
    (re.compile(r"\$7\$[./A-Za-z0-9]{11,}\$[./A-Za-z0-9]{43}"), "scrypt", False),
    (re.compile(r"pbkdf2_sha(?:1|256|512)\$\d+\$[A-Za-z0-9./+]+\$[A-Za-z0-9+/]+={0,2}"), "pbkdf2", False),
    (re.compile(r"\$pbkdf2(?:-sha(?:1|256|512))?\$\d+\$[A-Za-z0-9./+]+\$[A-Za-z0-9./+]+"), "pbkdf2", False),
    (re.compile(r"\$[56]\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43,86}"), "sha-crypt", False),
    (re.compile(r"\$1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}"), "md5-crypt", True),
    (re.compile(r"(?:sha1|md5)\$[A-Za-z0-9]*\$[0-9a-f]{32,40}"), "django-salted-fast", True),
    (re.compile(r"unsalted_(?:md5|sha1)\$\$?[0-9a-f]{32,40}"), "unsalted", True),
)
_HEX = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")
_HEX_ALGO = {32: "md5", 40: "sha1", 64: "sha256"}


def password_hash(value: str, hinted: bool = False) -> str | None:
    """Tag ``algorithm`` or ``algorithm!weak``. Bare hex counts only with password context."""
    if value[:1] in "$psmu":
        for pattern, algo, weak in _HASH_FORMATS:
            if pattern.fullmatch(value):
                return f"{algo}!weak" if weak else algo
    if hinted and _HEX.fullmatch(value):
        if value.isdigit() or len(set(value.lower())) < 6:
            return None
        return f"{_HEX_ALGO[len(value)]}!weak"
    return None


# ---------------------------------------------------------------- ip addresses
_IP_SHAPE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]{2,39}(?:%\w+)?|[0-9A-Fa-f:]+:\d{1,3}(?:\.\d{1,3}){3}")


def ip_address(value: str, hinted: bool = False) -> str | None:
    if not _IP_SHAPE.fullmatch(value):
        return None
    if ":" in value and value.count(":") < 2:
        return None
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return None
    if ip.is_unspecified or (ip.version == 6 and sum(c.isalnum() for c in value) < 4):
        return None
    if ip.version == 4 and not hinted and value.startswith("0"):
        return None
    return f"ipv{ip.version}"


# ---------------------------------------------------------------- dates of birth
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y%m%d",
                 "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")
_DATE_SHAPE = re.compile(r"[0-9A-Za-z ,./:T+-]{6,32}")
_CJK_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")


def date_of_birth(value: str, hinted: bool = False) -> str | None:
    """A plausible birth date (not in the future, under 120 years ago); context-led."""
    if not hinted:
        return None
    born: _dt.date | None = None
    m = _CJK_DATE.fullmatch(value)
    if m:
        try:
            born = _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    elif _DATE_SHAPE.fullmatch(value):
        text = value[:19] if len(value) > 19 and value[10:11] in "T " else value
        for fmt in _DATE_FORMATS:
            try:
                born = _dt.datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
    if born is None:
        return None
    today = _dt.date.today()
    return "date" if today.year - 120 <= born.year and born <= today else None


# ---------------------------------------------------------------- names and addresses
_L = r"(?:[^\W\d_]|[\u0300-\u036f\u0e31\u0e34-\u0e3a\u0e47-\u0e4e])"
_NAME_CHARS = re.compile(_L + r"+(?:[ '.\-·]" + _L + r"+\.?){0,5}\.?")


def person_name(value: str, hinted: bool = False) -> str | None:
    """Letters only, one to six words: checked only where the field name says name."""
    if not hinted or not 2 <= len(value) <= 70:
        return None
    return "name" if _NAME_CHARS.fullmatch(value) else None


_STREET = re.compile(
    r"(?i)\b(?:road|rd|street|st|avenue|ave|drive|dr|lane|ln|boulevard|blvd|crescent|cres|close|way|place|"
    r"terrace|court|ct|highway|hwy|jalan|jln|lorong|lor|lebuh|persiaran|taman|tingkat|jl|gg|gang|kelurahan|"
    r"kecamatan|kabupaten|kota|desa|rt|rw|blk|block|soi|thanon|moo|tambon|amphoe|barangay|brgy|purok|"
    r"subdivision|phuong|quan|duong|pho|huyen|unit|apt|suite|floor|singapore)\b\.?"
    r"|路|街|道|号|弄|巷|室|省|市|区|县|镇|村|ถ\.|ต\.|อ\.|ถนน|ซอย|หมู่|ตำบล|อำเภอ|จังหวัด|แขวง|เขต|"
    r"Đường|Phường|Quận|Huyện|Tỉnh|Xã|Phố|Ấp|Thành phố"
)
_SG_UNIT = re.compile(r"#\d{1,3}-\d{1,5}|(?i:singapore)\s*\d{6}|\bS\(?\d{6}\)?")
_POSTCODE = re.compile(r"\d{4,6}(?:-\d{3,4})?")


def postal_address(value: str, hinted: bool = False) -> str | None:
    """Street words or Singapore block/unit/postal patterns plus a number; looser when hinted."""
    if not 8 <= len(value) <= 300:
        if hinted and _POSTCODE.fullmatch(value):
            return "postal_code"
        return None
    has_digit = any(c.isdigit() for c in value)
    if _SG_UNIT.search(value):
        return "sg"
    if has_digit and _STREET.search(value):
        return "street"
    if hinted and (has_digit or _STREET.search(value)) and sum(c.isalpha() for c in value) >= 4:
        return "loose"
    return None


def national_id(value: str, hinted: bool = False) -> str | None:
    tag = validate_national_id(value)
    if tag in UNKNOWN_TAGS and not hinted:
        return "?" + tag  # counted only with context; the caller decides
    return tag
