"""The composition root's connector registry: the built-in kinds, imported explicitly, and
third-party kinds from the ``auditor.connectors`` entry-point group.

A third-party package declares its connector class in its packaging metadata::

    [project.entry-points."auditor.connectors"]
    ftp = "auditor_ftp:Connector"

and ``auditor scan``, ``auditor permissions`` and the connector contract suite find it once
it is installed, with no edit here (the same scheme as Cloud Custodian's resource
registry and dlt's destinations). A kind registered twice, a plug-in that does not import,
or a class that is not a connector is an error naming the entry point: a plug-in never
silently shadows a built-in.
"""

from __future__ import annotations

import threading
from importlib.metadata import EntryPoint, entry_points
from typing import cast

from auditor import registry
from auditor.connector import Capabilities, Connector
from auditor.errors import AuditorError
from auditor.registry import Registry

ENTRY_POINT_GROUP = "auditor.connectors"

_lock = threading.Lock()
_loaded: set[int] = set()  # id() of the registries already filled


class PluginError(AuditorError):
    """A connector plug-in that cannot be used (exit code 2, one line)."""


def builtin_connectors() -> dict[str, type[Connector]]:
    """The kinds that ship with the auditor (an import error here is a broken install: it raises)."""
    from connectors import builtin

    return builtin()


def _origin(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    where = f" of {dist.name} {dist.version}" if dist is not None else ""
    return f"entry point {ep.name} = {ep.value}{where} (group {ENTRY_POINT_GROUP})"


def check_connector(cls: object, kind: str, origin: str) -> type[Connector]:
    """The parts of the contract a class can be checked for before it runs."""
    if not isinstance(cls, type):
        raise PluginError(f"connector plug-in {origin}: not a class")
    missing = [a for a in ("Options", "collect", "permissions", "capabilities") if not hasattr(cls, a)]
    if missing:
        raise PluginError(f"connector plug-in {origin}: {cls.__qualname__} lacks {', '.join(missing)} "
                          "(see auditor.connector)")
    declared = getattr(cls, "kind", kind)
    if declared != kind:
        raise PluginError(f"connector plug-in {origin}: class kind {declared!r} differs from the entry point name")
    if not isinstance(getattr(cls, "capabilities", None), Capabilities):
        raise PluginError(f"connector plug-in {origin}: capabilities must be an auditor.connector.Capabilities")
    return cast("type[Connector]", cls)  # checked structurally above


def load_connectors(into: Registry[type[Connector]] | None = None) -> Registry[type[Connector]]:
    """Fill ``into`` (default: the process registry) with the built-in and installed kinds, once."""
    target = registry.connectors if into is None else into
    with _lock:
        if id(target) in _loaded:
            return target
        for kind, cls in builtin_connectors().items():
            if kind not in target:
                target.add(kind, cls)
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            origin = _origin(ep)
            if ep.name in target:
                raise PluginError(f"connector plug-in {origin}: kind {ep.name!r} is already registered")
            try:
                loaded = ep.load()
            except Exception as exc:  # noqa: BLE001 - whatever a third-party import raises: one line, exit 2
                raise PluginError(f"connector plug-in {origin} cannot be loaded: "
                                  f"{exc.__class__.__name__}: {exc}") from None
            target.add(ep.name, check_connector(loaded, ep.name, origin))
        _loaded.add(id(target))
    return target


def capabilities_of(cls: object) -> Capabilities | None:
    caps = getattr(cls, "capabilities", None)
    return caps if isinstance(caps, Capabilities) else None
