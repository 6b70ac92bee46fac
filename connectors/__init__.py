"""Connectors: read-only inventories of the stores vendors host.

Each connector kind lives in its own folder with the same shape (``connector.py``
holding an ``Options`` model and a ``Connector`` class, see :mod:`auditor.connector`) and
is listed in :func:`builtin`. The composition root (:mod:`auditor.plugins`) registers them,
with the third-party kinds of the ``auditor.connectors`` entry-point group. Connectors never
import ``policies`` or ``reports``.
"""

from __future__ import annotations

from auditor import registry
from auditor.connector import Connector


def builtin() -> dict[str, type[Connector]]:
    """The built-in kinds, imported explicitly (an import error is a broken install: it raises)."""
    from connectors.azure_blob import Connector as AzureBlobConnector
    from connectors.ftp import Connector as FtpConnector
    from connectors.gcs import Connector as GcsConnector
    from connectors.s3 import Connector as S3Connector
    from connectors.sftp import Connector as SftpConnector
    from connectors.sql import Connector as SqlConnector

    return {"sql": SqlConnector, "s3": S3Connector, "gcs": GcsConnector, "sftp": SftpConnector,
            "ftp": FtpConnector, "azure_blob": AzureBlobConnector}


def load_builtin() -> None:
    """Register the built-in kinds into the process registry (kept for tests and benchmarks; the
    CLI and the engine call :func:`auditor.plugins.load_connectors`, which adds installed plug-ins)."""
    for kind, cls in builtin().items():
        if kind not in registry.connectors:
            registry.connectors.add(kind, cls)
