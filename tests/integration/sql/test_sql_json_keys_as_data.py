"""A JSON column whose objects are keyed by personal data (a person's name holding a record, phone
numbers and e-mails as keys): the keys are values of ``<key>``, classified and counted, and no raw
key reaches a field name, the JSON or HTML report, the CLI's output or the state store (a name as a
key went into ``where`` as written). Real PostgreSQL and MariaDB, through the CLI."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from auditor.cli import cli

NAMES = [f"{last} {first}" for last in ("Tan", "Lim", "Ong") for first in ("Ah Kow", "Mei Ling", "Siew Lan",
                                                                           "Wei Jie", "Hui Min")]  # 15 people
PHONES = [f"+65 9123 45{i:02d}" for i in range(15)]
KEY_PHONES = [f"+658123{i:04d}" for i in range(15)]
EMAILS = [f"jsonkey{i}.doe@example.com" for i in range(15)]


def _docs() -> list[str]:
    return [json.dumps({"household": {n: {"phone": p}}, "by_phone": {kp: "vip"}, "seen": {e: 1}})
            for n, p, kp, e in zip(NAMES, PHONES, KEY_PHONES, EMAILS)]


@pytest.mark.parametrize("db", ["pg", "my"])
def test_json_column_keys_that_are_personal_data_are_classified_and_never_written_raw(db, request, tmp_path):
    url = request.getfixturevalue("pg_url" if db == "pg" else "mysql_url")
    engine = sa.create_engine(url)
    with engine.begin() as c:
        c.execute(sa.text(f"CREATE TABLE profiles (id int PRIMARY KEY, doc {'jsonb' if db == 'pg' else 'json'})"))
        c.execute(sa.text("INSERT INTO profiles VALUES (:i, :d)"), [{"i": i, "d": d} for i, d in enumerate(_docs())])
    engine.dispose()
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(yaml.safe_dump({"state": f"sqlite:///{tmp_path}/state.db", "vendors": [{"id": "v1"}],
                                   "sources": [{"id": "db", "vendor": "v1", "kind": "sql", "url": url}]}))
    out, html = tmp_path / "r.json", tmp_path / "r.html"
    r = CliRunner().invoke(cli, ["scan", "-c", str(cfg), "--as-of", "2026-11-28T00:00:00Z", "--json", str(out),
                                 "--html", str(html)])
    assert r.exit_code in (0, 1, 3), r.output
    doc = json.loads(out.read_text())
    [ds] = [d for d in doc["datasets"] if d["name"].endswith("profiles")]
    found = {p["type"]: p for p in ds["personal_data"]}
    assert found["phone"]["count"] >= 30, found  # 15 under the names, 15 as keys
    assert found["email"]["count"] >= 15, found
    where = {w for p in ds["personal_data"] for w in p["where"]}
    assert {"doc.household.<value>.phone", "doc.by_phone.<key>", "doc.seen.<key>"} <= where, where
    texts = {"json": out.read_text(), "html": html.read_text(), "output": r.output,
             "state": (tmp_path / "state.db").read_bytes().decode("latin-1")}
    raws = [*NAMES, *(p.replace(" ", "")[3:] for p in PHONES), *(p[3:] for p in KEY_PHONES),
            *(e.split("@")[0] for e in EMAILS)]
    for name, text in texts.items():
        leaked = [raw for raw in raws if raw in text]
        assert not leaked, (name, leaked[:5])
