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
