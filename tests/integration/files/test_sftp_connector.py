"""`kind: sftp` end to end over a real OpenSSH sshd (read-only internal-sftp) on loopback.

The drop's files are backdated (a 2019 export, a 2026 one); as-of is derived from them, so
nothing here depends on today's date.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from tests.file_servers import estate, sshd_server
from tests.file_servers import run_scan as _run_scan
from tests.file_servers import collect as _collect

OLD = datetime(2019, 3, 14, tzinfo=timezone.utc)
NEW = datetime(2026, 6, 1, tzinfo=timezone.utc)
AS_OF = NEW + timedelta(days=30)
CSV = b"email,phone\n" + b"".join(f"user{i}@example.com,+65 9123 45{i:02d}\n".encode() for i in range(30))
FILES = {
    "exports/2019/customers.csv": (CSV, OLD),
    "exports/2026/orders.jsonl": (b'{"order": 1, "email": "wei.lim@gmail.com"}\n', NEW),
    "notes.txt": (b"weekly drop, nothing personal here\n", NEW),
    "locked/secret.csv": (CSV, OLD),
    "unlisted/inside.csv": (CSV, OLD),
}


@pytest.fixture(scope="module")
def drop():
    with estate(FILES) as root, sshd_server() as server:
        (root / "locked" / "secret.csv").chmod(0)  # owned by root: the sftp user cannot read it
        (root / "unlisted").chmod(0o700)  # nor list this folder
        os.symlink("/etc", root / "etc-link")  # never followed
        yield root, server


def run_scan(tmp: Path, source: dict, *extra: str, env: dict | None = None,
             attestations: list[dict] | None = None) -> tuple[int, dict, str]:
    return _run_scan(tmp, source, AS_OF, *extra, env=env, attestations=attestations)


def collect(kind: str, options: dict) -> dict:
    return _collect(kind, options, AS_OF)


def source(root: Path, server: dict, **options) -> dict:
    return {"kind": "sftp", "host": server["host"], "port": server["port"], "user": server["user"],
            "password": "${DROP_PW}", "paths": [str(root)], **options}


def test_scan_finds_the_stale_export_and_names_what_it_could_not_read(drop, tmp_path):
    root, server = drop
    code, doc, output = run_scan(tmp_path, source(root, server), env={"DROP_PW": server["password"]})
    assert code == 3, output  # parts not read: the run is incomplete, never a silent pass
    ds = {d["name"]: d for d in doc["datasets"]}
    base = str(root)
    assert set(ds) == {base, f"{base}/exports/", f"{base}/exports/2019/", f"{base}/exports/2026/", f"{base}/locked/"}
    old = ds[f"{base}/exports/2019/"]
    assert old["last_modified"].startswith("2019-03-14") and old["last_modified_basis"] == "newest file mtime"
    assert {p["type"] for p in old["personal_data"]} >= {"email", "phone"}
    assert old["encryption_in_transit"] == "enforced" and old["public"] is False
    assert old["uri"] == f"sftp://127.0.0.1:{server['port']}{base}/exports/2019/"
    assert ds[base]["objects"] == 4  # files; the unlisted folder's file unseen
    # records are rows estimated from the files read: 30 CSV rows + 1 JSONL row (notes.txt: 0); the
    # locked file was not read, so the root's rows are a lower bound and /locked/'s are unknown
    assert ds[base]["records"] == 31 and ds[base]["records_basis"].startswith("at least"), ds[base]
    assert (old["records"], old["records_basis"]) == (30, "counted")
    assert ds[f"{base}/locked/"]["records"] is None
    assert ds[f"{base}/locked/"]["denied"] == ["sftp read: permission denied"]
    rules = {(f["rule"], f["dataset"]) for f in doc["findings"]}
    assert ("stale-personal-data", f"{base}/exports/2019/") in rules
    assert ("stale-personal-data", f"{base}/exports/2026/") not in rules
    assert not any(r == "insecure-transport" for r, _ in rules)
    na = [f for f in doc["findings"] if f["rule"] == "not-assessed"]
    # grouped per source and cause: the refused read and the folder it could not list are each a
    # read permission to give on the folder named (never "raise max_object_bytes")
    unread = {tuple(f["evidence"]["datasets"]): f["evidence"] for f in na if "personal_data" in f["evidence"]["unknown"]}
    assert set(unread) == {(f"{base}/locked/",), (base,)}, na
    locked, listing = unread[(f"{base}/locked/",)], unread[(base,)]
    assert locked["way_out"] == listing["way_out"] == "permission", na
    assert locked["denied"] == ["sftp read: permission denied"]
    assert f"read permission on {base}/locked/" in locked["fix"] and "chmod" in locked["fix"], locked["fix"]
    assert listing["denied"] == [f"sftp list {base}/unlisted/: permission denied"]
    assert f"read permission on {base}/unlisted/" in listing["fix"] and "ACL" in listing["fix"], listing["fix"]
    assert not any("max_object_bytes" in e["fix"] for e in unread.values())


def test_what_was_not_read_is_named(drop):
    root, server = drop
    base = str(root)
    ds = collect("sftp", {**source(root, server), "password": server["password"]})
    assert ds[base].facts["unsampled"] == {"unlisted/*": "folder not listed (permission denied)",
                                           "etc-link": "symbolic link to the folder /etc, outside the configured "
                                                       "paths: not followed (add /etc to the source's paths to audit "
                                                       "it there)"}
    assert ds[f"{base}/locked/"].facts["unsampled"] == {"locked/secret.csv": "object not read (permission denied)"}
    assert ds[base].facts["anonymous_login"].startswith("refused")
    assert ds[base].encryption_at_rest == "unknown" and ds[base].has_retention is None


def test_key_login_and_include_globs(drop, tmp_path):
    root, server = drop
    src = {**source(root, server, include=["exports/*"], exclude=["*.jsonl"]), "key_file": server["key_file"]}
    del src["password"]
    code, doc, output = run_scan(tmp_path, src)
    ds = {d["name"]: d for d in doc["datasets"]}
    assert ds[str(root)]["objects"] == 1, output  # exports/2019/customers.csv only
    assert (ds[str(root)]["records"], ds[str(root)]["records_basis"]) == (30, "counted")  # its 30 rows
    assert collect("sftp", src)[str(root)].facts["host_key"].startswith("ssh-ed25519 SHA256:")
    # everything selected was read, but an SFTP server cannot say how its disks are encrypted or how
    # long files are kept: unknown until attested, so the run is honestly incomplete (exit 3)
    na = [f for f in doc["findings"] if f["rule"] == "not-assessed"]
    assert code == 3 and sorted(f["evidence"]["unknown"][0] for f in na) == ["encryption_at_rest", "has_retention"], output
    assert all(f["evidence"]["way_out"] == "attestation" for f in na)
    stale = [f for f in doc["findings"] if f["rule"] == "stale-personal-data"]
    assert [f["dataset"] for f in stale] == [str(root)], output  # one finding, on the top-most stale folder


def test_attested_facts_complete_the_sftp_verdict(drop, tmp_path):
    root, server = drop
    src = {**source(root, server, include=["exports/*"], exclude=["*.jsonl"]), "key_file": server["key_file"]}
    del src["password"]
    vouched = {"match": {"source": "drop"}, "evidence": "hosting contract, clause 7", "by": "risk@example.com",
               "until": "2099-12-31"}
    code, doc, output = run_scan(tmp_path, src, attestations=[
        {**vouched, "fact": "encryption_at_rest", "value": "provider"}, {**vouched, "fact": "has_retention", "value": True}])
    assert not [f for f in doc["findings"] if f["rule"] == "not-assessed"], output
    assert code == 1, output  # complete: the stale 2019 export is the finding
    top = {d["name"]: d for d in doc["datasets"]}[str(root)]
    assert (top["encryption_at_rest"], top["encryption_at_rest_basis"]) == ("provider", "attested"), top
    assert (top["has_retention"], top["has_retention_basis"]) == (True, "attested"), top
    assert [f["rule"] for f in doc["findings"]] == ["stale-personal-data"], output


def test_wrong_host_key_is_refused(drop, tmp_path):
    root, server = drop
    code, doc, output = run_scan(tmp_path, source(root, server, host_key_sha256="SHA256:not-this-one"),
                                 env={"DROP_PW": server["password"]})
    assert code == 3 and doc["sources"][0]["status"] == "error", output
    assert "host key" in doc["sources"][0]["error"]


def test_anonymous_none_login_makes_the_drop_public(tmp_path):
    with estate(FILES) as root, sshd_server(empty_password_user=True) as server:
        src = {"kind": "sftp", "host": server["host"], "port": server["port"], "user": server["anon_user"],
               "key_file": server["key_file"], "paths": [f"{root}/exports"]}
        code, doc, output = run_scan(tmp_path, src)
    ds = {d["name"]: d for d in doc["datasets"]}
    top = ds[f"{root}/exports"]
    assert top["public"] is True and top["public_reasons"] == [f"anonymous SFTP login lists {root}/exports"], output
    assert any(f["rule"] == "public-exposure" for f in doc["findings"])


def test_permissions_kind_sftp():
    result = CliRunner().invoke(cli, ["permissions", "--kind", "sftp"])
    assert result.exit_code == 0 and "ForceCommand internal-sftp -R" in result.output


def test_a_root_that_cannot_be_listed_is_an_error_dataset_not_a_pass(drop, tmp_path):
    root, server = drop
    code, doc, output = run_scan(tmp_path, source(root, server, paths=[f"{root}/unlisted", f"{root}/exports"]),
                                 env={"DROP_PW": server["password"]})
    assert code == 3, output
    ds = {d["name"]: d for d in doc["datasets"]}
    assert f"{root}/unlisted" in ds, (sorted(ds), doc["errors"], doc["sources"])
    bad = ds[f"{root}/unlisted"]
    assert bad["status"] == "error" and bad["error"] == f"sftp list {root}/unlisted: permission denied"
    assert ds[f"{root}/exports"]["status"] == "assessed"  # the other root is still read
    assert any(f["rule"] == "not-assessed" and f["dataset"] == f"{root}/unlisted" for f in doc["findings"])
