"""A bucket (or prefix) with sub-prefixes whose OWN objects could not be read (corrupt PDFs at the
bucket's root, named in its ``unsampled``) is not known to be free of personal data. Before, any
dataset with children counted as wholly classified, so such a bucket passed clean (exit 0); found on
moto with ``S1234560D_passport.pdf`` objects at a bucket's root beside ``users/<e-mail>/`` folders."""

from __future__ import annotations

import pytest
from policy_helpers import bucket, days_ago, not_assessed_for, of_rule, prefix, run

from auditor.models import Vendor

RESTRICTED = Vendor(id="acme", allowed_personal_data=("email",), allowed_regions=("ap-southeast-1",))
OLD = {"encryption_at_rest": "none", "last_modified": days_ago(999), "has_retention": False}


@pytest.mark.parametrize("rule", ["unencrypted-personal-data", "stale-personal-data", "no-retention-control"])
def test_a_parent_whose_own_objects_were_not_read_is_not_assessed(rule):
    root = bucket("b", classified=False, personal_data=(),
                  facts={"unsampled": {"S1234560D_passport.pdf": "corrupt pdf"}}, **OLD)
    kid = prefix("b/users/", parent="b", classified=True, personal_data=(), **OLD)
    findings = run(["builtin:baseline"], [root, kid], [RESTRICTED])
    assert of_rule(findings, rule) == []
    assert not_assessed_for(findings, rule), [f.rule for f in findings]


def test_a_parent_with_nothing_of_its_own_to_read_is_judged_by_its_children():
    # every object lives below a sub-prefix: the bucket had no sample of its own (classified False,
    # nothing unsampled), and its children were all read: a real pass
    root = bucket("b", classified=False, personal_data=(), **OLD)
    kid = prefix("b/users/", parent="b", classified=True, personal_data=(), **OLD)
    assert run(["builtin:baseline"], [root, kid], [RESTRICTED]) == []
