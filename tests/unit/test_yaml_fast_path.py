"""libyaml reads config and policy files where it reads them cleanly; every refusal and error
is the pure-Python loader's, word for word: the same file, line and key."""

from __future__ import annotations

import pytest

from auditor import yaml_marks
from auditor.errors import ConfigError

DOCS = [
    "state: sqlite:///s.db\nvendors: [{id: v1, contract_end: 2026-01-01}]\non: yes\n",
    "- a\n- b: &x {c: 1}\n- *x\n",
    "<<: {a: 1}\nb: 2\n",
    "",
    "a: 1\na: 2\n",                      # duplicate key
    "a: [1, 2\nb: 3\n",                  # unclosed flow sequence
    "a: 'unclosed\n",                    # unclosed quote
    "a: !!int x\n",                      # invalid value
    "? [1]\n: 2\n",                      # a key that is not a scalar
    "a: &a [*a]\n",                      # recursive alias
    "a: &a 1\nl: [" + ", ".join(["*a"] * 101) + "]\n",  # too many aliases
    "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"b{i}: &b{i} [{', '.join([f'*{p}'] * 10)}]\n" for i, p in enumerate(["a", "b0", "b1", "b2"])),  # a bomb
]


def read(text: str) -> object:
    try:
        return yaml_marks.read_marked(text, "f.yaml")
    except ConfigError as exc:
        return ("refused", str(exc), exc.line, exc.key)


@pytest.mark.skipif(yaml_marks._CLoader is None, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("text", DOCS)
def test_libyaml_reads_as_the_pure_python_loader_does(text, monkeypatch):
    fast = read(text)
    monkeypatch.setattr(yaml_marks, "_CLoader", None)
    assert fast == read(text)


@pytest.mark.skipif(yaml_marks._CLoader is None, reason="PyYAML built without libyaml")
def test_a_clean_file_is_read_by_libyaml(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("the pure-Python loader was used")

    monkeypatch.setattr(yaml_marks, "_Loader", refuse)
    data, lines = yaml_marks.read_marked("a:\n  b: 2026-01-01\n  on: 1\n", "f.yaml")
    assert data == {"a": {"b": "2026-01-01", "on": 1}}
    assert lines == {(): 1, ("a",): 1, ("a", "b"): 2, ("a", "on"): 3}


DEEP = """\
state: sqlite:///state.db
vendors:
  - {id: v1, name: Vendor one,
     contract_end: "2019-13-45"}
sources:
  - id: bucket
    vendor: v1
    kind: s3
    buckets: [a]
    endpoint_url: http://127.0.0.1:1
    inventory_max_age_days:
      nested: [1, 2]
"""


@pytest.mark.skipif(yaml_marks._CLoader is None, reason="PyYAML built without libyaml")
def test_a_wrong_type_deep_in_a_clean_file_names_its_line_through_the_cli(tmp_path, monkeypatch):
    """A file libyaml reads cleanly, whose values fail validation: exit 2, each error's line and key."""
    from click.testing import CliRunner

    from auditor.cli import cli

    p = tmp_path / "auditor.yaml"
    p.write_text(DEEP)
    used = []
    real = yaml_marks._read_fast
    monkeypatch.setattr(yaml_marks, "_read_fast", lambda *a: used.append(1) or real(*a))
    r = CliRunner().invoke(cli, ["scan", "-c", str(p)])
    assert used and r.exit_code == 2
    assert f"{p}:4: vendors[0].contract_end:" in r.output
    assert f"{p}:11: sources[0].inventory_max_age_days:" in r.output
