"""A MariaDB ENUM or SET column's type names its labels: ``ENUM('Tan Wei Ling','wl.tan@example.com')``
(an "assigned to" column of a small vendor's app, its staff's addresses), ``SET('+65 9123 4567', ...)``.
The type text is kept in the dataset's ``facts["columns"]``, whose keys (column names) were masked
but whose values were not: the raw labels reached the state store. Real MariaDB, through the CLI."""

from __future__ import annotations

import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from auditor.cli import cli


def test_enum_and_set_labels_are_masked_in_what_the_run_keeps(mysql_url, tmp_path):
    engine = sa.create_engine(mysql_url)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE tickets (id int primary key, "
                          "assignee ENUM('wl.tan@example.com', 'S1234567D') , hotline SET('+65 9123 4567', 'none'))"))
        c.execute(sa.text("INSERT INTO tickets VALUES (1, 'S1234567D', 'none')"))
    engine.dispose()
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(yaml.safe_dump({"state": f"sqlite:///{tmp_path}/state.db", "vendors": [{"id": "v1"}],
                                   "sources": [{"id": "db", "vendor": "v1", "kind": "sql", "url": mysql_url}]}))
    outs = {"--json": tmp_path / "r.json", "--csv": tmp_path / "r.csv", "--html": tmp_path / "r.html"}
    r = CliRunner().invoke(cli, ["scan", "-c", str(cfg), "--as-of", "2026-11-28T00:00:00Z",
                                 *[a for k, p in outs.items() for a in (k, str(p))]])
    assert r.exit_code in (0, 1, 3), r.output
    texts = {p.name: p.read_text() for p in tmp_path.iterdir() if p.suffix in (".json", ".csv", ".html")}
    texts["state.db"] = (tmp_path / "state.db").read_bytes().decode("latin-1")
    texts["output"] = r.output
    assert "ENUM(" in texts["state.db"]  # the type is kept (masked), not dropped
    for name, text in texts.items():
        for raw in ("wl.tan@example.com", "S1234567D", "9123 4567"):
            assert raw not in text, (name, raw)
