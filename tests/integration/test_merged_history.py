"""One finding for several packs' rules keeps their history: a waiver on any of their ids
applies, and a rule merged into another's finding is never reported as resolved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from auditor.engine import apply_history, diff_with_previous
from auditor.models import Finding, Run, SourceResult, Waiver, finding_id
from auditor.store import Store

T0 = datetime(2026, 6, 1, tzinfo=UTC)
STALE = finding_id("stale-personal-data", "crm-db", "crm.customers")
PDPA = finding_id("pdpa-retention-limitation", "crm-db", "crm.customers")


def merged() -> Finding:
    return Finding(id=STALE, rule="stale-personal-data", severity="high", source="crm-db", vendor="acme",
                   dataset="crm.customers", title="stale", rules=("stale-personal-data", "pdpa-retention-limitation"),
                   merged_ids=(PDPA,))


def test_a_waiver_on_a_merged_rule_id_applies_to_the_one_finding(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path}/state.db")
    store.add_waiver(Waiver(finding_id=PDPA, reason="legal hold until the case closes", by="dpo",
                            until=T0 + timedelta(days=30), created_at=T0))
    [f] = apply_history([merged()], store, T0 + timedelta(days=1))
    assert f.status == "waived" and f.waiver["reason"] == "legal hold until the case closes"
    [later] = apply_history([merged()], store, T0 + timedelta(days=31))
    assert later.status == "open" and later.waiver["expired"] is True


def test_a_rule_merged_into_another_finding_is_not_resolved():
    before = Finding(id=PDPA, rule="pdpa-retention-limitation", severity="high", source="crm-db", vendor="acme",
                     dataset="crm.customers", title="stale (pdpa)")
    previous = Run(id="r1", started_at=T0, as_of=T0, findings=(before,))
    resolved, carried = diff_with_previous(previous, [merged()], {"crm-db"},
                                           [SourceResult(id="crm-db", kind="sql", vendor="acme")], [], [])
    assert resolved == [] and carried == []
