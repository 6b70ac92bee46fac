"""Mask personal values that hide inside names and messages.

A column, key path, object key or prefix is normally a name, but audited stores put values
there too: a headerless CSV's first row, JSON keyed by e-mail address, `users/ana@x.com/`
prefixes, an NRIC in a file name. Whatever the auditor keeps (dataset names, columns,
``where``, notes, errors) goes through :func:`scrub_text` first: validated e-mails, card
numbers, national ids and international phone numbers are masked; everything else stays
as it was, so the same name always scrubs to the same text (finding ids stay stable).
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote, unquote

from auditor.classify import masking
from auditor.classify import validators as v

# a local part is tried only from the start of a run of its characters (where the leftmost match
# starts anyway): tried from every character, a long run without an '@' took quadratic time
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_DIGITS = re.compile(r"(?<![\w])\d(?:[ \-]?\d){12,18}(?![\w])")
_ID = re.compile(r"(?<![A-Za-z0-9])(?:[STFGMstfgm]\d{7}[A-Za-z]|\d{17}[\dXx]|\d{6}-?\d{2}-?\d{4}|\d{13}|\d{16})(?![A-Za-z0-9])")
_PHONE = re.compile(r"\+\d[\d \-().]{7,18}\d")


def _email(m: re.Match[str]) -> str:
    """The longest valid address at the start of the match (``ana@x.com.phone``: a key path)."""
    local, _, domain = m.group().partition("@")
    labels = domain.split(".")
    for end in range(len(labels), 1, -1):
        candidate = f"{local}@{'.'.join(labels[:end])}"
        if v.email(candidate):
            rest = ".".join(labels[end:])
            return masking.mask_email(candidate) + (f".{rest}" if rest else "")
    return m.group()


def _card(m: re.Match[str]) -> str:
    return masking.mask_pan(m.group()) if v.payment_card(m.group()) else m.group()


def _national_id(m: re.Match[str]) -> str:
    return masking.mask_id(m.group()) if v.national_id(m.group()) else m.group()


_PHONE_CHECK = v.make_phone(("SG", "MY", "ID", "TH", "PH", "VN", "CN", "HK", "TW"))


def _phone(m: re.Match[str]) -> str:
    return masking.mask_phone(m.group()) if _PHONE_CHECK(m.group(), False) else m.group()


# a run of a name as percent-encoded in a URI (a SQL dataset's ``.../public.jane.doe%40example.com``,
# ``%2B6591234567``): up to a '/', a space or a '%' that starts no escape (one pass: no backtracking)
_ENCODED = re.compile(r"(?:[^\s/%]|%[0-9A-Fa-f]{2})+")


def _encoded(m: re.Match[str]) -> str:
    """An encoded run is read decoded: where that holds a value, the masked text replaces the run
    (its masks and '@' kept as they are, the rest encoded again); otherwise the run stays as it was."""
    if "%" not in m.group():
        return m.group()
    plain = unquote(m.group())
    masked = _plain(plain)
    return m.group() if masked == plain else quote(masked, safe="*@+?=&")


def _plain(text: str) -> str:
    text = _EMAIL.sub(_email, text)
    text = _DIGITS.sub(_card, text)
    text = _ID.sub(_national_id, text)
    return _PHONE.sub(_phone, text)


@lru_cache(maxsize=65536)
def scrub_text(text: str) -> str:
    if not text or not any(c.isdigit() or c == "@" for c in text):
        return text
    if "%" in text:
        text = _ENCODED.sub(_encoded, text)
    return _plain(text)
