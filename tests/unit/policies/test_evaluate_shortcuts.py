"""Guards for shortcuts evaluation takes for speed: the shared Subject memo and ``Effective.selects_all``."""

from __future__ import annotations

import textwrap

from policy_helpers import bucket, pdata, prefix, run, table

from policies.ruleset import Effective, matches
from policies.schema import Match, Params

_TWO_RULES = """
rules:
  - {id: cards-unencrypted, title: Cards, severity: critical, description: d, remediation: r,
     check: unencrypted-personal-data, match: {personal_data: [payment_card]}}
  - {id: any-unencrypted, title: Any, severity: high, description: d, remediation: r,
     check: unencrypted-personal-data}
"""


def test_rule_filtered_by_personal_data_type_gets_its_own_subject(tmp_path):
    """Guards evaluate's Subject memo: its key holds id(items), so a type-filtered rule never sees another rule's items."""
    pack = tmp_path / "two.yaml"
    pack.write_text(textwrap.dedent(_TWO_RULES))
    ds = table(encryption_at_rest="none",
               personal_data=(pdata(), pdata("payment_card", 3, ("card",), ("4***********1111",))))
    by_rule = {f.rule: f for f in run([str(pack)], [ds])}
    assert [p["type"] for p in by_rule["cards-unencrypted"].evidence["personal_data"]] == ["payment_card"]
    assert [p["type"] for p in by_rule["any-unencrypted"].evidence["personal_data"]] == ["email", "payment_card"]


# a value that sets each selector field (a field not listed gets a glob list; a new field of another shape
# fails validation here, which asks for its sample)
_SET = {"kinds": ["table"], "tags": {"env": "prod"}, "personal_data": ["email"]}


def test_selects_all_is_false_for_every_selector_field_and_implies_matches():
    """Guards Effective.selects_all: it re-lists matches()'s selector fields by hand; none may be left out."""
    datasets = [table(), table("x.t", vendor="other", source="o-db", tags={"env": "dev"}, personal_data=()),
                bucket("b", tags={"team": "a"}), prefix("b/tmp/", "b", personal_data=())]
    singles = {name: Match.model_validate({name: _SET.get(name, ["zz*"])}) for name in Match.model_fields}
    assert len(singles) >= 7
    for name, m in singles.items():
        assert not Effective("high", m, Params()).selects_all, f"a rule with only {name} set is not selects_all"
    for m in [Match(), Match(exclude_datasets=[], tags={}), *singles.values()]:
        if Effective("high", m, Params()).selects_all:
            for d in datasets:
                types = tuple(p.type for p in d.personal_data)
                assert matches(m, d, types, True), (m, d.name)
