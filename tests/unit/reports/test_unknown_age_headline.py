"""Personal data whose age could not be read is not "no stale data": the console summary (the cron
mail) said "Stale personal data at vendors: none older than 365 days found" and the page's headline
"0 datasets not written for more than 365 days" when every table holding personal data had an
unknown age (no write-time column: the not-assessed finding). Both now say how many are unknown."""

from __future__ import annotations

from reports.context import build_report_context
from reports.summary import summary_lines
from tests.unit.reports.report_runs import pd, sample_run, table, utc


def _run_with_unknown_ages():
    email = pd("email", 20, ("email",), ("j***@e***.com",))
    undated = [table(f"public.t{i}", records=20, records_basis="exact", last_modified=None,
                     last_modified_basis="unknown (no write-time column)", classified=True, personal_data=(email,))
               for i in range(3)]
    fresh = table("public.fresh", records=5, records_basis="exact", last_modified=utc(2026, 11, 1),
                  last_modified_basis="max(updated_at)", classified=True, personal_data=(email,))
    return sample_run(datasets=(*undated, fresh), findings=(), resolved=(), errors=())


def test_the_console_says_how_many_personal_datasets_have_an_unknown_age():
    lines = summary_lines(_run_with_unknown_ages())
    head = next(line for line in lines if line.startswith("Stale personal data at vendors"))
    assert "none older than 365 days found" in head and "age unknown for 3 datasets" in head, head


def test_the_page_headline_says_how_many_personal_datasets_have_an_unknown_age():
    ctx = build_report_context(_run_with_unknown_ages())
    assert ctx["headline"]["stale_datasets"] == 0
    assert "age unknown for 3 datasets" in ctx["headline"]["stale"]["note"], ctx["headline"]["stale"]


def test_nothing_is_said_when_every_age_is_known():
    run = sample_run()
    assert not any("age unknown" in line for line in summary_lines(run))
