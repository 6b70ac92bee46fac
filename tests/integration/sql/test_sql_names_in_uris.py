"""A table named after a person (an e-mail address as its name) is masked in its dataset name and
in its URI too: the URI percent-encodes the name (``jane.doe%40example.com``), which the scrub of
names did not read as an address, so the raw address reached the JSON, CSV and OCSF reports and
the state store. Real PostgreSQL, through the CLI."""

from __future__ import annotations

import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from auditor.cli import cli


def test_a_table_named_by_an_email_is_masked_in_every_output(pg_url, tmp_path):
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.execute(sa.text('CREATE TABLE "jane.doe@example.com" (id int, note text)'))
        c.execute(sa.text("INSERT INTO \"jane.doe@example.com\" VALUES (1, 'x')"))
        c.execute(sa.text('CREATE TABLE "+6591234567" (id int)'))
    engine.dispose()
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(yaml.safe_dump({"state": f"sqlite:///{tmp_path}/state.db", "vendors": [{"id": "v1"}],
                                   "sources": [{"id": "db", "vendor": "v1", "kind": "sql", "url": pg_url}]}))
    outs = {"--json": tmp_path / "r.json", "--csv": tmp_path / "r.csv", "--ocsf": tmp_path / "r.ocsf.jsonl",
            "--html": tmp_path / "r.html"}
    r = CliRunner().invoke(cli, ["scan", "-c", str(cfg), "--as-of", "2026-11-28T00:00:00Z",
                                 *[a for k, p in outs.items() for a in (k, str(p))]])
    assert r.exit_code in (0, 1, 3), r.output
    texts = {p.name: p.read_text() for p in tmp_path.iterdir() if p.suffix in (".json", ".csv", ".jsonl", ".html")}
    texts["state.db"] = (tmp_path / "state.db").read_bytes().decode("latin-1")
    for name, text in texts.items():
        for raw in ("jane.doe", "jane.doe%40example", "6591234567"):
            assert raw not in text, (name, raw)
