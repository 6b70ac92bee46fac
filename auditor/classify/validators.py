"""Value validators, one per personal-data type (national ids live in ``ids.py``).

Signature: ``validate(value: str, hinted: bool) -> str | None``. ``value`` is
stripped text; ``hinted`` says the field name or nearby text points at the type. The
return is a short tag (brand, algorithm, id kind, ...) when the value validates, else
``None``. Validators never raise and never log.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import operator
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import repeat

import phonenumbers
import re2

from auditor.classify.ids import UNKNOWN_TAGS, is_company_id, validate_national_id
from auditor.classify.ids import today as ids_today
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


_DOUBLED = {str(d): (2 * d if d < 5 else 2 * d - 9) for d in range(10)}


def luhn_ok(digits: str) -> bool:
    return (sum(map(int, digits[-1::-2])) + sum(map(_DOUBLED.__getitem__, digits[-2::-2]))) % 10 == 0


def card_brand(digits: str) -> str | None:
    """Brand by IIN range and length, or ``None`` when no scheme issues such a number."""
    n = len(digits)
    if digits[0] == "4":
        return "visa" if n in (13, 16, 19) else None
    if n >= 6:
        p6 = int(digits[:6])  # the prefixes below are its leading digits
        p2, p3, p4 = p6 // 10000, p6 // 1000, p6 // 100
    else:
        p2, p3, p4, p6 = int(digits[:2]), int(digits[:3]), int(digits[:4]), int(digits[:6])
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
        return "jcb" if n == 15 else None  # JCB's older 15-digit ranges
    if 8100 <= p4 <= 8171:
        return "unionpay" if 16 <= n <= 19 else None  # UnionPay's 81 range
    if p2 == 62:
        return "unionpay" if 16 <= n <= 19 else None
    if 300 <= p3 <= 305 or p4 == 3095 or p2 in (36, 38, 39):
        return "diners" if 14 <= n <= 19 else None
    if p2 == 50 or 56 <= p2 <= 69:
        return "maestro" if 13 <= n <= 19 else None
    return None


def payment_card(value: str, hinted: bool = False) -> str | None:
    if value.isdigit() and value.isascii():  # ASCII digits only: the shape is their count
        if not 13 <= len(value) <= 19:
            return None
        digits = value
    elif not _CARD_SHAPE.fullmatch(value):
        return None
    else:
        digits = value.replace(" ", "").replace("-", "")
        if not digits.isascii():
            return None  # digits of another script (``\d`` is Unicode): no card the text path extracts either
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


def phone_parse_reference(text: str, regions: tuple[str, ...]) -> str | None:
    """The naive reading: ``phonenumbers.parse`` for every candidate and region (no cache).

    Kept as the reference the fast path is tested against, and as the benchmark's baseline."""
    digits = re.sub(r"\D", "", text)
    if not 7 <= len(digits) <= 15 or len(set(digits)) < 3:
        return None
    tries: list[tuple[str, str | None]] = []
    if text.startswith("+"):
        tries.append((text, None))
    elif text.startswith("00"):
        tries.append(("+" + digits[2:], None))
    else:
        tries.extend((text, r) for r in regions)
        if len(digits) >= 10 and digits.startswith(_PHONE_CC):
            tries.append(("+" + digits, None))
    for candidate, region in tries:
        try:
            num = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(num):
            return _phone_tag(text, digits, phonenumbers.region_code_for_number(num) or "??",
                              phonenumbers.number_type(num) in _MOBILE_TYPES)
    return None


_MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _phone_tag(text: str, digits: str, region: str, mobile: bool) -> str:
    formatted = text.startswith(("+", "00", "(")) or not text.isdigit()
    strong = formatted or (mobile and len(digits) >= 10)
    return f"{region}:{'strong' if strong else 'weak'}"


