"""SFTP drop servers (``kind: sftp``)."""

from connectors.sftp.connector import Connector, Options

__all__ = ["Connector", "Options"]
