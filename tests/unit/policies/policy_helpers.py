"""Hand-built facts for the policy tests (no connector, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone

from auditor.models import CollectionError, Dataset, Finding, PersonalData, SourceResult, Vendor
from policies import PolicySet, evaluate, load_policies

AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def days_ago(n: int) -> datetime:
    return AS_OF - timedelta(days=n)


def pdata(type: str = "email", count: int = 5, where: Sequence[str] = ("email",),
          examples: Sequence[str] = ("j***@e***.com",), **detail) -> PersonalData:
    return PersonalData(type=type, count=count, where=tuple(where), examples=tuple(examples), detail=detail)


def table(name: str = "crm.customers", **kw) -> Dataset:
    """A table whose every fact is known and clean, holding emails (fresh, encrypted, private)."""
    base = dict(
        source="crm-db", vendor="acme", kind="table", name=name, uri=f"postgresql://db/{name}",
        records=1000, bytes=65536, last_modified=days_ago(10), last_modified_basis="column updated_at",
        region="ap-southeast-1", encryption_at_rest="provider", encryption_in_transit="enforced",
        public=False, has_retention=True, retention_days=30, classified=True, personal_data=(pdata(),),
    )
    base.update(kw)
    return Dataset(**base)


def bucket(name: str = "b", **kw) -> Dataset:
    kw.setdefault("source", "exports")
    kw.setdefault("kind", "bucket")
    kw.setdefault("uri", f"s3://{name}")
    return table(name, **kw)


def prefix(name: str, parent: str, **kw) -> Dataset:
    kw.setdefault("source", "exports")
    return table(name, kind="prefix", parent=parent, uri=f"s3://{name}", **kw)


def run(policy: PolicySet | Iterable[str], datasets: Sequence[Dataset], vendors: Iterable[Vendor] = (),
        errors: Sequence[CollectionError] = (), sources: Sequence[SourceResult] = (),
        as_of: datetime = AS_OF) -> list[Finding]:
    ps = policy if isinstance(policy, PolicySet) else load_policies(list(policy))
    vmap = {"acme": Vendor(id="acme")}
    vmap.update({v.id: v for v in vendors})
    return evaluate(ps, datasets, errors, sources, vmap, as_of)


def of_rule(findings: Sequence[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


def not_assessed_for(findings: Sequence[Finding], rule: str) -> list[Finding]:
    """Not-assessed findings (grouped by source and cause) that stand for ``rule``."""
    return [f for f in findings if f.rule == "not-assessed"
            and (f.evidence.get("rule") == rule or rule in f.evidence.get("rules", []))]
