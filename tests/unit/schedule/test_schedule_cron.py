"""Cron lines mean what cron means: 0 and 7 are Sunday, day fields OR, DST handled as cron does."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from auditor.schedule import CronTab, cron_day_of_week

NY = ZoneInfo("America/New_York")
UTC = timezone.utc


@pytest.mark.parametrize("field,names", [
    ("0", "sun"), ("7", "sun"), ("0,7", "sun"), ("1", "mon"), ("6", "sat"),
    ("1-5", "mon,tue,wed,thu,fri"), ("0,6", "sun,sat"), ("6,0", "sun,sat"), ("5-7", "sun,fri,sat"),
    ("*/2", "sun,tue,thu,sat"),  # cron: 0-7 in steps of 2 -> 0,2,4,6
    ("1-5/2", "mon,wed,fri"), ("3/2", "sun,wed,fri"), ("mon-fri", "mon,tue,wed,thu,fri"),
    ("SUN", "sun"), ("sat,sun", "sun,sat"), ("*", "*"), ("0-6", "*"), ("0-7", "*"),
])
def test_day_of_week_is_converted_to_names(field, names):
    assert cron_day_of_week(field) == names


@pytest.mark.parametrize("field", ["8", "5-1", "fri-mon", "funday", "1/0", "", "-1"])
def test_bad_day_of_week_is_refused(field):
    with pytest.raises(ValueError):
        cron_day_of_week(field)


def weekdays(expr, start, n=10, tz=UTC):
    return [t.strftime("%a") for t in CronTab(expr, tz if isinstance(tz, ZoneInfo) else ZoneInfo("UTC"))
            .next_times(start, n)]


START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday


def test_zero_and_seven_are_sunday_where_apscheduler_reads_monday():
    # the bug this guards against: APScheduler 3.x from_crontab reads 0 as Monday
    naive = CronTrigger.from_crontab("0 2 * * 0", timezone="UTC").get_next_fire_time(None, START)
    assert naive.strftime("%a") == "Mon"
    assert set(weekdays("0 2 * * 0", START, 4)) == {"Sun"}
    assert set(weekdays("0 2 * * 7", START, 4)) == {"Sun"}
    first = CronTab("0 2 * * 0", "UTC").next_times(START, 1)[0]
    assert first == datetime(2026, 11, 8, 2, 0, tzinfo=UTC)


def test_weekday_ranges_lists_and_steps():
    assert weekdays("0 2 * * 1-5", START, 10) == ["Mon", "Tue", "Wed", "Thu", "Fri"] * 2
    assert weekdays("0 2 * * mon-fri", START, 5) == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    assert weekdays("0 2 * * 0,6", START, 4) == ["Sat", "Sun", "Sat", "Sun"]
    assert weekdays("0 2 * * */2", START, 4) == ["Tue", "Thu", "Sat", "Sun"]


def test_day_of_month_and_day_of_week_match_either_as_in_cron():
    # "the 13th, and every Friday": cron runs on both, not only on a Friday the 13th
    times = CronTab("0 0 13 * 5", "UTC").next_times(datetime(2026, 11, 1, tzinfo=UTC), 4)
    assert [t.date().isoformat() for t in times] == ["2026-11-06", "2026-11-13", "2026-11-20", "2026-11-27"]
    times = CronTab("0 0 13 * 1", "UTC").next_times(datetime(2026, 11, 1, tzinfo=UTC), 3)
    assert [t.date().isoformat() for t in times] == ["2026-11-02", "2026-11-09", "2026-11-13"]
    # a star in either day field: the other one alone decides
    times = CronTab("0 0 * * 5", "UTC").next_times(datetime(2026, 11, 1, tzinfo=UTC), 2)
    assert [t.date().isoformat() for t in times] == ["2026-11-06", "2026-11-13"]


@pytest.mark.real_clock  # fixed instants only; freezegun's datetime loses `fold` on the repeated hour
def test_fall_back_runs_a_fixed_hour_once_and_keeps_wall_time():
    start = datetime(2026, 10, 30, tzinfo=NY)
    times = CronTab("30 1 * * *", NY).next_times(start, 4)
    assert [t.isoformat() for t in times] == [
        "2026-10-30T01:30:00-04:00", "2026-10-31T01:30:00-04:00",
        "2026-11-01T01:30:00-04:00",  # first 01:30 only; the repeated one (EST) is not a second run
        "2026-11-02T01:30:00-05:00"]
    hourly = CronTab("30 * * * *", NY).next_times(datetime(2026, 11, 1, 0, 0, tzinfo=NY), 3)
    assert [t.astimezone(UTC).hour for t in hourly] == [4, 5, 6]  # wildcard hours run by the real clock


def test_spring_forward_runs_right_after_the_gap():
    times = CronTab("30 2 * * *", NY).next_times(datetime(2026, 3, 7, 12, 0, tzinfo=NY), 2)
    assert times[0].isoformat() == "2026-03-08T03:30:00-04:00"  # 02:30 does not exist that night
    assert times[1].isoformat() == "2026-03-09T02:30:00-04:00"


def test_macros_and_month_names():
    assert CronTab("@daily", "UTC").next_times(START, 2)[1] == datetime(2026, 11, 3, tzinfo=UTC)
    assert CronTab("@daily", "UTC").next_times(START, 1)[0] == START  # a fire time equal to now is upcoming
    assert CronTab("@weekly", "UTC").next_times(START, 1)[0] == datetime(2026, 11, 8, tzinfo=UTC)
    assert CronTab("0 0 1 jan *", "UTC").next_times(START, 1)[0] == datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("expr", ["0 2 * *", "0 2 * * * *", "61 2 * * *", "0 25 * * *", "0 2 * * 8", "@reboot"])
def test_bad_lines_are_refused(expr):
    with pytest.raises(ValueError):
        CronTab(expr, "UTC")
