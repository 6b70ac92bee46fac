"""Facts the connectors could not read, from elsewhere: the provider's API and attestations.

Run by the engine after collection, before policy evaluation. Only *unknown* facts are
filled: what the auditor read itself always wins over what someone declares. Each filled
fact records how it is known in ``Dataset.fact_basis`` (``provider`` or ``attested``).

An attestation is used while ``as_of`` is on or before its ``until`` day; after that it is
ignored (the fact is unknown again) and listed as expired, so the report shows both.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from auditor.models import AttestationUse, Dataset, DeniedCall, FactSource, attested_value

log = logging.getLogger("auditor.attest")


def _reads_refused(d: Dataset) -> bool:
    """Whether the store refused a read of the dataset's content (a file, a blob, a folder listing,
    a KMS key): the way out is that grant, which ``personal_data: none`` must not stand in for."""
    from policies.causes import FACT_CALLS

    calls = FACT_CALLS["personal_data"]
    return any((c := DeniedCall.parse(e)).refused and c.action in calls for e in d.denied)


def unknown(d: Dataset, fact: str) -> bool:
    if fact == "personal_data":  # content not all read: what it holds beyond what was found is unknown
        return not d.classified
    if fact == "object_acls":  # a bucket setting kept in facts: unknown where the connector could not read it
        acls = d.known.object_acls
        return acls is not None and acls.enabled is None
    value = getattr(d, fact, None)
    return value is None or value == "unknown"


def _glob(value: str, pattern: str | None) -> bool:
    return pattern is None or fnmatch.fnmatchcase(value, pattern)


def _covers(a: Any, d: Dataset) -> bool:
    return _glob(d.vendor, a.match.vendor) and _glob(d.source, a.match.source) and _glob(d.name, a.match.dataset)


def apply_attestations(datasets: Sequence[Dataset], attestations: Sequence[Any], as_of: datetime,
                       where: str = "") -> tuple[list[Dataset], list[AttestationUse]]:
    """(datasets with attested unknown facts filled, one :class:`AttestationUse` per attestation)."""
    out = list(datasets)
    uses: list[AttestationUse] = []
    today = as_of.date()
    for i, a in enumerate(attestations):
        expired = today > a.until
        applied: list[str] = []
        if not expired:
            value = attested_value(a.fact, a.value)
            detail = f"declared by {a.by} until {a.until.isoformat()}, not verified ({a.evidence})"
            for j, d in enumerate(out):
                if d.status != "assessed" or not _covers(a, d):
                    continue
                if not unknown(d, a.fact) or a.fact in d.fact_basis:
                    continue  # read by the auditor (or attested by an earlier entry): the first answer stands
                if a.fact == "personal_data" and _reads_refused(d):
                    continue  # refused, not unparseable: the grant is the way out, never a declaration
                update: dict[str, Any] = {a.fact: value}
                if a.fact == "personal_data":  # the unread part holds none: found personal data stays as found
                    update = {"classified": True}
                if a.fact == "object_acls":  # not a field: the setting the object-acls-enabled rule reads
                    update = {"facts": {**d.facts, "object_acls": {**d.facts["object_acls"], "enabled": value,
                                                                   "setting": f"attested: {detail}"}}}
                if a.fact == "retention_days":
                    update["has_retention"] = True
                update["fact_basis"] = {**d.fact_basis, a.fact: FactSource(
                    basis="attested", detail=detail, by=a.by, until=a.until, evidence=a.evidence, attestation=i)}
                out[j] = d.model_copy(update=update)
                applied.append(f"{d.source}:{d.name}")
        else:
            log.info("attestation %d (%s of %s) expired on %s: ignored", i, a.fact, a.match.model_dump(exclude_none=True),
                     a.until)
            at = f"{where}:{a.line}" if a.line else where
            for j, d in enumerate(out):  # named in the fix of the unknown it leaves (facts["expired_attestations"])
                if d.status == "assessed" and _covers(a, d) and unknown(d, a.fact) and a.fact not in d.fact_basis:
                    had = d.facts.get("expired_attestations") or {}
                    if a.fact not in had:
                        out[j] = d.model_copy(update={"facts": {
                            **d.facts, "expired_attestations": {**had, a.fact: f"{at} (until {a.until.isoformat()})"}}})
        uses.append(AttestationUse(
            index=i, where=f"{where}:{a.line}" if a.line else where, match=a.match.model_dump(exclude_none=True),
            fact=a.fact, value=a.value, evidence=a.evidence, by=a.by, until=a.until, expired=expired,
            datasets=tuple(applied)))
    return out, uses


def apply_provider(datasets: Sequence[Dataset], source: str, read: Callable[[], Any]) -> list[Dataset]:
    """Fill the unknown facts of ``source``'s tables from its managed instance's API."""
    mine = [d for d in datasets if d.source == source and d.kind == "table"]
    if not mine:
        return list(datasets)
    try:
        pf = read()
    except Exception as exc:  # noqa: BLE001 - a provider API failing leaves its facts unknown, never the run
        log.warning("source %s: provider API failed: %s", source, exc.__class__.__name__)
        return [d.model_copy(update={"notes": (*d.notes, f"provider API failed: {exc.__class__.__name__}")})
                if d in mine else d for d in datasets]
    out = []
    for d in datasets:
        if d.source != source or d.kind != "table":
            out.append(d)
            continue
        update: dict[str, Any] = {}
        basis = dict(d.fact_basis)
        for fact, value in pf.fields.items():
            if fact == "public_reasons":
                continue
            if unknown(d, fact):
                update[fact] = value
                basis[fact] = FactSource(basis="provider", detail=pf.basis.get(fact, "provider API"))
                if fact == "public" and value:
                    update["public_reasons"] = tuple(pf.fields.get("public_reasons", ()))
        if update:
            update["fact_basis"] = basis
        if pf.facts:
            update["facts"] = {**d.facts, **pf.facts}
        if pf.denied:
            update["denied"] = (*d.denied, *[x for x in pf.denied if x not in d.denied])
        out.append(d.model_copy(update=update) if update else d)
    return out