class _Desc:
    """One number-type description of phonenumbers' metadata: pattern and lengths."""

    __slots__ = ("pattern", "lengths")

    def __init__(self, desc: object, general: _Desc | None) -> None:
        pattern = getattr(desc, "national_number_pattern", None)
        self.pattern = re.compile(pattern) if pattern else None
        lengths = tuple(getattr(desc, "possible_length", ()) or ())
        self.lengths: frozenset[int] = frozenset(lengths) if lengths else (general.lengths if general else frozenset())

    def matches(self, nn: str) -> bool:
        return self.pattern is not None and len(nn) in self.lengths and self.pattern.fullmatch(nn) is not None


class _PhoneRegion:
    """A region's validity and mobile patterns, compiled once from phonenumbers' own metadata."""

    def __init__(self, code: str) -> None:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(code)
        if meta is None:
            raise ValueError(f"no phone number metadata for region {code!r}")
        self.code = code
        self.cc = str(meta.country_code)
        self.general = _Desc(meta.general_desc, None)
        self.others = [_Desc(d, self.general) for d in (
            meta.premium_rate, meta.toll_free, meta.shared_cost, meta.voip, meta.personal_number, meta.pager,
            meta.uan, meta.voicemail) if d is not None]
        # the special types of each length as one pattern: one call instead of one per type
        by_len: dict[int, list[str]] = {}
        for d in self.others:
            if d.pattern is not None:
                for n in d.lengths:
                    by_len.setdefault(n, []).append(d.pattern.pattern)
        self.others_by_len = {n: re.compile("|".join(f"(?:{p})" for p in ps)) for n, ps in by_len.items()}
        self.fixed = _Desc(meta.fixed_line, self.general) if meta.fixed_line is not None else None
        self.mobile = _Desc(meta.mobile, self.general) if meta.mobile is not None else None
        self.trunk = meta.national_prefix or ""
        npfp = meta.national_prefix_for_parsing
        self.prefix = re.compile(npfp) if npfp else None
        self.transform = meta.national_prefix_transform_rule
        self.max_length = max(self.general.lengths) if self.general.lengths else 17
        general = getattr(meta.general_desc, "national_number_pattern", None)
        # every reading national() tries, as one pattern: a cheap "no" for most digit runs
        self.any = re.compile(f"(?:{self.cc})?(?:{npfp})?(?:{general})" if npfp else f"(?:{self.cc})?(?:{general})") \
            if general else None

    def _viable(self, nn: str) -> bool:
        return self.general.pattern is not None and self.general.pattern.fullmatch(nn) is not None

    def strip_prefix(self, digits: str) -> str:
        """phonenumbers' national-prefix (and carrier-code) stripping: strip unless the
        number was viable before and is not after."""
        m = self.prefix.match(digits) if self.prefix is not None else None
        if not m:
            return digits
        rest = digits[m.end():]
        if self._viable(digits) and not self._viable(rest):
            return digits
        return rest

    def national(self, digits: str) -> str | None:
        """The kind of ``digits`` read as a number written in this region without ``+``."""
        if self.any is not None and self.any.fullmatch(digits) is None:
            return None  # no reading (country code, prefix, number) fits the region's numbers
        nn = digits
        if digits.startswith(self.cc):
            rest = self.strip_prefix(digits[len(self.cc):])
            if (not self._viable(digits) and self._viable(rest)) or len(digits) > self.max_length:
                nn = rest
                return self.kind(nn)
        return self.kind(self.strip_prefix(nn))

    def kind(self, nn: str) -> str | None:
        """``"mobile"``/``"other"`` when ``nn`` is a valid national number here, else ``None``
        (phonenumbers' ``number_type`` order: special types first, then fixed line / mobile)."""
        if not self.general.matches(nn):
            return None
        special = self.others_by_len.get(len(nn))
        if special is not None and special.fullmatch(nn) is not None:
            return "other"
        fixed = self.fixed is not None and self.fixed.matches(nn)
        if self.mobile is not None and self.mobile.matches(nn):
            return "mobile"
        return "other" if fixed else None


