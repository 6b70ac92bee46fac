"""Faults of a Snowflake source, end to end through `auditor scan`, over fakesnow's HTTP server
and the real Snowflake connector: an endpoint that is down or silent, a refused login, a refused
read, a slow table (cancelled by the session's statement timeout) and a server that stops
answering (cut by the client's read_timeout). Each keeps the healthy source assessed, makes the
run partial (exit 3) and names what was not read; no password is echoed.

fakesnow accepts every login, has no privileges and no statement timeout: those three faults are
made by the test server's shim (.ci/fakesnow/serve.py), which answers with Snowflake's own error
codes (390100, 003001, 000630) over the same HTTP protocol. Then one real `auditor -vv scan`
subprocess seeded with raw personal data: no raw value and no password in any output or the
store, and the auditor issued nothing but reads."""

from __future__ import annotations

import json

import pytest
from fault_helpers import Scan, as_of, free_port, loopback_endpoint, scan, scan_process, sql_source, write_config

from tests.fakesnow import PASSWORD

DB = "SFFAULTS"
RAW = ["wei.ling.tan.leak@example.com", "+65 9123 4567", "4111111111111111", "S1234567D"]
WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "DROP", "ALTER TABLE", "TRUNCATE", "COPY", "PUT ", "GRANT")


@pytest.fixture(scope="module")
def sf(fakesnow):
    fakesnow.run(
        f"create database {DB}", f"create schema {DB}.crm",
        f"create table {DB}.crm.customers (id int, email varchar, updated_at timestamp_ntz)",
        f"insert into {DB}.crm.customers values (1, 'ana.tan@example.com', '2019-03-14'), (2, 'wei.lim@gmail.com', '2019-03-15')",
        f"create table {DB}.crm.payments (id int, email varchar, card varchar, nric varchar, phone varchar)",
        f"insert into {DB}.crm.payments values (1, '{RAW[0]}', '{RAW[2]}', '{RAW[3]}', '{RAW[1]}'),"
        f" (2, 'user2@example.com', '{RAW[2]}', '{RAW[3]}', '{RAW[1]}')",
    )
    yield fakesnow
    fakesnow.faults()


@pytest.fixture
def faults(sf):
    yield sf.faults
    sf.faults()


def healthy(sf) -> dict:
    return sql_source("healthy", sf.url(DB), include=["crm.customers"])


def assert_partial(s: Scan, faulty: str) -> None:
    """Exit 3, run partial, the healthy source read with its personal data; its only not-assessed
    finding the network policy no SQL login reads (unknown unless attested)."""
    assert s.code == 3, f"exit {s.code}: {s.output}"
    assert s.doc["run"]["status"] == "partial", s.doc["run"]
    assert s.source("healthy")["status"] == "ok", s.source("healthy")
    good = s.dataset("healthy", "crm.customers")
    assert good["status"] == "assessed" and "email" in {p["type"] for p in good["personal_data"]}, good
    unknown = {u for f in s.not_assessed("healthy") for u in f["evidence"].get("unknown", ["?"])}
    assert unknown <= {"public"}, s.not_assessed("healthy")
    assert s.not_assessed(faulty), f"nothing not-assessed on {faulty}"
    assert PASSWORD not in s.output and PASSWORD not in json.dumps(s.doc)


def test_endpoint_down(sf, tmp_path):
    down = f"snowflake://auditor:{PASSWORD}@127.0.0.1:{free_port()}/{DB}?account=fakesnow&protocol=http"
    s = scan(write_config(tmp_path, [healthy(sf), sql_source("down", down, connect_timeout=2)]))
    assert_partial(s, "down")
    assert "cannot connect to snowflake://127.0.0.1:" in s.source("down")["error"], s.source("down")


def test_silent_endpoint_is_bounded_by_connect_timeout(sf, tmp_path):
    with loopback_endpoint() as hostport:
        url = f"snowflake://auditor:{PASSWORD}@{hostport}/{DB}?account=fakesnow&protocol=http"
        s = scan(write_config(tmp_path, [healthy(sf), sql_source("silent", url, connect_timeout=2)]))
    assert_partial(s, "silent")
    assert "timed out" in s.source("silent")["error"], s.source("silent")


def test_refused_login_names_neither_password(sf, faults, tmp_path):
    faults(password=PASSWORD)
    wrong = sf.url(DB, password="not-the-pw-93")
    s = scan(write_config(tmp_path, [healthy(sf), sql_source("refused", wrong)]))
    assert_partial(s, "refused")
    err = s.source("refused")["error"]
    assert "authentication failed" in err and "not-the-pw-93" not in s.output + json.dumps(s.doc), err


def test_refused_read_is_that_tables_grant(sf, faults, tmp_path):
    faults(deny=["PAYMENTS"])
    s = scan(write_config(tmp_path, [healthy(sf), sql_source("locked", sf.url(DB))]))
    assert_partial(s, "locked")
    pay = s.dataset("locked", "crm.payments")
    assert pay["status"] == "error" and "permission denied" in pay["error"], pay
    assert "GRANT USAGE ON SCHEMA crm and SELECT ON TABLE crm.payments TO ROLE" in pay["error"]
    assert s.dataset("locked", "crm.customers")["status"] == "assessed"  # the rest of the source was read


def test_slow_table_is_cancelled_by_the_statement_timeout(sf, faults, tmp_path):
    faults(slow={"PAYMENTS": 4})
    s = scan(write_config(tmp_path, [healthy(sf), sql_source("slow", sf.url(DB), statement_timeout=1)]))
    assert_partial(s, "slow")
    pay = s.dataset("slow", "crm.payments")
    assert pay["status"] == "error" and "statement timeout" in pay["error"], pay
    assert s.dataset("slow", "crm.customers")["status"] == "assessed"


def test_a_server_that_stops_answering_is_cut_at_read_timeout(sf, faults, tmp_path):
    faults(slow={"PAYMENTS": 6})
    src = sql_source("stuck", sf.url(DB), statement_timeout=30, read_timeout=2)
    s = scan(write_config(tmp_path, [healthy(sf), src]))
    assert_partial(s, "stuck")
    pay = s.dataset("stuck", "crm.payments")
    assert pay["status"] == "error" and "read_timeout" in pay["error"], pay
    assert s.dataset("stuck", "crm.customers")["status"] == "assessed"  # the session goes on


def test_nothing_leaked_and_nothing_written(sf, tmp_path):
    sf.clear_log()
    run = scan_process(tmp_path, [{"id": "sf", "vendor": "v1", "kind": "sql", "url": "${SF_URL}"}],
                       {"SF_URL": sf.url(DB)}, as_of(), timeout=240)
    assert run.proc.returncode in (1, 3), run.proc.stderr[-3000:]
    doc = run.report()
    found = {d["name"]: {p["type"] for p in d["personal_data"]} for d in doc["datasets"]}
    assert {"email", "payment_card", "national_id"} <= found["crm.payments"], found
    outputs = run.outputs()
    assert "DEBUG" in outputs["stderr"], "-vv must log at debug level"
    leaks = [(v, name) for name, text in outputs.items() for v in RAW if v in text]
    assert leaks == [], leaks
    assert [name for name, text in outputs.items() if PASSWORD in text] == []
    writes = [q for q in sf.log()["sql"] if q.strip().upper().startswith(WRITES)]
    assert writes == [], writes
