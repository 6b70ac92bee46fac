"""A notification and the metrics read the report's headline through ``report_summary``, which
builds only the headline and the oldest stale datasets (building the whole report context for them,
inventory and findings' rows included, was most of a large run's report work done twice more). Its
figures are the report's own, so a chat message, the metrics and the report never disagree."""

from __future__ import annotations

import pytest
from report_runs import large_run, sample_run

from auditor.notify import stale_summary
from reports.context import build_report_context, report_summary
from reports.metrics import build_registry


@pytest.mark.parametrize("make", [sample_run, lambda: large_run(datasets=300, findings=200)], ids=["sample", "large"])
def test_the_summary_is_the_reports_own(make) -> None:
    run = make()
    ctx, summary = build_report_context(run), report_summary(run)
    assert summary["headline"] == ctx["headline"]
    assert summary["oldest"] == ctx["oldest"]
    assert summary["max_age"] == ctx["run"]["max_age"]
    assert ctx["headline"]["stale_datasets"] > 0 and ctx["oldest"], "a run with stale personal data"


def test_notification_and_metrics_read_the_summary(monkeypatch) -> None:
    run = sample_run()
    expected = build_report_context(run)
    monkeypatch.setattr("reports.context.build_report_context", lambda _run: pytest.fail("the whole report context"))
    stale = stale_summary(run)
    assert stale["datasets"] == expected["headline"]["stale_datasets"]
    assert stale["records"] == expected["headline"]["stale"]["value"]
    assert stale["max_age"] == expected["run"]["max_age"]
    assert stale["worst"]["dataset"] == expected["oldest"][0]["name"]
    reg = build_registry(run)
    assert reg.get_sample_value("auditor_stale_personal_datasets") == expected["headline"]["stale_datasets"]
    assert reg.get_sample_value("auditor_stale_personal_records") == expected["headline"]["stale"]["value"]
