"""Names from an audited store in the console summary (the cron mail): a table named with a newline
("evil\\n2026-01-01T00:00:00Z ERROR ...") must not start a line of its own that reads like the
auditor's own log or summary. Found with such a PostgreSQL table: the summary printed it raw."""

import sqlite3

import yaml
from click.testing import CliRunner

from auditor.cli import cli

FORGED = "2026-01-01T00:00:00Z ERROR   auditor.engine: FAKE"


def test_a_table_name_with_a_newline_stays_on_its_summary_line(tmp_path):
    db = tmp_path / "vendor.db"
    with sqlite3.connect(db) as c:
        c.execute(f'CREATE TABLE "evil\n{FORGED}" (email TEXT, updated_at TEXT)')
        c.executemany(f'INSERT INTO "evil\n{FORGED}" VALUES (?, ?)',
                      [(f"user{i}@example.com", "2019-01-01") for i in range(20)])
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(yaml.safe_dump({"state": "sqlite:///state.db", "vendors": [{"id": "v1"}],
                                   "sources": [{"id": "db", "vendor": "v1", "kind": "sql", "url": f"sqlite:///{db}"}]}))
    r = CliRunner().invoke(cli, ["scan", "-c", str(cfg), "--as-of", "2026-11-28T00:00:00Z"])
    assert r.exit_code in (1, 3), r.output
    assert "main.evil" in r.output
    assert not [line for line in r.output.splitlines() if line.startswith(FORGED[:20])], r.output
