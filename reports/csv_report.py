"""CSV for spreadsheets: the findings at the given path, the datasets beside it.

One row per finding (``<path>``) and one per dataset (``<stem>-datasets.csv``). Unknown
facts read ``unknown``, never blank and never "no". A text cell that a spreadsheet would
run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR: names come from audited stores) is
prefixed with ``'``. Both files are written atomically, UTF-8 with a BOM so spreadsheet
programs read accents right.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from datetime import date, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from auditor.models import Dataset, Finding, Run
from reports.json_report import atomic_write

UNKNOWN = "unknown"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

FINDING_COLUMNS = (
    "id", "rule", "severity", "status", "new", "first_seen", "vendor", "source", "dataset", "title",
    "description", "remediation", "references", "evidence", "waiver_reason", "waiver_by", "waiver_until",
    "waiver_expired", "run_id", "as_of",
)
DATASET_COLUMNS = (
    "vendor", "source", "kind", "name", "parent", "uri", "status", "error", "records", "records_basis", "bytes",
    "created", "last_modified", "last_modified_basis", "oldest_modified", "age_days", "region",
    "encryption_at_rest", "encryption_in_transit", "public", "public_reasons", "has_retention", "retention_days",
    "versioning", "logging", "object_lock", "classified", "personal_data_types", "personal_data",
    "denied", "notes", "run_id", "as_of",
)


# json.dumps(value, ensure_ascii=False, sort_keys=True, default=str), its encoder made once rather than per
# cell (json.dumps builds a new one whenever an option is given: half the cost of a finding's evidence)
_EVIDENCE_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)


def _cell(value: Any, unknown: str = UNKNOWN) -> Any:
    """A CSV cell: None is ``unknown``; text that looks like a formula is made inert."""
    if type(value) is str:  # most cells: plain text, before the type tests below
        return "'" + value if value.startswith(FORMULA_START) else value
    if value is None:
        return unknown
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, list | tuple):
        value = "; ".join(str(_cell(v)) for v in value)
    elif isinstance(value, dict):
        value = _EVIDENCE_JSON.encode(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _age(run: Run, d: Dataset) -> int | None:
    if d.last_modified is None:
        return None
    as_of, lm = run.as_of, d.last_modified
    if (as_of.tzinfo is None) != (lm.tzinfo is None):
        as_of, lm = as_of.replace(tzinfo=None), lm.replace(tzinfo=None)
    return max(0, (as_of - lm).days)


def _run_cells(run: Run) -> tuple[Any, Any]:
    """The run's id and as-of cells, the same on every row."""
    return _cell(run.id), _cell(run.as_of)


def finding_row(run: Run, f: Finding, run_cells: tuple[Any, Any] | None = None) -> dict[str, Any]:
    run_id, as_of = run_cells or _run_cells(run)
    w = f.waiver or {}
    return {
        "id": f.id, "rule": f.rule, "severity": f.severity, "status": f.status, "new": _cell(f.new),
        "first_seen": _cell(f.first_seen, ""), "vendor": _cell(f.vendor), "source": _cell(f.source),
        "dataset": _cell(f.dataset), "title": _cell(f.title), "description": _cell(f.description, ""),
        "remediation": _cell(f.remediation, ""), "references": _cell(list(f.references)),
        "evidence": _cell(f.evidence), "waiver_reason": _cell(w.get("reason"), ""), "waiver_by": _cell(w.get("by"), ""),
        "waiver_until": _cell(w.get("until"), ""), "waiver_expired": _cell(w.get("expired"), "") if w else "",
        "run_id": run_id, "as_of": as_of,
    }


def dataset_row(run: Run, d: Dataset, run_cells: tuple[Any, Any] | None = None) -> dict[str, Any]:
    run_id, as_of = run_cells or _run_cells(run)
    has = d.has_personal_data
    return {
        "vendor": _cell(d.vendor), "source": _cell(d.source), "kind": d.kind, "name": _cell(d.name),
        "parent": _cell(d.parent, ""), "uri": _cell(d.uri), "status": d.status, "error": _cell(d.error, ""),
        "records": _cell(d.records), "records_basis": _cell(d.records_basis, ""), "bytes": _cell(d.bytes),
        "created": _cell(d.created), "last_modified": _cell(d.last_modified),
        "last_modified_basis": _cell(d.last_modified_basis, ""), "oldest_modified": _cell(d.oldest_modified, ""),
        "age_days": _cell(_age(run, d)), "region": _cell(d.region),
        "encryption_at_rest": d.encryption_at_rest, "encryption_in_transit": d.encryption_in_transit,
        "public": _cell(d.public), "public_reasons": _cell(list(d.public_reasons)),
        "has_retention": _cell(d.has_retention), "retention_days": _cell(d.retention_days, "" if d.has_retention is False else UNKNOWN),
        "versioning": _cell(d.versioning), "logging": _cell(d.logging), "object_lock": _cell(d.object_lock),
        "classified": _cell(d.classified),
        "personal_data_types": _cell(list(d.personal_types)) if has else ("none found" if has is False else UNKNOWN),
        "personal_data": _cell([f"{p.type}:{p.count}" + (f" in {', '.join(p.where)}" if p.where else "")
                                for p in d.personal_data]),
        "denied": _cell(list(d.denied)), "notes": _cell(list(d.notes)), "run_id": run_id, "as_of": as_of,
    }


# a text cell csv.writer (QUOTE_MINIMAL, "\r\n") would quote: a delimiter, a quote or a line break in it
_QUOTE = re.compile('[,"\r\n]')


def _csv_line(cells: tuple[Any, ...]) -> str:
    """One row as ``csv.writer(lineterminator="\r\n").writerow`` writes it, for rows of text and
    integers (the cells ``_cell`` makes); anything else, or a NUL, goes to ``csv.writer`` itself.
    Its writer walks each character in C; evidence cells are kilobytes of JSON full of quotes,
    where ``str.replace`` is several times faster."""
    out = []
    for v in cells:
        t = type(v)
        if t is str:
            if _QUOTE.search(v) is not None:
                if "\0" in v:
                    break
                v = '"' + v.replace('"', '""') + '"'
            out.append(v)
        elif t is int:
            out.append(str(v))
        else:
            break
    else:
        if len(out) == 1 and out[0] == "":
            return '""\r\n'  # a lone empty cell is quoted (a blank line would be no row at all)
        return ",".join(out) + "\r\n"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(cells)
    return buf.getvalue()


def _csv_text(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    cells = itemgetter(*columns)  # each row's cells in column order, picked in C
    return "".join(["\ufeff", _csv_line(columns), *(_csv_line(cells(r)) for r in rows)])


def datasets_path(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    return p.with_name(f"{p.stem}-datasets.csv")


def write_csv(run: Run, path: str | os.PathLike[str]) -> list[Path]:
    """The findings CSV at ``path`` and the datasets CSV at ``<stem>-datasets.csv`` beside it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    cells = _run_cells(run)
    findings = atomic_write(target, _csv_text(FINDING_COLUMNS, [finding_row(run, f, cells) for f in run.findings]))
    datasets = atomic_write(datasets_path(target),
                            _csv_text(DATASET_COLUMNS, [dataset_row(run, d, cells) for d in run.datasets]))
    return [findings, datasets]
