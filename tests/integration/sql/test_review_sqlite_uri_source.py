"""Review: a sql source's SQLite URL in SQLAlchemy's URI form (``sqlite:///file:...?mode=ro&uri=true``)
survives the relative-path resolution: an absolute ``file:/abs`` stays as written, a relative
``file:vendor.db`` is next to the config (the connector strips ``file:``; a base folder put before
it made a path 'conf/file:/abs/vendor.db' that names no file)."""

import sqlite3

import yaml
from click.testing import CliRunner

from auditor.cli import cli
from auditor.config import load_config
from auditor.plugins import load_connectors


def test_a_sqlite_uri_form_source_is_read_from_the_file_it_names(tmp_path, monkeypatch):
    conf = tmp_path / "conf"
    (conf / "data").mkdir(parents=True)
    db = sqlite3.connect(conf / "data" / "vendor.db")
    db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT)")
    db.executemany("INSERT INTO customers (email) VALUES (?)", [(f"user{i}@example.com",) for i in range(50)])
    db.commit()
    db.close()
    absolute = conf / "data" / "vendor.db"
    doc = {"state": "sqlite:///state.db", "vendors": [{"id": "v"}],
           "sources": [{"id": "abs", "vendor": "v", "kind": "sql", "url": f"sqlite:///file:{absolute}?mode=ro&uri=true"},
                       {"id": "rel", "vendor": "v", "kind": "sql", "url": "sqlite:///file:data/vendor.db?mode=ro&uri=true"}]}
    path = conf / "auditor.yaml"
    path.write_text(yaml.safe_dump(doc))
    elsewhere = tmp_path / "cron-cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    load_connectors()
    urls = {s.id: s.options.url for s in load_config(path).sources}
    assert urls["abs"] == f"sqlite:///file:{absolute}?mode=ro&uri=true"  # absolute: left as written
    assert urls["rel"] == urls["abs"]
    out = tmp_path / "r.json"
    r = CliRunner().invoke(cli, ["scan", "-c", str(path), "--json", str(out)])
    assert r.exit_code in (0, 1), r.output  # every source assessed (3: a source not found)
