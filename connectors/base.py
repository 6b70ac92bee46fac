"""The connector contract.

A connector kind is a class with:

- ``kind``: the config's ``kind:`` value;
- ``Options``: a pydantic model (``extra="forbid"``) of the source's own config keys
  (everything but ``id``, ``vendor`` and ``kind``);
- ``__init__(self, source: SourceSpec, ctx: CollectContext)``;
- ``collect(self) -> Iterator[Observation | CollectionError]``: one
  :class:`~auditor.models.Observation` per dataset (facts plus an optional bounded
  sample), and a :class:`~auditor.models.CollectionError` for whatever part it could
  not read. It raises only when the whole source is unreachable; the engine turns that
  into the source's ``error`` status and a ``not-assessed`` finding.
- ``permissions() -> dict`` (classmethod, optional): the least-privilege grants it needs.

Connectors only read. Their samples stay in memory and go to the classifier.
"""

from __future__ import annotations

import fnmatch
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from auditor.models import CollectionError, Observation, Vendor


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


class Connector(Protocol):
    kind: ClassVar[str]
    Options: ClassVar[type[BaseModel]]

    def __init__(self, source: SourceSpec, ctx: CollectContext) -> None: ...

    def collect(self) -> Iterator[Observation | CollectionError]: ...


def matches(name: str, include: list[str] | tuple[str, ...], exclude: list[str] | tuple[str, ...] = ()) -> bool:
    """Glob selection shared by every connector (``schema.table``, bucket names)."""
    if include and not any(fnmatch.fnmatchcase(name, pat) for pat in include):
        return False
    return not any(fnmatch.fnmatchcase(name, pat) for pat in exclude)


def either(*facts: bool | None) -> bool | None:
    """Tri-state OR: known true if any fact is true, known false only if every fact is known
    false, else unknown (an unreadable setting never makes a bucket private)."""
    if any(f is True for f in facts):
        return True
    return False if all(f is False for f in facts) else None
