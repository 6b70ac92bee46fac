"""The CLI contract: exit codes, the JSON report and its schema, isolation, the lock."""

import json
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import jsonschema
import yaml
from click.testing import CliRunner

from auditor.cli import cli
from auditor.store import Store

ROOT = Path(__file__).resolve().parents[2]

CLEAN = {"name": "public.orders", "public": False, "encryption_at_rest": "provider",
         "encryption_in_transit": "enforced", "has_retention": True, "retention_days": 30,
         "last_modified": "2026-11-20T00:00:00+00:00", "sample": {"sku": ["A-1", "B-2"], "qty": [1, 2]}}


def config(tmp_path, sources, vendors=None, **extra):
    doc = {"state": "sqlite:///state.db", "vendors": vendors or [{"id": "v1"}], "sources": sources, **extra}
    p = tmp_path / "auditor.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return p


def fake(id_, **options):
    return {"id": id_, "vendor": options.pop("vendor", "v1"), "kind": "fake", **options}


def scan(path, *args):
    return CliRunner().invoke(cli, ["scan", "-c", str(path), "--as-of", "2026-11-28T00:00:00Z", *args])


def schema():
    return json.loads(resources.files("auditor").joinpath("schema/report.schema.json").read_text())


def test_exit_0_when_clean_and_report_validates(tmp_path, fake_connector):
    p = config(tmp_path, [fake("db", datasets=[CLEAN])])
    r = scan(p, "--json", str(tmp_path / "out.json"))
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "out.json").read_text())
    jsonschema.validate(doc, schema())
    assert doc["run"]["status"] == "complete" and doc["run"]["as_of"] == "2026-11-28T00:00:00Z"
    assert [d["name"] for d in doc["datasets"]] == ["public.orders"]
    assert doc["findings"] == []


def test_exit_1_on_findings_at_or_above_fail_on(tmp_path, fake_connector):
    vendors = [{"id": "v1", "contract_end": "2019-03-31"}]
    p = config(tmp_path, [fake("db", datasets=[CLEAN])], vendors=vendors)
    r = scan(p, "--json", str(tmp_path / "out.json"))
    assert r.exit_code == 1, r.output
    doc = json.loads((tmp_path / "out.json").read_text())
    jsonschema.validate(doc, schema())
    assert [f["rule"] for f in doc["findings"]] == ["vendor-contract-ended"]
    assert scan(p, "--fail-on", "critical").exit_code == 0


def test_exit_2_on_bad_config_with_one_line(tmp_path, fake_connector):
    p = tmp_path / "auditor.yaml"
    p.write_text("vendors: [\n")
    r = scan(p)
    assert r.exit_code == 2
    assert f"{p}:" in r.output and "Traceback" not in r.output


def test_exit_2_on_bad_as_of(tmp_path, fake_connector):
    p = config(tmp_path, [fake("db", datasets=[CLEAN])])
    r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", "yesterday"])
    assert r.exit_code == 2 and "ISO 8601" in r.output


def test_exit_3_and_other_sources_kept_when_one_source_raises(tmp_path, fake_connector):
    p = config(tmp_path, [fake("good", datasets=[CLEAN]),
                          fake("bad", datasets=[{**CLEAN, "name": "public.partial"}],
                               raise_error="connection reset postgresql://audit:hunter2@db:5432/x")])
    r = scan(p, "--json", str(tmp_path / "out.json"))
    assert r.exit_code == 3, r.output
    doc = json.loads((tmp_path / "out.json").read_text())
    jsonschema.validate(doc, schema())
    assert doc["run"]["status"] == "partial"
    by_id = {s["id"]: s for s in doc["sources"]}
    assert by_id["good"]["status"] == "ok" and by_id["bad"]["status"] == "error"
    assert "hunter2" not in json.dumps(doc) and "hunter2" not in r.output
    names = {(d["source"], d["name"]) for d in doc["datasets"]}
    assert ("good", "public.orders") in names and ("bad", "public.partial") in names
    na = [f for f in doc["findings"] if f["rule"] == "not-assessed"]
    assert [f["dataset"] for f in na] == ["bad"]


def test_exit_3_when_one_dataset_unreadable(tmp_path, fake_connector):
    p = config(tmp_path, [fake("db", datasets=[CLEAN], unreadable=["secret.customers"])])
    r = scan(p, "--json", str(tmp_path / "out.json"))
    assert r.exit_code == 3, r.output
    doc = json.loads((tmp_path / "out.json").read_text())
    assert any(f["rule"] == "not-assessed" and f["dataset"] == "secret.customers" for f in doc["findings"])
    assert doc["sources"][0]["status"] == "ok"


