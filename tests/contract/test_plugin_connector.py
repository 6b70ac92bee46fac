"""A third-party connector kind, installed as packaging metadata only (an ``auditor.connectors``
entry point in a dist-info on the path; tests/plugin_pkg), is scanned end to end by the real
command line in its own process, listed by ``auditor permissions``, and a plug-in that
cannot be used stops the run with one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from auditor.plugins import PluginError, load_connectors
from auditor.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_SITE = ROOT / "tests" / "plugin_pkg"
WRITTEN = datetime(2021, 3, 14, 9, 0, tzinfo=timezone.utc)  # when the vendor's export was written
AS_OF = WRITTEN + timedelta(days=800)  # the audit's instant, derived from what is audited


def auditor(*args: str, path: list[Path] = (), cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``auditor ...`` in a fresh process; ``path``: the folders on its PYTHONPATH (its installed plug-ins)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(p) for p in path] + [str(ROOT)])}
    return subprocess.run([sys.executable, "-c", "from auditor.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=str(cwd), env=env, timeout=120)


def estate(tmp_path: Path) -> Path:
    data = tmp_path / "exports"
    data.mkdir()
    csv = data / "customers.csv"
    csv.write_text("email,city\n" + "".join(f"user{i}.tan@example.com,Singapore\n" for i in range(30)), encoding="utf-8")
    os.utime(csv, (WRITTEN.timestamp(), WRITTEN.timestamp()))
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(yaml.safe_dump({
        "state": "sqlite:///state.db",
        "vendors": [{"id": "acme", "name": "Acme Exports"}],
        "sources": [{"id": "acme-files", "vendor": "acme", "kind": "folder", "path": str(data)}],
    }, sort_keys=False), encoding="utf-8")
    return cfg


def test_a_plugin_kind_is_scanned_end_to_end_through_the_cli(tmp_path):
    cfg = estate(tmp_path)
    out = tmp_path / "report.json"
    r = auditor("scan", "-c", str(cfg), "--as-of", AS_OF.isoformat(), "--json", str(out), path=[PLUGIN_SITE])
    # read and classified; what a folder cannot say (encryption, retention) stays not-assessed: exit 3, never a pass
    assert r.returncode == 3, r.stderr
    doc = json.loads(out.read_text())
    (ds,) = [d for d in doc["datasets"] if d["source"] == "acme-files"]
    assert (ds["kind"], ds["name"], ds["status"], ds["records"]) == ("table", "customers.csv", "assessed", 30)
    assert {p["type"] for p in ds["personal_data"]} == {"email"}
    assert datetime.fromisoformat(ds["last_modified"]) == WRITTEN
    rules = {f["rule"] for f in doc["findings"] if f["dataset"] == "customers.csv"}
    assert "stale-personal-data" in rules and "public-exposure" not in rules
    unknown = {u for f in doc["findings"] if f["rule"] == "not-assessed" for u in f["evidence"]["unknown"]}
    assert unknown == {"has_retention", "encryption_in_transit", "encryption_at_rest"}
    assert "user0.tan@example.com" not in out.read_text()  # masked examples only


def test_without_the_plugin_installed_the_kind_is_a_config_error(tmp_path):
    cfg = estate(tmp_path)
    r = auditor("scan", "-c", str(cfg), "--as-of", AS_OF.isoformat())
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "unknown source kind 'folder'" in r.stderr and f"{cfg}:" in r.stderr and "sources[0].kind" in r.stderr


def test_permissions_lists_the_installed_plugin(tmp_path):
    r = auditor("permissions", "--kind", "folder", "--json", "--capabilities", path=[PLUGIN_SITE])
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)["folder"]
    assert "read" in doc["permissions"]["posix"]
    assert "public" in doc["capabilities"]["never"] and "last_modified" in doc["capabilities"]["knows"]
    r = auditor("permissions", "--kind", "folder")
    assert r.returncode == 2 and "unknown connector kind 'folder'" in r.stderr


def dist(site: Path, name: str, entry_points: str) -> Path:
    info = site / f"{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(entry_points)
    return site


@pytest.mark.parametrize(("entry", "message"), [
    ("broken = no_such_module_here:Connector", "cannot be loaded: ModuleNotFoundError"),
    ("sql = auditor_folder_connector:Connector", "kind 'sql' is already registered"),
    ("notaconnector = json:dumps", "not a class"),
    ("folder2 = auditor_folder_connector:FolderOptions", "lacks Options, collect, permissions, capabilities"),
])
def test_an_unusable_plugin_is_one_error_naming_its_entry_point(tmp_path, monkeypatch, entry, message):
    site = dist(tmp_path / "site", "bad_plugin", f"[auditor.connectors]\n{entry}\n")
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(PluginError, match=message) as e:
        load_connectors(Registry("connector kind"))
    assert f"entry point {entry}" in str(e.value) and "bad_plugin 0.1" in str(e.value)


def test_an_unusable_plugin_stops_the_scan_with_exit_2(tmp_path):
    cfg = estate(tmp_path)
    site = dist(tmp_path / "site", "bad_plugin", "[auditor.connectors]\nbroken = no_such_module_here:Connector\n")
    r = auditor("scan", "-c", str(cfg), path=[PLUGIN_SITE, site])
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and "connector plug-in entry point broken" in r.stderr
