"""`kind: ftp` end to end over a real FTP server (pyftpdlib on loopback): plain FTP, explicit
FTPS (a self-signed certificate trusted through ca_file), an anonymous login, an old server
without MLSD. The drop's files are backdated; as-of is derived from them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from tests.file_servers import collect as _collect
from tests.file_servers import estate, ftp_server, observe
from tests.file_servers import run_scan as _run_scan

OLD = datetime(2019, 3, 14, tzinfo=timezone.utc)
NEW = datetime(2026, 6, 1, tzinfo=timezone.utc)
AS_OF = NEW + timedelta(days=30)
ROW = "user{i}@example.com,+65 9123 45{i:02d},4111111111111111\n"
CSV = ("email,phone,card\n" + "".join(ROW.format(i=i) for i in range(60))).encode()
FILES = {
    "exports/2019/customers.csv": (CSV, OLD),
    "exports/2026/orders.json": (b'[{"order": 1, "email": "wei.lim@gmail.com"}]', NEW),
    "locked/secret.csv": (CSV, OLD),
}


@pytest.fixture(scope="module")
def files():
    with estate(FILES) as root:
        yield root


def run_scan(tmp: Path, source: dict, *extra: str, env: dict | None = None) -> tuple[int, dict, str]:
    return _run_scan(tmp, source, AS_OF, *extra, env=env)


def options(server: dict, **extra) -> dict:
    return {"host": server["host"], "port": server["port"], "user": server["user"], "password": server["password"],
            "paths": ["/"], "tls": "explicit" if server["ca_file"] else "none",
            **({"ca_file": server["ca_file"]} if server["ca_file"] else {}), **extra}


def test_plain_ftp_is_insecure_transport_and_anonymous_is_public(files, tmp_path):
    with ftp_server(files, anonymous=True, list_only=("locked",)) as server:
        src = {"kind": "ftp", **options(server), "password": "${DROP_PW}"}
        code, doc, output = run_scan(tmp_path, src, env={"DROP_PW": server["password"]})
    assert code == 3, output  # the locked file was not read: incomplete, never a silent pass
    ds = {d["name"]: d for d in doc["datasets"]}
    assert set(ds) == {"/", "/exports/", "/exports/2019/", "/exports/2026/", "/locked/"}
    old = ds["/exports/2019/"]
    assert old["last_modified"].startswith("2019-03-14") and old["last_modified_basis"] == "newest file mtime"
    assert {"email", "payment_card"} <= {p["type"] for p in old["personal_data"]}
    assert old["encryption_in_transit"] == "optional" and old["public"] is True
    assert old["public_reasons"] == ["anonymous FTP login lists /"]
    assert ds["/locked/"]["denied"] == ["ftp RETR: FTP 550"]
    # records are rows (estimated from the files read), objects are files
    assert (old["records"], old["records_basis"], old["objects"]) == (60, "counted", 1)
    assert ds["/locked/"]["records"] is None and ds["/locked/"]["objects"] == 1  # not read: rows unknown
    assert ds["/"]["records"] == 61 and ds["/"]["records_basis"].startswith("at least"), ds["/"]
    found = {(f["rule"], f["dataset"]) for f in doc["findings"]}
    assert ("stale-personal-data", "/exports/2019/") in found, sorted(found)
    for rule in ("insecure-transport", "public-exposure"):  # store-wide: one finding on the root folder
        assert (rule, "/") in found, (rule, sorted(found))
    assert ("stale-personal-data", "/exports/2026/") not in found
    # not-assessed is grouped per source and cause: the unread file is one finding naming /locked/
    unread = [f for f in doc["findings"] if f["rule"] == "not-assessed" and "personal_data" in f["evidence"]["unknown"]]
    assert len(unread) == 1 and "/locked/" in unread[0]["evidence"]["datasets"], unread
    assert unread[0]["evidence"]["denied"] == ["ftp RETR: FTP 550"]
    # a 550 on RETR is a refusal: the way out is read permission on the folder, not a byte limit
    assert unread[0]["evidence"]["way_out"] == "permission", unread[0]["evidence"]
    assert "read permission on /locked/" in unread[0]["remediation"] and "local_umask" in unread[0]["remediation"]


def test_a_folder_the_server_will_not_list_is_read_permission_on_that_folder(tmp_path):
    drop = {"notes.txt": (b"weekly drop, nothing personal here\n", NEW), "locked/secret.csv": (CSV, OLD)}
    with estate(drop) as root, ftp_server(root, unlisted=("locked",)) as server:
        code, doc, output = run_scan(tmp_path, {"kind": "ftp", **options(server)})
    assert code == 3, output
    ds = {d["name"]: d for d in doc["datasets"]}
    assert "/locked/" not in ds and ds["/"]["denied"] == ["ftp list /locked/: FTP 550"], ds["/"]
    [na] = [f for f in doc["findings"] if f["rule"] == "not-assessed" and "personal_data" in f["evidence"]["unknown"]]
    assert na["evidence"]["way_out"] == "permission" and na["evidence"]["datasets"] == ["/"], na["evidence"]
    assert "read permission on /locked/" in na["remediation"] and "max_object_bytes" not in na["remediation"]


def test_explicit_ftps_is_enforced_and_reads_are_ranged(files):
    with ftp_server(files, tls=True) as server:
        # 300 bytes of a 2.5 kB file: REST/RETR aborted at the budget, the complete rows still classified
        seen = observe("ftp", options(server, max_object_bytes=300), AS_OF)
    old = seen["/exports/2019/"].dataset
    assert old.encryption_in_transit == "enforced" and old.public is False
    assert old.facts["plain_login_accepted"] is False and old.facts["clear_data_channel_accepted"] is False
    assert old.facts["anonymous_login"] == "refused" and old.facts["transport"] == "FTPS (explicit TLS)"
    assert old.objects == 1 and old.bytes == len(CSV)
    rows = seen["/exports/2019/"].sample.rows  # 60 rows, estimated from the share of the file read
    assert rows.objects == 1 and not rows.exact and 40 <= rows.rows <= 80, rows


def test_ftps_that_also_takes_plain_logins_is_optional(files):
    with ftp_server(files, tls=True, tls_required=False) as server:
        ds = _collect("ftp", options(server), AS_OF)
    assert ds["/"].encryption_in_transit == "optional"
    assert ds["/"].facts["plain_login_accepted"] is True


def test_server_without_mlsd_is_listed_with_nlst_size_mdtm(files):
    from pyftpdlib.handlers import FTPHandler

    with ftp_server(files) as server:
        handler = server["server"].handler
        handler.proto_cmds = {k: v for k, v in FTPHandler.proto_cmds.items() if k not in ("MLSD", "MLST")}
        ds = _collect("ftp", options(server), AS_OF)
    assert set(ds) == {"/", "/exports/", "/exports/2019/", "/exports/2026/", "/locked/"}
    assert ds["/exports/2019/"].last_modified == OLD and ds["/exports/2026/"].last_modified == NEW
    assert ds["/exports/2019/"].bytes == len(CSV)


def test_tls_explicit_against_a_plain_only_server_says_so(files, tmp_path):
    with ftp_server(files) as server:
        code, doc, output = run_scan(tmp_path, {"kind": "ftp", **options(server), "tls": "explicit"})
    assert code == 3 and doc["sources"][0]["status"] == "error", output
    assert "refused AUTH TLS" in doc["sources"][0]["error"] and "tls: none" in doc["sources"][0]["error"]


def test_permissions_kind_ftp():
    result = CliRunner().invoke(cli, ["permissions", "--kind", "ftp"])
    assert result.exit_code == 0 and "never STOR" in result.output


def test_an_include_glob_that_selects_no_file_is_an_error_not_a_pass(files):
    from auditor import registry
    from auditor.models import CollectionError, Vendor
    from connectors import load_builtin
    from connectors.base import CollectContext, SourceSpec

    load_builtin()
    cls = registry.connectors.get("ftp")
    with ftp_server(files) as server:
        opts = cls.Options(**options(server, include=["*.parquet", "exports/*"]))
        items = list(cls(SourceSpec("drop", "ftp", Vendor(id="v"), opts), CollectContext(as_of=AS_OF)).collect())
    errors = [i for i in items if isinstance(i, CollectionError)]
    assert [e.reason for e in errors] == ["empty selection: file pattern '*.parquet' matched nothing "
                                          "(the source holds 3 files)"]


def test_config_mistakes_name_file_line_and_key(tmp_path):
    config = tmp_path / "auditor.yaml"
    config.write_text("state: sqlite:///state.db\nvendors: [{id: v}]\nsources:\n"
                      "  - {id: s, vendor: v, kind: sftp, host: h, user: u, paths: [/drop]}\n"
                      "  - {id: f, vendor: v, kind: ftp, host: h, user: u, password: p, tls: implicit}\n"
                      "  - {id: r, vendor: v, kind: ftp, host: h, user: u, password: p, paths: [drop]}\n")
    result = CliRunner().invoke(cli, ["scan", "-c", str(config)])
    assert result.exit_code == 2
    assert "auditor.yaml:4: sources[0]: Value error, an sftp source needs password (${VAR}) or key_file" in result.output
    assert "auditor.yaml:5: sources[1].tls: Input should be 'explicit' or 'none'" in result.output
    assert "auditor.yaml:6: sources[2]: Value error, paths: 'drop' is not an absolute folder" in result.output
