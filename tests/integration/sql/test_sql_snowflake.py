"""The SQL connector on Snowflake (a ``snowflake://`` URL), over fakesnow's HTTP server with the
real Snowflake connector 5.x and snowflake-sqlalchemy 2.1.

What fakesnow answers and real Snowflake would not (asserted here as what the server said, so a
change in fakesnow shows): ``LAST_ALTERED`` and ``CREATED`` are always 1970-01-01, ``BYTES`` 0,
``RETENTION_TIME`` 1 and ``IS_TRANSIENT`` 'NO' for every table, views are missing from
``INFORMATION_SCHEMA.TABLES``, ``CURRENT_REGION()`` does not exist, table comments are not returned.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from click.testing import CliRunner
from sql_helpers import by_name, scan

from auditor.cli import cli

DB = "SFVENDOR"
ROWS = [("ana.tan@example.com", "+65 9123 4567"), ("wei.lim@gmail.com", "+65 8123 4567")]
WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "DROP", "ALTER TABLE", "TRUNCATE", "COPY", "PUT ", "GRANT")


@pytest.fixture(scope="module")
def sf(fakesnow):
    fakesnow.run(
        f"create database {DB}", f"create schema {DB}.crm", f"create schema {DB}.archive",
        f"create table {DB}.crm.customers (id int primary key, email varchar(200), phone varchar, profile variant,"
        " updated_at timestamp_ntz, created_at timestamp_ltz)",
        *(f"insert into {DB}.crm.customers select {i}, '{e}', '{p}', parse_json('{{\"nric\": \"S1234567D\"}}'),"
          f" '2019-0{i}-14 10:00:00'::timestamp_ntz, '2018-01-01 00:00:00'::timestamp_ltz"
          for i, (e, p) in enumerate(ROWS, 1)),
        f"create table {DB}.crm.codes (code varchar(10))",
        f"insert into {DB}.crm.codes values ('A'), ('B')",
        f"create transient table {DB}.crm.staging (email varchar)",
        f"create view {DB}.crm.customer_emails as select email from {DB}.crm.customers",
        f"create table {DB}.archive.events (id int, email varchar, created_at timestamp_ntz)",
        f"insert into {DB}.archive.events select seq4(), 'user' || seq4() || '@example.com',"
        " '2020-01-01'::timestamp_ntz from table(generator(rowcount => 3000))",
    )
    return fakesnow


def test_tables_counts_age_encryption_and_transport(sf):
    sf.clear_log()
    got = by_name(scan(sf.url(DB), as_of=datetime(2026, 1, 1, tzinfo=UTC), sample_rows=100))
    assert set(got) == {"crm.customers", "crm.codes", "crm.staging", "archive.events"}  # the view is not a dataset
    c = got["crm.customers"].dataset
    assert (c.status, c.records, c.records_basis) == ("assessed", 2, "exact")
    assert c.facts["records_estimate"] == 2  # INFORMATION_SCHEMA.TABLES.ROW_COUNT
    # the write-time column wins over the engine's LAST_ALTERED (TIMESTAMP_NTZ is a DateTime to the age)
    assert (c.last_modified, c.last_modified_basis) == (datetime(2019, 2, 14, 10, tzinfo=UTC), "max(updated_at)")
    assert c.facts["age_signals"]["INFORMATION_SCHEMA.TABLES.LAST_ALTERED"] == "1970-01-01T00:00:00+00:00"  # fakesnow
    assert c.facts["columns"]["updated_at"] == "TIMESTAMP_NTZ" and c.facts["columns"]["profile"] == "VARIANT"
    assert c.encryption_at_rest == "provider" and "AES-256" in c.facts["encryption_at_rest_basis"]
    # plain HTTP to the test server: said as it is (Snowflake itself accepts HTTPS only)
    assert c.encryption_in_transit == "optional" and "plain HTTP" in c.facts["encryption_in_transit_basis"]
    assert c.uri == f"snowflake://127.0.0.1:{sf.port}/{DB}/crm.customers" and "snow-pw" not in c.uri
    assert c.public is None and "public" in c.facts["unknown_unless_attested"]
    # no write-time column: the engine's LAST_ALTERED is the age (fakesnow's constant epoch)
    codes = got["crm.codes"].dataset
    assert codes.last_modified_basis == "INFORMATION_SCHEMA.TABLES.LAST_ALTERED"
    assert codes.last_modified == datetime(1970, 1, 1, tzinfo=UTC)


def test_time_travel_and_fail_safe_are_facts_not_a_purge_rule(sf):
    got = by_name(scan(sf.url(DB), include=["crm.customers"]))
    f = got["crm.customers"].dataset.facts
    assert (f["time_travel_days"], f["fail_safe_days"], f["transient"]) == (1, 7, False)  # fakesnow: RETENTION_TIME 1
    assert "recoverable for 1 days of Time Travel" in f["deleted_rows_recoverable"]
    ds = got["crm.customers"].dataset
    assert ds.has_retention is False and ds.retention_days is None  # Time Travel keeps deleted rows; it purges nothing


def test_sample_reaches_the_classifier_with_variant_flattened(sf):
    obs = by_name(scan(sf.url(DB), include=["crm.customers"]))["crm.customers"]
    fields = obs.sample.fields
    assert sorted(fields["email"]) == sorted(e for e, _ in ROWS)
    assert fields["profile.nric"] == ["S1234567D", "S1234567D"]  # VARIANT read as JSON and walked
    assert obs.dataset.facts["sample"]["strategy"] == "all rows"


def test_a_big_table_is_sampled_with_tablesample_and_bounded(sf):
    sf.clear_log()
    obs = by_name(scan(sf.url(DB), include=["archive.events"], sample_rows=100))["archive.events"]
    assert obs.dataset.records == 3000
    assert obs.dataset.facts["sample"]["strategy"].startswith("tablesample bernoulli")
    assert 0 < obs.dataset.facts["sample"]["rows"] <= 100
    sampled = [q for q in sf.log()["sql"] if "TABLESAMPLE" in q.upper()]
    assert sampled and "REPEATABLE" in sampled[0].upper() and "LIMIT" in sampled[0].upper()


def test_url_schema_and_excludes(sf):
    got = by_name(scan(sf.url(f"{DB}/archive")))
    assert set(got) == {"archive.events"}
    got = by_name(scan(sf.url(DB), schemas=["crm"], exclude=["crm.staging"]))
    assert set(got) == {"crm.customers", "crm.codes"}


def test_session_is_set_up_and_only_reads(sf):
    sf.clear_log()
    scan(sf.url(DB), statement_timeout=12)
    log = sf.log()
    params = log["logins"][-1]["session_parameters"]
    assert (params["STATEMENT_TIMEOUT_IN_SECONDS"], params["TIMEZONE"], params["QUERY_TAG"]) == ("12", "UTC", "auditor")
    writes = [q for q in log["sql"] if q.strip().upper().startswith(WRITES)]
    assert writes == [], writes
    assert all(q.lstrip().upper().startswith(("SELECT", "SHOW", "ROLLBACK", "ALTER SESSION SET AUTOCOMMIT"))
               for q in log["sql"]), [q[:60] for q in log["sql"]]


def test_permissions_print_the_snowflake_grants():
    out = CliRunner().invoke(cli, ["permissions", "--kind", "sql"])
    assert out.exit_code == 0, out.output
    assert "GRANT SELECT ON ALL TABLES IN DATABASE <db> TO ROLE auditor_read" in out.output
    assert "network policy" in out.output


def _scan_cli(tmp_path, sf, attestations=None):
    cfg = {"state": f"sqlite:///{tmp_path / 'state.db'}", "vendors": [{"id": "acme-analytics"}],
           "sources": [{"id": "acme-sf", "vendor": "acme-analytics", "kind": "sql", "url": "${ACME_SF_URL}",
                        "include": ["crm.customers"]}]}
    if attestations:
        cfg["attestations"] = attestations
    path = tmp_path / "auditor.yaml"
    path.write_text(yaml.safe_dump(cfg))
    out = tmp_path / "r.json"
    result = CliRunner().invoke(cli, ["scan", "-c", str(path), "--as-of", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                      "--json", str(out)], env={"ACME_SF_URL": sf.url(DB)})
    return result, json.loads(out.read_text())


def test_network_policy_is_not_assessed_until_attested(sf, tmp_path):
    (tmp_path / "a").mkdir()
    result, doc = _scan_cli(tmp_path / "a", sf)
    na = [f for f in doc["findings"] if f["rule"] == "not-assessed" and "public" in json.dumps(f["evidence"])]
    assert na, [f["rule"] for f in doc["findings"]]
    text = json.dumps(na)
    assert "network policy" in text and "attestations" in text and "snow-pw" not in text
    assert result.exit_code == 3, result.output
    until = (datetime.now(UTC) + timedelta(days=365)).date().isoformat()
    (tmp_path / "b").mkdir()
    result, doc = _scan_cli(tmp_path / "b", sf, [{
        "match": {"source": "acme-sf"}, "fact": "public", "value": False, "by": "vendor-risk@example.com",
        "evidence": "network policy ACME_ONLY (vendor's letter)", "until": until}])
    assert not [f for f in doc["findings"] if f["rule"] == "not-assessed" and "public" in json.dumps(f["evidence"])]
    ds = next(d for d in doc["datasets"] if d["name"] == "crm.customers")
    assert ds["public"] is False and ds.get("public_basis") == "attested", ds
