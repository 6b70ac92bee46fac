"""A hostile YAML config or policy is refused before it grows: alias bombs, recursive
aliases, oversized files. Each refusal names the file and the line, exit 2."""

from __future__ import annotations

from click.testing import CliRunner

from auditor import yaml_marks
from auditor.cli import cli
from auditor.config import load_config
from auditor.errors import ConfigError


def laughs(levels: int, width: int = 10) -> str:
    """The classic alias bomb, as a config: `width` aliases per level, width**levels leaves."""
    out = ["state: sqlite:///state.db", "bomb:", "  l0: &l0 [lol]"]
    for i in range(1, levels + 1):
        out.append(f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    out += ["vendors: [{id: v1}]", "sources: [{id: s, vendor: v1, kind: fake}]"]
    return "\n".join(out) + "\n"


def refused(path) -> ConfigError:
    try:
        load_config(path)
    except ConfigError as exc:
        return exc
    raise AssertionError("accepted")


def test_an_alias_bomb_within_the_alias_count_is_refused_by_its_expansion(tmp_path, fake_connector):
    p = tmp_path / "auditor.yaml"
    p.write_text(laughs(5))  # 50 aliases, 100,000 leaves once expanded (a real bomb has 9 levels)
    exc = refused(p)
    assert exc.file == str(p) and exc.line is not None and 4 <= exc.line <= 8, exc
    assert "expand" in str(exc)


def test_more_aliases_than_the_limit_are_refused_naming_the_line(tmp_path, fake_connector):
    p = tmp_path / "auditor.yaml"
    items = ", ".join(["*a"] * (yaml_marks.MAX_ALIASES + 1))
    p.write_text(f"x: &a 1\ny: [{items}]\nvendors: [{{id: v1}}]\nsources: [{{id: s, vendor: v1, kind: fake}}]\n")
    exc = refused(p)
    assert exc.line == 2 and "aliases" in str(exc), exc


def test_a_recursive_alias_is_refused(tmp_path, fake_connector):
    p = tmp_path / "auditor.yaml"
    p.write_text("x: &a [1, *a]\nvendors: [{id: v1}]\nsources: [{id: s, vendor: v1, kind: fake}]\n")
    exc = refused(p)
    assert exc.line == 1 and "recursive" in str(exc), exc


def test_a_few_anchors_still_work(tmp_path, fake_connector):
    p = tmp_path / "auditor.yaml"
    p.write_text("vendors: [{id: v1}]\nsources:\n  - {id: a, vendor: v1, kind: fake, unreadable: &u [t1, t2]}\n"
                 "  - {id: b, vendor: v1, kind: fake, unreadable: *u}\n")
    assert [s.id for s in load_config(p).sources] == ["a", "b"]


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(yaml_marks, "MAX_YAML_BYTES", 1024)
    p = tmp_path / "auditor.yaml"
    p.write_text("# padding\n" * 200)
    exc = refused(p)
    assert exc.file == str(p) and "larger than" in str(exc)


def test_a_policy_bomb_is_refused_by_policies_validate_exit_2(tmp_path):
    p = tmp_path / "bomb.yaml"
    lines = ["name: bomb", "description: x", "x0: &l0 [lol]"]
    lines += [f"x{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 6)]
    p.write_text("\n".join(lines) + "\n")
    r = CliRunner().invoke(cli, ["policies", "validate", str(p)])
    assert r.exit_code == 2, r.output
    assert str(p) in r.output and "expand" in r.output, r.output


def test_the_default_limits_are_small():
    assert yaml_marks.MAX_ALIASES == 100 and yaml_marks.MAX_YAML_BYTES == 5 * 1024 * 1024
