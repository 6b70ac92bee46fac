"""Facts a SQL login never sees, read from the provider's API of a managed database.

A ``sql`` source may name its managed instance (``provider: {kind: rds, instance: NAME,
region: R}``); after collection the engine asks :func:`provider_facts` and fills the
tables' unknown facts with them (basis ``provider``).
"""

from __future__ import annotations

from typing import Any

from connectors.providers.rds import RdsProvider, read_rds

__all__ = ["RdsProvider", "read_rds", "provider_facts", "PROVIDERS"]

PROVIDERS = {"rds": (RdsProvider, read_rds)}


def provider_facts(spec: Any):
    """The :class:`~connectors.providers.rds.ProviderFacts` of a validated provider spec."""
    _, read = PROVIDERS[spec.kind]
    return read(spec)
