"""A sql source's relative SQLite URL is relative to the config file, as `state:` is: cron runs a
job from its own cwd (/, $HOME), where `sqlite:///vendor.db` named no such file."""

import sqlite3

import yaml
from click.testing import CliRunner

from auditor.cli import cli
from auditor.config import load_config
from auditor.plugins import load_connectors


def _estate(tmp_path):
    conf = tmp_path / "conf"
    (conf / "data").mkdir(parents=True)
    db = sqlite3.connect(conf / "data" / "vendor.db")
    db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT)")
    db.executemany("INSERT INTO customers (email) VALUES (?)", [(f"user{i}@example.com",) for i in range(50)])
    db.commit()
    db.close()
    doc = {"state": "sqlite:///state.db", "vendors": [{"id": "v"}],
           "sources": [{"id": "db", "vendor": "v", "kind": "sql", "url": "sqlite:///data/vendor.db"},
                       {"id": "abs", "vendor": "v", "kind": "sql", "url": f"sqlite:///{conf / 'data' / 'vendor.db'}"}]}
    path = conf / "auditor.yaml"
    path.write_text(yaml.safe_dump(doc))
    return conf, path


def test_a_relative_sqlite_source_is_read_next_to_the_config_whatever_the_cwd(tmp_path, monkeypatch):
    conf, path = _estate(tmp_path)
    elsewhere = tmp_path / "cron-cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    load_connectors()
    config = load_config(path)
    urls = {s.id: s.options.url for s in config.sources}
    assert urls["db"] == f"sqlite:///{conf / 'data' / 'vendor.db'}"
    assert urls["abs"] == urls["db"]  # an absolute one is left as written
    out = tmp_path / "r.json"
    r = CliRunner().invoke(cli, ["scan", "-c", str(path), "--json", str(out)])
    assert r.exit_code in (0, 1), r.output  # every source assessed (3 would be a source not found)
    assert not list(elsewhere.iterdir())  # no empty database made in the cwd
