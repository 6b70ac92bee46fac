"""The rule id ``not-assessed`` is what every report, the run's status and the exit code read as "could
not be assessed". A pack that gave it to another check (here public-exposure) turned that check's
failures into unknowns: a public bucket reported as not assessed (exit 3, never critical), its finding
sharing the built-in not-assessed rule's answers. The id is refused for any other check, naming file,
line and key; the not-assessed check itself may still be restated under its id."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import PolicyError
from policies import load_policies


def test_the_not_assessed_id_is_refused_for_another_check(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text("rules:\n"
                    "  - {id: ok-rule, title: T, severity: low, description: d, remediation: r, check: no-retention-control}\n"
                    "  - id: not-assessed\n"
                    "    title: Public\n"
                    "    severity: critical\n"
                    "    description: d\n"
                    "    remediation: r\n"
                    "    check: public-exposure\n")
    with pytest.raises(PolicyError) as e:
        load_policies([str(path)])
    text = str(e.value)
    assert f"{path}:3" in text and "rules[1].id" in text, text
    assert "go together" in text and "public-exposure" in text and "give the rule another id" in text, text


def test_the_not_assessed_check_keeps_its_id(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text("rules:\n"
                    "  - {id: not-assessed, title: Unknown, severity: critical, description: d, remediation: r,"
                    " check: not-assessed}\n")
    ps = load_policies([str(path)])
    assert [(r.id, r.check, r.severity) for r in ps.rules] == [("not-assessed", "not-assessed", "critical")]


def test_the_not_assessed_check_under_another_id_is_refused(tmp_path: Path) -> None:
    """Reports, the run's status and the exit code know unknowns by the id ``not-assessed``: the check under
    another id left them out (a bucket whose exposure could not be read counted, and exited 0, as complete)."""
    path = tmp_path / "pack.yaml"
    path.write_text("rules:\n"
                    "  - {id: unknowns, title: U, severity: low, description: d, remediation: r, check: not-assessed}\n")
    with pytest.raises(PolicyError) as e:
        load_policies([str(path)])
    text = str(e.value)
    assert f"{path}:2" in text and "rules[0].id" in text and "'unknowns'" in text, text
