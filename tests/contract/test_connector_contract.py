"""One contract, every connector kind: the same assertions over SQLite, moto's S3 server and
the GCS emulator (real endpoints over HTTP)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from auditor import registry
from auditor.emulators import gcs_server, s3_server
from auditor.errors import ConnectorError
from auditor.models import CollectionError, Dataset, Observation, Sample, Vendor
from connectors import load_builtin
from connectors.base import CollectContext, SourceSpec

ROWS = [("ana.tan@example.com", "+65 9123 4567"), ("wei.lim@gmail.com", "+65 8123 4567")] * 10
CSV = "email,phone\n" + "\n".join(f"{e},{p}" for e, p in ROWS) + "\n"


@pytest.fixture(scope="module")
def endpoints(tmp_path_factory):
    import boto3
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    folder = tmp_path_factory.mktemp("contract")
    db = folder / "vendor.db"
    con = sqlite3.connect(db)
    con.execute("create table customers (email text, phone text, updated_at text)")
    con.executemany("insert into customers values (?, ?, '2019-03-14T00:00:00')", ROWS)
    con.commit()
    con.close()
    with s3_server() as s3_url, gcs_server() as gcs_url:
        s3 = boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1", aws_access_key_id="k",
                          aws_secret_access_key="s")
        s3.create_bucket(Bucket="contract-b")
        s3.put_object(Bucket="contract-b", Key="exports/customers.csv", Body=CSV.encode())
        gcs = storage.Client(project="p", credentials=AnonymousCredentials(), client_options={"api_endpoint": gcs_url})
        gcs.create_bucket("contract-g").blob("exports/customers.csv").upload_from_string(CSV)
        yield {
            "sql": {"url": f"sqlite:///{db}"},
            "s3": {"endpoint_url": s3_url, "region": "us-east-1", "buckets": ["contract-b"]},
            "gcs": {"endpoint": gcs_url, "project": "p", "buckets": ["contract-g"]},
        }


UNREACHABLE = {
    "sql": {"url": "postgresql+psycopg://audit:hunter2-pw@127.0.0.1:1/db", "connect_timeout": 2},
    "s3": {"endpoint_url": "http://127.0.0.1:1", "region": "us-east-1", "connect_timeout": 1, "max_attempts": 1},
    "gcs": {"endpoint": "http://127.0.0.1:1", "project": "p", "connect_timeout": 1, "retry_timeout": 1},
}


def connector(kind: str, **options):
    load_builtin()
    cls = registry.connectors.get(kind)
    spec = SourceSpec(id=f"{kind}-src", kind=kind, vendor=Vendor(id="v"), options=cls.Options(**options))
    return cls(spec, CollectContext(as_of=datetime(2026, 11, 28, tzinfo=timezone.utc)))


KINDS = ["sql", "s3", "gcs"]


@pytest.mark.parametrize("kind", KINDS)
def test_datasets_are_well_formed_and_sampled(kind, endpoints, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    items = list(connector(kind, **endpoints[kind]).collect())
    observations = [i for i in items if isinstance(i, Observation)]
    assert observations and not [i for i in items if isinstance(i, CollectionError)]
    for obs in observations:
        d: Dataset = obs.dataset
        assert (d.source, d.vendor, d.status) == (f"{kind}-src", "v", "assessed")
        assert d.kind in ("table", "bucket", "prefix") and d.name and d.uri
        assert "@" not in d.uri and "hunter2" not in d.uri
        assert obs.sample is None or isinstance(obs.sample, Sample)
        assert d.personal_data == () and d.classified is False  # classification is the engine's business
    sampled = [o for o in observations if o.sample is not None and o.sample.fields]
    values = {v for o in sampled for vs in o.sample.fields.values() for v in vs}
    assert "ana.tan@example.com" in values, "the sample must reach the classifier"
    assert any(o.dataset.last_modified is not None and o.dataset.last_modified_basis for o in observations)


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_option_is_refused(kind):
    load_builtin()
    with pytest.raises(ValidationError):
        registry.connectors.get(kind).Options(**{**UNREACHABLE[kind], "sample_rowz": 5})


@pytest.mark.parametrize("kind", KINDS)
def test_unreachable_source_is_one_credential_free_error(kind):
    with pytest.raises(ConnectorError) as e:
        list(connector(kind, **UNREACHABLE[kind]).collect())
    assert "hunter2" not in str(e.value) and e.value.__cause__ is None


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_describes_its_permissions(kind):
    load_builtin()
    assert registry.connectors.get(kind).permissions()
