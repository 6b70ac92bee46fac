"""Azure Blob Storage (``kind: azure_blob``)."""

from connectors.azure_blob.connector import Connector, Options

__all__ = ["Connector", "Options"]
