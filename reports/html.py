"""The HTML report: one self-contained file, plus the ``index.html`` of its folder.

Jinja2 with autoescape and ``StrictUndefined``: every value from an audited store is
escaped, none is marked safe. The page carries its CSS and JS inline and a
Content-Security-Policy that forbids any other host; the script reads data only from
``data-`` attributes and a JSON blob written with Jinja's ``tojson`` (which escapes
``<``, ``>``, ``&`` and ``'``, so ``</script>`` in a name stays inert).

What the page says is computed in :mod:`reports.context`; this module only adds the
geometry of the two inline SVG charts and keeps the folder's ``index.json`` (one entry
per run written there, deduplicated by run id) from which ``index.html`` is rendered.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import os
import re
import shlex
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from auditor.models import SEVERITIES, Run
from reports.context import SEVERITY_LABELS, build_report_context, trigger_words, when
from reports.json_report import atomic_write

try:  # POSIX: serialise index updates of concurrent writers in one folder
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
INDEX_JSON, INDEX_HTML = "index.json", "index.html"
INDEX_MARK = '<meta name="generator" content="auditor run index">'  # an index.html without it is not ours
TREND_RUNS = 30
_env: Environment | None = None


def environment() -> Environment:
    global _env
    if _env is None:
        _env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                           trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        _env.filters["breakable"] = breakable
        _env.filters["compact_json"] = compact_json
    return _env


_BREAK_RUN = re.compile(r"[/._:,@=&?-]+(?=.)", re.DOTALL)  # a run with text after it


def _escaped(text: str) -> str:
    """``markupsafe.escape`` of a plain string, as a plain string (the same five entities)."""
    return str(escape(text))


@functools.lru_cache(maxsize=65536)
def _breakable(text: str) -> Markup:
    out = []
    last = 0
    for m in _BREAK_RUN.finditer(text):
        out.append(_escaped(text[last:m.end()]))
        out.append("<wbr>")
        last = m.end()
    out.append(_escaped(text[last:]))
    return Markup("".join(out))


def breakable(value: object) -> Markup:
    """Escaped text with a ``<wbr>`` after each ``/ . _ : , @ = & ? -`` run, so a long URI or
    dataset name wraps at a sensible point on a phone or on paper (never letter by letter).
    Every value is escaped (a name from an audited store may hold markup); within one report
    each distinct text is done once (names repeat across the inventory, findings and evidence)."""
    return _breakable(str(value))


def _compact_dumps(value: object) -> str:
    """``json.dumps(value, separators=(",", ":"), ensure_ascii=False)``, encoded by orjson (the same
    text for strings, integers, lists and mappings with text keys: what the islands hold, built
    above from indexes and strings); a value orjson refuses (a lone surrogate, an integer past 64
    bits, a non-text key) goes through ``json.dumps``."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def compact_json(value: object) -> Markup:
    """``tojson`` without the spaces (``<``, ``>``, ``&`` and ``'`` escaped the same way): for the
    data islands of a large report, where the spaces alone are a fifth of the bytes."""
    return htmlsafe_json_dumps(value, dumps=_compact_dumps)


WAIVE_DAYS = 90  # the --until the copied command suggests: as-of plus this (edit it before running)


def waive_command(run: Run) -> Any:
    """``f(finding_id) -> str``: the exact ``auditor waive`` command a reviewer pastes into a shell."""
    as_of = run.as_of if run.as_of.tzinfo else run.as_of.replace(tzinfo=UTC)
    until = (as_of.astimezone(UTC) + timedelta(days=WAIVE_DAYS)).date().isoformat()
    config = run.config_path if run.config_path and not run.config_path.startswith("<") else "auditor.yaml"

    def command(finding_id: str) -> str:
        return (f"auditor waive {shlex.quote(finding_id)} --reason \"...\" --until {until} "
                f"-c {shlex.quote(config)}")

    return command


# --------------------------------------------------------------------------- chart geometry


def _nice_top(value: int) -> tuple[int, int]:
    """(top, step) of a y axis holding ``value`` with at most about five ticks."""
    value = max(1, value)
    magnitude = 10 ** max(0, math.floor(math.log10(value)) - 1)
    for step in (m * magnitude for m in (1, 2, 5, 10, 20, 50, 100)):
        if value / step <= 5:
            return step * math.ceil(value / step), step
    return value, value  # pragma: no cover - unreachable with the steps above


