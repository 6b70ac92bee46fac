"""Accumulating hits per (type, place) and folding them into PersonalData."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from auditor.classify.masking import mask_value
from auditor.classify.types import BUILTIN, BY_NAME, TypeSpec
from auditor.models import PERSONAL_DATA_TYPES, PersonalData

# how much a validated value of each type says on its own
STRENGTH: dict[str, float] = {t.name: t.strength for t in BUILTIN}


@dataclass
class Hit:
    """Validated values of one type in one place (a field or ``<text>``)."""

    type: str
    where: str
    count: int = 0
    confidence: float = 0.0
    examples: list[str] = field(default_factory=list)
    tags: Counter = field(default_factory=Counter)
    capped: bool = False
    spec: TypeSpec | None = None  # user-defined detectors carry their own record
    validated: int = 0  # values read for the type (confidence: count / validated)
    estimated: bool = False  # validation stopped once the decision was settled; counts extrapolated

    def add_example(self, raw: str, limit: int) -> None:
        if len(self.examples) < limit:
            spec = self.spec or BY_NAME.get(self.type)
            masked = spec.mask(raw) if spec is not None else mask_value(self.type, raw)
            if masked not in self.examples:
                self.examples.append(masked)


def confidence(type_: str, share: float, hinted: bool, strength: float | None = None) -> float:
    value = (strength if strength is not None else STRENGTH.get(type_, 0.7)) * (0.6 + 0.4 * min(max(share, 0.0), 1.0)) + (0.05 if hinted else 0.0)
    return round(min(value, 1.0), 2)


def _detail(type_: str, tags: Counter, capped: bool, spec: TypeSpec | None = None, estimated: bool = False) -> dict:
    spec = spec or BY_NAME.get(type_)
    detail: dict = dict(spec.detail(tags)) if spec is not None and tags else {}
    if spec is not None and spec.category:
        detail["category"] = spec.category
    if capped:
        detail["capped"] = True
    if estimated:
        detail["estimated"] = True
    return detail


def fold(hits: list[Hit], max_examples: int) -> tuple[PersonalData, ...]:
    """One PersonalData per type, in the contract's type order."""
    by_type: dict[str, list[Hit]] = {}
    for hit in hits:
        if hit.count > 0:
            by_type.setdefault(hit.type, []).append(hit)
    out: list[PersonalData] = []
    order = {t: i for i, t in enumerate(PERSONAL_DATA_TYPES)}
    for type_ in sorted(by_type, key=lambda t: order.get(t, 99)):
        group = by_type[type_]
        tags: Counter = Counter()
        examples: list[str] = []
        for hit in group:
            tags.update(hit.tags)
            for ex in hit.examples:
                if ex not in examples and len(examples) < max_examples:
                    examples.append(ex)
        places: dict[str, list[int]] = {}
        for hit in group:
            place = places.setdefault(hit.where, [0, 0])
            place[0] += hit.count
            place[1] += hit.validated
        per_column = all(p[1] for p in places.values())
        out.append(
            PersonalData(
                type=type_,
                count=sum(h.count for h in group),
                where=tuple(places),
                confidence=max(h.confidence for h in group),
                examples=tuple(examples),
                detail=_detail(type_, tags, any(h.capped for h in group), group[0].spec,
                               any(h.estimated for h in group)),
                validated=tuple(p[0] for p in places.values()) if per_column else (),
                sampled=tuple(p[1] for p in places.values()) if per_column else (),
            )
        )
    return tuple(out)
