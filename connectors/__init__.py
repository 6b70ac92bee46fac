"""Connectors: read-only inventories of the stores vendors host.

Each connector kind lives in its own folder with the same shape (``connector.py``
holding an ``Options`` model and a ``Connector`` class) and is registered explicitly in
:func:`load_builtin`. Connectors never import ``policies`` or ``reports``.
"""

from __future__ import annotations

from auditor import registry

_loaded = False


def load_builtin() -> None:
    """Register the built-in connector kinds once (explicit imports, no magic)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    import importlib

    for kind, module in (("sql", "connectors.sql"), ("s3", "connectors.s3"), ("gcs", "connectors.gcs")):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a connector not built yet, or a missing optional extra
            if exc.name and exc.name.startswith(module):
                continue
            raise
        connector = getattr(mod, "Connector", None)
        if connector is not None and kind not in registry.connectors:
            registry.connectors.add(kind, connector)