def _stacked(columns: list[dict[str, Any]], series: list[str], width: int = 760, height: int = 250,
             gap_before_last: bool = False) -> dict[str, Any]:
    """Stacked bars: each column has ``counts`` per series and a ``label``."""
    left, right, top_pad, bottom = 44, 12, 16, 46
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top, step = _nice_top(max((sum(c["counts"].values()) for c in columns), default=0))
    slots = len(columns) + (0.6 if gap_before_last else 0)
    band = plot_w / max(1, slots)
    bar_w = max(3.0, min(56.0, band * 0.68))
    bars, labels = [], []
    for i, col in enumerate(columns):
        shift = 0.6 if gap_before_last and i == len(columns) - 1 else 0
        cx = left + band * (i + shift + 0.5)
        y = top_pad + plot_h
        for key in series:
            n = col["counts"].get(key, 0)
            if n:
                h = plot_h * n / top
                y -= h
                bars.append({"x": round(cx - bar_w / 2, 1), "y": round(y, 1), "w": round(bar_w, 1),
                             "h": round(h, 1), "cls": key, "title": f"{col['label']}: {n:,} {col['names'][key]}"})
        total = sum(col["counts"].values())
        labels.append({"x": round(cx, 1), "text": col["label"], "total": total, "total_y": round(y - 4, 1),
                       "show": col.get("show_label", True)})
    ticks = [{"y": round(top_pad + plot_h - plot_h * v / top, 1), "text": f"{v:,}"} for v in range(0, top + 1, step)]
    return {"width": width, "height": height, "left": left, "right": width - right, "top": top_pad,
            "base": top_pad + plot_h, "band": round(band, 1), "bars": bars, "labels": labels, "ticks": ticks,
            "label_y": top_pad + plot_h + 16}


def age_svg(age: dict[str, Any]) -> dict[str, Any]:
    names = {"personal": "dataset(s) holding personal data", "unclassified": "dataset(s) not classified",
             "clean": "dataset(s) with no personal data found"}
    columns = [{"label": b["label"], "counts": b["counts"], "names": names} for b in age["bins"]]
    chart = _stacked(columns, [s["key"] for s in age["series"]], gap_before_last=True)
    limit_x = chart["left"] + chart["band"] * age["limit_index"]
    last_age_x = chart["left"] + chart["band"] * (len(columns) - 1)
    return {**chart, "limit_x": round(limit_x, 1), "over_w": round(last_age_x - limit_x, 1)}


def trend_svg(entries: list[dict[str, Any]]) -> dict[str, Any]:
    shown = entries[-TREND_RUNS:]
    every = max(1, math.ceil(len(shown) / 10))
    names = {s: f"open {s} finding(s)" for s in SEVERITIES}
    columns = [{"label": e["as_of"][:10], "counts": e["open"], "names": names,
                "show_label": i % every == 0 or i == len(shown) - 1} for i, e in enumerate(shown)]
    return _stacked(columns, list(SEVERITIES), height=220)


# --------------------------------------------------------------------------- the report


# --------------------------------------------------------------------------- reports at scale
#
# A report of ten thousand datasets written row by row is tens of megabytes and takes Chromium
# many seconds to lay out. Above these sizes the inventory is a paged table and the findings are
# grouped by rule, then vendor (each rule's explanation said once); both are drawn by the page's
# script from compact JSON (every string once, rows as indexes into that list) with textContent
# only, so a hostile name stays text. Below them the page is written out in full, as before.

PAGED_ABOVE = 300  # datasets
GROUPED_ABOVE = 100  # findings
INVENTORY_PAGE = 100  # rows on one page of the paged inventory


class _Strings:
    """Each distinct string once; rows refer to it by index."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.values: list[str] = []

    def __call__(self, value: object) -> int:
        text = "" if value is None else str(value)
        i = self.index.get(text)
        if i is None:
            i = self.index[text] = len(self.values)
            self.values.append(text)
        return i

    def pairs(self, items: list[tuple[str, str]]) -> list[int]:
        """Each pair's key and value, as :meth:`__call__` gives them (inlined: evidence has many pairs)."""
        index, values = self.index, self.values
        out: list[int] = []
        for pair in items:
            for value in pair:
                text = value if type(value) is str else "" if value is None else str(value)
                i = index.get(text)
                if i is None:
                    i = index[text] = len(values)
                    values.append(text)
                out.append(i)
        return out


