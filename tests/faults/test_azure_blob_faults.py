"""Faults of Azure Blob Storage (Azurite), end to end through `auditor scan`: an account that is
down, a refused key, a SAS that may list but not read, a trickling endpoint. Each keeps the
healthy source assessed, makes the run partial (exit 3) and names what was not read; then a
real `-vv` scan subprocess seeded with raw personal data leaks none of it, nor the key."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fault_helpers import Scan, free_port, scan_process, write_config
from click.testing import CliRunner

from auditor.cli import cli
from tests.azurite import KEY, azurite_server
from tests.file_servers import throttled_proxy

pytestmark = pytest.mark.real_clock  # Azurite checks request dates and SAS expiry against its own clock

CSV = b"id,email,city\n" + b"".join(f"{i},user{i}@example.com,Singapore\n".encode() for i in range(1, 40))
RAW = ["wei.ling.tan.leak@example.com", "4111111111111111", "S1234567D"]


@pytest.fixture(scope="module")
def account():
    from azure.storage.blob import BlobServiceClient

    with azurite_server() as conn:
        svc = BlobServiceClient.from_connection_string(conn)
        svc.create_container("healthy").upload_blob("exports/customers.csv", CSV)
        svc.create_container("big").upload_blob("exports/big.csv", CSV * 150)
        svc.create_container("leak").upload_blob("exports/leak.csv", (
            "email,card,nric\n" + "".join(f"{RAW[0]},{RAW[1]},{RAW[2]}\n" for _ in range(20))).encode())
        newest = max(b.last_modified for c in ("healthy", "big", "leak") for b in svc.get_container_client(c).list_blobs())
        yield conn, newest + timedelta(days=1)


def src(id_: str, conn: str, *containers: str, **options) -> dict:
    return {"id": id_, "vendor": "v1", "kind": "azure_blob", "connection_string": conn,
            "containers": list(containers), **options}


def scan(config: Path, as_of: datetime) -> Scan:
    out = config.parent / "report.json"
    result = CliRunner().invoke(cli, ["scan", "-c", str(config), "--as-of", as_of.isoformat(), "--json", str(out)])
    return Scan(result, json.loads(out.read_text()) if out.exists() else {})


def assert_incomplete(s: Scan, faulty: str) -> None:
    assert s.code == 3, s.output
    assert s.doc["run"]["status"] == "partial"
    assert s.source("healthy")["status"] == "ok"
    good = s.dataset("healthy", "healthy/exports/")
    assert good["status"] == "assessed" and "email" in {p["type"] for p in good["personal_data"]}, good
    assert s.not_assessed(faulty)


def test_account_down(account, tmp_path):
    conn, as_of = account
    dead = conn.rsplit("BlobEndpoint=", 1)[0] + f"BlobEndpoint=http://127.0.0.1:{free_port()}/devstoreaccount1;"
    s = scan(write_config(tmp_path, [src("down", dead, "*", connect_timeout=1, max_attempts=1),
                                     src("healthy", conn, "healthy")]), as_of)
    assert_incomplete(s, "down")
    assert "cannot reach" in s.source("down")["error"]


def test_refused_key(account, tmp_path):
    conn, as_of = account
    wrong = conn.replace(KEY, "d3Jvbmcta2V5LW5vdC10aGlzLW9uZQ==")
    s = scan(write_config(tmp_path, [src("refused", wrong, "*", max_attempts=1), src("healthy", conn, "healthy")]),
             as_of)
    assert_incomplete(s, "refused")
    assert "container listing refused" in s.source("refused")["error"]
    assert "d3Jvbmcta2V5" not in s.output + json.dumps(s.doc)


def test_sas_that_lists_but_cannot_read(account, tmp_path):
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    conn, as_of = account
    endpoint = conn.split("BlobEndpoint=", 1)[1].rstrip(";")
    sas = generate_account_sas("devstoreaccount1", KEY, ResourceTypes(service=True, container=True, object=True),
                               AccountSasPermissions(list=True), expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    s = scan(write_config(tmp_path, [
        {"id": "listonly", "vendor": "v1", "kind": "azure_blob", "account_url": endpoint, "sas_token": sas,
         "containers": ["healthy"], "max_attempts": 1}, src("healthy", conn, "healthy")]), as_of)
    assert_incomplete(s, "listonly")
    ds = s.dataset("listonly", "healthy/exports/")
    assert ds["denied"] == ["Get Blob Service Properties: AuthorizationPermissionMismatch",
                            "Get Blob: AuthorizationPermissionMismatch"], ds["denied"]
    assert ds["personal_data"] == []


def test_trickling_endpoint_is_cut_at_the_read_deadline(account, tmp_path):
    conn, as_of = account
    port = int(conn.split("127.0.0.1:", 1)[1].split("/", 1)[0])
    with throttled_proxy(port, 16_000) as slow_port:
        slow = conn.replace(f"127.0.0.1:{port}", f"127.0.0.1:{slow_port}")
        started = time.monotonic()
        s = scan(write_config(tmp_path, [src("slow", slow, "big", object_read_deadline_seconds=1, read_timeout=5),
                                         src("healthy", conn, "healthy")]), as_of)
        took = time.monotonic() - started
    assert_incomplete(s, "slow")
    ds = s.dataset("slow", "big/exports/")
    assert any("object read deadline of 1s passed" in n for n in ds["notes"]), ds["notes"]
    assert ds["denied"] == [] and took < 30, (ds["denied"], took)


def test_nothing_leaked(account, tmp_path):
    conn, as_of = account
    run = scan_process(tmp_path, [src("az", "${AZ_CONN}", "leak")], {"AZ_CONN": conn}, as_of.isoformat(), timeout=180)
    doc = run.report()
    found = {p["type"] for d in doc["datasets"] for p in d["personal_data"]}
    assert {"email", "payment_card", "national_id"} <= found, (found, run.proc.stderr[-2000:])
    texts = run.outputs()
    assert "DEBUG" in texts["stderr"]
    leaks = [(v, n) for n, t in texts.items() for v in (*RAW, KEY, KEY[:20]) if v in t]
    assert leaks == [], leaks
