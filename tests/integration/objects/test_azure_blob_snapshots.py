"""A blob snapshot keeps the content a blob had when it was taken: a vendor that overwrites its
customer export with a clean file still holds the customers in the snapshot. The listing counts
snapshots (as S3/GCS noncurrent versions) and names them: personal data unknown, never a clean
verdict with exit 0. Against Azurite; as-of is derived from the blobs themselves."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.azurite import azurite_server
from tests.file_servers import collect, run_scan

pytestmark = pytest.mark.real_clock  # Azurite checks request dates against its own clock

CSV = b"email,phone\n" + b"".join(f"user{i}@example.com,+65 9123 45{i:02d}\n".encode() for i in range(30))
CLEAN = b"id,status\n" + b"".join(f"{i},ok\n".encode() for i in range(30))


@pytest.fixture(scope="module")
def account():
    from azure.storage.blob import BlobServiceClient

    with azurite_server() as conn:
        svc = BlobServiceClient.from_connection_string(conn)
        blob = svc.create_container("history").get_blob_client("customers.csv")
        blob.upload_blob(CSV)
        blob.create_snapshot()  # the customers, kept
        blob.upload_blob(CLEAN, overwrite=True)  # what the listing of current blobs shows
        newest = max(b.last_modified for b in svc.get_container_client("history").list_blobs())
        yield conn, newest


def test_a_snapshot_is_counted_and_named_not_passed_over(account):
    conn, newest = account
    ds = collect("azure_blob", {"connection_string": conn, "containers": ["history"]}, newest + timedelta(days=1))
    d = ds["history"]
    assert d.objects == 2 and d.bytes == len(CSV) + len(CLEAN), (d.objects, d.bytes)
    assert d.facts["noncurrent_objects"] == 1, d.facts
    assert any("noncurrent" in k for k in d.facts.get("unsampled", {})), d.facts


def test_a_scan_of_a_clean_blob_with_a_customer_snapshot_is_not_a_pass(account, tmp_path):
    conn, newest = account
    code, doc, output = run_scan(tmp_path, {"kind": "azure_blob", "connection_string": "${AZ_CONN}",
                                            "containers": ["history"]},
                                 newest + timedelta(days=1), env={"AZ_CONN": conn})
    assert code == 3, output  # the snapshot was not read: incomplete, never exit 0
    causes = [f for f in doc["findings"] if f["rule"] == "not-assessed" and f["dataset"] == "history"]
    assert causes, doc["findings"]
    text = str(causes)
    assert "snapshot" in text.lower(), text  # the way out names what Azure keeps (snapshots/versions)
    assert "user0@example.com" not in output + str(doc)


def _container_sas(conn: str, name: str) -> tuple[str, str]:
    from datetime import datetime, timezone

    from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas

    from tests.azurite import ACCOUNT, KEY

    sas = generate_container_sas(ACCOUNT, name, account_key=KEY, permission=ContainerSasPermissions(read=True, list=True),
                                 expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    return BlobServiceClient.from_connection_string(conn).url.rstrip("/"), sas


def test_a_container_sas_audits_the_named_container(account, tmp_path):
    """A SAS scoped to one container (how a vendor hands one over) cannot list containers: the
    named container is still read, and what the SAS cannot read (its public access level) is named
    with the call to grant; the SAS never shows."""
    conn, newest = account
    url, sas = _container_sas(conn, "history")
    code, doc, output = run_scan(tmp_path, {"kind": "azure_blob", "account_url": url, "sas_token": "${SAS}",
                                            "containers": ["history"]},
                                 newest + timedelta(days=1), env={"SAS": sas})
    assert [s["status"] for s in doc["sources"]] == ["ok"], output
    ds = {d["name"]: d for d in doc["datasets"]}
    assert ds["history"]["status"] == "assessed" and ds["history"]["objects"] == 2, ds
    assert any("Get Container Properties" in e for e in ds["history"]["denied"]), ds["history"]["denied"]
    assert sas.split("sig=")[1][:10] not in output + str(doc)
    causes = {f["title"]: f["remediation"] for f in doc["findings"] if f["rule"] == "not-assessed"}
    public = [r for t, r in causes.items() if "public exposure" in t]
    assert public and "Get Container Properties" in public[0] and "s3:" not in public[0], causes


def test_a_container_sas_with_a_glob_says_how_to_list(account, tmp_path):
    conn, newest = account
    url, sas = _container_sas(conn, "history")
    code, doc, output = run_scan(tmp_path, {"kind": "azure_blob", "account_url": url, "sas_token": "${SAS}",
                                            "containers": ["*"]},
                                 newest + timedelta(days=1), env={"SAS": sas})
    assert code == 3, output
    assert "name the container" in output, output  # the way out a container SAS has
