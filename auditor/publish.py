"""The one path after a run, for both doors (``auditor scan`` and the scheduler):
exit code -> reports written -> notification.

A report that cannot be written leaves the run stored but without a usable result for a
gate: the exit code becomes 3 (incomplete) and the notification says so. Each door then
tells its reader (the CLI's summary, the scheduler's log line).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.engine import exit_code
from auditor.models import Run
from auditor.notify import notify_after_run

if TYPE_CHECKING:
    from auditor.config import Config
    from auditor.redact import Redactor


@dataclass
class Published:
    code: int  # the run's exit code (CONTRACT.md), 3 when a report could not be written
    written: list[Path] = field(default_factory=list)
    error: str | None = None  # why a report could not be written (redacted); the run itself is stored

    @property
    def reports(self) -> dict[str, Path]:
        """The JSON and HTML reports by format (what a notification links)."""
        return {p.suffix[1:]: p for p in self.written if p.suffix in (".json", ".html")}


def publish(run: Run, config: Config, fail_on: str, write: Callable[[Run], Iterable[Path]],
            redactor: Redactor) -> Published:
    """``run`` is stored: judge its exit code at ``fail_on``, ``write`` its reports, notify."""
    out = Published(code=exit_code(run, fail_on))
    try:
        out.written = list(write(run))
    except OSError as exc:  # the run is stored; its reports are not: not a usable result for a gate
        out.error, out.code = redactor(str(exc)), 3
    notify_after_run(config, run, out.code, out.reports, redactor, fail_on=fail_on)
    return out