@lru_cache(maxsize=64)
def _phone_region(code: str) -> _PhoneRegion:
    return _PhoneRegion(code)


@lru_cache(maxsize=65536)
def _phone_parse(text: str, regions: tuple[str, ...]) -> str | None:
    """Fast path of :func:`phone_parse_reference`: the same answers from compiled metadata
    patterns, ``phonenumbers.parse`` only for what they cannot settle."""
    digits = _NON_DIGIT.sub("", text)
    if not 7 <= len(digits) <= 15 or len(set(digits)) < 3:
        return None
    if text.startswith(("+", "00")):
        intl = digits[2:] if text.startswith("00") else digits
        for code in _regions_by_cc(regions):
            region = _phone_region(code)
            if intl.startswith(region.cc):
                kind = region.kind(region.strip_prefix(intl[len(region.cc):]))
                return _phone_tag(text, digits, code, kind == "mobile") if kind else None
        return phone_parse_reference(text, regions)  # a country outside the configured regions
    quick = _any_region(regions)
    readers = _region_set(regions) if digits.isascii() else None
    if readers is not None:
        # the regions that can read the digits at all, in one pass of RE2 (a region outside
        # them would answer None on ``national``'s first test)
        found = readers.Match(digits.encode())
        tried: Sequence[str] = [regions[i] for i in sorted(found)] if found else ()
    elif quick is None:
        tried = regions
    else:
        first = quick.fullmatch(digits)
        # the first region that can read the digits: those before it cannot
        tried = regions[int(first.lastgroup[1:]) if first.lastgroup else 0:] if first is not None else ()
    if tried:
        for code in tried:
            region = _phone_region(code)
            if region.transform:
                return phone_parse_reference(text, regions)  # a rule the compiled patterns do not model
            kind = region.national(digits)
            if kind is not None:
                return _phone_tag(text, digits, code, kind == "mobile")
    if len(digits) >= 10 and digits.startswith(_PHONE_CC):
        for code in _regions_by_cc(regions):
            region = _phone_region(code)
            if digits.startswith(region.cc):
                kind = region.kind(region.strip_prefix(digits[len(region.cc):]))
                if kind:
                    return _phone_tag(text, digits, code, kind == "mobile")
    return None


_NON_DIGIT = re.compile(r"\D")


@lru_cache(maxsize=64)
def _any_region(regions: tuple[str, ...]) -> re.Pattern[str] | None:
    """Every region's every reading (see ``_PhoneRegion.any``) as one pattern: one call says
    "no region" for most digit runs. ``None`` when a region has no such pattern or has a
    transform rule (then each region is asked in turn)."""
    parts: list[str] = []
    for code in regions:
        region = _phone_region(code)
        if region.any is None or region.transform:
            return None
        parts.append(f"(?P<r{len(parts)}>{region.any.pattern})")  # named: which region read it first
    return re.compile("|".join(parts))


@lru_cache(maxsize=64)
def _region_set(regions: tuple[str, ...]) -> re2.Set | None:
    """Every region's every reading (``_PhoneRegion.any``) in one RE2 set anchored at both
    ends: which regions can read a run of ASCII digits, in one pass. ``None`` where
    ``_any_region`` is (or RE2 cannot read a pattern: the regions are then asked in turn)."""
    if _any_region(regions) is None:
        return None
    readers = re2.Set.FullMatchSet(re2.Options())
    try:
        for code in regions:
            readers.Add(_phone_region(code).any.pattern.encode())  # type: ignore[union-attr]
        readers.Compile()
    except Exception:  # noqa: BLE001 - a pattern RE2 does not read: the Python patterns answer
        return None
    return readers


@lru_cache(maxsize=64)
def _regions_by_cc(regions: tuple[str, ...]) -> tuple[str, ...]:
    """Regions with their country codes longest first (852 before 8x)."""
    return tuple(sorted(regions, key=lambda r: -len(_phone_region(r).cc)))


