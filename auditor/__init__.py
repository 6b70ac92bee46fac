"""auditor: finds personal data that third-party vendors still hold."""

__version__ = "0.1.0"
__all__ = ["__version__"]
