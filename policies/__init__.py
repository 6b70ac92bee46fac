"""Policy packs and their evaluation: pure functions of facts, no I/O beyond reading YAML.

Public API (stable; the engine and CLI rely on it):

- ``load_policies(specs: list[str], base_dir: Path | None = None) -> PolicySet``
  ``specs`` are ``builtin:NAME`` or paths to files or folders; raises
  ``auditor.errors.PolicyError`` naming file, line and key.
- ``evaluate(policy_set, datasets, errors, sources, vendors, as_of) -> list[Finding]``
  findings come back ``open``, ``new=True``, ``first_seen=None``: the store fills those.
- ``PolicySet.rules`` (for ``auditor policies list``) and ``PolicySet.limits``
  (``{"max_age_days": 365}``: what reports draw the data-age chart against).

(Interface stub: the engine arrives with the policy issue.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from auditor.models import CollectionError, Dataset, Finding, SourceResult, Vendor, finding_id

__all__ = ["PolicySet", "load_policies", "evaluate"]


@dataclass
class PolicySet:
    rules: list[Any] = field(default_factory=list)
    limits: dict[str, Any] = field(default_factory=lambda: {"max_age_days": 365})
    files: list[str] = field(default_factory=list)


def load_policies(specs: Sequence[str], base_dir: Path | None = None) -> PolicySet:
    return PolicySet(files=list(specs))


def evaluate(
    policy_set: PolicySet,
    datasets: Sequence[Dataset],
    errors: Sequence[CollectionError],
    sources: Sequence[SourceResult],
    vendors: Mapping[str, Vendor],
    as_of: datetime,
) -> list[Finding]:
    out: list[Finding] = []
    for s in sources:
        if s.status == "error":
            out.append(Finding(id=finding_id("not-assessed", s.id, s.id), rule="not-assessed", severity="high",
                               source=s.id, vendor=s.vendor, dataset=s.id, title="Source could not be assessed",
                               evidence={"reason": s.error}))
    for e in errors:
        name = e.dataset or e.source
        out.append(Finding(id=finding_id("not-assessed", e.source, name), rule="not-assessed", severity="high",
                           source=e.source, vendor=vendors.get(e.source, Vendor(id="?")).id if False else "",
                           dataset=name, title="Dataset could not be assessed", evidence={"reason": e.reason}))
    for d in datasets:
        if d.status == "error":
            out.append(Finding(id=finding_id("not-assessed", d.source, d.name), rule="not-assessed", severity="high",
                               source=d.source, vendor=d.vendor, dataset=d.name, title="Dataset could not be assessed",
                               evidence={"reason": d.error}))
    return out
