"""One contract, every connector kind: the same assertions over SQLite, moto's S3 server,
the GCS emulator (real endpoints over HTTP), OpenSSH's sshd (SFTP), pyftpdlib (FTPS), Azurite
(Azure Blob), and over every installed plug-in kind.

The kinds are the registry's (built-in and ``auditor.connectors`` entry points), never a
list kept here: a plug-in brings its own contract fixture through the
``auditor.connector_contract`` entry-point group (a callable ``(folder, csv_text, mtime)``
returning the options of a ``reachable`` and an ``unreachable`` source). A kind with no
fixture fails here: it would otherwise be a connector no test reads."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from importlib.metadata import entry_points

import pytest
from pydantic import ValidationError

from auditor import registry
from auditor.connector import Capabilities
from auditor.emulators import gcs_server, s3_server
from auditor.errors import ConnectorError
from auditor.models import CollectionError, Dataset, Observation, Sample, Vendor
from auditor.plugins import load_connectors
from connectors.base import CollectContext, SourceSpec
from tests.azurite import azurite_server
from tests.file_servers import estate, ftp_server, sshd_server

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
    old = datetime(2019, 3, 14, tzinfo=timezone.utc)  # the files' mtimes: the test does not depend on today
    with s3_server() as s3_url, gcs_server() as gcs_url, estate({"exports/customers.csv": (CSV.encode(), old)}) as root, \
            sshd_server() as sshd, ftp_server(root, tls=True) as ftpd, azurite_server() as azure:
        from azure.storage.blob import BlobServiceClient

        BlobServiceClient.from_connection_string(azure).create_container("contract-a").upload_blob(
            "exports/customers.csv", CSV.encode())
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
            "sftp": {"host": sshd["host"], "port": sshd["port"], "user": sshd["user"], "password": sshd["password"],
                     "paths": [str(root)]},
            "ftp": {"host": ftpd["host"], "port": ftpd["port"], "user": ftpd["user"], "password": ftpd["password"],
                    "paths": ["/"], "tls": "explicit", "ca_file": ftpd["ca_file"]},
            "azure_blob": {"connection_string": azure, "containers": ["contract-a"]},
        }


def plugin_fixture(kind: str):
    found = [ep for ep in entry_points(group="auditor.connector_contract") if ep.name == kind]
    if not found:
        pytest.fail(f"connector kind {kind!r} has no contract fixture: add it to this suite (built-in) or "
                    "ship one in the auditor.connector_contract entry-point group (plug-in)")
    return found[0].load()


@pytest.fixture(scope="module")
def plugin_options(tmp_path_factory):
    """kind -> {"reachable": ..., "unreachable": ...} of the installed plug-in kinds, made once."""
    made: dict[str, dict] = {}

    def options(kind: str) -> dict:
        if kind not in made:
            folder = tmp_path_factory.mktemp(f"contract-{kind}")
            made[kind] = plugin_fixture(kind)(folder, CSV, datetime.now(timezone.utc) - timedelta(days=400))
        return made[kind]

    return options


def reachable(kind: str, endpoints, plugin_options) -> dict:
    return endpoints[kind] if kind in BUILTIN else plugin_options(kind)["reachable"]


def unreachable(kind: str, plugin_options) -> dict:
    return UNREACHABLE[kind] if kind in BUILTIN else plugin_options(kind)["unreachable"]


UNREACHABLE = {
    "sql": {"url": "postgresql+psycopg://audit:hunter2-pw@127.0.0.1:1/db", "connect_timeout": 2},
    "s3": {"endpoint_url": "http://127.0.0.1:1", "region": "us-east-1", "connect_timeout": 1, "max_attempts": 1},
    "gcs": {"endpoint": "http://127.0.0.1:1", "project": "p", "connect_timeout": 1, "retry_timeout": 1},
    "sftp": {"host": "127.0.0.1", "port": 1, "user": "audit", "password": "hunter2-pw", "connect_timeout": 1},
    "ftp": {"host": "127.0.0.1", "port": 1, "user": "audit", "password": "hunter2-pw", "connect_timeout": 1},
    "azure_blob": {"connection_string": "DefaultEndpointsProtocol=http;AccountName=a;AccountKey=aHVudGVyMi1wdw==;"
                                        "BlobEndpoint=http://127.0.0.1:1/a;", "connect_timeout": 1, "max_attempts": 1},
}


def connector(kind: str, **options):
    cls = registry.connectors.get(kind)
    spec = SourceSpec(id=f"{kind}-src", kind=kind, vendor=Vendor(id="v"), options=cls.Options(**options))
    # what the endpoints hold was written just before, on this clock: judged as of now, never a fixed date
    return cls(spec, CollectContext(as_of=datetime.now(timezone.utc)))


BUILTIN = set(UNREACHABLE)  # the kinds this suite has real endpoints for
KINDS = list(load_connectors())  # every registered kind: built-in and installed plug-ins


@pytest.mark.parametrize("kind", KINDS)
def test_datasets_are_well_formed_and_sampled(kind, endpoints, plugin_options, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    items = list(connector(kind, **reachable(kind, endpoints, plugin_options)).collect())
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
    assert all(o.dataset.last_modified is None or o.dataset.last_modified <= datetime.now(timezone.utc)
               for o in observations)


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_option_is_refused(kind, plugin_options):
    with pytest.raises(ValidationError):
        registry.connectors.get(kind).Options(**{**unreachable(kind, plugin_options), "sample_rowz": 5})


@pytest.mark.parametrize("kind", KINDS)
def test_unreachable_source_is_one_credential_free_error(kind, plugin_options):
    with pytest.raises(ConnectorError) as e:
        list(connector(kind, **unreachable(kind, plugin_options)).collect())
    assert "hunter2" not in str(e.value) and e.value.__cause__ is None


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_describes_its_permissions(kind):
    assert registry.connectors.get(kind).permissions()


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_declares_its_capabilities(kind):
    caps = registry.connectors.get(kind).capabilities
    assert isinstance(caps, Capabilities) and caps.knows
    assert "personal_data" in caps.knows  # a connector that samples nothing audits nothing
    assert all(isinstance(why, str) and why for why in caps.never.values())
