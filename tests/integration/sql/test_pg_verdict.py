"""A nightly scan of a PostgreSQL source can finish `complete`: every unknown has a way out that
is not a waiver (an attestation, or the RDS instance's API), and one problem is one finding.

Real PostgreSQL on 127.0.0.1:5432; moto's RDS over moto's HTTP server. Times are the data's:
``as_of`` is derived from the rows written, never from today.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import sqlalchemy as sa

from auditor.config import parse_config
from auditor.engine import RunOptions, exit_code, run_audit
from auditor.models import finding_id
from reports.json_report import render_json

WRITTEN = datetime(2024, 5, 1, 8, 0)
AS_OF = WRITTEN.replace(tzinfo=UTC) + timedelta(days=10)


@pytest.fixture(scope="module")
def shop_db(pg_url: str) -> str:
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        for name in ("customers", "contacts"):
            c.execute(sa.text(f"CREATE TABLE {name} (id int primary key, email text, phone text, updated_at timestamp)"))
            c.execute(sa.text(f"INSERT INTO {name} SELECT i, 'user' || i || '@example.com', '+65 9123 ' || (4000 + i), "
                              ":w FROM generate_series(1, 50) i"), {"w": WRITTEN})
        c.execute(sa.text("CREATE TABLE sku_prices (sku text primary key, price numeric, updated_at timestamp)"))
        c.execute(sa.text("INSERT INTO sku_prices SELECT 'SKU-' || i, i * 1.5, :w FROM generate_series(1, 50) i"),
                  {"w": WRITTEN})
    engine.dispose()
    return pg_url


def config(tmp_path, url: str, extra: str = "", provider: str = "") -> object:
    text = f"""
state: sqlite:///{tmp_path / 'state.db'}
policies: [builtin:baseline, builtin:pdpa-sg]
vendors:
  - {{id: shop-vendor, name: Shop Vendor}}
sources:
  - id: shop-db
    vendor: shop-vendor
    kind: sql
    url: {url}
{provider}
{extra}
"""
    path = tmp_path / "auditor.yaml"
    path.write_text(text)
    return parse_config(text, str(path))


ATTESTED = """
attestations:
  - match: {{source: shop-db, dataset: "public.*"}}
    fact: encryption_at_rest
    value: provider
    evidence: "SOC 2 Type II report 2024, section 4.2"
    by: vendor-risk@example.com
    until: {until}
