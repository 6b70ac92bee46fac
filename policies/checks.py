"""The check vocabulary: named, registered, pure functions of facts.

A check is ``fn(subject, ctx) -> Fail | Unknown | None``:

- ``Fail(evidence, severity=None)``: the rule fires (``severity`` overrides the rule's,
  e.g. public *and* personal data is critical);
- ``Unknown(facts, why)``: the rule applies but needs a fact that is unknown; the engine
  turns it into a ``not-assessed`` finding, never a pass;
- ``None``: passes or does not apply.

``Subject`` is one dataset seen with its surroundings: the personal data held in it
*and under it* (a bucket sees what its prefixes hold), filtered to the rule's
``match.personal_data`` types, and the ancestors the same rule also applies to.

Each check declares ``facts``: the dataset attributes it judges. A prefix whose facts
equal its parent's is judged once, at the parent (no finding per child for a
bucket-wide setting). ``tree=True`` checks (stale data, not-assessed) see every dataset
and decide themselves (the stale roll-up to the highest stale prefix).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from auditor.models import Dataset, PersonalData, Severity, Vendor
from auditor.registry import Registry

from .schema import Params


@dataclass(frozen=True)
class Fail:
    evidence: dict[str, Any]
    severity: Severity | None = None


@dataclass(frozen=True)
class Unknown:
    facts: tuple[str, ...]
    why: str
    evidence: dict[str, Any] = field(default_factory=dict)


Outcome = Fail | Unknown | None


@dataclass(frozen=True)
class Subject:
    dataset: Dataset
    personal: tuple[tuple[str, PersonalData], ...]  # (dataset name where found, summary)
    has_personal_data: bool | None
    ancestors: tuple[Dataset, ...] = ()  # nearest first, only those the rule applies to
    complete: bool = True  # every dataset in the subtree was classified

    @property
    def unread_part(self) -> bool:
        """Part of what the rule looks at was not read: a type not found may still be there."""
        return self.has_personal_data is None or not self.complete

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(sorted({p.type for _, p in self.personal}))

    def of_type(self, *types: str) -> list[tuple[str, PersonalData]]:
        return [(n, p) for n, p in self.personal if p.type in types]


@dataclass(frozen=True)
class Context:
    vendor: Vendor
    as_of: datetime
    params: Any  # the check's validated Params instance

    @functools.cached_property
    def as_of_iso(self) -> str:
        """``iso(as_of)``: the same for every dataset judged in this context, so written once
        (a run makes one context per vendor and rule settings)."""
        return utc(self.as_of).isoformat()


CheckFn = Callable[[Subject, Context], Outcome]


@dataclass(frozen=True)
class Check:
    name: str
    fn: CheckFn
    params: type[Params]
    facts: tuple[str, ...] = ()
    tree: bool = False
    doc: str = ""
    store_wide: tuple[str, ...] = ()  # dataset kinds on which the judged fact is a setting of the whole store


checks: Registry[Check] = Registry("check")


def check(name: str, *, params: type[Params] = Params, facts: tuple[str, ...] = (), tree: bool = False,
          store_wide: tuple[str, ...] = ()):
    """Register ``fn`` as the check ``name`` (registering a name twice raises)."""

    def decorator(fn: CheckFn) -> CheckFn:
        checks.add(name, Check(name, fn, params, facts, tree, (fn.__doc__ or "").strip(), store_wide))
        return fn

    return decorator


# --- evidence helpers: facts only, never raw values -------------------------------


def utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def iso(dt: datetime | None) -> str | None:
    return utc(dt).isoformat() if dt is not None else None


def personal_summary(subject: Subject, types: tuple[str, ...] | None = None, examples: int = 3) -> list[dict]:
    """Per type: sampled count, where (column/key patterns), datasets, masked examples."""
    by_type: dict[str, dict[str, Any]] = {}
    own = subject.dataset.name
    for name, pd in subject.personal:
        t = pd.type
        if types is not None and t not in types:
            continue
        row = by_type.get(t)
        if row is None:  # a row built only for a type not seen yet (setdefault built one per item)
            row = by_type[t] = {"type": t, "count": 0, "where": [], "datasets": [], "examples": []}
        row["count"] += pd.count
        where, seen, kept = row["where"], row["datasets"], row["examples"]
        for w in pd.where:
            label = w if name == own else f"{name}: {w}"
            if label not in where:
                where.append(label)
        if name not in seen:
            seen.append(name)
        for ex in pd.examples:
            if len(kept) < examples and ex not in kept:
                kept.append(ex)
    return [by_type[t] for t in sorted(by_type)]


def dataset_facts(ds: Dataset) -> dict[str, Any]:
    return {"kind": ds.kind, "uri": ds.uri, "records": ds.records, "bytes": ds.bytes}


def unknown_personal_data(ds: Dataset) -> Unknown:
    return Unknown(("personal_data",), "the dataset (or part of it) was not classified, so whether it holds "
                   "personal data is unknown", {"notes": list(ds.notes)})
