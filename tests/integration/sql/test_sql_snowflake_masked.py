"""A Snowflake masking policy serves the audit role '***MASKED***' (or any mask) instead of the
stored values: the customers are still in the table. A column whose every sampled value is a mask
is named as not read (with the masking policy as the way out), never a clean verdict. fakesnow
has no masking policies: the table holds what such a policy would show the audit role."""

from __future__ import annotations

from datetime import UTC, datetime

from sql_helpers import by_name, scan

from policies.causes import cause_of

DB = "TRIAL_F_MASKED"


def test_a_column_served_masked_is_named_not_read(fakesnow):
    fakesnow.run(
        f"create database {DB}", f"create schema {DB}.crm",
        f"create table {DB}.crm.customers (id int, email varchar, phone varchar, note varchar, updated_at timestamp_ntz)",
        *(f"insert into {DB}.crm.customers values ({i}, '***MASKED***', '********', 'ok', '2019-01-14'::timestamp_ntz)"
          for i in range(5)),
    )
    obs = by_name(scan(fakesnow.url(DB), as_of=datetime(2026, 1, 1, tzinfo=UTC)))["crm.customers"]
    unsampled = obs.dataset.facts.get("unsampled") or {}
    assert set(unsampled) == {"email", "phone"}, obs.dataset.facts
    assert all("mask" in why for why in unsampled.values()), unsampled
    assert "***MASKED***" not in str(obs.sample.fields.get("email")), obs.sample.fields  # a mask is not a value
    cause = cause_of(obs.dataset, "personal_data")
    assert "masking polic" in cause.way_out.text.lower() and "GRANT SELECT" not in cause.way_out.text, cause


def test_a_role_without_a_usable_warehouse_is_told_the_grant(fakesnow):
    """A role without USAGE on a warehouse runs no query: the source error gives the exact GRANT."""
    import pytest

    from auditor.errors import ConnectorError

    fakesnow.run("create database TRIAL_F_WH", "create schema TRIAL_F_WH.crm", "create table TRIAL_F_WH.crm.t (email varchar)")
    fakesnow.faults(no_warehouse=True)
    try:
        with pytest.raises(ConnectorError) as e:
            scan(fakesnow.url("TRIAL_F_WH", warehouse="AUDIT_WH", role="AUDITOR_READ"))
    finally:
        fakesnow.faults()
    assert "GRANT USAGE ON WAREHOUSE AUDIT_WH TO ROLE AUDITOR_READ" in str(e.value), str(e.value)
    assert "snow-pw" not in str(e.value)


def test_a_row_access_policy_hiding_every_row_is_not_an_empty_table(fakesnow):
    """Snowflake's ROW_COUNT is exact: an unfiltered read that returns fewer rows is a row access
    policy filtering the audit role, never 'the statistics are stale' and a table of 0 records."""
    # the role sees no row of the 20 the table holds: seeded empty, ROW_COUNT says 20
    fakesnow.run("create database TRIAL_F_RAP", "create schema TRIAL_F_RAP.crm",
                 "create table TRIAL_F_RAP.crm.customers (email varchar, phone varchar)")
    fakesnow.faults(row_count={"customers": 20})
    try:
        obs = by_name(scan(fakesnow.url("TRIAL_F_RAP"), as_of=datetime(2026, 1, 1, tzinfo=UTC),
                           sample_rows=5))["crm.customers"]
    finally:
        fakesnow.faults()
    d = obs.dataset
    assert d.records != 0, (d.records, d.records_basis, d.facts.get("records_estimate_source"))
    assert d.status == "error" and "row access policy" in (d.error or ""), (d.status, d.error, d.records, d.records_basis, d.facts.get("sample"), d.facts.get("records_estimate_source"))


def test_a_role_without_usage_on_the_database_is_told_the_grant(fakesnow):
    """Snowflake answers SQLSTATE 22000 (a 'data exception' class) when the session has no current
    database: the reason is the missing USAGE, never 'data error while reading'."""
    import pytest

    from auditor.errors import ConnectorError

    fakesnow.run("create database if not exists TRIAL_F_WH")
    fakesnow.faults(no_database=True)
    try:
        with pytest.raises(ConnectorError) as e:
            scan(fakesnow.url("TRIAL_F_WH", role="AUDITOR_READ"))
    finally:
        fakesnow.faults()
    assert "GRANT USAGE ON DATABASE TRIAL_F_WH TO ROLE AUDITOR_READ" in str(e.value), str(e.value)
    assert "data error" not in str(e.value)
