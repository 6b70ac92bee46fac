"""User-defined detectors (as Macie's custom data identifiers and Google's custom infoTypes).

Declared in the config file under ``detectors:``::

    detectors:
      - name: employee_id               # the personal-data type it reports (snake_case)
        regex: 'EMP-\\d{6}'            # re2 syntax, checked at load
        keywords: [employee, staff]     # optional: in free text, one must occur near the match
        keyword_window: 40              # ... within this many characters before it
        column_hints: [emp_id, staff_no]  # optional: field names that point at it
        validator: luhn                 # optional: luhn, mod11, verhoeff, iso7064_mod11_2, iso7064_mod97_10, damm
        mask: last4                     # last4 (default), first_last, full, or the mask of a category
        category: national_id           # the built-in type it counts as (or "other")

Each becomes a :class:`~auditor.classify.types.TypeSpec` the classifier iterates over
beside the built-in ones; its matches are reported under ``name`` with
``detail.category``. A detector's regex must match the whole value in a column, and
is searched for in free text (so it is written without anchors: ``^``, ``$``, ``\\A``,
``\\z`` are refused).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Literal

import re2
from pydantic import BaseModel, ConfigDict, Field, field_validator

from auditor.classify import masking
from auditor.classify.types import BY_NAME, TypeSpec, name_pattern
from auditor.models import PERSONAL_DATA_TYPES

__all__ = ["DetectorSpec", "CHECKSUMS", "MASKS", "spec_of"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,62}$")


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def _alnum(value: str) -> str:
    return "".join(c for c in value if c.isalnum()).upper()


def _stdnum(module: str, attr: str = "is_valid") -> Callable[[str], bool]:
    def check(value: str) -> bool:
        import importlib

        mod = importlib.import_module(module)
        try:
            return bool(getattr(mod, attr)(value))
        except Exception:  # noqa: BLE001 - a checksum library's refusal is a failed check
            return False

    return check


def _mod11(value: str) -> bool:
    """Weights 2, 3, 4, ... from the right over the body; check = (11 - sum % 11) % 11, 10 = X."""
    s = _alnum(value)
    if len(s) < 2 or not s[:-1].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(reversed(s[:-1]), range(2, 100)))
    check = (11 - total % 11) % 11
    return s[-1] == ("X" if check == 10 else str(check))


CHECKSUMS: dict[str, Callable[[str], bool]] = {
    "luhn": lambda v: len(_digits(v)) >= 2 and _stdnum("stdnum.luhn")(_digits(v)),
    "verhoeff": lambda v: len(_digits(v)) >= 2 and _stdnum("stdnum.verhoeff")(_digits(v)),
    "damm": lambda v: len(_digits(v)) >= 2 and _stdnum("stdnum.damm")(_digits(v)),
    "mod11": _mod11,
    "iso7064_mod11_2": lambda v: _stdnum("stdnum.iso7064.mod_11_2")(_alnum(v)),
    "iso7064_mod97_10": lambda v: _stdnum("stdnum.iso7064.mod_97_10")(_alnum(v)),
}


def _keep_last4(raw: str) -> str:
    chars = [c for c in str(raw) if c.isalnum()]
    if len(chars) < 8:
        return "*" * max(len(chars), 4)
    return "*" * (len(chars) - 4) + "".join(chars[-4:])


def _first_last(raw: str) -> str:
    chars = [c for c in str(raw) if c.isalnum()]
    if len(chars) < 8:
        return "*" * max(len(chars), 4)
    return chars[0] + "*" * (len(chars) - 2) + chars[-1]


MASKS: dict[str, Callable[[str], str]] = {
    "last4": _keep_last4,
    "first_last": _first_last,
    "full": lambda raw: "****",
    "generic": masking.mask_generic,
}

Validator = Literal["luhn", "mod11", "verhoeff", "damm", "iso7064_mod11_2", "iso7064_mod97_10"]
Mask = Literal["last4", "first_last", "full", "category"]


class DetectorSpec(BaseModel):
    """One user-defined detector, as written in the config file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    regex: str
    keywords: tuple[str, ...] = ()
    keyword_window: int = Field(40, ge=1, le=1000)
    column_hints: tuple[str, ...] = ()
    validator: Validator | None = None
    mask: Mask = "last4"
    category: str = "other"
    strength: float = Field(0.9, gt=0.0, le=1.0)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("a detector name is snake_case (like employee_id): lower-case letters, digits, _")
        if value in PERSONAL_DATA_TYPES:
            raise ValueError(f"{value!r} is a built-in personal-data type; give the detector its own name")
        return value

    @field_validator("regex")
    @classmethod
    def _regex(cls, value: str) -> str:
        if not value:
            raise ValueError("regex is empty")
        try:
            compiled = re2.compile(value, _quiet())
        except re2.error as exc:
            raise ValueError(f"not a valid re2 regular expression: {_message(exc)}") from None
        if compiled.search("") is not None:
            raise ValueError("the regex matches the empty string")
        if _anchored(value):
            raise ValueError("the regex has an anchor (^, $, \\A, \\z): leave it out; a column's values are each "
                             "matched whole and free text is searched, so an anchored regex misses values")
        return value

    @field_validator("keywords", "column_hints")
    @classmethod
    def _words(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not str(w).strip() for w in value):
            raise ValueError("an empty keyword or hint")
        return tuple(str(w).strip() for w in value)

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        if value != "other" and value not in PERSONAL_DATA_TYPES:
            raise ValueError(f"unknown category {value!r} (one of: other, {', '.join(PERSONAL_DATA_TYPES)})")
        return value


