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
