"""Accumulating hits per (type, place) and folding them into PersonalData."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from auditor.classify.ids import UNKNOWN_TAGS
from auditor.classify.masking import mask_value
from auditor.models import PERSONAL_DATA_TYPES, PersonalData

# how much a validated value of each type says on its own
STRENGTH: dict[str, float] = {
    "payment_card": 0.95,
    "national_id": 0.95,
    "email": 0.95,
    "password_hash": 0.9,
    "ip_address": 0.85,
    "payment_card_partial": 0.85,
    "phone": 0.8,
    "date_of_birth": 0.8,
    "postal_address": 0.75,
    "person_name": 0.7,
}


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

    def add_example(self, raw: str, limit: int) -> None:
        if len(self.examples) < limit:
            masked = mask_value(self.type, raw)
            if masked not in self.examples:
                self.examples.append(masked)


def confidence(type_: str, share: float, hinted: bool) -> float:
    value = STRENGTH.get(type_, 0.7) * (0.6 + 0.4 * min(max(share, 0.0), 1.0)) + (0.05 if hinted else 0.0)
    return round(min(value, 1.0), 2)


def _detail(type_: str, tags: Counter, capped: bool) -> dict:
    detail: dict = {}
    if type_ == "password_hash":
        algos = sorted({t.split("!", 1)[0] for t in tags})
        detail = {"weak": any(t.endswith("!weak") for t in tags), "algorithms": algos}
    elif type_ == "national_id":
        kinds = {t.lstrip("?"): n for t, n in sorted(tags.items())}
        detail = {"kinds": kinds}
        if any(k in ("sg_nric", "sg_fin", "sg_m_unknown") for k in kinds):
            detail["full_nric"] = True
        unknown = sum(n for k, n in kinds.items() if k in UNKNOWN_TAGS)
        if unknown:
            detail["checksum_unknown"] = unknown
    elif type_ == "payment_card":
        detail = {"brands": sorted(tags)}
    elif type_ == "payment_card_partial":
        detail = {"forms": sorted({t.split("/")[0] for t in tags}),
                  "visible_digits": max(int(t.split("/")[1]) for t in tags)}
    elif type_ == "phone":
        detail = {"regions": sorted(tags)}
    elif type_ == "ip_address":
        detail = {"versions": sorted(tags)}
    elif type_ == "postal_address":
        detail = {"forms": sorted(tags)}
        if set(tags) == {"postal_code"}:
            detail["postal_code_only"] = True
    if capped:
        detail["capped"] = True
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
        out.append(
            PersonalData(
                type=type_,
                count=sum(h.count for h in group),
                where=tuple(dict.fromkeys(h.where for h in group)),
                confidence=max(h.confidence for h in group),
                examples=tuple(examples),
                detail=_detail(type_, tags, any(h.capped for h in group)),
            )
        )
    return tuple(out)
