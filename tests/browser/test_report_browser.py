"""The HTML report in headless Chromium (Debian ``chromium``, driven by Playwright).

Loads from a file:// URL with no console error and no request but the page itself,
filters and sorts work, hostile names raise no dialog, print hides nothing, and a
full-page screenshot is taken. (The README's screenshots and PDF of the demo are written by
test_report_layout.py with AUDITOR_UPDATE_SCREENSHOT=1.)
Without Chromium these skip with the reason; under CI (``CI=true``) they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from reports.html import write_html
from tests.unit.reports.report_runs import sample_run

pytestmark = pytest.mark.browser

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = os.environ.get("AUDITOR_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: .ci/run must install it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        _unavailable(f"Chromium is not installed at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Watched:
    """A page with every console message, page error, request and dialog recorded."""

    def __init__(self, browser, url: str, width: int = 1280) -> None:
        self.console: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.page.goto(url)
        self.page.wait_for_load_state("load")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def visible(self, attr: str) -> list[str]:
        return self.page.eval_on_selector_all(
            "article.finding", f"els => els.filter(e => !e.hidden).map(e => e.getAttribute('{attr}'))")

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def hostile(browser, tmp_path: Path) -> Iterator[Watched]:
    path = write_html(sample_run(hostile=True), tmp_path / "hostile.html")
    w = Watched(browser, path.as_uri())
    yield w
    w.close()


def test_loads_offline_with_no_error_no_request_and_no_dialog(hostile: Watched) -> None:
    hostile.page.wait_for_timeout(300)
    assert hostile.errors == []
    assert [m for m in hostile.console if m.startswith(("error", "warning"))] == []
    assert hostile.requests == [hostile.page.url]
    assert hostile.dialogs == []
    assert hostile.page.evaluate("document.querySelectorAll('img').length") == 0
    assert hostile.page.evaluate("document.scripts.length") == 2
    # the hostile names are on the page as text
    assert 'x"><img src=x onerror=alert(1)>' in hostile.page.inner_text("#inventory")
    assert "</script><script>alert(1)</script>" in hostile.page.inner_text("#findings")


def test_filters(hostile: Watched) -> None:
    page = hostile.page
    assert len(hostile.visible("data-id")) == 14
    page.select_option("#filter-severity", "critical")
    assert set(hostile.visible("data-severity")) == {"critical"} and len(hostile.visible("data-id")) == 2
    assert page.inner_text("#finding-count") == "2 of 14 findings shown"
    page.select_option("#filter-severity", "")
    page.select_option("#filter-vendor", label="Evil <b>Vendor</b> & Co'")
    assert set(hostile.visible("data-vendor")) == {"evil"} and len(hostile.visible("data-id")) == 2
    page.select_option("#filter-rule", "stale-personal-data")
    assert hostile.visible("data-dataset") == ['x"><img src=x onerror=alert(1)>']
    page.select_option("#filter-status", "waived")
    assert hostile.visible("data-id") == [] and page.is_visible("#finding-empty")
    page.click("#filter-reset")
    page.select_option("#filter-status", "waived")
    assert hostile.visible("data-rule") == ["insecure-transport"]
    page.select_option("#filter-status", "open")
    assert len(hostile.visible("data-id")) == 13
    page.select_option("#filter-rule", "not-assessed")
    assert set(hostile.visible("data-rule")) == {"not-assessed"} and len(hostile.visible("data-id")) == 2
    assert hostile.errors == [] and hostile.dialogs == []


def test_sorting(hostile: Watched) -> None:
    page = hostile.page

    def order(attr: str) -> list[str]:
        return page.eval_on_selector_all("article.finding", f"els => els.map(e => e.getAttribute('{attr}'))")

    ranks = [int(r) for r in order("data-rank")]
    status = order("data-status")
    assert status[-1] == "waived" and ranks[:-1] == sorted(ranks[:-1])
    page.click("[data-sort=vendor]")
    names = [v.lower() for v in order("data-vendor-name")]
    assert names == sorted(names) and names[0] != names[-1]
    assert page.get_attribute("[data-sort=vendor]", "aria-pressed") == "true"
    page.click("[data-sort=vendor]")
    assert [v.lower() for v in order("data-vendor-name")] == sorted(names, reverse=True)
    page.click("[data-sort=dataset]")
    datasets = [d.lower() for d in order("data-dataset")]
    assert datasets == sorted(datasets)
    page.click("[data-sort=first]")
    first = [f for f in order("data-first") if f]
    assert first == sorted(first) and first  # oldest first; never-seen-before sort last
    assert order("data-first")[-1] == ""
    page.click("[data-sort=rule]")
    rules = order("data-rule")
    assert rules == sorted(rules)
    page.click("[data-sort=rank]")
    assert [int(r) for r in order("data-rank")][:-1] == sorted(ranks[:-1])
    assert hostile.errors == []


def test_print_shows_every_finding_and_hides_the_controls(hostile: Watched) -> None:
    page = hostile.page
    page.select_option("#filter-severity", "low")
    page.emulate_media(media="print")
    assert not page.is_visible("#finding-controls") and not page.is_visible("nav.toc")
    shown = page.eval_on_selector_all("article.finding", "els => els.filter(e => e.offsetParent !== null).length")
    assert shown == 14


def test_index_page_loads_clean(browser, tmp_path: Path) -> None:
    write_html(sample_run(id="run-1", trigger="schedule:nightly", trigger_detail={}), tmp_path / "one.html")
    write_html(sample_run(hostile=True), tmp_path / "two.html")
    w = Watched(browser, (tmp_path / "index.html").as_uri())
    try:
        assert w.errors == [] and w.dialogs == [] and w.requests == [w.page.url]
        assert [m for m in w.console if m.startswith("error")] == []
        assert w.page.locator("table.runs-table tbody tr").count() == 2
        assert w.page.locator("svg.chart rect.bar").count() >= 2
        w.page.click("text=two.html")
        assert w.page.url.endswith("/two.html")
    finally:
        w.close()


def test_full_page_screenshot(browser, tmp_path: Path) -> None:
    target = tmp_path / "report.png"
    path = write_html(sample_run(), tmp_path / "report.html")
    w = Watched(browser, path.as_uri())
    try:
        assert w.errors == [] and w.requests == [w.page.url]
        target.parent.mkdir(parents=True, exist_ok=True)
        w.page.screenshot(path=str(target), full_page=True)
    finally:
        w.close()
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width == 1280 and height > 2000
