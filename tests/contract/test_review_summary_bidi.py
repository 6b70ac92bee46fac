"""Review: a name from an audited store with a bidi override (U+202E RIGHT-TO-LEFT OVERRIDE, U+2066..)
in the console summary (the cron mail) is shown as an escape, as the log lines show it (auditor.logs.
safe_text: 'no bidi tricks'): raw, it makes the terminal or mail reader display the rest of the line
reversed (a forged dataset name, severity or age)."""

import sqlite3

import yaml
from click.testing import CliRunner

from auditor.cli import cli


def test_a_bidi_override_in_a_table_name_is_escaped_in_the_summary(tmp_path):
    db = tmp_path / "vendor.db"
    name = "evil\u202edlo\u2066x\u200f\x9b2J"
    with sqlite3.connect(db) as c:
        c.execute(f'CREATE TABLE "{name}" (email TEXT, updated_at TEXT)')
        c.executemany(f'INSERT INTO "{name}" VALUES (?, ?)', [(f"user{i}@example.com", "2019-01-01") for i in range(20)])
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(yaml.safe_dump({"state": "sqlite:///state.db", "vendors": [{"id": "v1"}],
                                   "sources": [{"id": "db", "vendor": "v1", "kind": "sql", "url": f"sqlite:///{db}"}]}))
    r = CliRunner().invoke(cli, ["scan", "-c", str(cfg), "--as-of", "2026-11-28T00:00:00Z"])
    assert r.exit_code in (1, 3), r.output
    assert "main.evil" in r.output, r.output
    for ch in "\u202e\u2066\u200f\x9b":
        assert ch not in r.output, r.output
