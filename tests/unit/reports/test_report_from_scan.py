"""The reports of real runs: engine and store drive the fake connector, the CLI writes them.

What the classifier saw must never reach the HTML or the CSV: only counts, names and
masked samples.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from auditor.cli import cli

EMAILS = ["alice.tan@example.com", "bob.lim@example.org", "carol@example.net"]
pytestmark = pytest.mark.usefixtures("fake_connector")

PHONES = ["+65 9123 4567", "+65 8765 4321", "+65 9000 1111"]


def write_config(tmp_path: Path) -> Path:
    stale = {"name": "public.customers", "public": False, "encryption_at_rest": "none",
             "encryption_in_transit": "optional", "has_retention": False, "records": 1200,
             "last_modified": "2019-02-14T00:00:00+00:00", "sample": {"email": EMAILS, "phone": PHONES}}
    doc = {"state": f"sqlite:///{tmp_path / 'state.db'}",
           "vendors": [{"id": "redmart", "name": "RedMart legacy hosting", "contract_end": "2019-03-31"}],
           "sources": [{"id": "db", "vendor": "redmart", "kind": "fake", "datasets": [stale],
                        "unreadable": ["public.payments"]}]}
    path = tmp_path / "auditor.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_scan_then_report_renders_stored_runs_without_raw_values(tmp_path: Path) -> None:
    cfg, out = write_config(tmp_path), tmp_path / "reports"
    out.mkdir()
    runner = CliRunner()
    first = runner.invoke(cli, ["scan", "-c", str(cfg), "--as-of", "2026-11-07T02:00:00Z", "--trigger", "schedule:nightly",
                                "--html", str(out / "nightly.html")])
    assert first.exit_code == 3, first.output  # public.payments could not be read
    second = runner.invoke(cli, ["scan", "-c", str(cfg), "--as-of", "2026-11-08T02:00:00Z",
                                 "--html", str(out / "manual.html"), "--csv", str(out / "findings.csv")])
    assert second.exit_code == 3, second.output
    again = runner.invoke(cli, ["report", "-c", str(cfg), "--run", "latest", "--html", str(out / "latest.html")])
    assert again.exit_code == 0, again.output

    html = (out / "latest.html").read_text()
    texts = [html, (out / "findings.csv").read_text(encoding="utf-8-sig"),
             (out / "findings-datasets.csv").read_text(encoding="utf-8-sig"), (out / "index.json").read_text()]
    for raw in EMAILS + PHONES + ["alice", "9123 4567"]:
        assert all(raw not in t for t in texts), raw
    assert 'data-rule="stale-personal-data"' in html and 'data-rule="vendor-contract-ended"' in html
    assert "public.payments" in html and "grant SELECT" in html  # coverage names the fix
    assert 'class="pill run-partial">Partial<' in html and "Manual run" in html
    assert 'data-figure="stale-records">1,200<' in html

    with (out / "findings.csv").open(encoding="utf-8-sig", newline="") as fh:
        rules = sorted(r["rule"] for r in csv.DictReader(fh))
    assert "stale-personal-data" in rules and "not-assessed" in rules

    runs = json.loads((out / "index.json").read_text())["runs"]
    assert len(runs) == 2  # the second run was written twice: one entry, pointing at the last file
    assert [r["trigger_text"] for r in runs] == ["Nightly audit", "Manual run"]
    assert runs[-1]["file"] == "latest.html"
    index = (out / "index.html").read_text()
    assert "nightly.html" in index and "latest.html" in index and "manual.html" not in index
