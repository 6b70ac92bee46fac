"""SQL connector (``kind: sql``): PostgreSQL, MySQL/MariaDB and SQLite.

See :mod:`connectors.sql.connector` for the flow, :mod:`.dialects` for what each engine
answers, :mod:`.age` for the age of the data and :mod:`.sampling` for samples.
"""

from __future__ import annotations

from .connector import Connector, Options

__all__ = ["Connector", "Options"]
