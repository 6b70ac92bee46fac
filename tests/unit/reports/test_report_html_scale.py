"""A large run's HTML: the inventory and the findings go into compact JSON islands (every
string once), each rule's explanation is written once, hostile names stay escaped, and a
small run's page is written out in full as before. (In Chromium: tests/browser/test_report_scale.py.)"""

from __future__ import annotations

import json
import re

from reports.html import GROUPED_ABOVE, PAGED_ABOVE, render_html
from tests.unit.reports.report_runs import HOSTILE_PREFIX, HOSTILE_TABLE, HOSTILE_VENDOR, large_run, sample_run


def _island(html: str, name: str) -> dict:
    m = re.search(rf'<script type="application/json" id="{name}">(.*?)</script>', html, re.S)
    assert m, name
    return json.loads(m.group(1))


def _large():
    run, evil = large_run(1_000, 500), sample_run(hostile=True)
    own = evil.findings[-1].model_copy(update={"description": "A description of its own."})
    return run.model_copy(update={
        "datasets": run.datasets + evil.datasets[-2:], "findings": run.findings + evil.findings[-2:-1] + (own,),
        "vendors": run.vendors + evil.vendors[-1:], "sources": run.sources + evil.sources[-2:]})


def test_a_large_run_is_paged_and_grouped_from_compact_islands() -> None:
    run = _large()
    html = render_html(run)
    assert len(html.encode()) < 700_000  # about 23.8 MB at 10,000 datasets when every row was markup
    inventory, findings = _island(html, "inventory-data"), _island(html, "finding-data")
    assert len(inventory["rows"]) == len(run.datasets) and inventory["page"] == 100
    names = {inventory["strings"][row[0]] for row in inventory["rows"]}
    assert names == {d.name for d in run.datasets}
    assert len(inventory["strings"]) == len(set(inventory["strings"]))  # every string once
    ids = {findings["strings"][row[0]] for g in findings["groups"].values() for row in g["rows"]}
    assert ids == {f.id for f in run.findings}
    # grouped by rule, then vendor: each group one rule and one vendor, with its count on the page
    for key, group in findings["groups"].items():
        count = sum(1 for f in run.findings if f.rule == group["rule"] and f.vendor == group["vendor"])
        assert len(group["rows"]) == count
        assert re.search(rf'data-group="{key}" data-rule="{re.escape(group["rule"])}"[^>]*>\s*<summary>[^<]*'
                         rf'<span class="group-count count" data-total="{count}">', html)
    # a rule's explanation once, not once a finding; a finding's own explanation kept with it
    assert html.count("Fix stale-personal-data: delete the data the vendor no longer needs") == 1
    assert "A description of its own." in findings["strings"]
    assert findings["waive"][0] == "auditor waive " and "--until 2027-02-06" in findings["waive"][1]
    assert 'id="finding-list"' not in html and "<tbody class=\"ds-group" not in html


def test_hostile_names_in_the_islands_stay_inert() -> None:
    html = render_html(_large())
    for raw in (HOSTILE_TABLE, HOSTILE_PREFIX, HOSTILE_VENDOR):
        assert raw not in html
    assert "<img" not in html and html.count("<script") == 4  # three JSON islands and the page's script
    assert HOSTILE_PREFIX in _island(html, "finding-data")["strings"]
    assert HOSTILE_TABLE in _island(html, "inventory-data")["strings"]


def test_a_small_run_is_written_out_in_full() -> None:
    run = sample_run()
    assert len(run.datasets) <= PAGED_ABOVE and len(run.findings) <= GROUPED_ABOVE
    html = render_html(run)
    assert 'id="inventory-data"' not in html and 'id="finding-data"' not in html
    assert html.count("<article class=\"finding") == len(run.findings)
    assert html.count('<tbody class="ds-group') == len(run.datasets)
