"""A report of 10,000 datasets and 5,000 findings in headless Chromium: the file stays under
5 MB, the page opens with no error and no request, the paged inventory and the grouped
findings work (filter, sort, find, copy), hostile names drawn by the script stay text, and
nothing overflows a phone's width. The load time is printed next to the demo-size report's
in the same run (benchmarks/report_scale.py measures them with repetitions)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reports.html import write_html
from tests.browser.test_report_browser import Watched, browser  # noqa: F401 - the shared launcher fixture
from tests.browser.test_report_layout import BROKEN_WORDS_JS, OVERFLOW_JS
from tests.unit.reports.report_runs import HOSTILE_PREFIX, HOSTILE_TABLE, large_run, sample_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAX_BYTES = 5_000_000
FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(1))))"


def _large_with_hostile():
    run, evil = large_run(10_000, 5_000), sample_run(hostile=True)
    return run.model_copy(update={
        "datasets": run.datasets + evil.datasets[-2:], "findings": run.findings + evil.findings[-2:],
        "vendors": run.vendors + evil.vendors[-1:], "sources": run.sources + evil.sources[-2:]})


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> tuple[Path, Path, object]:
    out = tmp_path_factory.mktemp("scale")
    run = _large_with_hostile()
    return write_html(run, out / "large.html"), write_html(sample_run(), out / "demo" / "demo.html"), run


def _timed(browser, url: str) -> tuple[Watched, float]:  # noqa: F811
    t0 = time.perf_counter()
    w = Watched(browser, url)
    w.page.evaluate(FRAMES)
    return w, time.perf_counter() - t0


def test_ten_thousand_datasets_stay_small_and_open(browser, large) -> None:  # noqa: F811
    path, demo, run = large
    size = path.stat().st_size
    assert len(run.datasets) == 10_002 and len(run.findings) == 5_002
    demo_w, demo_s = _timed(browser, demo.as_uri())
    demo_w.close()
    w, took = _timed(browser, path.as_uri())
    print(f"\n10,002 datasets / 5,002 findings: {size / 1e6:.2f} MB, opened in {took:.2f} s "
          f"(the demo's report in {demo_s:.2f} s in the same run)")
    try:
        assert size <= MAX_BYTES
        assert took < 10  # the target is ~2 s (benchmarks/report_scale.py); 10 s guards against 85 s of layout
        page = w.page
        assert w.errors == [] and w.dialogs == [] and w.requests == [page.url]
        assert [m for m in w.console if m.startswith(("error", "warning"))] == []
        assert page.evaluate("document.querySelectorAll('img').length") == 0

        # the inventory: one page of 100 datasets, paged and searchable
        assert page.locator("#inventory-table tbody").count() == 100
        assert page.inner_text("#inventory-range") == "datasets 1–100 of 10002"
        page.click("#inventory-next")
        assert page.inner_text("#inventory-range") == "datasets 101–200 of 10002"
        page.fill("#inventory-find", "onerror")
        page.wait_for_function("() => document.getElementById('inventory-range').textContent.includes('matching')")
        assert page.inner_text("#inventory-range") == "datasets 1–1 of 1 matching (of 10002)"
        assert HOSTILE_TABLE in page.inner_text("#inventory-table")

        # the findings: grouped by rule then vendor, filtered and sorted inside each group
        assert page.inner_text("#finding-count") == "5002 findings"
        page.select_option("#filter-severity", "critical")
        critical = sum(1 for f in run.findings if f.severity == "critical")
        assert page.inner_text("#finding-count") == f"{critical} of 5002 findings shown"
        groups = page.locator("details.finding-group:not([hidden])")
        assert groups.count() >= 1 and page.locator("section.rule-group:not([hidden])").count() == 1
        groups.first.locator(":scope > summary").click()
        sev = page.eval_on_selector_all("details.finding-group[open] article.finding", "els => els.map(e => e.dataset.severity)")
        assert sev and set(sev) == {"critical"}
        page.click("#filter-reset")
        page.select_option("#filter-vendor", "evil")
        assert page.inner_text("#finding-count") == "2 of 5002 findings shown"
        for g in page.locator("details.finding-group:not([hidden])").all():
            g.locator(":scope > summary").click()
        shown = page.inner_text("#findings")
        assert HOSTILE_PREFIX in shown and HOSTILE_TABLE in shown and w.dialogs == []
        # a search over id, dataset, source and URI across every group, opening the groups it matches
        page.click("#filter-reset")
        target = next(f for f in run.findings if f.vendor == "vendor-06")
        page.fill("#filter-text", target.dataset)
        page.wait_for_function("() => document.getElementById('finding-count').textContent.includes(' of ')")
        found = page.eval_on_selector_all("details.finding-group[open]:not([hidden]) article.finding",
                                          "els => els.map(e => e.dataset.dataset)")
        assert found and set(found) == {target.dataset}
        assert page.inner_text("#finding-count") == f"{len(found)} of 5002 findings shown"
        assert page.is_visible(f"article.finding[data-id='{target.id}']")
        page.click("#filter-reset")
        assert page.input_value("#filter-text") == "" and page.inner_text("#finding-count") == "5002 findings"
        page.select_option("#filter-rule", "stale-personal-data")
        page.click("[data-sort=dataset]")
        big = page.locator("details.finding-group[data-vendor=vendor-00]:not([hidden])")
        if not big.evaluate("e => e.open"):
            big.locator(":scope > summary").click()
        names = big.evaluate("e => [...e.querySelectorAll('article.finding')].map(a => a.dataset.dataset.toLowerCase())")
        assert len(names) > 1 and names == sorted(names)
        command = big.locator("button.copy").first.get_attribute("data-copy")
        fid = big.locator("article.finding").first.get_attribute("data-id")
        assert command.startswith(f"auditor waive {fid} --reason ") and "--until 2027-02-06" in command
        assert w.errors == [] and w.dialogs == []
    finally:
        w.close()


def test_the_large_report_fits_a_phone(browser, large) -> None:  # noqa: F811
    path, _, _ = large
    w = Watched(browser, path.as_uri(), width=400)
    try:
        w.page.locator("details.finding-group").first.locator(":scope > summary").click()
        result = w.page.evaluate(OVERFLOW_JS)
        assert result["scrollWidth"] <= 400 and result["overflowing"] == [], result
        # what the script draws wraps at separators as the template's rows do, never letter by letter
        broken = w.page.evaluate(BROKEN_WORDS_JS, ".finding .where, #inventory-table td.ds")
        # (only the hostile name's 24-letter run with no separator may break inside, in a narrow column)
        assert broken["checked"] > 100 and all("alert(1)" in word for word in broken["split"]), broken
    finally:
        w.close()
