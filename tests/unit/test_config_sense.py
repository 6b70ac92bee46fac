"""Values the config, a policy or the command line accept must be values the run can handle:
positive finite timeouts, durations and dates within representable ranges, --as-of in a sane
window. Each refusal names file, line and key (or the option), exit 2."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.config import load_config
from auditor.errors import ConfigError

BASE = "vendors:\n  - id: v1\nsources:\n  - id: s\n    vendor: v1\n    kind: fake\n"


@pytest.mark.parametrize(("text", "line", "key"), [
    ("source_timeout_seconds: -5\n", 1, "source_timeout_seconds"),
    ("source_timeout_seconds: 0\n", 1, "source_timeout_seconds"),
    ("source_timeout_seconds: .inf\n", 1, "source_timeout_seconds"),
    ("source_timeout_seconds: .nan\n", 1, "source_timeout_seconds"),
    ("source_timeout_seconds: 1e300\n", 1, "source_timeout_seconds"),
    ("lock_stale_hours: 1e300\n", 1, "lock_stale_hours"),
    ("lock_stale_hours: .inf\n", 1, "lock_stale_hours"),
    ("schedule:\n  misfire_grace_seconds: -1\n", 2, "schedule.misfire_grace_seconds"),
    ("schedule:\n  events:\n    - name: e\n      date: 0001-01-01\n", 4, "schedule.events[0].date"),
    ("schedule:\n  events:\n    - name: e\n      date: 2026-11-11\n      audit_days_before: [99999999]\n", 5,
     "schedule.events[0].audit_days_before"),
    ("notify:\n  email: {to: [a@b.c], port: 0}\n", 2, "notify.email.port"),
])
def test_nonsense_values_are_refused_naming_file_line_and_key(tmp_path, fake_connector, text, line, key):
    p = tmp_path / "auditor.yaml"
    p.write_text(text + BASE)
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    assert (exc.value.file, exc.value.line, exc.value.key) == (str(p), line, key), str(exc.value)


def test_a_contract_end_outside_the_calendar_window_is_refused(tmp_path, fake_connector):
    p = tmp_path / "auditor.yaml"
    p.write_text("vendors:\n  - id: v1\n    contract_end: 9999-12-31\nsources:\n  - {id: s, vendor: v1, kind: fake}\n")
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    assert (exc.value.line, exc.value.key) == (3, "vendors[0].contract_end")


def test_sensible_values_still_pass(tmp_path, fake_connector):
    p = tmp_path / "auditor.yaml"
    p.write_text("source_timeout_seconds: 0.5\nlock_stale_hours: 48\n" + BASE)
    cfg = load_config(p)
    assert cfg.source_timeout_seconds == 0.5 and cfg.lock_stale_hours == 48


def test_a_policy_duration_past_the_calendar_is_refused_by_validate(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("extends: builtin:baseline\noverrides:\n  - rule: stale-personal-data\n"
                 "    params: {max_age: 99999999999d}\n")
    r = CliRunner().invoke(cli, ["policies", "validate", str(p)])
    assert r.exit_code == 2, r.output
    assert f"{p}:4" in r.output and "max_age" in r.output and "at most" in r.output, r.output


def test_a_policy_of_100_years_is_accepted(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("extends: builtin:baseline\noverrides:\n  - rule: stale-personal-data\n    params: {max_age: 100y}\n")
    r = CliRunner().invoke(cli, ["policies", "validate", str(p)])
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("as_of", ["9999-12-31", "0001-01-01T00:00+14:00", "1969-12-31T23:59:59Z"])
def test_as_of_outside_a_sane_window_is_refused_naming_the_option(tmp_path, fake_connector, as_of):
    p = tmp_path / "auditor.yaml"
    p.write_text(f"state: sqlite:///{tmp_path / 'state.db'}\n" + BASE)
    r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", as_of])
    assert r.exit_code == 2, r.output
    assert "--as-of" in r.output and "outside the years 1970..2199" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "state.db").exists(), "a run was started"


def test_waive_until_outside_the_window_is_refused(tmp_path, fake_connector):
    p = tmp_path / "auditor.yaml"
    p.write_text(f"state: sqlite:///{tmp_path / 'state.db'}\n" + BASE)
    r = CliRunner().invoke(cli, ["waive", "x:1", "--reason", "r", "--until", "9999-12-31", "--force", "-c", str(p)])
    assert r.exit_code == 2 and "--until" in r.output, r.output


def test_a_source_has_an_hour_by_default_and_no_way_to_wait_forever(tmp_path, fake_connector):
    """A nightly run must never hang on one source: unset means an hour (README), and null
    (no limit) is refused naming the key rather than read as "wait forever"."""
    p = tmp_path / "auditor.yaml"
    p.write_text(BASE)
    assert load_config(p).source_timeout_seconds == 3600
    p.write_text("source_timeout_seconds: null\n" + BASE)
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    assert (exc.value.line, exc.value.key) == (1, "source_timeout_seconds"), str(exc.value)
