"""The connector plug-in point: what a connector kind is, as the engine and config see it.

A connector kind is a class with:

- ``kind``: the config's ``kind:`` value;
- ``Options``: a pydantic model (``extra="forbid"``) of the source's own config keys
  (everything but ``id``, ``vendor`` and ``kind``);
- ``capabilities``: which dataset facts it can read and which it never can (a SQL login
  never sees a database's network exposure), so a policy tells "not readable here" from
  "refused";
- ``__init__(self, source: SourceSpec, ctx: CollectContext)``;
- ``collect(self) -> Iterator[Observation | CollectionError]``: one
  :class:`~auditor.models.Observation` per dataset, a
  :class:`~auditor.models.CollectionError` for whatever part it could not read; it raises
  only when the whole source is unreachable;
- ``permissions() -> dict`` (classmethod): the least-privilege grants it needs;
- optionally, ``units(self) -> list[str] | None``: the parts of the source that can be collected
  one by one on Celery workers (an object store's buckets, a database's schemas), or None when
  the source is one unit; and ``unit_options(cls, options, unit)`` (classmethod): the options that
  read that part only. A kind without ``unit_options`` gets the part as ``CollectContext.unit``
  and must then yield only that part's datasets, and the source-wide checks (a name not found, a
  selection that matched nothing) only when ``CollectContext.unit_checks`` is set (the first part).

Built-in kinds are registered by the composition root (:mod:`auditor.plugins`); others
come from the ``auditor.connectors`` entry-point group. This module imports nothing of
the connectors, so config, engine and policies can name the contract without them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from auditor.models import CollectionError, Observation, Vendor

# the Dataset facts a connector may read (Dataset fields of auditor.models)
DATASET_FACTS: tuple[str, ...] = (
    "records", "bytes", "created", "last_modified", "oldest_modified", "region", "encryption_at_rest",
    "encryption_in_transit", "public", "has_retention", "retention_days", "versioning", "logging", "object_lock",
    "tags", "columns", "personal_data",
)


class Options(BaseModel):
    """Base of every connector's options: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class SourceSpec:
    id: str
    kind: str
    vendor: Vendor
    options: Any  # the connector's Options instance


@dataclass
class CollectContext:
    as_of: datetime
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("auditor.connector"))
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: Callable[[int], None] = lambda n: None  # advance by n datasets/objects
    unit: str | None = None  # one part of the source to collect (see ``units``); None: all of it
    unit_checks: bool = True  # with ``unit``: this part also makes the source-wide checks (the first part does)


@dataclass(frozen=True)
class Capabilities:
    """Which dataset facts a connector kind can know, and which it never can.

    ``knows``: facts it reads when the store lets it (a refusal leaves them unknown, and that
    is a finding). ``never``: fact -> why this kind can never read it (an unknown that no
    permission fixes; a policy says so instead of asking for a grant)."""

    knows: frozenset[str]
    never: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = (set(self.knows) | set(self.never)) - set(DATASET_FACTS)
        if unknown:
            raise ValueError(f"unknown dataset fact(s) {sorted(unknown)} (known: {', '.join(DATASET_FACTS)})")
        both = set(self.knows) & set(self.never)
        if both:
            raise ValueError(f"fact(s) {sorted(both)} both known and never known")

    def as_dict(self) -> dict[str, Any]:
        return {"knows": sorted(self.knows), "never": dict(sorted(self.never.items()))}


@runtime_checkable
class Connector(Protocol):
    """A store's reader. Optional: ``overlaps_its_waits`` (a bool attribute or property, False
    when absent): the connector sends its next request before it hands an observation over, so
    the store works while the engine classifies; the engine then runs its generator in the
    source's thread rather than in a thread of its own a few observations ahead."""

    kind: ClassVar[str]
    Options: ClassVar[type[BaseModel]]  # a kind declares `Options: ClassVar[type[BaseModel]] = MyOptions`
    capabilities: ClassVar[Capabilities]

    def __init__(self, source: SourceSpec, ctx: CollectContext) -> None: ...

    def collect(self) -> Iterator[Observation | CollectionError]: ...

    @classmethod
    def permissions(cls) -> dict[str, Any]: ...
