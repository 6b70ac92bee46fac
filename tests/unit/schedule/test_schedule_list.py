"""`auditor schedule list`: every upcoming audit, in the configured zone and in UTC."""

import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner

from auditor import schedule
from auditor.cli import cli
from auditor.config import parse_config
from auditor.errors import UsageError

NY = ZoneInfo("America/New_York")


# planning never connects: one SQLite source that is only parsed
SOURCES = [{"id": "db", "vendor": "v1", "kind": "sql", "url": "sqlite:///vendor.db"}]


def write(tmp_path, sched, **extra):
    p = tmp_path / "auditor.yaml"
    p.write_text(yaml.safe_dump({"state": "sqlite:///state.db", "vendors": [{"id": "v1"}], "sources": SOURCES,
                                 "schedule": sched, **extra}, sort_keys=False))
    return p


def listing(path, *args):
    r = CliRunner().invoke(cli, ["schedule", "list", "-c", str(path), *args])
    return r


def as_json(path, *args):
    r = listing(path, "--json", *args)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_numeric_sunday_0_and_7_and_named_days_list_sundays(tmp_path):
    for dow in ("0", "7", "sun", "SUN"):
        p = write(tmp_path, {"nightly": f"0 2 * * {dow}", "timezone": "UTC"})
        doc = as_json(p, "--now", "2026-11-02T12:00:00Z", "--count", "3")
        assert [u["at_utc"] for u in doc["upcoming"]] == [
            "2026-11-08T02:00:00Z", "2026-11-15T02:00:00Z", "2026-11-22T02:00:00Z"], dow
        assert {datetime.fromisoformat(u["at"]).strftime("%a") for u in doc["upcoming"]} == {"Sun"}


def test_weekdays_range_is_monday_to_friday(tmp_path):
    p = write(tmp_path, {"nightly": "15 3 * * 1-5", "timezone": "Asia/Singapore"})
    doc = as_json(p, "--now", "2026-11-06T00:00:00+08:00", "--count", "5")  # a Friday
    days = [datetime.fromisoformat(u["at"]).strftime("%a %d") for u in doc["upcoming"]]
    assert days == ["Fri 06", "Mon 09", "Tue 10", "Wed 11", "Thu 12"]
    assert doc["upcoming"][0]["at"] == "2026-11-06T03:15:00+08:00"
    assert doc["upcoming"][0]["at_utc"] == "2026-11-05T19:15:00Z"
    assert all(u["trigger"] == "schedule:nightly" for u in doc["upcoming"])


def test_new_york_across_the_dst_change_keeps_local_time_and_shifts_utc(tmp_path):
    p = write(tmp_path, {"nightly": "0 2 * * *", "timezone": "America/New_York"})
    doc = as_json(p, "--now", "2026-10-30T12:00:00Z", "--count", "4")
    assert [(u["at"], u["at_utc"]) for u in doc["upcoming"]] == [
        ("2026-10-31T02:00:00-04:00", "2026-10-31T06:00:00Z"),
        ("2026-11-01T02:00:00-05:00", "2026-11-01T07:00:00Z"),  # clocks went back at 02:00 EDT
        ("2026-11-02T02:00:00-05:00", "2026-11-02T07:00:00Z"),
        ("2026-11-03T02:00:00-05:00", "2026-11-03T07:00:00Z"),
    ]
    text = listing(p, "--now", "2026-10-30T12:00:00Z", "--count", "2").output
    assert "2026-10-31T02:00-04:00  2026-10-31T06:00Z  schedule:nightly" in text
    assert "2026-11-01T02:00-05:00  2026-11-01T07:00Z  schedule:nightly" in text


def test_event_with_several_lead_days_in_the_zone_past_ones_skipped_and_said(tmp_path):
    p = write(tmp_path, {"timezone": "America/New_York", "events": [
        {"name": "11.11", "date": "2026-11-11", "audit_days_before": [14, 3, 1, 3], "time": "09:30"},
        {"name": "Black Friday", "date": "2026-11-27", "audit_days_before": [7, 0]},
    ]})
    doc = as_json(p, "--now", "2026-10-30T12:00:00Z")
    assert [(u["trigger"], u["days_before"], u["at"], u["at_utc"]) for u in doc["upcoming"]] == [
        ("event:11.11", 3, "2026-11-08T09:30:00-05:00", "2026-11-08T14:30:00Z"),  # after the DST change
        ("event:11.11", 1, "2026-11-10T09:30:00-05:00", "2026-11-10T14:30:00Z"),
        ("event:Black Friday", 7, "2026-11-20T09:00:00-05:00", "2026-11-20T14:00:00Z"),
        ("event:Black Friday", 0, "2026-11-27T09:00:00-05:00", "2026-11-27T14:00:00Z"),
    ]
    assert all(u["event_date"] in ("2026-11-11", "2026-11-27") for u in doc["upcoming"])
    assert [(s["trigger"], s["days_before"], s["at"], s["reason"]) for s in doc["skipped"]] == [
        ("event:11.11", 14, "2026-10-28T09:30:00-04:00", "in the past")]
    r = listing(p, "--now", "2026-10-30T12:00:00Z")
    assert r.exit_code == 0
    assert "skipped (in the past): 2026-10-28T09:30-04:00  2026-10-28T13:30Z  event:11.11  (14 days before 2026-11-11)" \
        in r.output
    assert "2026-11-10T09:30-05:00  2026-11-10T14:30Z  event:11.11  (1 day before 2026-11-11)" in r.output
    assert "no upcoming audits" not in r.output


