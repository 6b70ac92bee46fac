"""Facts a SQL login never sees, read from the provider's API of a managed database.

A ``sql`` source may name its managed instance (``provider: {kind: rds, instance: NAME,
region: R}``); after collection the engine asks :func:`provider_facts` and fills the
tables' unknown facts with them (basis ``provider``).
"""

from __future__ import annotations

from typing import Any

from connectors.providers.rds import read_rds

__all__ = ["read_rds", "provider_facts", "READERS"]

READERS = {"rds": read_rds}  # kind -> reader; the specs are validated by auditor.config (PROVIDERS)


def provider_facts(spec: Any):
    """The :class:`~connectors.providers.rds.ProviderFacts` of a validated provider spec."""
    return READERS[spec.kind](spec)
