"""Write the reports asked for, each atomically (a reader never sees half a file)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.gcpause import fewer_collections
from auditor.models import Run

if TYPE_CHECKING:
    from reports.prerender import Prerendered

PathLike = str | os.PathLike[str] | None


def write_reports(run: Run, json_path: PathLike = None, html_path: PathLike = None,
                  csv_path: PathLike = None, rendered: Prerendered | None = None) -> list[Path]:
    """JSON per the contract; HTML (which also refreshes its folder's index.html); CSV of
    findings plus ``<name>-datasets.csv`` beside it. ``rendered``: the HTML a child process
    rendered from ``run`` (:mod:`reports.prerender`), written when there is one."""
    with fewer_collections():
        return _write_reports(run, json_path, html_path, csv_path, rendered)


def _write_reports(run: Run, json_path: PathLike, html_path: PathLike, csv_path: PathLike,
                   rendered: Prerendered | None = None) -> list[Path]:
    written: list[Path] = []
    if json_path:
        from reports.json_report import write_json

        written.append(write_json(run, json_path))
    if html_path:
        from reports.html import write_html

        written.append(write_html(run, html_path, rendered.html(run) if rendered is not None else None))
    if csv_path:
        from reports.csv_report import write_csv

        written.extend(write_csv(run, csv_path))
    return written
