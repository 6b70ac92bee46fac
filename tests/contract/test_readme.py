"""The README's quick start is exactly two commands: the demo, and the tests that .ci/run runs."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^    \$ (.+)$", section, flags=re.M)


def test_quick_start_is_two_commands():
    demo, tests = quick_start_commands()
    assert "pip install '.[demo]'" in demo and demo.endswith("auditor demo --out auditor-demo")
    assert "pip install -e '.[test]'" in tests and "pytest" in tests


def test_ci_runs_exactly_the_readme_test_command():
    _, tests = quick_start_commands()
    ci = (ROOT / ".ci" / "run").read_text()
    # .ci/run extracts the command from the README itself, so the two cannot drift apart
    extracted = subprocess.run(["bash", "-c", "sed -n 's/^    \\$ //p' README.md | grep -m1 'pytest'"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert extracted == tests
    assert "sed -n 's/^    \\$ //p' README.md | grep -m1 'pytest'" in ci


def test_the_demo_test_runs_the_readme_demo_verb():
    demo, _ = quick_start_commands()
    test = (ROOT / "tests" / "integration" / "test_demo.py").read_text()
    assert '[AUDITOR, "demo", "--out", str(out)]' in test and "auditor demo --out" in demo
