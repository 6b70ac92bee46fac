"""A connector kind the tests register to drive the engine without a real store.

Its datasets are described in the config itself (``datasets:``), so every test states
its facts where it reads them. For engine behaviour only: every real connector is tested
against real servers.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from auditor import registry
from auditor.models import CollectionError, Dataset, Observation, Sample
from connectors.base import Options as BaseOptions


class FakeConnector:
    kind = "fake"

    class Options(BaseOptions):
        datasets: list[dict[str, Any]] = []
        raise_error: str | None = None  # raise this after yielding the datasets
        unreadable: list[str] = []  # CollectionErrors for these names
        sleep: float = 0.0
        block_forever: bool = False  # a read stuck in a non-daemon pool thread (as an SDK's would be)

    def __init__(self, source, ctx):
        self.source, self.ctx = source, ctx

    def _when(self, text: str | None) -> datetime | None:
        """An ISO 8601 instant, or ``as_of-<N>d``: N days before the run's as-of (for runs that
        take the clock's now, as a scheduled run does: data written N days before it, on any day)."""
        if not text:
            return None
        m = re.fullmatch(r"as_of-(\d+)d", text)
        return self.ctx.as_of - timedelta(days=int(m.group(1))) if m else datetime.fromisoformat(text)

    def collect(self):
        o = self.source.options
        if o.sleep:
            time.sleep(o.sleep)
        if o.block_forever:
            from concurrent.futures import ThreadPoolExecutor

            ThreadPoolExecutor(1, thread_name_prefix="fake-stuck-read").submit(threading.Event().wait).result()
        for spec in o.datasets:
            spec = dict(spec)
            values = spec.pop("sample", None)
            lm = spec.pop("last_modified", None)
            ds = Dataset(source=self.source.id, vendor=self.source.vendor.id, kind=spec.pop("kind", "table"),
                         name=spec["name"], uri=f"fake://{self.source.id}/{spec.pop('name')}",
                         last_modified=self._when(lm),
                         last_modified_basis="fake" if lm else None, **spec)
            yield Observation(dataset=ds, sample=Sample(fields=values) if values is not None else None)
        for name in o.unreadable:
            yield CollectionError(source=self.source.id, dataset=name, kind="table", reason="AccessDenied (fake)",
                                  fix="grant SELECT")
        if o.raise_error:
            raise RuntimeError(o.raise_error)


@pytest.fixture
def fake_connector():
    from connectors import load_builtin

    load_builtin()
    registry.connectors.add("fake", FakeConnector)
    yield FakeConnector
    registry.connectors.remove("fake")