def _anchored(regex: str) -> bool:
    """Whether ``regex`` holds ``^`` or ``$`` outside a character class, or ``\\A``/``\\z``."""
    i, in_class = 0, False
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            if not in_class and regex[i + 1: i + 2] in ("A", "z"):
                return True
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            i += 1
            if regex[i: i + 1] == "^":
                i += 1
            if regex[i: i + 1] == "]":  # a ']' first in a class is a literal
                i += 1
            continue
        elif c in "^$":
            return True
        i += 1
    return False


def _quiet() -> re2.Options:
    """re2 options that raise a parse error without also logging it to the process's stderr."""
    opts = re2.Options()
    opts.log_errors = False
    return opts


def _message(exc: re2.error) -> str:
    """re2's error message as text (it raises with bytes)."""
    arg = exc.args[0] if exc.args else exc
    return arg.decode("utf-8", errors="replace") if isinstance(arg, bytes) else str(arg)


def _hint_pattern(hints: tuple[str, ...]) -> str | None:
    if not hints:
        return None
    words = ["_?".join(re.escape(w) for w in re.split(r"[^0-9a-z]+", h.lower()) if w) for h in hints]
    return name_pattern(*[w for w in words if w]) if any(words) else None


@lru_cache(maxsize=256)
def spec_of(d: DetectorSpec) -> TypeSpec:
    """The detector as a classifier record."""
    full = re2.compile(d.regex, _quiet())
    check = CHECKSUMS[d.validator] if d.validator else None

    def validate(value: str, hinted: bool = False) -> str | None:
        try:
            if full.fullmatch(value) is None:
                return None
        except UnicodeEncodeError:  # a lone surrogate (a JSON "\ud800"): no text a pattern reads
            return None
        if check is not None and not check(value):
            return None
        return d.validator or "regex"

    if d.mask == "category":
        cat = BY_NAME.get(d.category)
        mask = cat.mask if cat is not None else MASKS["last4"]
    else:
        mask = MASKS[d.mask]
    keywords = "|".join(re.escape(k) for k in d.keywords)
    return TypeSpec(
        name=d.name, strength=d.strength, validator=validate, hints=_hint_pattern(d.column_hints),
        # free text takes a pattern's first group as the candidate: the whole match is that group, so a
        # group of the user's own ((EMP|STF)-...) does not cut the candidate to a piece the regex refuses
        prefilter=(d.regex,), extract=f"({d.regex})", mask=mask, detail=lambda tags: {"checks": sorted(tags)},
        embedded=True, text_context=f"(?i){keywords}" if keywords else None,
        needs_context=(lambda tag: True) if keywords else (lambda tag: False),
        category=d.category, keywords_window=d.keyword_window,
    )


def specs_of(detectors: tuple[DetectorSpec, ...]) -> tuple[TypeSpec, ...]:
    return tuple(spec_of(d) for d in detectors)

