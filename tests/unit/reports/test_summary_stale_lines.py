"""The console summary (the cron mail) names the oldest stale datasets, not all of them: a scan of
1,001 stale tables printed 1,001 lines before the findings. Like the findings, it says how many
more the report holds; the report itself still lists every one."""

from __future__ import annotations

from reports.context import judged, stale_headline
from reports.summary import MAX_STALE_LINES, summary_lines
from tests.unit.reports.report_runs import pd, sample_run, table, utc


def _stale_run(n: int):
    email = pd("email", 20, ("email",), ("j***@e***.com",))
    old = [table(f"public.t{i:04d}", records=20 + i, records_basis="exact", last_modified=utc(2018, 1, 1 + i % 28),
                 last_modified_basis="max(updated_at)", classified=True, personal_data=(email,)) for i in range(n)]
    return sample_run(datasets=tuple(old), findings=(), resolved=(), errors=())


def test_the_console_names_the_oldest_stale_datasets_and_counts_the_rest():
    run = _stale_run(40)
    lines = summary_lines(run)
    start = next(i for i, line in enumerate(lines) if line.startswith("Stale personal data at vendors"))
    end = lines.index("", start)
    named = lines[start + 1:end - 1]
    assert len(named) == MAX_STALE_LINES == 12
    headline = stale_headline(judged(run))
    assert len(headline) == 40  # the report's headline keeps them all
    for line, x in zip(named, headline[:MAX_STALE_LINES], strict=True):  # the oldest first, as the report leads
        assert f" {x['dataset']} " in line, (line, x["dataset"])
    assert lines[end - 1] == f"  ... and {40 - MAX_STALE_LINES} more stale datasets in the report"


def test_a_few_stale_datasets_are_all_named():
    lines = summary_lines(_stale_run(3))
    start = next(i for i, line in enumerate(lines) if line.startswith("Stale personal data at vendors"))
    assert lines[start + 4] == "" and not any("more stale" in line for line in lines)
