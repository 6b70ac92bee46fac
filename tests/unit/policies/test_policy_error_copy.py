"""A dataset given twice, once assessed and once as an error (a bucket whose listing failed after its
settings were read, a table read and then lost): the error copy is not-assessed, and never hides
what the assessed copy showed, in whatever order the two come. Judging and evaluating kept their
answers per dataset key, so the error copy's "does not apply" (or its empty content, or its unknown
age) answered for the assessed copy too: a public bucket holding stale personal data lost its
public-exposure finding when a prefix under it came first and the error copy last."""

from __future__ import annotations

from itertools import permutations

import pytest
from policy_helpers import AS_OF, bucket, days_ago, prefix, run

from auditor.models import DatasetTree
from policies import judge, load_policies

PACK = ["builtin:baseline"]


def _estate():
    public = bucket("exports", public=True, last_modified=days_ago(2000))
    below = prefix("exports/2019/", "exports", public=True, last_modified=days_ago(2000))
    lost = bucket("exports", status="error", error="listing failed midway", public=None, personal_data=(),
                  classified=False, last_modified=None, records=None, bytes=None)
    return [public, below, lost]


def _rules_on(findings, dataset):
    return {f.rule for f in findings if f.dataset == dataset}


@pytest.mark.parametrize("order", list(permutations(range(3))))
@pytest.mark.parametrize("judged_first", [False, True], ids=["evaluated", "judged-then-evaluated"])
def test_the_error_copy_never_hides_the_assessed_copy(order, judged_first):
    estate = [_estate()[i] for i in order]
    if judged_first:  # as the engine does: judged, then evaluated over the judged datasets
        estate = judge(load_policies(PACK), estate, {}, AS_OF)
    findings = run(PACK, estate)
    on_bucket = _rules_on(findings, "exports")
    assert {"public-exposure", "stale-personal-data", "not-assessed"} <= on_bucket, (order, on_bucket)


@pytest.mark.parametrize("order", list(permutations(range(3))))
def test_the_assessed_copy_is_judged_on_its_own_facts(order):
    estate = [_estate()[i] for i in order]
    judged = judge(load_policies(PACK), estate, {}, AS_OF)
    assessed = next(d for d in judged if d.name == "exports" and d.status == "assessed")
    assert assessed.judgment.personal is True and assessed.judgment.stale is True, (order, assessed.judgment)


def test_a_prefix_hangs_under_the_assessed_copy():
    public, below, lost = _estate()
    for datasets in ([public, below, lost], [lost, below, public]):
        assert DatasetTree(datasets).parent(below) is public


@pytest.mark.parametrize("order", list(permutations(range(3))))
def test_the_error_copy_takes_none_of_the_assessed_copys_content(order):
    """The prefixes hang under the assessed copy: the error copy neither holds their personal data nor
    their rows (counted twice in the report's totals, and named as stale data of unknown age)."""
    estate = [_estate()[i] for i in order]
    judged = judge(load_policies(PACK), estate, {}, AS_OF)
    lost = next(d for d in judged if d.name == "exports" and d.status == "error")
    assert lost.judgment.personal is not True, (order, lost.judgment)
    assert lost.judgment.rows in (None, 0), (order, lost.judgment)


@pytest.mark.parametrize("order", list(permutations(range(3))))
def test_the_ocsf_record_describes_the_assessed_copy(order):
    from datetime import timedelta

    from auditor.models import Run
    from reports.ocsf import ocsf_models

    estate = [_estate()[i] for i in order]
    findings = run(PACK, judge(load_policies(PACK), estate, {}, AS_OF))
    done = Run(id="r1", started_at=AS_OF, finished_at=AS_OF + timedelta(minutes=1), as_of=AS_OF, trigger="manual",
               status="partial", datasets=tuple(estate), findings=tuple(findings))
    public = [m for m, f in zip(ocsf_models(done), findings) if f.rule == "public-exposure" and f.dataset == "exports"]
    assert len(public) == 1
    data = public[0].resources[0].data
    assert data["status"] == "assessed" and data["public"] is True, (order, data)


@pytest.mark.parametrize("order", list(permutations(range(3))))
def test_two_assessed_copies_both_hold_the_content_below_them(order):
    """Two assessed copies of one bucket (listed twice) share the key's answer, children included,
    in whatever order: keeping the children for the copy that stands for the key alone lost the
    personal data below the bucket (and its stale finding) when the other copy came first."""
    first = bucket("exports", public=True, personal_data=(), classified=False, last_modified=days_ago(2000))
    second = first.model_copy(update={"region": "eu-west-1"})
    below = prefix("exports/2019/", "exports", last_modified=days_ago(2000))
    estate = [[first, second, below][i] for i in order]
    judged = judge(load_policies(PACK), estate, {}, AS_OF)
    assert [d.judgment.personal for d in judged if d.name == "exports"] == [True, True], order
    assert {"public-exposure", "stale-personal-data"} <= _rules_on(run(PACK, judged), "exports"), order
