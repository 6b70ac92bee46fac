"""Renderers of a stored run: JSON (the contract), CSV, HTML.

Reports never import connectors: they render a :class:`auditor.models.Run`.
"""

from reports.json_report import SCHEMA_VERSION, render_json, write_json

__all__ = ["SCHEMA_VERSION", "render_json", "write_json"]
