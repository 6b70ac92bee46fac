"""A rule's boundary: stale-personal-data fires on data *older than* max_age. Exactly max_age old
is not stale (and not unknown either); one second more is."""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest
from policy_helpers import AS_OF, bucket, not_assessed_for, of_rule, run, table

from policies import load_policies

RULE = "stale-personal-data"


@pytest.mark.parametrize("make", [table, bucket], ids=["table", "bucket"])
def test_exactly_max_age_is_not_stale_one_second_more_is(make):
    exactly = make(last_modified=AS_OF - timedelta(days=365))
    findings = run(["builtin:baseline"], [exactly])
    assert of_rule(findings, RULE) == []
    assert not_assessed_for(findings, RULE) == []  # judged fresh, not left unknown

    older = make(last_modified=AS_OF - timedelta(days=365, seconds=1))
    [hit] = of_rule(run(["builtin:baseline"], [older]), RULE)
    assert hit.evidence["age_days"] == 365 and hit.evidence["max_age_days"] == 365
    assert hit.evidence["last_modified"] == "2025-06-01T11:59:59+00:00"


def test_the_boundary_follows_an_overridden_max_age(tmp_path):
    policy = tmp_path / "mine.yaml"
    policy.write_text(textwrap.dedent("""
        extends: builtin:baseline
        overrides:
          - rule: stale-personal-data
            params: {max_age: 90d}
    """))
    ps = load_policies([str(policy)])
    assert of_rule(run(ps, [table(last_modified=AS_OF - timedelta(days=90))]), RULE) == []
    [hit] = of_rule(run(ps, [table(last_modified=AS_OF - timedelta(days=90, seconds=1))]), RULE)
    assert hit.evidence["max_age_days"] == 90 and hit.evidence["age_days"] == 90
