"""A library's warning about an audited store (SQLAlchemy's "Did not recognize type 'pg_lsn' of column
'...'") goes through the auditor's logging like every other line: silent under ``-q`` (cron mails
only when something is wrong), and otherwise one escaped, scrubbed line. Before, Python's warnings
module wrote it to stderr itself: under ``-q`` too, with the column's name raw (a newline in it forged
a line of the cron mail, an e-mail used as a column name reached the mail unmasked)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa
import yaml

pytestmark = pytest.mark.postgres

COLUMN = "pos\nFORGED 2026-01-01T00:00:00Z ERROR jane.roe@example.com"


@pytest.fixture(scope="module")
def config(pg_url, tmp_path_factory):
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.execute(sa.text(f'CREATE TABLE people (email text, "{COLUMN}" pg_lsn, snap txid_snapshot)'))
        c.execute(sa.text("INSERT INTO people VALUES ('a@example.com', '0/16B3748', txid_current_snapshot())"))
    engine.dispose()
    folder = tmp_path_factory.mktemp("warn")
    path = folder / "auditor.yaml"
    path.write_text(yaml.safe_dump({"state": f"sqlite:///{folder}/state.db", "vendors": [{"id": "v"}],
                                    "sources": [{"id": "pg", "vendor": "v", "kind": "sql", "url": pg_url}]}))
    return path


def auditor(*args: str) -> subprocess.CompletedProcess[str]:
    # a fresh interpreter: Python's own warning filters and printing, as under cron
    return subprocess.run([sys.executable, "-c", "from auditor.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120)


def test_quiet_keeps_library_warnings_out_of_the_cron_mail(config):
    r = auditor("-q", "scan", "-c", str(config))
    assert r.returncode in (0, 1, 3), r.stderr
    assert "SAWarning" not in r.stderr and "Did not recognize" not in r.stderr, r.stderr
    assert "FORGED" not in r.stderr


def test_a_library_warning_is_one_escaped_masked_log_line(config):
    r = auditor("scan", "-c", str(config))
    assert r.returncode in (0, 1, 3), r.stderr
    lines = [x for x in r.stderr.splitlines() if "Did not recognize type 'pg_lsn'" in x]
    assert len(lines) == 1, r.stderr
    assert " WARNING " in lines[0] and "\\n" in lines[0]
    assert not any(x.startswith("FORGED") for x in r.stderr.splitlines()), r.stderr
    assert "jane.roe@example.com" not in r.stderr
