"""FTP and explicit FTPS drop servers (``kind: ftp``)."""

from connectors.ftp.connector import Connector, Options

__all__ = ["Connector", "Options"]
