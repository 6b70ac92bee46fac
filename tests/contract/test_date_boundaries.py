"""What a date means at its boundary, as README "Dates and times" says: a date without a time
(contract_end, waive --until DATE, an attestation's until) is a UTC day and includes all of it;
"older than N days" is strictly more than N x 24 hours before --as-of. Every instant is fixed by
--as-of; the engine-driving fake connector states the facts.
"""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from auditor.cli import cli

CUSTOMERS = {"name": "public.customers", "public": False, "encryption_at_rest": "provider",
             "encryption_in_transit": "enforced", "has_retention": True, "retention_days": 30,
             "last_modified": "2026-03-01T00:00:00+00:00",
             "sample": {"email": ["ann@example.com", "bob@example.org"], "qty": [1, 2]}}


def config(tmp_path, vendor=None, **dataset):
    doc = {"state": "sqlite:///state.db", "vendors": [{"id": "v1", **(vendor or {})}],
           "sources": [{"id": "db", "vendor": "v1", "kind": "fake", "datasets": [{**CUSTOMERS, **dataset}]}]}
    p = tmp_path / "auditor.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return p


def scan(p, as_of):
    out = p.parent / "r.json"
    r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", as_of, "--json", str(out)])
    assert r.exit_code in (0, 1), r.output
    return {f["rule"]: f for f in json.loads(out.read_text())["findings"]}


@pytest.mark.parametrize("as_of,ended", [
    ("2026-03-31T23:30:00+08:00", False),   # 15:30Z: the last day, in Singapore and in UTC
    ("2026-03-31T23:59:59.900Z", False),    # the last instant of the UTC day
    ("2026-04-01T01:00:00+08:00", False),   # already April in Singapore, still March 31 in UTC
    ("2026-04-01T00:00:00Z", True),         # the first instant after the UTC day
])
def test_contract_end_is_a_utc_day_and_includes_it(tmp_path, fake_connector, as_of, ended):
    found = scan(config(tmp_path, {"contract_end": "2026-03-31"}), as_of)
    assert ("vendor-contract-ended" in found) is ended
    if ended:
        ev = found["vendor-contract-ended"]["evidence"]
        assert ev["contract_end"] == "2026-03-31" and ev["days_since_contract_end"] == 1


def test_a_leap_day_contract_end(tmp_path, fake_connector):
    p = config(tmp_path, {"contract_end": "2024-02-29"}, last_modified="2024-02-01T00:00:00+00:00")
    assert "vendor-contract-ended" not in scan(p, "2024-02-29T23:59:59Z")
    assert scan(p, "2024-03-01T00:00:00Z")["vendor-contract-ended"]["evidence"]["days_since_contract_end"] == 1


@pytest.mark.parametrize("last_modified,stale", [
    ("2025-12-01T02:00:00+00:00", False),   # exactly 365 days: not older than 365 days
    ("2025-12-01T01:59:59+00:00", True),    # one second more
])
def test_stale_is_strictly_older_than_the_maximum_age(tmp_path, fake_connector, last_modified, stale):
    found = scan(config(tmp_path, last_modified=last_modified), "2026-12-01T02:00:00Z")
    assert ("stale-personal-data" in found) is stale
    if stale:
        ev = found["stale-personal-data"]["evidence"]
        assert ev["max_age_days"] == 365 and ev["age_days"] == 365  # whole days: 365 days and 1 second


@pytest.mark.parametrize("last_modified,stale", [
    ("2027-03-01T00:00:00+00:00", False),   # 365 days before 2028-02-29: the limit, not over it
    ("2027-02-28T00:00:00+00:00", True),    # one calendar year before, but 366 days: the limit is days
])
def test_a_leap_year_counts_days_not_calendar_years(tmp_path, fake_connector, last_modified, stale):
    found = scan(config(tmp_path, last_modified=last_modified), "2028-02-29T00:00:00Z")
    assert ("stale-personal-data" in found) is stale


def _waive(p, fid, until):
    r = CliRunner().invoke(cli, ["waive", fid, "--reason", "vendor deletes on 1 Dec", "--until", until,
                                 "--as-of", "2026-11-28T00:00:00Z", "-c", str(p)])
    assert r.exit_code == 0, r.output
    return r


@pytest.mark.parametrize("as_of,status", [
    ("2026-12-01T23:59:59Z", "waived"),
    ("2026-12-01T23:59:59.500Z", "waived"),  # before: the waiver lapsed half a second early
    ("2026-12-02T00:00:00Z", "open"),
])
def test_a_waiver_until_a_date_holds_through_that_utc_day(tmp_path, fake_connector, as_of, status):
    p = config(tmp_path, {"contract_end": "2026-06-30"})
    fid = scan(p, "2026-11-28T00:00:00Z")["vendor-contract-ended"]["id"]
    r = _waive(p, fid, "2026-12-01")
    assert "until 2026-12-01T23:59:59+00:00" in r.stdout
    assert scan(p, as_of)["vendor-contract-ended"]["status"] == status


def test_a_waiver_until_another_zones_end_of_day(tmp_path, fake_connector):
    p = config(tmp_path, {"contract_end": "2026-06-30"})
    fid = scan(p, "2026-11-28T00:00:00Z")["vendor-contract-ended"]["id"]
    _waive(p, fid, "2026-12-01T23:59:59+08:00")  # the end of the day in Singapore: 15:59:59Z
    assert scan(p, "2026-12-01T15:59:59Z")["vendor-contract-ended"]["status"] == "waived"
    assert scan(p, "2026-12-01T16:00:00Z")["vendor-contract-ended"]["status"] == "open"


@pytest.mark.parametrize("as_of,used", [("2026-12-01T23:59:59.500Z", True), ("2026-12-02T00:00:00Z", False)])
def test_an_attestation_until_a_date_holds_through_that_utc_day(tmp_path, fake_connector, as_of, used):
    p = config(tmp_path, encryption_at_rest="unknown")
    doc = yaml.safe_load(p.read_text())
    doc["attestations"] = [{"match": {"vendor": "v1"}, "fact": "encryption_at_rest", "value": "provider",
                            "evidence": "SOC 2 report", "by": "dpo@example.com", "until": "2026-12-01"}]
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    out = p.parent / "r.json"
    r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", as_of, "--json", str(out)])
    [d] = json.loads(out.read_text())["datasets"]
    assert (d["encryption_at_rest"] == "provider") is used, r.output
    assert r.exit_code == (0 if used else 3), r.output


@pytest.mark.parametrize("given,stored", [
    ("2026-11-11T00:00:00+08:00", "2026-11-10T16:00:00Z"),   # an offset is converted
    ("2026-11-11T09:00:00", "2026-11-11T09:00:00Z"),         # no zone: UTC
    ("2026-11-11", "2026-11-11T00:00:00Z"),                  # a date: 00:00 UTC
])
def test_as_of_forms(tmp_path, fake_connector, given, stored):
    p = config(tmp_path)
    out = p.parent / "r.json"
    r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", given, "--json", str(out)])
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text())["run"]["as_of"] == stored


@pytest.mark.parametrize("given", ["yesterday", "2026-13-01", "2026-11-11T00:00:00+25:00", ""])
def test_an_invalid_as_of_exits_2_naming_it(tmp_path, fake_connector, given):
    r = CliRunner().invoke(cli, ["scan", "-c", str(config(tmp_path)), "--as-of", given])
    assert r.exit_code == 2
    assert "--as-of" in r.output and "not an ISO 8601 date or date-time" in r.output
