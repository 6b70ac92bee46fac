"""Where per-source collection runs.

``local`` (the default): a bounded pool of daemon threads in this process
(:func:`auditor.engine.collect_all`). ``celery``: units sent to Celery workers (``auditor worker
-c CONFIG``): a source, or a part of one (a bucket, a schema: :mod:`auditor.executors.units`),
which they collect and classify, sending back datasets and collection errors only
(:mod:`auditor.executors.celery_exec`). Both return the same per-source outcomes, in the order of
the sources, an object store's datasets in bucket order; the engine does the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from auditor.config import Config, SourceConfig
from auditor.redact import Redactor

KINDS = ("local", "celery")


def kind_of(config: Config, override: str | None = None) -> str:
    if override:
        return override
    return config.executor.kind if config.executor else "local"


def collect(config: Config, sources: Sequence[SourceConfig], as_of: datetime, redact: Redactor,
            progress: Callable[[str, int], None] | None, key: bytes, override: str | None = None,
            memos: tuple[dict, bytes] | None = None) -> list:
    """Each source's outcome. ``memos``: the classifications kept by earlier runs and their digests'
    key, used again by the local executor (Celery workers classify every sample)."""
    from auditor.executors.units import ordered

    kind = kind_of(config, override)
    if kind == "celery":
        from auditor.executors.celery_exec import collect_celery

        return [ordered(o) for o in collect_celery(config, sources, as_of, redact, progress, key)]
    from auditor.engine import collect_all

    return [ordered(o) for o in collect_all(config, sources, as_of, redact, progress, memos)]
