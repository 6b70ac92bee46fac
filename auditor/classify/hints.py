"""Name and context hints: what a column name or JSON key path says about its values.

A field ``customer.shippingAddress`` is split into tokens of its last two path parts
(``customer_shipping_address``) and matched against per-type token patterns. A hint
never decides a type on its own: values must agree (see ``columns.py``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from auditor.classify.types import BUILTIN

__all__ = ["field_hints", "field_vetoes", "text_context_types", "normalise_name"]

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^0-9A-Za-z\u0080-\uffff]+")


def normalise_name(name: str) -> str:
    """``items[].cardNumber`` -> ``items_card_number`` (last two path parts)."""
    parts = [p for p in re.split(r"[./\[\]]+", str(name)) if p][-2:]
    words: list[str] = []
    for part in parts:
        words.extend(w.lower() for w in _SPLIT.split(_CAMEL.sub("_", part)) if w)
    return "_".join(words)


_HINTS: dict[str, re.Pattern[str]] = {t.name: re.compile(t.hints) for t in BUILTIN if t.hints}
# words that turn a hint off: ``product_name`` is no person, ``email_address`` no street
_NOT: dict[str, re.Pattern[str]] = {t.name: re.compile(t.not_hints) for t in BUILTIN if t.not_hints}
# words that rule a type out whatever the values look like: ``app_version`` holds no IP addresses
_VETO: dict[str, re.Pattern[str]] = {t.name: re.compile(t.veto) for t in BUILTIN if t.veto}


@lru_cache(maxsize=8192)
def field_vetoes(name: str) -> frozenset[str]:
    """The types a field's name rules out (negative evidence: ``version``, ``sku``, ``order_id``)."""
    norm = normalise_name(name)
    if not norm:
        return frozenset()
    return frozenset(t for t, p in _VETO.items() if p.search(norm))


@lru_cache(maxsize=8192)
def field_hints(name: str) -> frozenset[str]:
    """The personal-data types a field's name points at."""
    norm = normalise_name(name)
    if not norm:
        return frozenset()
    leaf = normalise_name(re.split(r"[./\[\]]+", str(name).rstrip("[]./"))[-1]) if name else norm
    found = set()
    for type_, pattern in _HINTS.items():
        scope = norm if type_ == "person_name" else leaf  # ``product.name`` is no person
        if pattern.search(norm) and not (type_ in _NOT and _NOT[type_].search(scope)):
            found.add(type_)
    if "payment_card_partial" in found:
        found.discard("payment_card")
    if "email" in found:
        found.discard("postal_address")
    if "ip_address" in found:
        found.discard("postal_address")
    return frozenset(found)


_TEXT_CONTEXT = {t.name: re.compile(t.text_context) for t in BUILTIN if t.text_context}


def text_context_types(before: str) -> frozenset[str]:
    """Types the text just before a match points at (``DOB: ``, ``password=``)."""
    return frozenset(t for t, p in _TEXT_CONTEXT.items() if p.search(before))
