"""A SQL schema's name may hold a slash (PostgreSQL: CREATE SCHEMA "sales/eu"): its unit is a schema,
never taken for an object store's prefix unit ("<bucket>/<prefix>") when the parts are merged."""

from __future__ import annotations

import pytest

from auditor.config import SourceConfig
from auditor.engine import _SourceOutcome
from auditor.executors.units import merge
from auditor.models import Dataset, SourceResult


def _src() -> SourceConfig:
    return SourceConfig.model_construct(id="db", vendor="acme", kind="sql", options=None)


def _table(schema: str, name: str) -> Dataset:
    return Dataset(source="db", vendor="acme", kind="table", name=f"{schema}.{name}", uri=f"sql://db/{schema}.{name}")


def _ok(*datasets: Dataset) -> _SourceOutcome:
    return _SourceOutcome(SourceResult(id="db", kind="sql", vendor="acme", datasets=len(datasets)), list(datasets), [])


def _failed(reason: str) -> _SourceOutcome:
    return _SourceOutcome(SourceResult(id="db", kind="sql", vendor="acme", status="error", error=reason), [], [])


def test_a_failed_schema_with_a_slash_is_named_as_that_schema() -> None:
    out = merge(_src(), ["sales/eu", "public"], [_failed("timed out"), _ok(_table("public", "t"))])
    assert [e.reason for e in out.errors] == ["schema sales/eu not assessed: timed out"]


def test_schemas_with_a_slash_are_never_collected_as_one_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    import connectors.objects

    monkeypatch.setattr(connectors.objects, "MAX_PREFIXES", 2)
    called: list[str] = []

    def whole(bucket: str) -> _SourceOutcome:  # a schema named "sales" does not exist: nothing would be read
        called.append(bucket)
        return _ok()

    tables = [_table("sales/us", f"t{i}") for i in range(3)]
    out = merge(_src(), ["sales/eu", "sales/us"], [_ok(_table("sales/eu", "t")), _ok(*tables)], whole=whole)
    assert called == []
    assert [d.name for d in out.datasets] == ["sales/eu.t", *(t.name for t in tables)]
