"""Pre-event audits at wall-clock times in a zone with DST, and 11.11 in Asia/Shanghai: what
README "Dates, times and zones" says. `schedule list --json --now` with fixed instants."""

import json

import pytest
import yaml
from click.testing import CliRunner

from auditor.cli import cli

SOURCES = [{"id": "db", "vendor": "v1", "kind": "sql", "url": "sqlite:///vendor.db"}]


def plan(tmp_path, tz, event, now):
    p = tmp_path / "auditor.yaml"
    p.write_text(yaml.safe_dump({"state": "sqlite:///state.db", "vendors": [{"id": "v1"}], "sources": SOURCES,
                                 "schedule": {"timezone": tz, "events": [event]}}, sort_keys=False))
    r = CliRunner().invoke(cli, ["schedule", "list", "-c", str(p), "--json", "--now", now, "--count", "0"])
    assert r.exit_code == 0, r.output
    return [(u["days_before"], u["at"], u["at_utc"]) for u in json.loads(r.output)["upcoming"]]


@pytest.mark.real_clock  # fixed instants only; freezegun's datetime loses `fold` on the repeated hour
def test_black_friday_new_york_across_the_autumn_change_and_in_the_repeated_hour(tmp_path):
    event = {"name": "Black Friday", "date": "2026-11-27", "audit_days_before": [28, 26, 1], "time": "01:30"}
    assert plan(tmp_path, "America/New_York", event, "2026-10-01T00:00:00Z") == [
        (28, "2026-10-30T01:30:00-04:00", "2026-10-30T05:30:00Z"),   # EDT
        (26, "2026-11-01T01:30:00-04:00", "2026-11-01T05:30:00Z"),   # the repeated hour: once, its first
        (1, "2026-11-26T01:30:00-05:00", "2026-11-26T06:30:00Z"),    # EST: same wall time, an hour later in UTC
    ]


def test_an_event_audit_in_the_spring_gap_runs_right_after_it(tmp_path):
    event = {"name": "Spring sale", "date": "2026-03-30", "audit_days_before": [2, 1, 0], "time": "01:30"}
    assert plan(tmp_path, "Europe/London", event, "2026-03-27T00:00:00Z") == [
        (2, "2026-03-28T01:30:00+00:00", "2026-03-28T01:30:00Z"),
        (1, "2026-03-29T02:30:00+01:00", "2026-03-29T01:30:00Z"),   # 01:30 does not exist that night
        (0, "2026-03-30T01:30:00+01:00", "2026-03-30T00:30:00Z"),
    ]


def test_singles_day_in_shanghai(tmp_path):
    event = {"name": "11.11", "date": "2026-11-11", "audit_days_before": [14, 3, 1], "time": "00:30"}
    assert plan(tmp_path, "Asia/Shanghai", event, "2026-10-20T00:00:00Z") == [
        (14, "2026-10-28T00:30:00+08:00", "2026-10-27T16:30:00Z"),  # the day before, in UTC
        (3, "2026-11-08T00:30:00+08:00", "2026-11-07T16:30:00Z"),
        (1, "2026-11-10T00:30:00+08:00", "2026-11-09T16:30:00Z"),
    ]
