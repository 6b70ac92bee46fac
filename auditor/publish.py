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

import logging
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
    from reports.prerender import Prerendered

PathLike = str | os.PathLike[str] | None
log = logging.getLogger(__name__)


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


@dataclass
class Prerender:
    """A door's ``RunOptions.before_save``: once the run is built, the HTML report ``targets``
    names starts rendering in a child process (:mod:`reports.prerender`) while the run is stored
    and the other outputs are written; :func:`publish` (``rendered=``) writes its text last.
    ``close()`` stops a child whose text was not taken (a run that ended in an error)."""

    targets: Targets
    rendered: Prerendered | None = None

    def __call__(self, run: Run) -> None:
        from reports.prerender import start

        self.close()
        if self.targets.html:
            try:
                self.rendered = start(run)
            except Exception:  # noqa: BLE001 - an accelerator: whatever fails, the report is rendered in the process
                log.debug("reports: the HTML report is not rendered ahead", exc_info=True)
                self.rendered = None

    def take(self) -> Prerendered | None:
        """The child's handle, now the caller's (to take its text, and reap it)."""
        rendered, self.rendered = self.rendered, None
        return rendered

    def close(self) -> None:
        rendered = self.take()
        if rendered is not None:
            rendered.close()


class TargetsNotWritten(OSError):
    """Some outputs could not be written (each one's reason in the message); ``written``: the
    paths of those that were (one output that cannot be written never costs the others)."""

    def __init__(self, reasons: list[str], written: list[Path]) -> None:
        super().__init__("; ".join(reasons))
        self.written = written


def write_targets(run: Run, config: Config | None, targets: Targets, fail_on: str,
                  policy_specs: list[str] | None = None, store: Any = None,
                  rendered: Prerendered | None = None) -> list[Path]:
    """Write every output ``targets`` names; returns their paths (not the latest copies). Each
    is written on its own: one that cannot be written (a full disk, a path under ``/proc``, a file
    where its folder should be) is named in the :class:`TargetsNotWritten` raised after the
    others are written. ``rendered``: the HTML report a child process is rendering (:class:`Prerender`),
    written last (the child works while the others are written)."""
    try:
        return _write_targets(run, config, targets, fail_on, policy_specs, store, rendered)
    finally:
        if rendered is not None:
            rendered.close()


def _write_targets(run: Run, config: Config | None, targets: Targets, fail_on: str, policy_specs: list[str] | None,
                   store: Any, rendered: Prerendered | None) -> list[Path]:
    t = targets
    got_of: dict[str, list[Path]] = {}
    why_not: dict[str, str] = {}
    order = list(Targets.ENDINGS)
    if rendered is not None:  # rendered elsewhere meanwhile: written after the others (named in the usual order)
        order.append(order.pop(order.index("html")))
    for name in order:
        path = getattr(t, name)
        if not path:
            continue
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)  # the first night's dated folder
            if name in ("json", "html", "csv"):
                got = write_reports(run, **{f"{name}_path": path}, rendered=rendered)
            else:
                got = write_outputs(run, config, **{name: path}, fail_on=fail_on, policy_specs=policy_specs,
                                    store=store)
            if t.stem:
                from reports.json_report import atomic_write

                for done in got:
                    atomic_write(done.parent / f"latest{done.name.removeprefix(t.stem)}",
                                 done.read_text(encoding="utf-8"))
            got_of[name] = got
        except OSError as exc:
            why_not[name] = str(exc)
    written = [p for name in Targets.ENDINGS for p in got_of.get(name, [])]
    reasons = [why_not[name] for name in Targets.ENDINGS if name in why_not]
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
            policy_specs: list[str] | None = None, rendered: Prerender | None = None) -> Published:
    """``run`` is stored: judge its exit code at ``fail_on``, write every output ``targets``
    names (``rendered``: the door's :class:`Prerender`, whose HTML is used), notify."""
    out = Published(code=exit_code(run, fail_on))
    try:  # the child's handle taken: write_targets writes its text and reaps it
        out.written = write_targets(run, config, targets, fail_on, policy_specs,
                                    rendered=rendered.take() if rendered is not None else None)
    except OSError as exc:  # the run is stored; its reports are not (all): not a usable result for a gate
        out.error, out.code = redactor(str(exc)), 3
        out.written = list(getattr(exc, "written", []))
    # the JSON and HTML reports written (never an OCSF .json)
    out.reports = {k: Path(p) for k in ("json", "html") if (p := getattr(targets, k)) and Path(p) in out.written}
    notify_after_run(config, run, out.code, out.reports, redactor, fail_on=fail_on)
    return out