def inventory_island(rows: list[dict[str, Any]]) -> dict[str, Any]:
    s = _Strings()
    out = []
    for d in rows:
        out.append([s(d["name"]), s(d["uri"]), s(d["kind"]), s(d["vendor"]), s(d["source"]), d["depth"],
                    s(d["records"]), s(d["bytes"]), s(d["last_modified"]), s(d["age"]), s(d["basis"]),
                    1 if d["stale"] else 0, s(d["region"]), s.pairs(d["protection"]),
                    [s(x) for x in d["personal"]], s(d["status"]), s(d["error"]),
                    [s(x) for x in d["denied"]], [s(x) for x in d["notes"]], s.pairs(d["facts"])])
    return {"strings": s.values, "rows": out, "page": INVENTORY_PAGE}


def finding_groups(findings: list[dict[str, Any]], waive: Any) -> dict[str, Any]:
    """Findings by rule (worst first), then vendor; a rule's explanation is written once unless a
    finding's own differs, and each group's findings are rows of indexes into one string list."""
    s = _Strings()
    of_rule: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        of_rule.setdefault(f["rule"], []).append(f)

    def most(rule: str, field: str) -> Any:
        """A rule's most common text, title or references (the first seen of equally common ones)."""
        values = (tuple(f[field]) for f in of_rule[rule]) if field == "references" else (f[field] for f in of_rule[rule])
        return Counter(values).most_common(1)[0][0]

    rules: dict[str, dict[str, Any]] = {}
    for f in findings:
        rule = rules.get(f["rule"])
        if rule is None:  # a rule's group, made at its first finding (its most common texts counted once)
            rule = rules[f["rule"]] = {"rule": f["rule"], "title": most(f["rule"], "title"), "rank": f["rank"],
                                       "severity": f["severity"], "severity_label": f["severity_label"],
                                       "description": most(f["rule"], "description"),
                                       "remediation": most(f["rule"], "remediation"),
                                       "references": list(most(f["rule"], "references")),
                                       "count": 0, "open": 0, "vendors": {}}
        if f["rank"] < rule["rank"]:  # a rule's group shows its worst severity
            rule.update(rank=f["rank"], severity=f["severity"], severity_label=f["severity_label"])
        rule["count"] += 1
        rule["open"] += f["status"] == "open"
        group = rule["vendors"].setdefault(f["vendor"], {"vendor": f["vendor"], "vendor_name": f["vendor_name"],
                                                         "count": 0, "rows": []})
        group["count"] += 1
        own = [f["description"] if f["description"] != rule["description"] else "",
               f["remediation"] if f["remediation"] != rule["remediation"] else ""]
        group["rows"].append([s(f["id"]), s(f["severity"]), f["rank"], s(f["status"]), 1 if f["new"] else 0,
                              s(f["title"]), s(f["dataset"]), s(f["source"]), s(f["uri"]), s(f["since"]),
                              s(f["first_seen"]), s.pairs(f["evidence"]), s(f["waiver_until"]) if f["waiver_expired"] else -1,
                              s(own[0]), s(own[1]), s(f["vendor_name"])])
    ordered = sorted(rules.values(), key=lambda r: (r["rank"], r["rule"]))
    for n, rule in enumerate(ordered):
        rule["key"] = f"g{n}"
        rule["vendors"] = sorted(rule["vendors"].values(), key=lambda g: g["vendor_name"].lower())
        for m, group in enumerate(rule["vendors"]):
            group["key"] = f"g{n}-{m}"
    prefix, _, suffix = waive("FINDING_ID").partition("FINDING_ID")
    island = {"strings": s.values, "waive": [prefix, suffix],
              "groups": {g["key"]: {"rule": r["rule"], "vendor": g["vendor"], "rows": g["rows"]}
                         for r in ordered for g in r["vendors"]}}
    for rule in ordered:
        for group in rule["vendors"]:
            del group["rows"]
    return {"rules": ordered, "island": island}


def render_html(run: Run) -> str:
    _breakable.cache_clear()  # per report: names are not kept from one report to the next
    ctx = build_report_context(run)
    ctx["age_svg"] = age_svg(ctx["age"])
    ctx["generated"] = when(datetime.now(UTC))
    waive = waive_command(run)
    ctx["paged"] = inventory_island(ctx["inventory"]) if len(ctx["inventory"]) > PAGED_ABOVE else None
    ctx["grouped"] = finding_groups(ctx["findings"], waive) if len(ctx["findings"]) > GROUPED_ABOVE else None
    return environment().get_template("report.html.j2").render(r=ctx, waive=waive)