def test_source_filter(tmp_path, fake_connector):
    p = config(tmp_path, [fake("a", datasets=[CLEAN]), fake("b", raise_error="down")])
    assert scan(p, "--source", "a").exit_code == 0
    r = scan(p, "--source", "zzz")
    assert r.exit_code == 2 and "zzz" in r.output


def test_lock_refuses_a_second_run(tmp_path, fake_connector):
    p = config(tmp_path, [fake("db", datasets=[CLEAN])])
    store = Store.open(f"sqlite:///{tmp_path}/state.db")
    store.acquire_lock("other-run")  # held by this (live) process
    r = scan(p)
    assert r.exit_code == 2 and "holds this state store" in r.output
    store.release_lock("other-run")
    assert scan(p).exit_code == 0


def test_a_lock_held_from_another_host_says_when_it_expires_and_how_to_release_it(tmp_path, fake_connector):
    """A pod killed mid-run leaves the lock with a host name no later pod has: the next run
    cannot tell whether it lives, and waits out ``lock_stale_hours``. The refusal says when the
    lock expires by itself and that ``auditor unlock`` releases a lock whose run is gone."""
    import sqlalchemy as sa

    from auditor.store import run_lock

    p = config(tmp_path, [fake("db", datasets=[CLEAN])])
    store = Store.open(f"sqlite:///{tmp_path}/state.db")
    store.acquire_lock("other-run")
    taken = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(microsecond=0)  # the lock's age is real time
    with store.engine.begin() as conn:
        conn.execute(sa.update(run_lock).values(host="audit-cronjob-28912345-x7k2p", acquired_at=taken))
    r = scan(p)
    assert r.exit_code == 2, r.output
    assert "audit-cronjob-28912345-x7k2p" in r.output
    expires = (taken + timedelta(hours=12)).isoformat(timespec="seconds")
    assert f"expires {expires} (lock_stale_hours: 12)" in r.output, r.output
    assert f"auditor unlock -c {p}" in r.output, r.output


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path, fake_connector):
    import socket
    from datetime import datetime, timezone

    import sqlalchemy as sa

    from auditor.store import run_lock, runs

    p = config(tmp_path, [fake("db", datasets=[CLEAN])])
    store = Store.open(f"sqlite:///{tmp_path}/state.db")
    with store.engine.begin() as c:
        now = datetime.now(timezone.utc)
        c.execute(runs.insert().values(id="killed", config=str(p.resolve()), started_at=now, as_of=now,
                                       trigger="manual", status="running", extra="{}"))
        c.execute(run_lock.insert().values(name="run", run_id="killed", pid=2**22 + 7, host=socket.gethostname(),
                                           acquired_at=now))
    assert scan(p).exit_code == 0
    with store.engine.connect() as c:
        assert c.execute(sa.select(runs.c.status).where(runs.c.id == "killed")).scalar() == "failed"


def test_findings_keep_first_seen_and_resolve(tmp_path, fake_connector):
    vendors = [{"id": "v1", "contract_end": "2019-03-31"}]
    p = config(tmp_path, [fake("db", datasets=[CLEAN])], vendors=vendors)
    first = tmp_path / "1.json"
    assert scan(p, "--json", str(first)).exit_code == 1
    second = tmp_path / "2.json"
    r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", "2026-11-29T00:00:00Z", "--json", str(second)])
    assert r.exit_code == 1
    f1, f2 = (json.loads(x.read_text())["findings"][0] for x in (first, second))
    assert f1["id"] == f2["id"] and f1["new"] is True and f2["new"] is False
    assert f2["first_seen"] == "2026-11-28T00:00:00Z"
    # the contract is renewed: the finding is resolved in the next run
    p = config(tmp_path, [fake("db", datasets=[CLEAN])], vendors=[{"id": "v1"}])
    third = tmp_path / "3.json"
    r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", "2026-11-30T00:00:00Z", "--json", str(third)])
    assert r.exit_code == 0, r.output
    assert [x["id"] for x in json.loads(third.read_text())["resolved"]] == [f1["id"]]


