"""The policy file format, validated strictly (unknown keys are errors).

A policy file is YAML. A *pack* (``builtin:baseline``, ``builtin:pci-dss``,
``builtin:pdpa-sg``, ``builtin:gdpr``) and a user's own file have the same shape::

    name: my-company                  # optional, shown by `auditor policies list`
    description: ...                  # optional
    extends: builtin:baseline         # optional: one spec or a list; builtin:NAME,
                                      # or a file/folder path relative to this file
    rules:                            # new rules (optional)
      - id: stale-exports             # kebab-case, unique across everything loaded
        title: Stale exports
        severity: high                # critical | high | medium | low | info
        description: why it matters
        remediation: what to do
        references: ["GDPR Art. 5(1)(e)"]
        check: stale-personal-data    # a registered check (see `auditor policies list`)
        params: {max_age: 90d}        # that check's parameters, validated
        match:                        # which datasets the rule looks at (all keys optional,
          vendors: [acme-*]           #   every list is globs; omitted = any)
          sources: [exports]
          kinds: [bucket, prefix]     # table | bucket | prefix
          datasets: ["exports/*"]     # dataset name globs (schema.table, bucket/prefix/)
          exclude_datasets: ["*/tmp/*"]
          tags: {env: prod}           # dataset tag key -> value glob
          personal_data: [email]      # only these personal-data types count for the rule;
                                      # a dataset not classified still matches (its facts
                                      # are unknown, so the rule reports not-assessed)
        enabled: true
    overrides:                        # change rules loaded so far (optional)
      - rule: stale-personal-data     # an existing rule id (required)
        params: {max_age: 180d}       # merged over the rule's params
        severity: critical
        match: {vendors: [acme]}      # replaces the rule's selector
        enabled: false                # switch the rule off
      - rule: stale-personal-data     # scoped: only for these vendors / sources / datasets
        vendors: [acme]
        sources: [exports]
        datasets: ["legacy/*"]
        params: {max_age: 90d}

Overrides without ``vendors``/``sources``/``datasets`` change the rule everywhere (and
``auditor policies list`` shows the result); scoped ones apply, in file order, to the
datasets they select. Durations are ``N`` (days) or ``Nd``, ``Nw``, ``Nm`` (30 days),
``Ny`` (365 days), at most 100 years. ``not-assessed`` cannot be disabled or narrowed: unknown is never a
pass; the rule id ``not-assessed`` and the check ``not-assessed`` go together (neither is given to
another). No code in YAML: checks are named, never written here.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationInfo, field_validator

from auditor.models import PERSONAL_DATA_TYPES, Severity

RULE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_DURATION = re.compile(r"^\s*(\d+)\s*(d|w|m|y)?\s*$")
_UNIT_DAYS = {None: 1, "d": 1, "w": 7, "m": 30, "y": 365}
MAX_DAYS = 36_500


def parse_days(value: Any) -> int:
    """``365``, ``"365d"``, ``"52w"``, ``"12m"``, ``"1y"`` -> days (int)."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of days or a string like 365d, 52w, 12m, 1y")
    if isinstance(value, int):
        days = value
    elif isinstance(value, str) and (m := _DURATION.match(value.lower())):
        days = int(m.group(1)) * _UNIT_DAYS[m.group(2)]
    else:
        raise ValueError("a duration is a number of days or a string like 365d, 52w, 12m, 1y")
    if days <= 0:
        raise ValueError("a duration must be positive")
    if days > MAX_DAYS:  # beyond it, as_of minus the duration leaves the calendar and every scan would crash
        raise ValueError(f"a duration must be at most {MAX_DAYS} days (100y)")
    return days


Days = Annotated[int, BeforeValidator(parse_days), PlainSerializer(lambda v: f"{v}d", when_used="json")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Params(Strict):
    """Base of every check's parameters."""


class Match(Strict):
    vendors: list[str] | None = None
    sources: list[str] | None = None
    kinds: list[Literal["table", "bucket", "prefix"]] | None = None
    datasets: list[str] | None = None
    exclude_datasets: list[str] | None = None
    tags: dict[str, str] | None = None
    personal_data: list[str] | None = None

    @field_validator("personal_data")
    @classmethod
    def _known_types(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        # built-in types and the detectors the config declares (passed as validation context)
        context = info.context if isinstance(info.context, dict) else {}
        known = tuple(context.get("personal_data_types") or PERSONAL_DATA_TYPES)
        for t in value or ():
            if t not in known:
                raise ValueError(f"unknown personal-data type {t!r} (known: {', '.join(known)})")
        return value

    def is_empty(self) -> bool:
        return not any(v is not None for v in self.model_dump().values())


class RuleSpec(Strict):
    id: str
    title: str
    severity: Severity
    description: str = ""
    remediation: str = ""
    references: list[str] = Field(default_factory=list)
    match: Match = Field(default_factory=Match)
    check: str
    params: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True

    @field_validator("id")
    @classmethod
    def _kebab(cls, value: str) -> str:
        if not RULE_ID.match(value):
            raise ValueError(f"rule id {value!r} is not kebab-case (like stale-personal-data)")
        return value


class OverrideSpec(Strict):
    rule: str
    vendors: list[str] | None = None
    sources: list[str] | None = None
    datasets: list[str] | None = None
    params: dict[str, Any] | None = None
    severity: Severity | None = None
    match: Match | None = None
    enabled: bool | None = None

    @property
    def scoped(self) -> bool:
        return any(v is not None for v in (self.vendors, self.sources, self.datasets))


class PolicyFileSpec(Strict):
    name: str | None = None
    description: str | None = None
    extends: list[str] = Field(default_factory=list)
    rules: list[RuleSpec] = Field(default_factory=list)
    overrides: list[OverrideSpec] = Field(default_factory=list)

    @field_validator("extends", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value
