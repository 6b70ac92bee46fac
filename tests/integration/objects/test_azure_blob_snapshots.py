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