def test_waiver_hides_until_it_expires(tmp_path, fake_connector):
    # `waive --until` must be in the future of the wall clock: every date here is derived from now
    now = datetime.now(timezone.utc)
    until = (now + timedelta(days=16)).date()
    vendors = [{"id": "v1", "contract_end": "2019-03-31"}]
    p = config(tmp_path, [fake("db", datasets=[CLEAN])], vendors=vendors)
    out = tmp_path / "o.json"

    def scan_at(when: datetime):
        return CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                        "--json", str(out)])

    assert scan_at(now).exit_code == 1
    fid = json.loads(out.read_text())["findings"][0]["id"]
    r = CliRunner().invoke(cli, ["waive", fid, "--reason", "deletion booked", "--until", until.isoformat(),
                                 "--by", "dpo", "-c", str(p)])
    assert r.exit_code == 0, r.output
    assert scan_at(now).exit_code == 0
    f = json.loads(out.read_text())["findings"][0]
    assert f["status"] == "waived" and f["waiver"]["reason"] == "deletion booked"
    r = scan_at(now + timedelta(days=17))
    assert r.exit_code == 1
    f = json.loads(out.read_text())["findings"][0]
    assert f["status"] == "open" and f["waiver"]["expired"] is True
    assert CliRunner().invoke(cli, ["waive", "nope:123", "--reason", "x", "--until", (until + timedelta(days=30)).isoformat(),
                                    "-c", str(p)]).exit_code == 2


def test_report_rerenders_latest(tmp_path, fake_connector):
    p = config(tmp_path, [fake("db", datasets=[CLEAN])])
    a = tmp_path / "a.json"
    assert scan(p, "--json", str(a)).exit_code == 0
    b = tmp_path / "b.json"
    r = CliRunner().invoke(cli, ["report", "-c", str(p), "--run", "latest", "--json", str(b)])
    assert r.exit_code == 0, r.output
    assert json.loads(a.read_text()) == json.loads(b.read_text())


def test_help_and_version():
    r = CliRunner().invoke(cli, ["--help"])
    assert r.exit_code == 0 and "scan" in r.output and "waive" in r.output
    r = CliRunner().invoke(cli, ["scan", "--help"])
    assert r.exit_code == 0 and "Exit codes" in r.output
    assert CliRunner().invoke(cli, ["--version"]).output.startswith("auditor, version")


def test_unknown_age_does_not_become_a_pass_the_next_night(tmp_path, fake_connector):
    undated = {**CLEAN, "last_modified": None, "facts": {"fingerprint": "40:abc"},
               "sample": {"email": ["ana.tan@example.com", "wei.lim@gmail.com"] * 5}}
    p = config(tmp_path, [fake("db", datasets=[undated])])
    out = tmp_path / "o.json"
    for day in ("2026-11-28", "2026-11-29"):
        r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", f"{day}T00:00:00Z", "--json", str(out)])
        assert r.exit_code == 3, r.output
        doc = json.loads(out.read_text())
        assert [f["evidence"]["rule"] for f in doc["findings"] if f["rule"] == "not-assessed"] == ["stale-personal-data"]
    assert doc["datasets"][0]["last_modified_basis"].startswith("unchanged since first seen 2026-11-28")


def _ids(path):
    return json.loads(path.read_text())


def test_nothing_is_resolved_by_not_looking(tmp_path, fake_connector):
    ended = [{"id": "v1", "contract_end": "2019-03-31"}]
    a, b = {**CLEAN, "name": "s.a"}, {**CLEAN, "name": "s.b"}
    p = config(tmp_path, [fake("one", datasets=[a, b]), fake("two", datasets=[CLEAN])], vendors=ended)
    first = tmp_path / "1.json"
    assert scan(p, "--json", str(first)).exit_code == 1
    assert len(_ids(first)["findings"]) == 3
    # --source one: source two was not looked at, so nothing of it is resolved
    out = tmp_path / "2.json"
    assert scan(p, "--source", "one", "--json", str(out)).exit_code == 1
    assert _ids(out)["resolved"] == []
    # s.b became unreadable (and source two failed): still nothing resolved, the run is partial
    p = config(tmp_path, [fake("one", datasets=[a], unreadable=["s.b"]), fake("two", raise_error="down")],
               vendors=ended)
    out3 = tmp_path / "3.json"
    assert scan(p, "--json", str(out3)).exit_code == 3
    doc = _ids(out3)
    assert doc["resolved"] == [] and doc["run"]["previous_run_id"] is not None
    assert {(c["source"], c["dataset"]) for c in doc["not_rechecked"]} == {("one", "s.b"), ("two", "public.orders")}
    # the contract is renewed and everything is read again: all three are resolved against the partial run,
    # and so are its not-assessed findings (s.b unreadable, source two down)
    p = config(tmp_path, [fake("one", datasets=[a, b]), fake("two", datasets=[CLEAN])])
    out4 = tmp_path / "4.json"
    assert scan(p, "--json", str(out4)).exit_code == 0
    assert {(r["rule"], r["source"], r["dataset"]) for r in _ids(out4)["resolved"]} == {
        ("vendor-contract-ended", "one", "s.a"), ("vendor-contract-ended", "one", "s.b"),
        ("vendor-contract-ended", "two", "public.orders"), ("not-assessed", "one", "s.b"), ("not-assessed", "two", "two")}


