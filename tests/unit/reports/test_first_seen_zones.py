"""Guards the report's memo of first-seen texts (reports.context._seen_words): keyed with the UTC offsets."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from reports.html import render_html
from tests.unit.reports.report_runs import finding, sample_run


def test_same_instant_in_two_zones_renders_each_first_seen_in_its_own_zone():
    """Guards _seen_words' memo: the call site passes the UTC offsets, so the same instant in +08:00 is not read as UTC."""
    in_utc = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    in_sgt = in_utc.astimezone(timezone(timedelta(hours=8)))
    ds = {d.name: d for d in sample_run().datasets}
    run = sample_run(findings=(
        finding("stale-personal-data", "high", ds["public.customers"], "Stale", {}, first_seen=in_utc),
        finding("no-retention-control", "medium", ds["acme-exports"], "No retention", {}, first_seen=in_sgt)))
    first = dict(re.findall(r'data-dataset="([^"]*)" data-first="([^"]*)"', render_html(run)))
    assert first == {"public.customers": "2026-03-01T20:00:00+00:00", "acme-exports": "2026-03-02T04:00:00+08:00"}