def phone_reading(value: str, regions: tuple[str, ...]) -> str | None:
    """``REGION:strong``, ``REGION:weak`` (valid, but a bare local form that needs context) or ``None``."""
    if not _PHONE_SHAPE.fullmatch(value) or _DATE_LIKE.fullmatch(value):
        return None
    return _phone_parse(value, regions)


def make_phone(regions: Sequence[str]) -> Validator:
    regions_t = tuple(r.upper() for r in regions)

    def phone(value: str, hinted: bool = False) -> str | None:
        tag = phone_reading(value, regions_t)
        if tag is None or (tag.endswith(":weak") and not hinted):
            return None
        return tag.split(":", 1)[0]

    phone.regions = regions_t  # type: ignore[attr-defined]
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


# a dotted quad as ``ipaddress`` accepts it (0-255, no leading zeros): decided without it
_IPV4_SHAPE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_IPV4 = re.compile(r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)")


def ip_address(value: str, hinted: bool = False) -> str | None:
    if _IPV4_SHAPE.fullmatch(value):
        if not _IPV4.fullmatch(value) or value == "0.0.0.0" or (not hinted and value.startswith("0")):
            return None
        return "ipv4"
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
    today = ids_today()
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
    if _SG_UNIT.search(value):
        return "sg"
    has_digit = any(map(str.isdigit, value))
    if has_digit and _STREET.search(value):
        return "street"
    if hinted and (has_digit or _STREET.search(value)) and sum(map(str.isalpha, value)) >= 4:
        return "loose"
    return None


def national_id(value: str, hinted: bool = False) -> str | None:
    tag = validate_national_id(value)
    if tag is None:
        return None
    if not (value[-1:].isdigit() and value.isascii()) and is_company_id(value):
        return None  # a Singapore UEN is a company's number, not a person's (it ends in a letter)
    if tag in UNKNOWN_TAGS and not hinted:
        return "?" + tag  # counted only with context; the caller decides
    return tag


# ---------------------------------------------------------------- free-text patterns (re2 syntax)
# Addresses in prose: a form a country writes addresses in, never a street word alone.
TEXT_ADDRESSES: dict[str, str] = {
    "sg": r"(?i:singapore)\s*\(?\d{6}\)?|#\d{1,3}-\d{1,5}",
    # 12 Jalan Ampang, 50450 Kuala Lumpur / No. 5, Lorong Maarof, Bangsar 59000
    "my": r"(?i:\b(?:no\.?\s*)?\d{1,5}[A-Za-z]?,?\s+(?:jalan|jln|lorong|lrg|persiaran|lebuh|lebuhraya|taman|tmn)\s"
          r"[^\n]*?\b\d{5}\b)",
    # Jl. Sudirman No. 5, RT 01/RW 02, Jakarta 10220
    "id": r"(?i:\b(?:jl|jln|jalan|gg|gang)\.?\s+[^\n]*?(?:\bno\.?\s*\d+|\brt\.?\s?\d{1,3}\s?/\s?rw\.?\s?\d{1,3})"
          r"[^\n]*?\b\d{5}\b)",
    # 99/1 ซอยสุขุมวิท 21 ถนนสุขุมวิท แขวงคลองเตยเหนือ เขตวัฒนา กรุงเทพฯ 10110 / 12 Soi Sukhumvit 21, Bangkok 10110
    "th": r"(?:ซอย|ซ\.|ถนน|ถ\.|หมู่|ม\.|ตำบล|ต\.|แขวง)[^\n]*?\d{5}"
          r"|(?i:\b\d{1,4}(?:/\d{1,4})?,?\s+(?:soi|thanon|moo)\b[^\n]*?\b\d{5}\b)",
    # 12 Nguyễn Huệ, Phường Bến Nghé, Quận 1 / 45 Đường Lê Lợi, P. 3, Q. 5
    "vn": r"\b\d{1,4}[A-Za-z]?(?:/\d{1,4})*,?\s+(?:(?:Đường|đường|Phố|phố|Ngõ|ngõ|Hẻm|hẻm)\s)?[^\n,]+,\s*"
          r"(?:Phường|phường|P\.|Xã|xã|Thị trấn)\s?[^\n,]+,\s*(?:Quận|quận|Q\.|Huyện|huyện|Thành phố|TP\.?)",
    # 123 Rizal St., Brgy. San Antonio, Makati City 1200
    "ph": r"(?i:\b(?:barangay|brgy\.?|purok|sitio|subd\.?|subdivision)\s[^\n,]*,[^\n]*?\b\d{4}(?:$|[^\d\-/:]))",
    # 上海市浦东新区世纪大道100号 / 北京市朝阳区建国路88号
    "cn": r"\p{Han}{1,8}(?:省|市|自治区)\p{Han}{0,10}(?:市|区|县)\p{Han}{1,20}?(?:路|街|道|巷|弄|大道)\d{1,5}号",
}
TEXT_ADDRESS = "|".join(f"(?:{p})" for p in TEXT_ADDRESSES.values())

