"""The one path after a run, for both doors (``auditor scan`` and the scheduler):
exit code -> every output written -> notification.

Each door says only *where* the outputs go (:class:`Targets`): ``auditor scan`` the files its
flags name, the scheduler every format dated in ``reports_dir`` (:meth:`Targets.dated`), each
also copied to ``latest.<ending>``. What is written, and how, is decided here once, so the two
doors cannot drift apart (``auditor report`` re-renders through :func:`write_targets` too).

A report that cannot be written leaves the run stored but without a usable result for a
gate: the exit code becomes 3 (incomplete) and the notification says so. Each door then
tells its reader (the CLI's summary, the scheduler's log line).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.engine import exit_code
from auditor.models import Run
from auditor.notify import notify_after_run
from auditor.outputs import write_outputs
from reports.write import write_reports

if TYPE_CHECKING:
    from auditor.config import Config
    from auditor.redact import Redactor

PathLike = str | os.PathLike[str] | None


@dataclass(frozen=True)
class Targets:
    """Where one run's outputs go, by format (None: not written)."""

    json: PathLike = None
    html: PathLike = None
    csv: PathLike = None  # findings; ``<name>-datasets.csv`` beside it
    ocsf: PathLike = None  # JSON lines, or a JSON array when it ends in .json
    junit: PathLike = None
    metrics: PathLike = None  # a Prometheus textfile
    stem: str | None = None  # dated files: each is also copied to latest<its name after the stem> beside it

    # the ending of each format's file after the stem (what `auditor scan` users name them)
    ENDINGS = {"json": ".json", "html": ".html", "csv": ".csv", "ocsf": ".ocsf.jsonl", "junit": ".junit.xml",
               "metrics": ".prom"}

    @classmethod
    def dated(cls, folder: Path, stem: str) -> Targets:
        """Every format as ``<folder>/<stem><ending>`` (the scheduler's reports)."""
        return cls(**{k: folder / f"{stem}{end}" for k, end in cls.ENDINGS.items()}, stem=stem)

    @property
    def paths(self) -> list[str]:
        return [str(getattr(self, f.name)) for f in fields(self) if f.name != "stem" and getattr(self, f.name)]


class TargetsNotWritten(OSError):
    """Some outputs could not be written (each one's reason in the message); ``written``: the
    paths of those that were (one output that cannot be written never costs the others)."""

    def __init__(self, reasons: list[str], written: list[Path]) -> None:
        super().__init__("; ".join(reasons))
        self.written = written


def write_targets(run: Run, config: Config | None, targets: Targets, fail_on: str,
                  policy_specs: list[str] | None = None, store: Any = None) -> list[Path]:
    """Write every output ``targets`` names; returns their paths (not the latest copies). Each
    is written on its own: one that cannot be written (a full disk, a path under ``/proc``, a file
    where its folder should be) is named in the :class:`TargetsNotWritten` raised after the
    others are written."""
    t = targets
    written: list[Path] = []
    reasons: list[str] = []
    for name in Targets.ENDINGS:
        path = getattr(t, name)
        if not path:
            continue
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)  # the first night's dated folder
            if name in ("json", "html", "csv"):
                got = write_reports(run, **{f"{name}_path": path})
            else:
                got = write_outputs(run, config, **{name: path}, fail_on=fail_on, policy_specs=policy_specs,
                                    store=store)
            if t.stem:
                from reports.json_report import atomic_write

                for done in got:
                    atomic_write(done.parent / f"latest{done.name.removeprefix(t.stem)}",
                                 done.read_text(encoding="utf-8"))
            written += got
        except OSError as exc:
            reasons.append(str(exc))
    if reasons:
        raise TargetsNotWritten(reasons, written)
    return written


@dataclass
class Published:
    code: int  # the run's exit code (CONTRACT.md), 3 when a report could not be written
    written: list[Path] = field(default_factory=list)
    error: str | None = None  # why a report could not be written (redacted); the run itself is stored
    reports: dict[str, Path] = field(default_factory=dict)  # the JSON and HTML reports (what a notification links)


def publish(run: Run, config: Config, fail_on: str, targets: Targets, redactor: Redactor,
            policy_specs: list[str] | None = None) -> Published:
    """``run`` is stored: judge its exit code at ``fail_on``, write every output ``targets``
    names, notify."""
    out = Published(code=exit_code(run, fail_on))
    try:
        out.written = write_targets(run, config, targets, fail_on, policy_specs)
    except OSError as exc:  # the run is stored; its reports are not (all): not a usable result for a gate
        out.error, out.code = redactor(str(exc)), 3
        out.written = list(getattr(exc, "written", []))
    # the JSON and HTML reports written (never an OCSF .json)
    out.reports = {k: Path(p) for k in ("json", "html") if (p := getattr(targets, k)) and Path(p) in out.written}
    notify_after_run(config, run, out.code, out.reports, redactor, fail_on=fail_on)
    return out
