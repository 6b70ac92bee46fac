"""`kind: azure_blob` over HTTP against Azurite: containers, public access levels, the prefix
tree, samples, refusals. Azurite stamps blobs with the upload time, so as-of is derived from
the blobs themselves (never a fixed date against things dated now)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import yaml
from click.testing import CliRunner

from auditor.cli import cli
from tests.azurite import azurite_server
from tests.file_servers import collect

pytestmark = pytest.mark.real_clock  # Azurite checks request dates and SAS expiry against its own clock

CSV = b"email,phone\n" + b"".join(f"user{i}@example.com,+65 9123 45{i:02d}\n".encode() for i in range(30))


@pytest.fixture(scope="module")
def account():
    from azure.storage.blob import BlobServiceClient

    with azurite_server() as conn:
        svc = BlobServiceClient.from_connection_string(conn)
        svc.create_container("exports").upload_blob("2019/customers.csv", CSV)
        svc.create_container("public-drop", public_access="container").upload_blob("list.csv", CSV)
        svc.create_container("empty")
        newest = max(b.last_modified for c in ("exports", "public-drop")
                     for b in svc.get_container_client(c).list_blobs())
        yield conn, newest


def test_containers_tree_samples_and_facts(account):
    conn, newest = account
    ds = collect("azure_blob", {"connection_string": conn, "containers": ["exports", "public-drop", "empty"]},
                 newest + timedelta(days=1))
    assert set(ds) == {"exports", "exports/2019/", "public-drop", "empty"}
    d = ds["exports/2019/"]
    assert d.objects == 1 and d.bytes == len(CSV) and d.last_modified_basis == "newest blob Last-Modified"
    assert d.public is False and d.encryption_at_rest == "provider" and d.encryption_in_transit == "optional"
    assert d.has_retention is None  # lifecycle rules: management plane only
    assert ds["public-drop"].public is True
    assert ds["public-drop"].public_reasons == ("container public access level: container",)
    assert ds["empty"].objects == 0 and ds["exports"].facts["encryption_scope"] == "$account-encryption-key"


def test_scan_finds_stale_public_personal_data(account, tmp_path):
    conn, newest = account
    config = tmp_path / "auditor.yaml"
    config.write_text(yaml.safe_dump({"state": f"sqlite:///{tmp_path / 'state.db'}", "vendors": [{"id": "v"}],
                                      "sources": [{"id": "az", "vendor": "v", "kind": "azure_blob",
                                                   "connection_string": "${AZ_CONN}", "containers": ["*"]}]}))
    as_of = (newest + timedelta(days=800)).isoformat()
    result = CliRunner().invoke(cli, ["scan", "-c", str(config), "--as-of", as_of, "--json", str(tmp_path / "r.json")],
                                env={"AZ_CONN": conn})
    doc = json.loads((tmp_path / "r.json").read_text())
    found = {(f["rule"], f["dataset"]) for f in doc["findings"]}
    assert ("stale-personal-data", "exports/2019/") in found or ("stale-personal-data", "exports") in found, found
    assert ("public-exposure", "public-drop") in found, found
    ds = {d["name"]: d for d in doc["datasets"]}  # records are rows read from the blobs; objects count blobs
    assert (ds["exports/2019/"]["records"], ds["exports/2019/"]["records_basis"], ds["exports/2019/"]["objects"]) \
        == (30, "counted", 1), ds["exports/2019/"]
    assert (ds["empty"]["records"], ds["empty"]["objects"]) == (0, 0)
    assert "Eby8vdM02xNOcq" not in result.output + json.dumps(doc)


def test_missing_container_and_bad_key(account):
    conn, newest = account
    from auditor.errors import ConnectorError

    with pytest.raises(ConnectorError) as e:
        collect("azure_blob", {"connection_string": conn.replace("AccountKey=Eby8", "AccountKey=Zby8")}, newest)
    assert "refused" in str(e.value) and "Zby8" not in str(e.value)


def test_unreachable(account):
    _, newest = account
    bad = ("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
           "BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;")
    from auditor.errors import ConnectorError

    with pytest.raises(ConnectorError) as e:
        collect("azure_blob", {"connection_string": bad, "connect_timeout": 1, "max_attempts": 1}, newest)
    assert "cannot reach http://127.0.0.1:1" in str(e.value)


def test_a_container_glob_that_matches_nothing_is_an_error_not_a_pass(account):
    from auditor import registry
    from auditor.models import CollectionError, Vendor
    from connectors import load_builtin
    from connectors.base import CollectContext, SourceSpec

    conn, newest = account
    load_builtin()
    cls = registry.connectors.get("azure_blob")
    opts = cls.Options(connection_string=conn, containers=["vendor-*", "missing-one"])
    items = list(cls(SourceSpec("az", "azure_blob", Vendor(id="v"), opts), CollectContext(as_of=newest)).collect())
    reasons = sorted(i.reason for i in items if isinstance(i, CollectionError))
    assert reasons == ["container missing-one not found or not visible to the audit identity",
                       "empty selection: container pattern 'vendor-*' matched nothing (the source holds 3 containers)"]
