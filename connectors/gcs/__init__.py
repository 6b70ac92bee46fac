"""Google Cloud Storage (``kind: gcs``)."""

from connectors.gcs.connector import Connector, Options

__all__ = ["Connector", "Options"]