"""


def nightly(cfg) -> object:
    return run_audit(cfg, RunOptions(as_of=AS_OF, trigger="schedule:nightly"))


def test_without_a_way_out_the_unknown_is_one_finding_per_cause(shop_db, tmp_path):
    run = nightly(config(tmp_path, shop_db))
    assert run.status == "partial" and exit_code(run) == 3
    na = [f for f in run.findings if f.rule == "not-assessed"]
    [enc] = na  # both personal-data tables, one cause, one fix; the decoy is not listed
    assert enc.title == "Not assessed: encryption at rest of PostgreSQL tables: unknown to a SQL login (2 datasets)"
    assert sorted(enc.evidence["datasets"]) == ["public.contacts", "public.customers"]
    assert enc.evidence["way_out"] == "provider_api" and "provider: {kind: rds" in enc.remediation
    assert "attestations" in enc.remediation
    assert enc.id == finding_id("not-assessed", "shop-db", "cause:encryption_at_rest:sql:postgresql")


def test_an_attestation_makes_the_nightly_run_complete(shop_db, tmp_path):
    run = nightly(config(tmp_path, shop_db, ATTESTED.format(until="2025-06-30")))
    assert run.status == "complete", [f.title for f in run.findings if f.rule == "not-assessed"]
    assert exit_code(run) != 3  # every source assessed: 0 or 1 by the findings, never "incomplete"
    report = render_json(run)
    customers = next(d for d in report["datasets"] if d["name"] == "public.customers")
    assert customers["encryption_at_rest"] == "provider" and customers["encryption_at_rest_basis"] == "attested"
    assert customers["fact_sources"]["encryption_at_rest"]["by"] == "vendor-risk@example.com"
    [used] = report["attestations"]["used"]
    assert sorted(used["datasets"]) == ["shop-db:public.contacts", "shop-db:public.customers", "shop-db:public.sku_prices"]
    assert report["attestations"]["expired"] == []
    json.dumps(report)  # JSON-safe

    # one problem, one finding: baseline + pdpa-sg judge nothing twice; the server's transport is one
    # finding for the store listing the tables with personal data (never the decoy)
    ids = [f.id for f in run.findings]
    assert len(ids) == len(set(ids))
    transport = [f for f in run.findings if f.rule == "insecure-transport"]
    if transport:  # the test server may enforce TLS; where it does not, one finding for the store
        [t] = transport
        assert t.dataset == "shop-db" and sorted(t.evidence["datasets_with_personal_data"]) == [
            "public.contacts", "public.customers"]


def test_an_expired_attestation_is_ignored_and_listed(shop_db, tmp_path):
    run = nightly(config(tmp_path, shop_db, ATTESTED.format(until="2024-05-10")))  # the day before as_of
    assert run.status == "partial"
    [a] = run.attestations
    assert a.expired and a.datasets == ()
    report = render_json(run)
    assert report["attestations"]["used"] == [] and len(report["attestations"]["expired"]) == 1
    customers = next(d for d in report["datasets"] if d["name"] == "public.customers")
    assert customers["encryption_at_rest"] == "unknown" and "encryption_at_rest_basis" not in customers


@pytest.fixture(scope="module")
def rds_endpoint():
    from auditor.emulators import s3_server

    with s3_server() as url:  # moto's server serves RDS and KMS too
        kw = dict(endpoint_url=url, region_name="ap-southeast-1", aws_access_key_id="testing",
                  aws_secret_access_key="testing")
        rds, kms = boto3.client("rds", **kw), boto3.client("kms", **kw)
        rds.create_db_parameter_group(DBParameterGroupName="tls-on", DBParameterGroupFamily="postgres15",
                                      Description="forced TLS")
        rds.modify_db_parameter_group(DBParameterGroupName="tls-on", Parameters=[
            {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "immediate"}])
        key = kms.create_key(Description="shop")["KeyMetadata"]["Arn"]
        rds.create_db_instance(DBInstanceIdentifier="shop-prod", DBInstanceClass="db.t3.micro", Engine="postgres",
                               MasterUsername="admin1", MasterUserPassword="not-a-real-pass", AllocatedStorage=20,
                               StorageEncrypted=True, KmsKeyId=key, PubliclyAccessible=False,
                               DBParameterGroupName="tls-on")
        yield url


def _rds_provider(instance: str, endpoint: str, monkeypatch) -> str:
    """The config line of an RDS provider for ``instance`` on the moto endpoint (test credentials set)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return (f"    provider: {{kind: rds, instance: {instance}, region: ap-southeast-1, "
            f"endpoint_url: '{endpoint}'}}")


def test_rds_facts_make_the_nightly_run_complete(shop_db, tmp_path, rds_endpoint, monkeypatch):
    run = nightly(config(tmp_path, shop_db, provider=_rds_provider("shop-prod", rds_endpoint, monkeypatch)))
    assert run.status == "complete", [f.title for f in run.findings if f.rule == "not-assessed"]
    customers = next(d for d in run.datasets if d.name == "public.customers")
    assert customers.encryption_at_rest == "customer_key"  # a customer-managed KMS key
    assert customers.fact_basis["encryption_at_rest"].basis == "provider"
    assert "StorageEncrypted = true" in customers.fact_basis["encryption_at_rest"].detail
    assert customers.public is False and customers.fact_basis["public"].basis == "provider"
    assert customers.region == "ap-southeast-1" and customers.fact_basis["region"].basis == "provider"
    assert render_json(run)["datasets"][0]["encryption_at_rest_basis"] == "provider"


def test_an_unknown_rds_instance_is_a_grouped_unknown_with_its_cause(shop_db, tmp_path, rds_endpoint, monkeypatch):
    run = nightly(config(tmp_path, shop_db, provider=_rds_provider("no-such-db", rds_endpoint, monkeypatch)))
    assert run.status == "partial"
    [na] = [f for f in run.findings if f.rule == "not-assessed"]
    assert "rds:DescribeDBInstances" in na.title and "DBInstanceNotFound" in na.title