def write_html(run: Run, path: str | os.PathLike[str], html: str | None = None) -> Path:
    """Write the report atomically, then refresh its folder's ``index.json`` and ``index.html``
    (``html``: the report already rendered from ``run``, :mod:`reports.prerender`)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if html is None:
        html = render_html(run)
    if target.name == INDEX_HTML:
        log.warning("report written as %s: the folder index is not updated (it would replace the report)", target)
        return atomic_write(target, html)
    with _locked(target.parent):
        _keep_earlier_report(run, target)
        written = atomic_write(target, html)
        _update_index(run, written)
    return written


def _run_file_name(target: Path, run_id: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", run_id).strip("-") or "run"
    return f"{target.stem}.{safe}{target.suffix}"


def _keep_earlier_report(run: Run, target: Path) -> None:
    """A report written again under the same name (``--html reports/report.html`` every night)
    would replace the earlier run's report that the index links to: move that one aside to a
    run-id name first (``report.<run id>.html``) and point its index entry there."""
    if not target.exists():
        return
    entries = load_index(target.parent)
    earlier = [e for e in entries if e["file"] == target.name and e["run_id"] != run.id]
    if not earlier:
        return
    keep = target.with_name(_run_file_name(target, earlier[-1]["run_id"]))
    os.replace(target, keep)
    for e in earlier:
        e["file"] = keep.name
    atomic_write(target.parent / INDEX_JSON, json.dumps({"runs": entries}, indent=2, ensure_ascii=False) + "\n")
    log.info("the earlier report of run %s in %s was kept as %s", earlier[-1]["run_id"], target.parent, keep.name)


# --------------------------------------------------------------------------- the folder index


def index_entry(run: Run, file_name: str) -> dict[str, Any]:
    opens = [f for f in run.findings if f.status == "open"]
    as_of = run.as_of if run.as_of.tzinfo else run.as_of.replace(tzinfo=UTC)
    return {"run_id": run.id, "as_of": as_of.astimezone(UTC).isoformat(), "trigger": run.trigger,
            "trigger_text": trigger_words(run)[0], "status": run.status,
            "open": {s: sum(1 for f in opens if f.severity == s) for s in SEVERITIES},
            "open_total": len(opens), "file": file_name}


def _valid(entry: Any) -> bool:
    return (isinstance(entry, dict) and isinstance(entry.get("run_id"), str) and isinstance(entry.get("as_of"), str)
            and isinstance(entry.get("file"), str) and isinstance(entry.get("open"), dict))


def load_index(folder: Path) -> list[dict[str, Any]]:
    path = folder / INDEX_JSON
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        keep = path.with_name(f"{INDEX_JSON}.unreadable")
        os.replace(path, keep)
        log.warning("%s could not be read (%s); kept as %s and started afresh", path, type(exc).__name__, keep.name)
        return []
    entries = data.get("runs", []) if isinstance(data, dict) else []
    return [e for e in entries if _valid(e)]


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(folder / ".index.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def update_index(run: Run, report: Path) -> Path:
    with _locked(report.parent):
        return _update_index(run, report)


def _update_index(run: Run, report: Path) -> Path:
    folder = report.parent
    entries = [e for e in load_index(folder) if e["run_id"] != run.id]
    entries.append(index_entry(run, report.name))
    entries.sort(key=lambda e: (e["as_of"], e["run_id"]))
    atomic_write(folder / INDEX_JSON, json.dumps({"runs": entries}, indent=2, ensure_ascii=False) + "\n")
    index = folder / INDEX_HTML
    if index.exists() and INDEX_MARK not in index.read_text(encoding="utf-8", errors="replace")[:4096]:
        log.warning("%s is not an index this tool wrote: left as it is (runs are listed in %s)", index, INDEX_JSON)
        return index
    return atomic_write(index, render_index(entries))


def render_index(entries: list[dict[str, Any]]) -> str:
    rows = []
    for i, e in enumerate(entries):
        prev = entries[i - 1]["open_total"] if i else None
        delta = "" if prev is None else f"{e['open_total'] - prev:+d}" if e["open_total"] != prev else "±0"
        rows.append({**e, "as_of_text": e["as_of"][:16].replace("T", " ") + " UTC", "href": quote(e["file"]),
                     "delta": delta, "chips": [{"severity": s, "label": SEVERITY_LABELS[s], "count": e["open"].get(s, 0)}
                                               for s in SEVERITIES]})
    latest = rows[-1] if rows else None
    return environment().get_template("index.html.j2").render(
        rows=list(reversed(rows)), latest=latest, trend=trend_svg(entries) if entries else None,
        trend_runs=min(len(entries), TREND_RUNS), severities=[{"key": s, "label": SEVERITY_LABELS[s]} for s in SEVERITIES],
        generated=when(datetime.now(UTC)))
