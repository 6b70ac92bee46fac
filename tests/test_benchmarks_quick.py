"""The benchmark scripts must keep running: their quick mode, end to end (figures are not asserted:
speed targets are the benchmarks' business, not the tests')."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_run_all_quick_writes_every_benchmark(tmp_path):
    require_service("PostgreSQL", "127.0.0.1", 5432)
    out = tmp_path / "RESULTS.md"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--quick", "--out", str(out)],
                          capture_output=True, text=True, timeout=400, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    text = out.read_text()
    for title in ("S3 inventory floor", "S3 inventory memory", "SQL inventory", "classifier", "parallel sources",
                  "inventory report (Parquet)", "inventory report (CSV)", "celery workers", "sharded listing"):
        assert title.lower() in text.lower(), title
    assert "no RESULT line" not in text and "missing" not in text
    assert re.search(r"- machine: \d+ cores", text)


def test_run_all_only_updates_its_benchmarks_in_place():
    """`run_all.py --only X` into an existing RESULTS.md replaces X's table rows and section and
    keeps every other benchmark's: it wrote a file of X alone, dropping the rest of the record."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from run_all import merge_results
    finally:
        sys.path.pop(0)
    old = "\n".join([
        "# Benchmark results", "", "- dates: 2026-01-01T00:00+00:00 (first)", "- machine: x", "",
        "| benchmark | figure | value | spread (min / median / max) | floor (same run) | target | met |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        "| A | a1 | 1 x | - | - | t | yes |",
        "| B | b1 | 2 x | - | - | t | yes |",
        "| B | b2 | 3 x | - | - | t | yes |",
        "| C | c1 | 4 x | - | - | t | yes |", "",
        "## What bounds each figure", "", "notes", "",
        "## A title", "", "a output", "",
        "## B title", "", "old b output", "",
        "## C title", "", "c output", ""])
    new = merge_results(old, {"B": ["| B | b1 | 5 x | - | - | t | yes |", "| B | b3 | 7 x | - | - | t | yes |"],
                              "D": ["| D | d1 | 6 x | - | - | t | yes |"]},
                        {"B title": ["## B title", "", "new b output", ""], "D title": ["## D title", "", "d", ""]},
                        "2026-02-02T00:00+00:00 (`run_all.py --only b.py`)")
    lines = new.splitlines()
    # b2 is another script's figure under the same benchmark name: kept; b3 is new: after B's last row
    assert [x for x in lines if x.startswith("| ") and " x |" in x] == [
        "| A | a1 | 1 x | - | - | t | yes |", "| B | b1 | 5 x | - | - | t | yes |", "| B | b2 | 3 x | - | - | t | yes |",
        "| B | b3 | 7 x | - | - | t | yes |", "| C | c1 | 4 x | - | - | t | yes |", "| D | d1 | 6 x | - | - | t | yes |"]
    assert "new b output" in new and "old b output" not in new and "a output" in new and "c output" in new
    assert new.index("## A title") < new.index("## B title") < new.index("## C title") < new.index("## D title")
    assert "- dates: 2026-02-02T00:00+00:00 (`run_all.py --only b.py`); 2026-01-01T00:00+00:00 (first)" in lines
    assert "## What bounds each figure" in new
