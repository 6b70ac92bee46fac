"""Broken policy files: each is a PolicyError naming file, line and key."""

from __future__ import annotations

import textwrap

import pytest

from auditor.errors import PolicyError, UsageError
from policies import load_policies, validate_paths

GOOD_RULE = """\
rules:
  - id: my-rule
    title: Mine
    severity: high
    check: stale-personal-data
    params: {max_age: 30d}
"""

BROKEN = {
    "yaml-syntax": ("rules:\n  - id: my-rule\n    title: [unclosed\n    severity: high\n", 3, "title (near)"),
    "yaml-bad-indent": ("rules:\n  - id: my-rule\n   title: x\n  severity: high\n", 3, "title (near)"),
    "unknown-key": (GOOD_RULE + "    severty: high\n", 7, "rules[0].severty"),
    "unknown-top-key": ("rulez: []\n", 1, "rulez"),
    "wrong-type-severity": (GOOD_RULE.replace("severity: high", "severity: 5"), 4, "rules[0].severity"),
    "wrong-type-param": (GOOD_RULE.replace("30d", "soon"), 6, "rules[0].params.max_age"),
    "unknown-param": (GOOD_RULE.replace("{max_age: 30d}", "{max_age: 30d, max_aeg: 1}"), 6, "rules[0].params.max_aeg"),
    "unknown-check": (GOOD_RULE.replace("check: stale-personal-data", "check: stale-data"), 5, "rules[0].check"),
    "duplicate-rule-id": (GOOD_RULE + GOOD_RULE.replace("rules:\n", ""), 7, "rules[1].id"),
    "duplicate-builtin-id": ("extends: builtin:baseline\n" + GOOD_RULE.replace("my-rule", "public-exposure"),
                             3, "rules[0].id"),
    "duplicate-yaml-key": (GOOD_RULE + "    title: Again\n", 7, "rules[0].title"),
    "not-kebab": (GOOD_RULE.replace("my-rule", "My_Rule"), 2, "rules[0].id"),
    "missing-title": (GOOD_RULE.replace("    title: Mine\n", ""), 2, "rules[0].title"),
    "bad-match-type": (GOOD_RULE + "    match: {personal_data: [emails]}\n", 7, "rules[0].match.personal_data"),
    "bad-kind": (GOOD_RULE + "    match:\n      kinds: [view]\n", 8, "rules[0].match.kinds[0]"),
    "unknown-pack": ("extends: [builtin:baseline, builtin:hipaa]\n", 1, "extends[1]"),
    "missing-extends": ("\n\nextends: ./nope.yaml\n", 3, "extends[0]"),
    "override-unknown-rule": ("extends: builtin:baseline\noverrides:\n  - rule: stale-data\n    enabled: false\n",
                              3, "overrides[0].rule"),
    "override-bad-param": ("extends: builtin:baseline\noverrides:\n  - rule: stale-personal-data\n"
                           "    params: {max_age: -3d}\n", 4, "overrides[0].params.max_age"),
    "override-bad-severity": ("extends: builtin:baseline\noverrides:\n  - rule: public-exposure\n"
                              "    severity: urgent\n", 4, "overrides[0].severity"),
    "not-a-mapping": ("- just\n- a list\n", 1, None),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_file_names_file_line_and_key(tmp_path, case):
    text, line, key = BROKEN[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError) as info:
        load_policies([str(path)])
    err = info.value
    assert isinstance(err, UsageError) and err.exit_code == 2
    assert err.file == str(path) and err.line == line and err.key == key, str(err)
    assert str(err).startswith(f"{path}:{line}: " + (f"{key}: " if key else ""))
    with pytest.raises(PolicyError):
        validate_paths([str(path)])


def test_duplicate_rule_id_names_the_first_definition(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(BROKEN["duplicate-builtin-id"][0])
    with pytest.raises(PolicyError, match=r"first defined at builtin:baseline:\d+"):
        load_policies([str(path)])


def test_missing_path_and_unknown_builtin_on_the_command_line(tmp_path):
    with pytest.raises(PolicyError, match="not found") as info:
        load_policies(["nope.yaml"], base_dir=tmp_path)
    assert info.value.file == "nope.yaml"
    with pytest.raises(PolicyError, match=r"unknown built-in pack 'hipaa' \(known: baseline, gdpr, pci-dss"):
        load_policies(["builtin:hipaa"])


def test_validate_stops_at_the_first_bad_file_and_reports_good_ones(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(textwrap.dedent("""\
        extends: builtin:baseline
        overrides: [{rule: stale-personal-data, params: {max_age: 12m}}]
    """))
    assert validate_paths([str(good), "builtin:pci-dss"]) == [
        f"{good} (12 rules from 2 files: builtin:baseline, {good})",
        "builtin:pci-dss (3 rules from 1 files: builtin:pci-dss)"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: 3\n")
    with pytest.raises(PolicyError, match="bad.yaml:1: rules"):
        validate_paths([str(good), str(bad)])


def test_empty_file_is_a_valid_empty_policy(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing yet\n")
    assert load_policies([str(path)]).rules == []


def test_a_detail_key_no_classifier_writes_is_an_error_not_a_rule_that_never_fires(tmp_path):
    """personal-data-held with detail: {full_nirc: true} (a typo of full_nric) matched no finding ever:
    a policy that can never fire passed every audit, silently."""
    path = tmp_path / "nric.yaml"
    path.write_text(textwrap.dedent("""\
        rules:
          - id: full-nric-held
            title: Full NRIC held
            severity: high
            check: personal-data-held
            params:
              types: [national_id]
              detail: {full_nirc: true}
    """))
    with pytest.raises(PolicyError) as e:
        load_policies([str(path)])
    assert "full_nirc" in str(e.value) and "full_nric" in str(e.value), str(e.value)
    assert e.value.line == 8 and e.value.key.startswith("rules[0].params.detail"), (e.value.line, e.value.key)
    path.write_text(path.read_text().replace("full_nirc", "full_nric"))
    assert [r.id for r in load_policies([str(path)]).rules] == ["full-nric-held"]
    assert load_policies(["builtin:pdpa-sg", "builtin:pci-dss"]).rules  # the packs' own details stay valid


def test_an_unknown_type_in_personal_data_held_is_an_error(tmp_path):
    """types: [nationl_id] matched nothing, ever: the rule passed every audit, silently."""
    path = tmp_path / "held.yaml"
    path.write_text(textwrap.dedent("""\
        rules:
          - id: ids-held
            title: National ids held
            severity: high
            check: personal-data-held
            params: {types: [nationl_id]}
        overrides:
          - rule: ids-held
            vendors: [acme]
            params: {types: [employee_id]}
    """))
    with pytest.raises(PolicyError) as e:
        load_policies([str(path)])
    assert "nationl_id" in str(e.value) and e.value.line == 6 and "rules[0].params.types" in e.value.key, str(e.value)
    # a config's own detector is a type too, in a rule's params and in a scoped override's
    path.write_text(path.read_text().replace("nationl_id", "national_id"))
    with pytest.raises(PolicyError, match="employee_id"):
        load_policies([str(path)])
    ps = load_policies([str(path)], personal_data_types=("national_id", "employee_id"))
    assert [r.id for r in ps.rules] == ["ids-held"]


def test_a_scoped_override_naming_a_detector_type_is_evaluated(tmp_path):
    """The type check at load must hold when the scoped params are applied to a dataset, too."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from policy_helpers import of_rule, pdata, run, table

    path = tmp_path / "held.yaml"
    path.write_text(textwrap.dedent("""\
        rules:
          - id: ids-held
            title: National ids held
            severity: high
            check: personal-data-held
            params: {types: [national_id]}
        overrides:
          - rule: ids-held
            vendors: [acme]
            params: {types: [employee_id]}
    """))
    ps = load_policies([str(path)], personal_data_types=("national_id", "employee_id"))
    [f] = of_rule(run(ps, [table(personal_data=(pdata("employee_id", where=("emp_no",)),))]), "ids-held")
    assert f.dataset == "crm.customers"


def test_every_mistake_of_a_file_is_named_at_once(tmp_path) -> None:
    """A policy author fixes a file in one round: a rule of the wrong shape, an unknown check,
    bad params and an override of an unknown rule are all named, each with its line and key
    (only the first was, with "(and N more)" and nothing of the others)."""
    path = tmp_path / "acme.yaml"
    path.write_text(textwrap.dedent("""\
        rules:
          - id: stale-x
            title: Stale
            severity: hgh
            check: stale-personal-data
          - id: other
            title: Other
            severity: high
            check: no-such-check
          - id: third
            title: Third
            severity: low
            check: stale-personal-data
            params: {max_age: soon, max_aeg: 1}
        """))
    with pytest.raises(PolicyError) as got:
        load_policies([str(path)])
    text = str(got.value)
    assert f"{path}:4: rules[0].severity" in text
    assert f"{path}:9: rules[1].check: unknown check 'no-such-check'" in text
    assert f"{path}:14: rules[2].params.max_age" in text and f"{path}:14: rules[2].params.max_aeg" in text
    assert len(text.splitlines()) == 4, text
    assert "more)" not in text

    path.write_text(textwrap.dedent("""\
        extends: builtin:baseline
        rules:
          - id: mine
            title: Mine
            severity: high
            check: stale-personal-data
            params: {max_age: never}
        overrides:
          - rule: stale-data
            enabled: false
          - rule: stale-personal-data
            params: {max_age: whenever}
        """))
    with pytest.raises(PolicyError) as got:
        load_policies([str(path)])
    assert f"{path}:7: rules[0].params.max_age" in str(got.value)  # a rule's mistake: reported before overrides load
    path.write_text(path.read_text().replace("{max_age: never}", "{max_age: 30d}"))
    with pytest.raises(PolicyError) as got:
        load_policies([str(path)])
    text = str(got.value)
    assert f"{path}:9: overrides[0].rule: override of unknown rule 'stale-data'" in text
    assert f"{path}:12: overrides[1].params.max_age" in text, text
