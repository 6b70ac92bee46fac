"""benchmarks/text_breakdown.py keeps running on a small input, and restores what it wraps."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_text_breakdown_prints_the_floor_and_the_ideas():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "text_breakdown.py"), "--mb", "2", "--reps", "1",
                           "--workloads", "text"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    for line in ("whole-chunk passes", "cost of one block read", "floor at 16 reads", "idea re2.Set per block", "RESULT ",
                 "idea verdicts by normalised digits", "idea one combined pass"):
        assert line in proc.stdout, line


def test_text_breakdown_restores_what_it_wraps():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import text_breakdown as tb
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    from auditor.classify import blocks, text, validators
    from auditor.models import Sample

    before = (text._candidates, text._present, text.validators_for, blocks.measures,
              blocks.Estimate.settled, validators.phone_reading)
    tb._instrumented([Sample(text=["mail me at someone@example.com or +65 9123 4567\n" * 100])])
    assert (text._candidates, text._present, text.validators_for, blocks.measures,
            blocks.Estimate.settled, validators.phone_reading) == before
