"""Merging a source's units (issue 21): a failed part is not-assessed for that part only."""

from __future__ import annotations

from auditor.config import SourceConfig
from auditor.engine import _SourceOutcome
from auditor.executors.units import merge, ordered
from auditor.models import CollectionError, Dataset, SourceResult


def _src(kind: str = "s3") -> SourceConfig:
    return SourceConfig.model_construct(id="archive", vendor="acme", kind=kind, options=None)


def _ds(name: str, kind: str = "bucket") -> Dataset:
    return Dataset(source="archive", vendor="acme", kind=kind, name=name, uri=f"s3://{name}")


def _ok(*names: str) -> _SourceOutcome:
    return _SourceOutcome(SourceResult(id="archive", kind="s3", vendor="acme", datasets=len(names)),
                          [_ds(n, "prefix" if "/" in n else "bucket") for n in names], [])


def _failed(reason: str) -> _SourceOutcome:
    return _SourceOutcome(SourceResult(id="archive", kind="s3", vendor="acme", status="error", error=reason), [], [])


def test_a_failed_bucket_is_an_error_of_that_bucket_and_the_source_stands():
    out = merge(_src(), ["a", "b", "c"], [_ok("a", "a/x/"), _failed("timed out after 5s"), _ok("c")])
    assert out.result.status == "ok" and out.result.datasets == 3
    assert [d.name for d in out.datasets] == ["a", "a/x/", "c"]
    assert [(e.dataset, e.kind) for e in out.errors] == [("b", "bucket")]
    assert "bucket b not assessed: timed out after 5s" in out.errors[0].reason


def test_a_failed_schema_names_the_schema():
    out = merge(_src("sql"), ["billing", "public"], [_failed("the worker failed (WorkerLostError)"),
                                                       _SourceOutcome(SourceResult(id="archive", kind="sql",
                                                                                   vendor="acme"), [], [])])
    assert [(e.dataset, e.kind, e.reason.split(":")[0]) for e in out.errors] == [
        ("billing", None, "schema billing not assessed")]


def test_every_part_failed_is_the_source_failed():
    out = merge(_src(), ["a", "b"], [_failed("x"), _failed("x")])
    assert out.result.status == "error" and "every bucket failed: x" == out.result.error


def test_an_object_stores_datasets_come_in_bucket_order_keeping_each_buckets_own():
    o = _SourceOutcome(SourceResult(id="archive", kind="s3", vendor="acme"),
                       [_ds("b"), _ds("b/z/", "prefix"), _ds("b/a/", "prefix"), _ds("a"), _ds("a/q/", "prefix")],
                       [CollectionError(source="archive", dataset="b", kind="bucket", reason="r"),
                        CollectionError(source="archive", reason="pattern")])
    ordered(o)
    assert [d.name for d in o.datasets] == ["a", "a/q/", "b", "b/z/", "b/a/"]
    assert [e.dataset for e in o.errors] == [None, "b"]