# Names in prose need context: a salutation, a label, or an e-mail address right after.
# a capitalised word of Latin script (Vietnamese and Malay names included); \p{Lu} would
# build a far larger automaton for scripts that have no capitals anyway
_CAP = r"[A-ZÀ-ÞĀ-ſḀ-ỿ][a-zß-ÿĀ-ſḀ-ỿ'’-]+"
NAME_CONTEXT = (r"(?i:\b(?:dear|mr|mrs|ms|mdm|madam|miss|dr|encik|puan|bapak|ibu|khun|attn|recipient|customer name"
                r"|full name|name)\b)|<[^<>@\s]+@")
TEXT_NAME = (
    r"(?:\b(?:Dear|Mr|Mrs|Ms|Mdm|Madam|Miss|Dr|Encik|Puan|Bapak|Ibu|Khun)\.?\s+|"
    r"\b(?i:name|full name|customer name|recipient|attn)\s*[:=]\s*)(" + _CAP + r"(?:[ -]" + _CAP + r"){0,3})"
    r"|(" + _CAP + r"(?: " + _CAP + r"){1,3})\s*<[^<>@\s]+@[^<>@\s]+>"
)


# ---------------------------------------------------------------- batches
# A batch validator answers for a block of values what its validator answers value by value:
# ``batch(values, hinted) == [validate(x, hinted) for x in values]``, always. A block all of its
# type's shape (the usual e-mail or phone column) is answered in a few C-level passes over the
# block, without a Python call per value. Only types whose check is a pattern and a look-up have
# one: elsewhere a gate before the validator would match each accepted value twice (measured:
# CSV columns of cards, names and addresses slower), and a column of none of a type's shape is
# answered by the line gates below without any call.

BatchValidator = Callable[[list[str], bool], "list[str | None]"]

_TLD_OF = operator.methodcaller("group", 2)
_MAILTO = operator.methodcaller("startswith", "mailto:")


def email_batch(values: list[str], hinted: bool = False) -> list[str | None]:
    """:func:`email` over a block; a block of well-formed addresses (the usual e-mail column) in C."""
    if any(map(_MAILTO, values)):
        return [email(x, hinted) for x in values]
    found = list(map(_EMAIL.fullmatch, values))
    misses = found.count(None)
    if misses == len(found):
        return [None] * len(found)
    if not misses and all(map(TLDS.__contains__, map(str.lower, map(_TLD_OF, found)))) \
            and not any(map(operator.contains, values, repeat(".."))):
        return ["email"] * len(found)
    return [None if m is None else email(x, hinted) for x, m in zip(values, found)]


