"""Masking helpers: the only form in which a found value may leave the classifier.

Every helper is total (never raises) and never returns more than allowed:

- PAN: at most the first six and the last four digits (``411111******1111``);
- email: first character of the local part and of the domain, and the top-level
  domain (``j***@e***.com``);
- phone: the last three digits; national id: the last four characters;
- anything else: a short prefix at most, lengths hidden.
"""

from __future__ import annotations

import re

__all__ = [
    "mask_email",
    "mask_pan",
    "mask_phone",
    "mask_id",
    "mask_name",
    "mask_address",
    "mask_date",
    "mask_ip",
    "mask_hash",
    "mask_value",
    "mask_generic",
]

_MASK_CHARS = frozenset("*Xx#•")


def mask_email(raw: str) -> str:
    text = str(raw).strip()
    local, sep, domain = text.rpartition("@")
    if not sep or not local or not domain:
        return "***"
    tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
    if not tld.isalpha() or len(tld) > 24:
        tld = "***"
    return f"{local[0]}***@{domain[0]}***.{tld}"


def mask_pan(raw: str) -> str:
    """At most first six + last four digits; fewer for short numbers.

    Mask characters already present (``*``, ``X``, ``#``) stay masked: the output is
    built from digit positions, never from the input's layout.
    """
    chars = [c for c in str(raw) if c.isdigit() or c in _MASK_CHARS]
    n = len(chars)
    if n == 0:
        return "****"
    if n >= 13:
        head, tail = 6, 4
    elif n >= 8:
        head, tail = 0, 4
    else:
        head, tail = 0, min(2, n // 2)
    out = []
    for i, c in enumerate(chars):
        visible = (i < head or i >= n - tail) and c.isdigit()
        out.append(c if visible else "*")
    return "".join(out)


def mask_phone(raw: str) -> str:
    digits = [c for c in str(raw) if c.isdigit()]
    if len(digits) < 7:
        return "*" * max(len(digits), 4)
    return "*" * (len(digits) - 3) + "".join(digits[-3:])


def mask_id(raw: str) -> str:
    chars = [c for c in str(raw) if c.isalnum()]
    n = len(chars)
    if n < 8:
        return "*" * max(n, 4)
    return "*" * (n - 4) + "".join(chars[-4:])


def mask_name(raw: str) -> str:
    parts = [p for p in re.split(r"\s+", str(raw).strip()) if p]
    if not parts:
        return "***"
    return " ".join(f"{p[0]}***" for p in parts[:4])


def mask_address(raw: str) -> str:
    text = str(raw).strip()
    if not text:
        return "***"
    first = text[0] if not text[0].isdigit() else "*"
    return f"{first}*** (address, {len(text.split())} words)"


def mask_date(raw: str) -> str:
    years = re.findall(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)", str(raw))
    if years:
        return f"{years[0][:3]}*-**-**"
    return "****-**-**"


def mask_ip(raw: str) -> str:
    text = str(raw).strip()
    if "." in text and ":" not in text:
        parts = text.split(".")
        if len(parts) == 4:
            return f"{parts[0]}.{parts[1]}.*.*"
        return "*.*.*.*"
    groups = text.split(":")
    return f"{groups[0]}:****:…" if groups and groups[0] else "****:…"


_HASH_PREFIX = re.compile(r"^(\$[A-Za-z0-9-]+\$|[a-z0-9_]+\$)")


def mask_hash(raw: str) -> str:
    """Only the algorithm marker is kept (``$2b$***``, ``pbkdf2_sha256$***``, ``<hex32>``)."""
    text = str(raw).strip()
    m = _HASH_PREFIX.match(text)
    if m and len(m.group(1)) <= 24:
        return m.group(1) + "***"
    if re.fullmatch(r"[0-9a-fA-F]+", text):
        return f"<hex{len(text)}>"
    return "***"


def mask_generic(raw: str) -> str:
    """Anything else (user-defined detectors without a category): the last two characters at most."""
    chars = [c for c in str(raw) if c.isalnum()]
    if len(chars) < 8:
        return "*" * max(len(chars), 4)
    return "*" * (len(chars) - 2) + "".join(chars[-2:])


def mask_value(type_: str, raw: object) -> str:
    """Mask one value of a personal-data type (each type's record names its mask, see
    ``types.py``); unknown types are fully hidden."""
    from auditor.classify.types import BY_NAME  # the records import these helpers

    spec = BY_NAME.get(type_)
    if spec is None:
        return "***"
    try:
        return spec.mask("" if raw is None else str(raw))
    except Exception:  # noqa: BLE001 - a mask never raises
        return "***"