def test_a_corrupt_state_store_is_one_line_and_exit_2(tmp_path, fake_connector):
    p = config(tmp_path, [fake("db", datasets=[CLEAN])])
    (tmp_path / "state.db").write_bytes(b"this is not a database" * 100)
    r = scan(p)
    assert r.exit_code == 2 and "cannot open the state store" in r.output and "Traceback" not in r.output


def test_unexpected_errors_never_exit_1(tmp_path, fake_connector, monkeypatch):
    import subprocess
    import sys

    p = config(tmp_path, [fake("db", datasets=[CLEAN])])
    # a bug inside the engine (simulated): one line, exit 3 since the run had begun
    script = ("import sys; import auditor.engine as e; from tests.fakes import FakeConnector;"
              "from auditor import registry; from connectors import load_builtin; load_builtin();"
              "registry.connectors.add('fake', FakeConnector);"
              "e.diff_with_previous = lambda *a: 1/0;"
              f"sys.argv = ['auditor', 'scan', '-c', {str(p)!r}];"
              "from auditor.cli import main; main()")
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=str(ROOT))
    assert r.returncode == 3, r.stderr
    assert "internal error: ZeroDivisionError" in r.stderr and "Traceback" not in r.stderr


def test_a_lock_from_another_host_expires_and_unlock_releases(tmp_path, fake_connector):
    from datetime import datetime, timedelta, timezone

    import sqlalchemy as sa

    from auditor.store import run_lock, runs

    p = config(tmp_path, [fake("db", datasets=[CLEAN])], lock_stale_hours=6)
    store = Store.open(f"sqlite:///{tmp_path}/state.db")

    def hold(hours_ago: float) -> None:
        at = datetime.now(timezone.utc) - timedelta(hours=hours_ago)
        with store.engine.begin() as c:
            c.execute(run_lock.delete())
            c.execute(runs.insert().prefix_with("OR REPLACE").values(
                id="pod-run", config="x", started_at=at, as_of=at, trigger="manual", status="running", extra="{}"))
            c.execute(run_lock.insert().values(name="run", run_id="pod-run", pid=1, host="old-pod-7f9c",
                                               acquired_at=at))

    hold(1)  # another host, recent: it may still be running
    r = scan(p)
    assert r.exit_code == 2 and "old-pod-7f9c" in r.output
    hold(7)  # older than lock_stale_hours: taken over
    assert scan(p).exit_code == 0
    with store.engine.connect() as c:
        assert c.execute(sa.select(runs.c.status).where(runs.c.id == "pod-run")).scalar() == "failed"
    hold(1)
    r = CliRunner().invoke(cli, ["unlock", "-c", str(p)])
    assert r.exit_code == 0 and "pod-run" in r.output
    assert scan(p).exit_code == 0
    assert "not locked" in CliRunner().invoke(cli, ["unlock", "-c", str(p)]).output


def test_a_waiver_does_not_survive_an_escalation(tmp_path, fake_connector):
    public = {**CLEAN, "kind": "bucket", "name": "exports", "public": True, "sample": {"sku": ["A-1"] * 5}}
    p = config(tmp_path, [fake("s3", datasets=[public])])
    out = tmp_path / "o.json"
    assert scan(p, "--json", str(out)).exit_code == 1
    [f] = [f for f in json.loads(out.read_text())["findings"] if f["rule"] == "public-exposure"]
    assert f["severity"] == "high"
    assert CliRunner().invoke(cli, ["waive", f["id"], "--reason", "public price list", "--until", "2099-01-01",
                                    "-c", str(p)]).exit_code == 0
    assert scan(p).exit_code == 0
    # personal data appears in the public bucket: critical now, the waiver no longer covers it
    leaked = {**public, "sample": {"email": ["ana.tan@example.com", "wei.lim@gmail.com"] * 5}}
    p = config(tmp_path, [fake("s3", datasets=[leaked])])
    assert scan(p, "--json", str(out)).exit_code == 1
    [f] = [f for f in json.loads(out.read_text())["findings"] if f["rule"] == "public-exposure"]
    assert (f["severity"], f["status"]) == ("critical", "open")
    assert f["waiver"]["escalated"] is True and f["waiver"]["accepted_severity"] == "high"


