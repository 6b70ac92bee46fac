"""S3 and S3-compatible object stores (``kind: s3``)."""

from connectors.s3.connector import Connector, Options

__all__ = ["Connector", "Options"]
