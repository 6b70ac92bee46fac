"""The folder index: one entry per run (by run id) and index.html with the trend."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from reports.html import write_html
from tests.unit.reports.report_runs import AS_OF, HOSTILE_VENDOR, sample_run


def runs(folder: Path) -> list[dict]:
    return json.loads((folder / "index.json").read_text())["runs"]


def test_index_keeps_one_entry_per_run_and_a_trend(tmp_path: Path) -> None:
    first = sample_run(id="run-a", as_of=AS_OF - timedelta(days=1), trigger="schedule:nightly", trigger_detail={})
    second = sample_run(id="run-b", findings=sample_run().findings[:3])
    write_html(second, tmp_path / "b.html")
    write_html(first, tmp_path / "a.html")
    write_html(second, tmp_path / "b-again.html")  # re-rendered: replaces its entry
    entries = runs(tmp_path)
    assert [e["run_id"] for e in entries] == ["run-a", "run-b"]  # sorted by as_of
    a, b = entries
    assert a["trigger_text"] == "Nightly audit" and a["open_total"] == 11 and a["file"] == "a.html"
    assert a["open"] == {"critical": 1, "high": 7, "medium": 2, "low": 1, "info": 0}
    assert b["open_total"] == 3 and b["file"] == "b-again.html" and b["status"] == "partial"
    html = (tmp_path / "index.html").read_text()
    assert html.index('data-run="run-b"') < html.index('data-run="run-a"')  # newest first
    assert 'href="a.html"' in html and 'href="b-again.html"' in html and 'href="b.html"' not in html
    assert "<svg" in html and html.count('class="bar ') == 4 + 2  # run-a: 4 severities; run-b: critical, high
    assert "-8" in html  # 11 -> 3 open
    assert "default-src &#39;none&#39;" not in html and "default-src 'none'" in html


def test_a_corrupt_index_is_kept_aside_and_rebuilt(tmp_path: Path) -> None:
    (tmp_path / "index.json").write_text("{not json")
    write_html(sample_run(), tmp_path / "r.html")
    assert (tmp_path / "index.json.unreadable").read_text() == "{not json"
    assert [e["run_id"] for e in runs(tmp_path)] == ["run-20261108-0200-7f3a"]


def test_malformed_entries_are_dropped(tmp_path: Path) -> None:
    (tmp_path / "index.json").write_text(json.dumps({"runs": [{"run_id": 3}, "x", {"run_id": "ok"}]}))
    write_html(sample_run(), tmp_path / "r.html")
    assert [e["run_id"] for e in runs(tmp_path)] == ["run-20261108-0200-7f3a"]


def test_a_report_named_index_html_is_not_replaced(tmp_path: Path) -> None:
    write_html(sample_run(), tmp_path / "index.html")
    assert 'id="findings"' in (tmp_path / "index.html").read_text()
    assert not (tmp_path / "index.json").exists()


def test_names_and_file_names_are_escaped_in_the_index(tmp_path: Path) -> None:
    write_html(sample_run(hostile=True, trigger="<b>x</b>", trigger_detail={}), tmp_path / 'r"<x>.html')
    html = (tmp_path / "index.html").read_text()
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert 'href="r%22%3Cx%3E.html"' in html
    assert HOSTILE_VENDOR not in html
    assert not re.search(r"<script", html)


def test_reports_follow_the_umask_and_never_replace_a_foreign_index(tmp_path):
    import os
    import stat

    from reports.html import write_html
    from reports.json_report import write_json

    (tmp_path / "index.html").write_text("<html>the team's own landing page</html>")
    old = os.umask(0o022)
    try:
        report = write_html(sample_run(), tmp_path / "r.html")
        data = write_json(sample_run(), tmp_path / "r.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE(report.stat().st_mode) == 0o644 and stat.S_IMODE(data.stat().st_mode) == 0o644
    assert (tmp_path / "index.html").read_text() == "<html>the team's own landing page</html>"
    assert (tmp_path / "index.json").exists()


def test_each_run_keeps_its_own_report_when_written_to_one_name(tmp_path: Path) -> None:
    """`--html reports/report.html` every night: the earlier run's report is moved to a run-id name
    (not replaced), and the index links every run to its own file."""
    first = sample_run(id="run-a", as_of=AS_OF - timedelta(days=1))
    second = sample_run(id="run-b", findings=sample_run().findings[:3])
    write_html(first, tmp_path / "report.html")
    write_html(second, tmp_path / "report.html")
    entries = {e["run_id"]: e["file"] for e in runs(tmp_path)}
    assert entries == {"run-a": "report.run-a.html", "run-b": "report.html"}
    assert 'data-run="run-a"' not in (tmp_path / "report.html").read_text()
    assert "run-a" in (tmp_path / "report.run-a.html").read_text()
    assert "run-b" in (tmp_path / "report.html").read_text()
    html = (tmp_path / "index.html").read_text()
    assert html.count('href="report.html"') == 2  # the latest link in the header and run-b's row
    assert html.count('href="report.run-a.html"') == 1
    # a third run moves run-b aside in turn; re-rendering the latest run again moves nothing
    third = sample_run(id="run-c", as_of=AS_OF + timedelta(days=1))
    write_html(third, tmp_path / "report.html")
    write_html(third, tmp_path / "report.html")
    assert {e["run_id"]: e["file"] for e in runs(tmp_path)} == {
        "run-a": "report.run-a.html", "run-b": "report.run-b.html", "run-c": "report.html"}
    assert sorted(p.name for p in tmp_path.glob("report*.html")) == [
        "report.html", "report.run-a.html", "report.run-b.html"]