def test_nightly_and_events_are_merged_in_time_order(tmp_path):
    p = write(tmp_path, {"nightly": "0 2 * * *", "timezone": "Asia/Singapore", "events": [
        {"name": "12.12", "date": "2026-12-12", "audit_days_before": [1], "time": "01:00"}]})
    doc = as_json(p, "--now", "2026-12-10T12:00:00+08:00", "--count", "3")
    assert [(u["trigger"], u["at"]) for u in doc["upcoming"]] == [
        ("event:12.12", "2026-12-11T01:00:00+08:00"),
        ("schedule:nightly", "2026-12-11T02:00:00+08:00"),
        ("schedule:nightly", "2026-12-12T02:00:00+08:00"),
        ("schedule:nightly", "2026-12-13T02:00:00+08:00"),
    ]


def test_every_event_past_says_so(tmp_path):
    p = write(tmp_path, {"timezone": "UTC", "events": [{"name": "11.11", "date": "2026-11-11",
                                                          "audit_days_before": [3, 1]}]})
    r = listing(p, "--now", "2026-12-01T00:00:00Z")
    assert r.exit_code == 0
    assert "no upcoming audits" in r.output
    assert r.output.count("skipped (in the past)") == 2


def test_no_schedule_section_is_exit_2_with_one_line(tmp_path):
    p = tmp_path / "auditor.yaml"
    p.write_text(yaml.safe_dump({"vendors": [{"id": "v1"}], "sources": SOURCES}))
    r = listing(p)
    assert r.exit_code == 2
    assert "auditor: error:" in r.output and "schedule" in r.output and "Traceback" not in r.output


def test_bad_cron_line_is_exit_2_naming_file_line_and_key(tmp_path):
    p = write(tmp_path, {"nightly": "0 2 * * 8", "timezone": "UTC"})
    r = listing(p)
    assert r.exit_code == 2
    line = p.read_text().splitlines().index("  nightly: 0 2 * * 8") + 1
    assert f"{p}:{line}: schedule.nightly:" in r.output and "0-7" in r.output


def test_trigger_options_for_cron_users_of_scan():
    cfg = parse_config(yaml.safe_dump({"vendors": [{"id": "v1"}], "sources": SOURCES, "schedule": {
        "timezone": "Asia/Singapore", "events": [{"name": "11.11", "date": "2026-11-11", "fail_on": "medium",
                                                   "policies": ["builtin:baseline"]}]}}))
    opts = schedule.options_for_trigger(cfg, "event:11.11", datetime(2026, 11, 7, 20, 0, tzinfo=timezone.utc))
    assert opts["trigger_detail"] == {"event": "11.11", "event_date": "2026-11-11", "days_before": 3}  # SGT: the 8th
    assert opts["fail_on"] == "medium" and opts["policies"] == ["builtin:baseline"]
    with pytest.raises(UsageError, match="no event named '12.12'.*known: '11.11'"):
        schedule.options_for_trigger(cfg, "event:12.12")
    assert schedule.options_for_trigger(cfg, "manual") == {}


@pytest.mark.parametrize("count", [0, 1, 10])
def test_count_limits_nightly_rows(tmp_path, count):
    p = write(tmp_path, {"nightly": "@daily", "timezone": "UTC"})
    assert len(as_json(p, "--count", str(count))["upcoming"]) == count


@pytest.mark.real_clock  # fixed instants only; freezegun's datetime loses `fold` on the repeated hour
def test_previous_fire_time_inside_the_repeated_hour_does_not_hang():
    tab = schedule.CronTab("30 1 * * *", NY)
    first = datetime(2026, 11, 1, 1, 30, tzinfo=NY)
    nxt = tab.get_next_fire_time(first, datetime(2026, 11, 1, 6, 31, tzinfo=timezone.utc))
    assert nxt.isoformat() == "2026-11-02T01:30:00-05:00"
