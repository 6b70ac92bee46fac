"""``day`` writes what ``strftime("%Y-%m-%d")`` writes, of the UTC date of a datetime."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from reports.format import day


def test_day_is_strftime_of_the_utc_date() -> None:
    east = timezone(timedelta(hours=9))
    cases = [date(2026, 1, 2), datetime(2026, 1, 2, 23, 30, tzinfo=timezone(timedelta(hours=-5))),
             datetime(2026, 1, 3, 1, 0, tzinfo=east), datetime(2026, 5, 6, 7, 8), date(999, 3, 4),
             datetime(5, 1, 1), date(1000, 1, 1), datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc)]
    for d in cases:
        utc = (d.replace(tzinfo=timezone.utc) if d.tzinfo is None else d.astimezone(timezone.utc)) \
            if isinstance(d, datetime) else d
        assert day(d) == utc.strftime("%Y-%m-%d"), d
    assert day(None) == "unknown" and day(None, "not recorded") == "not recorded"
