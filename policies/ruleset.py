"""Rules in force after loading: each with its source file, overrides applied.

A ``Rule`` carries its global settings (what ``auditor policies list`` shows) and its
scoped overrides (per vendor / source / dataset glob), resolved per dataset by
:meth:`Rule.effective`.
"""

from __future__ import annotations

import fnmatch
import functools
from dataclasses import dataclass, field
from typing import Any

from auditor.models import Dataset, Severity

from .checks import Check
from .schema import Match, Params


@dataclass(frozen=True)
class Scoped:
    """An override that applies only to datasets of some vendors / sources / names."""

    vendors: tuple[str, ...] | None
    sources: tuple[str, ...] | None
    datasets: tuple[str, ...] | None
    params: dict[str, Any] | None
    severity: Severity | None
    match: Match | None
    enabled: bool | None
    file: str
    line: int | None

    def selects(self, ds: Dataset) -> bool:
        return (_any_glob(ds.vendor, self.vendors) and _any_glob(ds.source, self.sources)
                and _any_glob(ds.name, self.datasets))

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "line": self.line}
        for key in ("vendors", "sources", "datasets"):
            if getattr(self, key) is not None:
                out[key] = list(getattr(self, key))
        if self.params is not None:
            out["params"] = self.params
        if self.severity is not None:
            out["severity"] = self.severity
        if self.match is not None:
            out["match"] = self.match.model_dump(exclude_none=True)
        if self.enabled is not None:
            out["enabled"] = self.enabled
        return out


@dataclass(frozen=True)
class Effective:
    """A rule as it applies to one dataset."""

    severity: Severity
    match: Match
    options: Params

    @functools.cached_property
    def selects_all(self) -> bool:
        """A selector that sets nothing: ``matches`` is true for every dataset (asked once per rule
        and dataset: worked out once; the instance dict is writable on a frozen dataclass)."""
        m = self.match
        return (m.vendors is None and m.sources is None and m.kinds is None and m.datasets is None
                and not m.exclude_datasets and not m.tags and m.personal_data is None)


@dataclass
class Rule:
    id: str
    title: str
    severity: Severity
    description: str
    remediation: str
    references: tuple[str, ...]
    match: Match
    check: str
    params: dict[str, Any]  # as written, after global overrides
    options: Params  # the check's validated parameters (defaults filled)
    enabled: bool
    file: str
    line: int | None = None
    scoped: list[Scoped] = field(default_factory=list)
    overridden_in: list[str] = field(default_factory=list)  # "file:line" of global overrides
    impl: Check | None = None
    context: dict[str, Any] | None = None  # the params' validation context (the config's personal-data types)
    _cache: dict[tuple[int, ...], Effective | None] = field(default_factory=dict, repr=False)

    @property
    def check_impl(self) -> Check:
        """The rule's check, bound at load (a rule without one is never evaluated)."""
        if self.impl is None:
            raise RuntimeError(f"rule {self.id!r}: check {self.check!r} is not bound")
        return self.impl

    @property
    def source_file(self) -> str:
        return self.file

    @property
    def params_after_overrides(self) -> dict[str, Any]:
        return self.options.model_dump(mode="json")

    def effective(self, ds: Dataset) -> Effective | None:
        """Severity, selector and parameters for ``ds``; None when disabled for it."""
        applied = tuple(i for i, s in enumerate(self.scoped) if s.selects(ds)) if self.scoped else ()
        if applied not in self._cache:
            self._cache[applied] = self._resolve(applied)
        return self._cache[applied]

    def _resolve(self, applied: tuple[int, ...]) -> Effective | None:
        enabled, severity, match, params = self.enabled, self.severity, self.match, dict(self.params)
        for i in applied:
            s = self.scoped[i]
            enabled = s.enabled if s.enabled is not None else enabled
            severity = s.severity or severity
            match = s.match or match
            params.update(s.params or {})
        if not enabled:
            return None
        options = self.options if not applied else self.check_impl.params.model_validate(  # validated at load
            params, context=self.context)
        return Effective(severity, match, options)


def _any_glob(value: str, patterns: tuple[str, ...] | list[str] | None) -> bool:
    return patterns is None or any(fnmatch.fnmatchcase(value, p) for p in patterns)


def matches(match: Match, ds: Dataset, types: tuple[str, ...], complete: bool) -> bool:
    """The selector. ``types``: personal data found in and under ``ds``; ``complete``: all of
    it was classified (if not, a ``personal_data`` selector still matches: unknown is not no)."""
    # each selector tested only when set (None selects everything, as _any_glob says)
    if match.vendors is not None and not _any_glob(ds.vendor, match.vendors):
        return False
    if match.sources is not None and not _any_glob(ds.source, match.sources):
        return False
    if match.kinds is not None and ds.kind not in match.kinds:
        return False
    if match.datasets is not None and not _any_glob(ds.name, match.datasets):
        return False
    if match.exclude_datasets and any(fnmatch.fnmatchcase(ds.name, p) for p in match.exclude_datasets):
        return False
    for key, pattern in (match.tags or {}).items():
        if key not in ds.tags or not fnmatch.fnmatchcase(ds.tags[key], pattern):
            return False
    if match.personal_data is not None:
        return any(t in match.personal_data for t in types) or not complete
    return True


@dataclass
class PolicySet:
    rules: list[Rule] = field(default_factory=list)
    limits: dict[str, Any] = field(default_factory=lambda: {"max_age_days": 365})
    files: list[str] = field(default_factory=list)

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    @property
    def enabled_rules(self) -> list[Rule]:
        return [r for r in self.rules if r.enabled or any(s.enabled for s in r.scoped)]
