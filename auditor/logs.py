"""Logging for people and for cron: plain lines on stderr (or JSON lines), credentials
scrubbed from every record, and a progress display only when stderr is a terminal."""

from __future__ import annotations

import json
import logging
import sys
import threading
import unicodedata
import warnings
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from auditor.classify.scrub import scrub_text
from auditor.redact import RedactingFilter, Redactor


def safe_text(text: str, keep_newlines: bool = False) -> str:
    """What a log line may carry of names read from audited stores (a table, a bucket, a key):
    control and format characters escaped (no terminal escape codes, no forged log lines, no
    bidi tricks), and values hiding in names (an e-mail used as a table name) masked."""
    out = []
    for ch in text:
        if keep_newlines and ch == "\n":
            out.append(ch)
        elif ch in "\u2028\u2029" or unicodedata.category(ch) in ("Cc", "Cf"):
            out.append(repr(ch)[1:-1] if ch != "'" else ch)
        else:
            out.append(ch)
    return scrub_text("".join(out))


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = f"{ts} {record.levelname:<7} {record.name}: {safe_text(record.getMessage())}"
        if record.exc_text:
            line += "\n" + safe_text(record.exc_text, keep_newlines=True)
        return line


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat().replace("+00:00", "Z"),
               "level": record.levelname.lower(), "logger": record.name, "message": safe_text(record.getMessage())}
        if record.exc_text:
            doc["exception"] = safe_text(record.exc_text, keep_newlines=True)
        return json.dumps(doc, ensure_ascii=False)


def _warning_to_log(message, category, filename, lineno, file=None, line=None) -> None:
    """Python's warnings (a library's word on an audited store: SQLAlchemy's "Did not recognize type
    'pg_lsn' of column '...'") as log lines, escaped and scrubbed like every other, silent under -q;
    the warnings module would print them raw on stderr, names from the audited store and all."""
    if file is not None:  # written to a file of the caller's choosing: left as it was asked
        _show_warning(message, category, filename, lineno, file, line)
        return
    logging.getLogger("py.warnings").warning("%s: %s", category.__name__, message)


_show_warning = warnings.showwarning


def setup_logging(verbosity: int, fmt: str, redactor: Redactor, stream=None) -> logging.Handler:
    """verbosity: -1 quiet (errors), 0 warnings+run summary, 1 info, 2 debug."""
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_auditor", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._auditor = True  # type: ignore[attr-defined]
    handler.setFormatter(_JsonFormatter() if fmt == "json" else _TextFormatter())
    handler.addFilter(RedactingFilter(redactor))
    root.addHandler(handler)
    root.setLevel(level)
    warnings.showwarning = _warning_to_log
    # third-party chatter stays at warning unless debugging
    for noisy in ("botocore", "boto3", "urllib3", "google", "s3transfer", "werkzeug", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbosity >= 3 else logging.WARNING)
    return handler


class Progress:
    """Datasets found per source: a live rich display on a terminal, nothing otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._lock = threading.Lock()
        self._progress: Any = None  # a rich Progress while shown
        self._tasks: dict[str, int] = {}

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import Progress as RichProgress
            from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = RichProgress(SpinnerColumn(), TextColumn("{task.description}"),
                                          TextColumn("{task.completed} datasets"), TimeElapsedColumn(),
                                          console=Console(stderr=True), transient=True)
            self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()

    def callback(self) -> Callable[[str, int], None] | None:
        if not self.enabled:
            return None

        def update(source: str, count: int) -> None:
            with self._lock:
                if source not in self._tasks:
                    self._tasks[source] = self._progress.add_task(source, total=None)
                self._progress.update(self._tasks[source], completed=count)

        return update
