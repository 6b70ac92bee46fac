"""A bucket split into prefix units (issue 21): join_bucket gives the datasets one listing of the bucket
gives (the bucket's own with every object counted, each prefix's, in the same order); a failed prefix
unit is not assessed for that prefix only, never lost; more prefixes than one tree keeps: the bucket is
collected whole instead (the roll-up cannot be merged exactly)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from auditor.config import SourceConfig
from auditor.engine import _SourceOutcome
from auditor.executors.units import join_bucket, merge
from auditor.models import Dataset, SourceResult
from connectors.objects import PrefixTree, prefix_datasets, top_level
from tests.unit.test_prefix_units_merge import _listing

BUCKET = "huge"


def _src() -> SourceConfig:
    return SourceConfig.model_construct(id="src", vendor="acme", kind="s3", options=None)


def _datasets(tree: PrefixTree, only_prefixes: bool = False) -> list[Dataset]:
    out = []
    for node, ds in prefix_datasets(tree, source="src", vendor="acme", bucket=BUCKET, scheme="s3",
                                    common={"region": "us-east-1"}):
        if only_prefixes and not node.path:
            continue
        picks = tuple(p.key for p in tree.picks(node))  # what the unit would read: stands for its sample
        out.append(ds.model_copy(update={"notes": (*ds.notes, *picks)}))
    return out


def _outcome(datasets: list[Dataset]) -> _SourceOutcome:
    return _SourceOutcome(SourceResult(id="src", kind="s3", vendor="acme", datasets=len(datasets)), datasets, [])


def _failed(reason: str) -> _SourceOutcome:
    return _SourceOutcome(SourceResult(id="src", kind="s3", vendor="acme", status="error", error=reason), [], [])


def _units(objs, depth=2):
    root, parts = PrefixTree(depth, 4, seed=BUCKET), {}
    for key, size, mod, _ in objs:
        top = top_level(key)
        (parts.setdefault(top, PrefixTree(depth, 4, seed=BUCKET)) if top else root).add(key, size, mod)
    names = [f"{BUCKET}/", *(f"{BUCKET}/{p}" for p in sorted(parts))]
    outcomes = [_outcome(_datasets(root)), *(_outcome(_datasets(parts[p], True)) for p in sorted(parts))]
    return names, outcomes


def _whole(objs, depth=2) -> list[Dataset]:
    tree = PrefixTree(depth, 4, seed=BUCKET)
    for key, size, mod, _ in objs:
        tree.add(key, size, mod)
    return _datasets(tree)


def test_prefix_units_join_into_the_datasets_of_one_listing():
    objs = _listing(11, 3000)
    names, outcomes = _units(objs)
    joined = merge(_src(), names, outcomes)
    assert joined.result.status == "ok" and not joined.errors
    assert [d.model_dump() for d in joined.datasets] == [d.model_dump() for d in _whole(objs)]
    assert joined.datasets[0].objects == len(objs)


def test_a_bucket_of_only_prefixes_and_a_prefix_of_one_object():
    base = datetime(2021, 3, 1, tzinfo=UTC)
    objs = [("a/1.csv", 5, base, True), ("a/b/2.csv", 7, base + timedelta(days=3), True),
            ("c/3.csv", 1, base - timedelta(days=9), True)]
    names, outcomes = _units(objs)
    assert [d.model_dump() for d in merge(_src(), names, outcomes).datasets] == [d.model_dump() for d in _whole(objs)]


def test_a_failed_prefix_unit_is_not_assessed_for_that_prefix_only():
    objs = _listing(12, 800)
    names, outcomes = _units(objs)
    lost = names[2]
    outcomes[2] = _failed("timed out after 5s (the unit's time limit on the worker)")
    joined = merge(_src(), names, outcomes)
    assert joined.result.status == "ok"
    assert [(e.dataset, e.kind) for e in joined.errors] == [(lost, "prefix")]
    assert f"prefix {lost} not assessed: timed out" in joined.errors[0].reason
    whole = _whole(objs)
    prefix = lost[len(BUCKET) + 1:]
    kept = [d.model_dump() for d in whole[1:] if not d.name.startswith(lost)]
    assert [d.model_dump() for d in joined.datasets[1:]] == kept
    bucket = joined.datasets[0]
    assert bucket.objects == len(objs) - sum(1 for o in objs if o[0].startswith(prefix))
    assert f"objects under prefix {prefix} not counted: its unit was not assessed" in bucket.notes


def test_a_failed_bucket_unit_names_the_bucket_and_keeps_the_prefixes():
    objs = _listing(13, 500)
    names, outcomes = _units(objs)
    outcomes[0] = _failed("the worker failed (WorkerLostError)")
    joined = merge(_src(), names, outcomes)
    assert [(e.dataset, e.kind) for e in joined.errors] == [(BUCKET, "bucket")]
    assert [d.model_dump() for d in joined.datasets] == [d.model_dump() for d in _whole(objs)[1:]]


def test_too_many_prefixes_for_an_exact_merge_collects_the_bucket_whole():
    objs = _listing(14, 800)
    names, outcomes = _units(objs)
    asked = []

    def whole(bucket: str) -> _SourceOutcome:
        asked.append(bucket)
        return _outcome(_whole(objs))

    many = sum(len(o.datasets) for o in outcomes[1:])
    out = join_bucket(_src(), names, outcomes, whole, max_prefixes=many)
    assert asked == [BUCKET] and [d.model_dump() for d in out.datasets] == [d.model_dump() for d in _whole(objs)]
    out = join_bucket(_src(), names, outcomes, whole, max_prefixes=many + 1)
    assert asked == [BUCKET]  # within the bound: joined, not collected again
