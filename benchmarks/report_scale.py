"""The HTML report at scale: file size and Chromium load time for 1,000 and 10,000 datasets,
next to the demo-size report measured in the same run (the baseline on a shared machine).

    python benchmarks/report_scale.py            # demo, 1k and 10k datasets, 3 loads each (median)
    python benchmarks/report_scale.py --quick    # demo and 1k datasets, 1 load each

Runs are built directly from models (``tests/unit/reports/report_runs.py``: ``large_run``,
half as many findings as datasets). Load time is from ``goto`` to the ``load`` event plus two
animation frames (the first render with the page's script run); the filter time is from
choosing a severity to the next two frames, the sort time from a click on "Dataset" to them.
Chromium: Debian ``chromium`` via Playwright (``AUDITOR_CHROMIUM`` to point elsewhere); without
it only sizes are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _result import result, spread  # noqa: E402 (run as a script from benchmarks/)

from reports.html import render_html  # noqa: E402
from reports.json_report import render_json  # noqa: E402
from tests.unit.reports.report_runs import large_run, sample_run  # noqa: E402

CHROMIUM = os.environ.get("AUDITOR_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))"


def load(browser, url: str) -> tuple[float, float, float, list[str]]:
    """(seconds to load and first render, for a severity filter and for a sort by dataset to render,
    page errors)."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    t0 = time.perf_counter()
    page.goto(url, wait_until="load", timeout=120_000)
    page.evaluate(FRAMES)
    loaded = time.perf_counter() - t0
    t1 = time.perf_counter()
    page.select_option("#filter-severity", "high")
    page.evaluate(FRAMES)
    filtered = time.perf_counter() - t1
    t2 = time.perf_counter()
    page.click("[data-sort=dataset]")
    page.evaluate(FRAMES)
    sorted_ = time.perf_counter() - t2
    page.close()
    return loaded, filtered, sorted_, errors


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    sizes = [("demo", None), ("1k", 1_000)] + ([] if args.quick else [("10k", 10_000)])
    reps = 1 if args.quick else 3
    out = Path(tempfile.mkdtemp(prefix="report-scale-"))
    files = {}
    sizes_mb: dict[str, float] = {}
    for label, n in sizes:
        run = sample_run() if n is None else large_run(n, n // 2)
        t0 = time.perf_counter()
        html = render_html(run)
        took = time.perf_counter() - t0
        js = json.dumps(render_json(run), ensure_ascii=False)
        path = out / f"report-{label}.html"
        path.write_text(html, encoding="utf-8")
        files[label] = path
        mb = sizes_mb[label] = len(html.encode()) / 1e6
        print(f"{label:>5}: {len(run.datasets):>6} datasets {len(run.findings):>5} findings  HTML {mb:6.2f} MB "
              f"(rendered in {took:.2f} s)  JSON {len(js.encode()) / 1e6:6.2f} MB")
        if n == 10_000:
            # a size is exact (no spread); its floor is the demo report's, written in the same run
            result("Report scale", "HTML size, 10,000 datasets", mb, "MB", "<= 5", mb <= 5,
                   floor=f"demo report {sizes_mb['demo']:.3f} MB ({len(sample_run().datasets)} datasets)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("playwright is not installed: load times not measured")
        return 0
    if not Path(CHROMIUM).exists():
        print(f"Chromium not found at {CHROMIUM}: load times not measured")
        return 0
    times: dict[str, list[tuple[float, float, float]]] = {label: [] for label in files}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        load(browser, files["demo"].as_uri())  # warm-up
        for _ in range(reps):  # interleaved: the machine is shared
            for label, path in files.items():
                loaded, filtered, sorted_, errors = load(browser, path.as_uri())
                assert not errors, errors
                times[label].append((loaded, filtered, sorted_))
        browser.close()
    for label, rows in times.items():
        loads, filters, sorts = [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
        print(f"{label:>5}: load {statistics.median(loads):.2f} s (min {min(loads):.2f}, max {max(loads):.2f})  "
              f"filter {statistics.median(filters) * 1000:.0f} ms  sort {statistics.median(sorts) * 1000:.0f} ms")
    demo_loads = [r[0] for r in times["demo"]]
    demo_load = statistics.median(demo_loads)
    for label in ("1k", "10k"):
        if label in times:
            loads = [r[0] for r in times[label]]
            value = statistics.median(loads)
            result("Report scale", f"Chromium load, {label} datasets (demo {demo_load:.2f} s)", value, "s", "<= 2",
                   value <= 2, floor=f"demo report load {spread(demo_loads)}", spread=spread(loads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