def test_partly_sampled_content_reports_what_was_found_and_leaves_absence_unknown(tmp_path, fake_connector):
    partial = {**CLEAN, "facts": {"unsampled": {"photo": "binary column"}},
               "sample": {"email": ["ana.tan@example.com", "wei.lim@gmail.com"] * 5}}
    p = config(tmp_path, [fake("db", datasets=[partial])], vendors=[{"id": "v1", "allowed_personal_data": ["email"]}])
    out = tmp_path / "o.json"
    assert scan(p, "--json", str(out)).exit_code == 3
    doc = json.loads(out.read_text())
    ds = doc["datasets"][0]
    assert ds["classified"] is False and [x["type"] for x in ds["personal_data"]] == ["email"]
    # grouped by cause: one finding stands for every rule that needs the unknown fact
    unknown_rules = {r for f in doc["findings"] if f["rule"] == "not-assessed" for r in f["evidence"]["rules"]}
    assert {"cardholder-data", "weak-password-hash", "data-beyond-agreement"} <= unknown_rules


def test_values_hiding_in_names_never_reach_the_outputs(tmp_path, fake_connector):
    sneaky = {**CLEAN, "kind": "prefix", "name": "exports/users/ana.tan@gmail.com/", "parent": None,
              "columns": ["S1234567D", "wei.lim@gmail.com"], "notes": ["corrupt gzip: cards/4111111111111111.gz"],
              "sample": {"S1234567D": ["T0123456G"] * 5, "+65 9123 4500": ["x"] * 5}}
    p = config(tmp_path, [fake("s3", datasets=[sneaky])])
    out, html = tmp_path / "o.json", tmp_path / "o.html"
    scan(p, "--json", str(out), "--html", str(html))
    outputs = out.read_text() + html.read_text() + (tmp_path / "state.db").read_bytes().decode("latin-1")
    for raw in ("ana.tan@gmail.com", "S1234567D", "wei.lim@gmail.com", "4111111111111111", "9123 4500"):
        assert raw not in outputs, raw
    assert json.loads(out.read_text())["datasets"][0]["name"] == "exports/users/a***@g***.com/"


def test_the_summary_counts_open_not_assessed_findings_next_to_unreadable_datasets(tmp_path, fake_connector):
    # a dataset that was read, with personal data whose encryption at rest is unknown: nothing is
    # unreadable, yet the run is partial; the summary must say why instead of "0 not assessed" alone
    unknown = {**CLEAN, "encryption_at_rest": "unknown", "sample": {"email": ["ann@example.com", "bob@example.org"]}}
    p = config(tmp_path, [fake("db", datasets=[unknown])])
    r = scan(p, "--json", str(tmp_path / "out.json"))
    assert r.exit_code == 3, r.output
    doc = json.loads((tmp_path / "out.json").read_text())
    n = sum(1 for f in doc["findings"] if f["rule"] == "not-assessed" and f["status"] == "open")
    assert n >= 1
    assert f"datasets: 1 (0 not assessed), open not-assessed findings: {n}" in r.output, r.output


def test_a_not_assessed_finding_is_resolved_once_the_dataset_is_read(tmp_path, fake_connector):
    """A SIEM opens a ticket for every finding and closes it on ``resolved``: a not-assessed finding
    (a table the audit role could not read) that the next run no longer has, because the grant was
    made and the table read, is resolved like any other; it vanished silently and its ticket stayed open."""
    a, b = {**CLEAN, "name": "s.a"}, {**CLEAN, "name": "s.b"}
    p = config(tmp_path, [fake("one", datasets=[a], unreadable=["s.b"])])
    first, second = tmp_path / "1.json", tmp_path / "2.json"
    assert scan(p, "--json", str(first)).exit_code == 3
    [na] = [f for f in _ids(first)["findings"] if f["rule"] == "not-assessed"]
    p = config(tmp_path, [fake("one", datasets=[a, b])])
    ocsf = tmp_path / "2.ocsf.jsonl"
    assert scan(p, "--json", str(second), "--ocsf", str(ocsf)).exit_code == 0
    assert [(r["id"], r["rule"], r["dataset"]) for r in _ids(second)["resolved"]] == [(na["id"], "not-assessed", "s.b")]
    closed = [json.loads(line) for line in ocsf.read_text().splitlines()]
    assert [(r["finding_info"]["uid"], r["status"]) for r in closed] == [(na["id"], "Resolved")]
    # a source that fails again resolves nothing: its finding is the same one, still open
    p = config(tmp_path, [fake("one", datasets=[a], unreadable=["s.b"])])
    assert scan(p, "--json", str(first)).exit_code == 3
    p = config(tmp_path, [fake("one", datasets=[a], unreadable=["s.b"])])
    assert scan(p, "--json", str(second)).exit_code == 3
    assert _ids(second)["resolved"] == []