def make_phone_batch(regions: Sequence[str]) -> BatchValidator:
    """The batch of ``make_phone(regions)``: a block of phone-shaped values (the usual phone
    column) read by one C-level pass over the cached readings."""
    regions_t = tuple(r.upper() for r in regions)

    def batch(values: list[str], hinted: bool) -> list[str | None]:
        shaped = list(map(_PHONE_SHAPE.fullmatch, values))
        misses = shaped.count(None)
        if misses == len(shaped):
            return [None] * len(shaped)
        if misses:  # phone_reading's tests, value by value
            return [None if s is None or _DATE_LIKE.fullmatch(x) else _phone_out(_phone_parse(x, regions_t), hinted)
                    for x, s in zip(values, shaped)]
        dated = list(map(_DATE_LIKE.fullmatch, values))
        if dated.count(None) != len(dated):
            return [None if d is not None else _phone_out(_phone_parse(x, regions_t), hinted)
                    for x, d in zip(values, dated)]
        readings = list(map(_phone_parse, values, repeat(regions_t)))  # lru_cache: in C when cached
        out = {r: _phone_out(r, hinted) for r in set(readings)}  # a few distinct readings
        return list(map(out.__getitem__, readings))

    return batch


def _phone_out(tag: str | None, hinted: bool) -> str | None:
    """What ``make_phone``'s validator answers for ``phone_reading``'s ``tag``."""
    if tag is None or (tag.endswith(":weak") and not hinted):
        return None
    return tag.split(":", 1)[0]


BATCHES: dict[Validator, BatchValidator] = {email: email_batch}  # phones: make_phone_batch, per regions


# Line gates: RE2 patterns (re2 syntax, UTF-8) each of whose validators' accepted values has the
# shape of, written looser than the Python patterns they stand for (\d as an ASCII digit or any
# non-ASCII character, as RE2's \d is ASCII only): run as ``(?m)^(?:gate)$`` over a column's
# (stripped) values joined by newlines, a gate no line matches says no value of the column is of
# the type, in one pass of RE2 for all the types together. Only partial card numbers accept a
# value holding a newline (``1234\n...5678``): their gate reads newlines. A gate must be a necessary
# condition of its validators: change one, check the other (tests/unit/classify/test_columns_batched.py).
_N = r"[0-9\x{80}-\x{10FFFF}]"  # \d (any Unicode decimal digit), loosely
_WS = r"\t\x0b\x0c\r\x1c-\x1f "  # str.strip's and \s's ASCII whitespace but the newline
LINE_GATES: dict[str, str] = {
    "email": r"(?:mailto:)?[A-Za-z0-9._%+'-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]+",
    "payment_card": r"[0-9 \-\x{80}-\x{10FFFF}]{13,}",
    "payment_card_partial": rf"[0-9*Xx#.|\-\n{_WS}\x{{80}}-\x{{10FFFF}}]{{4,}}",
    "ip_address": rf"{_N}{{1,3}}(?:\.{_N}{{1,3}}){{3}}|[0-9A-Fa-f:]{{2,39}}(?:%[0-9A-Za-z_\x{{80}}-\x{{10FFFF}}]+)?"
                  rf"|[0-9A-Fa-f:]+:{_N}{{1,3}}(?:\.{_N}{{1,3}}){{3}}",
    "person_name": r"[A-Za-z\x{80}-\x{10FFFF}][A-Za-z '.\-\x{80}-\x{10FFFF}]*",
    "national_id": rf"[0-9A-Za-z(){_WS}\-\x{{80}}-\x{{10FFFF}}]+",
    "phone": rf"\+?\(?{_N}[0-9 ().\-/\x{{80}}-\x{{10FFFF}}]{{5,}}{_N}",
}
# the validator each gate stands for (a phone validator, built per regions, is named by its maker's caller)
GATED: dict[Validator, str] = {email: "email", payment_card: "payment_card",
                               payment_card_partial: "payment_card_partial", ip_address: "ip_address",
                               person_name: "person_name", national_id: "national_id"}
