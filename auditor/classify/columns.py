"""Column decision: one field's sampled values in, the types it holds out.

A type is assigned to a field when

- at least ``threshold`` of its non-empty sampled values validate, or
- the field name is a strong hint for the type and at least ``hinted_threshold``
  of the values validate, or
- the field is mixed (validated values of all types together reach ``threshold``)
  and the type holds at least ``mixed_share`` of the values.

Each value counts for one type at most: hinted types first, then the most specific
validator (checksums before formats before context-led checks).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections import Counter
from decimal import Decimal
from typing import Any

from auditor.classify import validators as v
from auditor.classify.hints import field_hints
from auditor.classify.options import ClassifyOptions
from auditor.classify.prefilter import present_types
from auditor.classify.results import Hit, confidence

PRIORITY: tuple[str, ...] = (
    "payment_card",
    "national_id",
    "password_hash",
    "email",
    "ip_address",
    "payment_card_partial",
    "phone",
    "date_of_birth",
    "postal_address",
    "person_name",
)
CONTEXT_LED = frozenset({"person_name", "date_of_birth"})
_RAW_HASH_LENGTHS = {16, 20, 32}

_phone_cache: dict[tuple[str, ...], v.Validator] = {}


def validators_for(options: ClassifyOptions) -> dict[str, v.Validator]:
    phone = _phone_cache.get(options.phone_regions)
    if phone is None:
        phone = _phone_cache.setdefault(options.phone_regions, v.make_phone(options.phone_regions))
    return {
        "email": v.email,
        "payment_card": v.payment_card,
        "payment_card_partial": v.payment_card_partial,
        "national_id": v.national_id,
        "phone": phone,
        "password_hash": v.password_hash,
        "ip_address": v.ip_address,
        "date_of_birth": v.date_of_birth,
        "person_name": v.person_name,
        "postal_address": v.postal_address,
    }


def to_text(value: Any, hash_context: bool) -> str:
    """A sampled value as stripped text; ``""`` for values that cannot hold personal data."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) >= 1e6 else ""
    if isinstance(value, Decimal):
        return str(value) if value == value.to_integral_value() else ""
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        if hash_context and len(raw) in _RAW_HASH_LENGTHS:
            return raw.hex()
        try:
            return raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            return ""
    if isinstance(value, dict | list | tuple):
        try:
            return json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            return ""
    return str(value).strip()


def is_prose(texts: list[str]) -> bool:
    """Free text in a field (comments, messages): scanned like text as well."""
    if not texts:
        return False
    sample = texts[:200]
    long_ = sum(1 for t in sample if len(t) >= 30 and t.count(" ") >= 3)
    return long_ * 2 >= len(sample)


def decide_field(name: str, values: list[Any], options: ClassifyOptions) -> tuple[list[Hit], list[str]]:
    """Hits for one field, and its non-empty texts (for the free-text pass)."""
    hints = field_hints(name) & set(options.types)
    texts: list[str] = []
    for value in values:
        text = to_text(value, "password_hash" in hints)
        if text:
            texts.append(text)
            if len(texts) >= options.max_values_per_field:
                break
    if not texts:
        return [], texts
    present = present_types("\n".join(texts).encode("utf-8", "replace"))
    enabled = set(options.types)
    candidates = [
        t for t in PRIORITY
        if t in enabled and (t in hints or (t in present and t not in CONTEXT_LED))
    ]
    if "payment_card_partial" in hints and "payment_card" in enabled:
        candidates = ["payment_card"] + [t for t in candidates if t != "payment_card"]
    order = [t for t in candidates if t in hints] + [t for t in candidates if t not in hints]
    if not order:
        return [], texts
    validators = validators_for(options)
    counts: Counter = Counter()
    unknown_ids = 0
    tags: dict[str, Counter] = {t: Counter() for t in order}
    examples: dict[str, list[str]] = {t: [] for t in order}
    active = list(order)
    examined = {t: 0 for t in order}
    probe, floor = options.probe_values, options.threshold * 0.25
    for i, text in enumerate(texts, 1):
        for t in active:
            examined[t] += 1
        for t in active:
            tag = validators[t](text, t in hints)
            if tag is None:
                continue
            if tag.startswith("?"):
                unknown_ids += 1  # shape of an id, checksum not confirmable, no context
                tags[t][tag] += 1
                if len(examples[t]) < 3:
                    examples[t].append(text)
                break
            counts[t] += 1
            tags[t][tag] += 1
            if len(examples[t]) < 3:
                examples[t].append(text)
            break
        if i == probe:
            active = [t for t in active if t in hints or counts[t] + (unknown_ids if t == "national_id" else 0) >= floor * i]
            if not active:
                break
    if counts["national_id"] > 0:
        counts["national_id"] += unknown_ids
    elif unknown_ids:
        tags["national_id"] = Counter({k: n for k, n in tags["national_id"].items() if not k.startswith("?")})
    total = sum(counts.values())
    hits: list[Hit] = []
    for t in order:
        n = counts[t]
        if n < options.min_count:
            continue
        seen = max(examined[t], 1)
        share = n / seen
        hinted = t in hints
        mixed = total / len(texts) >= options.threshold and share >= options.mixed_share
        if share >= options.threshold or (hinted and share >= options.hinted_threshold) or mixed:
            hit = Hit(type=t, where=name, count=n, confidence=confidence(t, share, hinted), tags=tags[t])
            for raw in examples[t]:
                hit.add_example(raw, options.max_examples)
            hits.append(hit)
    return hits, texts
