import yaml
from click.testing import CliRunner

from auditor.cli import cli
from auditor.config import load_config
from auditor.engine import config_identity
from auditor.store import Store

CLEAN = {"name": "public.orders", "public": False, "encryption_at_rest": "provider",
         "encryption_in_transit": "enforced", "has_retention": True, "retention_days": 30,
         "last_modified": "2026-11-20T00:00:00+00:00", "sample": {"sku": ["A-1", "B-2"], "qty": [1, 2]}}


def test_scan_with_an_event_trigger_records_it_like_the_scheduler(tmp_path, fake_connector):
    p = tmp_path / "auditor.yaml"
    p.write_text(yaml.safe_dump({"state": "sqlite:///state.db", "vendors": [{"id": "v1", "contract_end": "2019-03-31"}],
                                 "sources": [{"id": "db", "vendor": "v1", "kind": "fake", "datasets": [CLEAN]}],
                                 "schedule": {"timezone": "Asia/Singapore", "events": [
                                     {"name": "11.11", "date": "2026-11-11", "fail_on": "critical"}]}}))
    r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", "2026-11-08T01:00:00Z", "--trigger", "event:11.11"])
    assert r.exit_code == 0, r.output  # high finding, but this event gates on critical
    config = load_config(p)
    store = Store.open(config.state)
    run = store.load_run(store.latest_run_id(config_identity(config)))
    assert run.trigger == "event:11.11"
    assert run.trigger_detail == {"event": "11.11", "event_date": "2026-11-11", "days_before": 3}
    r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", "2026-11-08T01:00:00Z", "--trigger", "manual"])
    assert r.exit_code == 1


def test_the_json_report_carries_the_event_detail(tmp_path, fake_connector):
    import json

    p = tmp_path / "auditor.yaml"
    p.write_text(yaml.safe_dump({"state": "sqlite:///state.db", "vendors": [{"id": "v1"}],
                                 "sources": [{"id": "db", "vendor": "v1", "kind": "fake", "datasets": [CLEAN]}],
                                 "schedule": {"events": [{"name": "Black Friday", "date": "2026-11-27"}]}}))
    out = tmp_path / "r.json"
    r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", "2026-11-13T12:00:00Z", "--trigger",
                                 "event:Black Friday", "--json", str(out)])
    assert r.exit_code == 0, r.output
    run = json.loads(out.read_text())["run"]
    assert run["trigger"] == "event:Black Friday" and run["trigger_detail"]["days_before"] == 14
