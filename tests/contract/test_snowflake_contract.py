"""The connector contract suite (tests/contract/test_connector_contract.py), its own test
functions unchanged, over a Snowflake source: ``kind: sql`` with a ``snowflake://`` URL
(CONTRACT.md), against fakesnow's HTTP server. The suite is parametrised by kind and its ``sql``
endpoint is SQLite; here the same functions get a Snowflake endpoint in its place."""

from __future__ import annotations

import pytest

from tests.contract import test_connector_contract as suite
from tests.fakesnow import PASSWORD

DB = "SFCONTRACT"


@pytest.fixture(scope="module")
def endpoints(fakesnow):
    rows = ", ".join(f"('{e}', '{p}', '2019-03-14 00:00:00')" for e, p in suite.ROWS)
    fakesnow.run(f"create database {DB}", f"create schema {DB}.exports",
                 f"create table {DB}.exports.customers (email varchar, phone varchar, updated_at timestamp_ntz)",
                 f"insert into {DB}.exports.customers values {rows}")
    return {"sql": {"url": fakesnow.url(DB)}}


def test_datasets_are_well_formed_and_sampled(endpoints, monkeypatch):
    suite.test_datasets_are_well_formed_and_sampled("sql", endpoints, None, monkeypatch)


def test_unreachable_source_is_one_credential_free_error(monkeypatch):
    down = f"snowflake://auditor:hunter2-pw@127.0.0.1:{suite_free_port()}/{DB}?account=fakesnow&protocol=http"
    monkeypatch.setitem(suite.UNREACHABLE, "sql", {"url": down, "connect_timeout": 2})
    suite.test_unreachable_source_is_one_credential_free_error("sql", None)


def test_unknown_option_is_refused(monkeypatch):
    monkeypatch.setitem(suite.UNREACHABLE, "sql", {"url": f"snowflake://auditor:{PASSWORD}@acme-xy12345/{DB}"})
    suite.test_unknown_option_is_refused("sql", None)


def test_permissions_and_capabilities():
    suite.test_every_kind_describes_its_permissions("sql")
    suite.test_every_kind_declares_its_capabilities("sql")
    assert "snowflake" in suite.registry.connectors.get("sql").permissions()


def suite_free_port() -> int:
    from tests.conftest import free_port

    return free_port()
