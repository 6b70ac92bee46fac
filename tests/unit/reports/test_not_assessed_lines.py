"""The cron mail's not-assessed lines (``reports.summary.not_assessed_lines``): datasets lost for one
reason with one way out are one line naming how many and the first few, not one line each (a server
gone mid-scan made ten identical lines and hid the rest behind "... and N more")."""

from __future__ import annotations

from datetime import UTC, datetime

from auditor.models import Finding, Run, SourceResult
from reports.summary import not_assessed_lines

T = datetime(2026, 11, 30, 2, tzinfo=UTC)


def _na(source: str, dataset: str, reason: str, fix: str) -> Finding:
    return Finding(id=f"not-assessed:{source}:{dataset}", rule="not-assessed", severity="high", source=source,
                   vendor="v", dataset=dataset, title="Dataset could not be assessed",
                   evidence={"reason": reason}, remediation=fix)


def test_datasets_lost_for_one_reason_are_one_line_and_other_reasons_keep_theirs() -> None:
    gone = "the server became unreachable (connection refused)"
    findings = [_na("shop", f"shop.t{i:02d}", gone, "check the server, then re-run") for i in range(12)]
    findings += [_na("shop", "shop.locked", "lock wait timeout", "run when no job holds the lock"),
                 _na("crm", "crm.a", gone, "check the server, then re-run")]
    run = Run(id="r", started_at=T, as_of=T, trigger="manual", status="partial",
              sources=(SourceResult(id="shop", kind="sql", vendor="v", status="ok"),
                       SourceResult(id="crm", kind="sql", vendor="v", status="ok")), findings=tuple(findings))
    lines = not_assessed_lines(run)
    assert lines == [
        "NOT ASSESSED crm crm.a: " + gone + " (fix: check the server, then re-run)",
        "NOT ASSESSED shop shop.locked: lock wait timeout (fix: run when no job holds the lock)",
        "NOT ASSESSED shop 12 datasets (shop.t00, shop.t01, shop.t02, ...): " + gone
        + " (fix: check the server, then re-run)",
    ], lines
