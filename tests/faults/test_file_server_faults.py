"""Faults of SFTP and FTP drop servers, end to end through `auditor scan`: a server that is down
or silent, a refused login, a refused read, a trickling server. Each keeps the healthy source
assessed, makes the run partial (exit 3) and names what was not read; no password is echoed.
Then one real `auditor -vv scan` subprocess over both kinds, seeded with raw personal data:
no raw value in the JSON, HTML, CSV, logs or store, no password anywhere, and the drop is
byte-for-byte and mtime-for-mtime unchanged (read-only)."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fault_helpers import Scan, as_of, free_port, loopback_endpoint, scan, scan_process, write_config

from tests.file_servers import estate, ftp_server, sshd_server, throttled_proxy

OLD = datetime(2019, 3, 14, tzinfo=timezone.utc)
HEALTHY_CSV = b"id,email,city\n" + b"".join(f"{i},user{i}@example.com,Singapore\n".encode() for i in range(1, 40))
BIG_CSV = HEALTHY_CSV * 150  # ~200 kB: slow to trickle
RAW = ["wei.ling.tan.leak@example.com", "+65 9123 4567", "4111111111111111", "5500005555555559", "S1234567D"]
LEAK_CSV = ("email,phone,card,nric\n" + "".join(
    f"{RAW[0] if i == 0 else f'user{i}@example.com'},{RAW[1]},{RAW[2] if i % 2 else RAW[3]},{RAW[4]}\n"
    for i in range(30))).encode()


UNKNOWABLE = {"encryption_at_rest", "has_retention"}  # a file server never says: not-assessed until attested


def assert_incomplete(s: Scan, faulty: str, healthy: str, healthy_dataset: str) -> None:
    """Exit 3, run partial, the healthy drop fully read with its personal data, and its only
    not-assessed findings those no file server can answer (at-rest encryption, retention)."""
    assert s.code == 3, f"exit {s.code}: {s.output}"
    assert s.doc["run"]["status"] == "partial", s.doc["run"]
    assert s.source(healthy)["status"] == "ok", (s.source(healthy)["error"], s.output[-1500:])
    good = s.dataset(healthy, healthy_dataset)
    assert good["status"] == "assessed" and "email" in {p["type"] for p in good["personal_data"]}, good
    unknown = {u for f in s.not_assessed(healthy) for u in f["evidence"].get("unknown", ["?"])}
    assert unknown <= UNKNOWABLE, s.not_assessed(healthy)
    assert s.not_assessed(faulty), f"nothing not-assessed on {faulty}"


@pytest.fixture(scope="module")
def drop():
    with estate({"exports/2019/customers.csv": (HEALTHY_CSV, OLD), "exports/2019/big.csv": (BIG_CSV, OLD),
                 "locked/secret.csv": (HEALTHY_CSV, OLD)}) as root:
        (root / "locked" / "secret.csv").chmod(0)  # root's, mode 000: the sftp user cannot read it
        yield root


@pytest.fixture(scope="module")
def sshd():
    with sshd_server() as server:
        yield server


@pytest.fixture(scope="module")
def healthy(drop):
    with ftp_server(drop) as server:
        yield server


def ftp_src(id_: str, server: dict, **options) -> dict:
    return {"id": id_, "vendor": "v1", "kind": "ftp", "host": server["host"], "port": server["port"],
            "user": server["user"], "password": server["password"], "paths": ["/exports"], "tls": "none", **options}


def sftp_src(id_: str, server: dict, root: Path, **options) -> dict:
    return {"id": id_, "vendor": "v1", "kind": "sftp", "host": server["host"], "port": server["port"],
            "user": server["user"], "password": server["password"], "paths": [f"{root}/exports"], **options}


@pytest.mark.parametrize("kind", ["sftp", "ftp"])
def test_server_down(kind, drop, sshd, healthy, tmp_path):
    dead = {"host": "127.0.0.1", "port": free_port(), "user": "u", "password": "Down-Secret-1"}
    bad = sftp_src("down", dead, drop, connect_timeout=2) if kind == "sftp" else ftp_src("down", dead, connect_timeout=2)
    s = scan(write_config(tmp_path, [bad, ftp_src("healthy", healthy)]))
    assert_incomplete(s, "down", "healthy", "/exports/2019/")
    assert "cannot reach" in s.source("down")["error"] and "Down-Secret-1" not in json.dumps(s.doc)


@pytest.mark.parametrize("kind", ["sftp", "ftp"])
def test_silent_server_is_bounded_by_connect_timeout(kind, drop, healthy, tmp_path):
    with loopback_endpoint() as where:
        port = int(where.rsplit(":", 1)[1])
        silent = {"host": "127.0.0.1", "port": port, "user": "u", "password": "pw"}
        bad = (sftp_src("silent", silent, drop, connect_timeout=1) if kind == "sftp"
               else ftp_src("silent", silent, connect_timeout=1))
        started = time.monotonic()
        s = scan(write_config(tmp_path, [bad, ftp_src("healthy", healthy)]))
        took = time.monotonic() - started
    assert_incomplete(s, "silent", "healthy", "/exports/2019/")
    assert took < 20, took


@pytest.mark.parametrize("kind", ["sftp", "ftp"])
def test_refused_login_names_the_user_never_the_password(kind, drop, sshd, healthy, tmp_path):
    wrong = {**(sshd if kind == "sftp" else healthy), "password": "Wrong-Secret-9"}
    bad = sftp_src("refused", wrong, drop) if kind == "sftp" else ftp_src("refused", wrong)
    s = scan(write_config(tmp_path, [bad, ftp_src("healthy", healthy)]))
    assert_incomplete(s, "refused", "healthy", "/exports/2019/")
    error = s.source("refused")["error"]
    assert "login refused for user" in error and "Wrong-Secret-9" not in s.output + json.dumps(s.doc)


def test_refused_read_sftp_mode_000(drop, sshd, healthy, tmp_path):
    s = scan(write_config(tmp_path, [sftp_src("locked", sshd, drop, paths=[f"{drop}/locked"]),
                                     ftp_src("healthy", healthy)]))
    assert_incomplete(s, "locked", "healthy", "/exports/2019/")
    ds = s.dataset("locked", f"{drop}/locked")
    assert ds["denied"] == ["sftp read: permission denied"] and ds["personal_data"] == []
    assert s.na_on("locked", f"{drop}/locked")


def test_refused_read_ftp_550(drop, healthy, tmp_path):
    with ftp_server(drop, list_only=("locked",)) as server:
        s = scan(write_config(tmp_path, [ftp_src("locked", server, paths=["/locked"]), ftp_src("healthy", healthy)]))
    assert_incomplete(s, "locked", "healthy", "/exports/2019/")
    assert s.dataset("locked", "/locked")["denied"] == ["ftp RETR: FTP 550"]


@pytest.mark.parametrize("kind", ["sftp", "ftp"])
def test_trickling_server_is_cut_at_the_read_deadline(kind, drop, sshd, healthy, tmp_path):
    budget = {"object_read_deadline_seconds": 1, "read_timeout": 5, "include": ["*big.csv"]}
    started = time.monotonic()
    if kind == "sftp":
        with throttled_proxy(sshd["port"], 16_000) as port:
            s = scan(write_config(tmp_path, [sftp_src("slow", {**sshd, "port": port}, drop, **budget),
                                             ftp_src("healthy", healthy)]))
    else:
        with ftp_server(drop, data_bytes_per_second=16_000) as server:
            s = scan(write_config(tmp_path, [ftp_src("slow", server, **budget), ftp_src("healthy", healthy)]))
    took = time.monotonic() - started
    assert_incomplete(s, "slow", "healthy", "/exports/2019/")
    name = f"{drop}/exports/2019/" if kind == "sftp" else "/exports/2019/"
    ds = s.dataset("slow", name)
    assert any("object read deadline of 1s passed" in n for n in ds["notes"]), ds["notes"]
    assert ds["denied"] == [] and ds["classified"] is False  # slow is not refused: nothing to grant
    assert took < 30, took  # 200 kB at 16 kB/s would take 12 s a file


# --------------------------------------------------------------------------- leaks and read-only


def fingerprint(root: Path) -> dict[str, tuple[str, int]]:
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_nothing_leaked_and_the_drop_is_unchanged(sshd, tmp_path):
    files = {"exports/2019/customers.csv": (LEAK_CSV, OLD),
             "exports/2019/profile.json": (json.dumps([{"email": RAW[0], "nric": RAW[4]}] * 5).encode(), OLD)}
    with estate(files) as root, ftp_server(root, tls=True, anonymous=False) as ftpd:
        before = fingerprint(root)
        run = scan_process(tmp_path, [
            {**sftp_src("sftp", sshd, root), "password": "${SFTP_PW}"},
            {**ftp_src("ftp", ftpd), "password": "${FTP_PW}", "tls": "explicit", "ca_file": ftpd["ca_file"]}],
            {"SFTP_PW": sshd["password"], "FTP_PW": ftpd["password"]}, as_of(), timeout=180)
        after = fingerprint(root)
    assert run.proc.returncode == 3, run.proc.stderr[-3000:]  # at-rest encryption and retention: not-assessed
    doc = run.report()
    found = {(d["source"], d["name"]): {p["type"] for p in d["personal_data"]} for d in doc["datasets"]}
    assert {"email", "payment_card", "national_id"} <= found[("sftp", f"{root}/exports/2019/")], found
    assert {"email", "payment_card", "national_id"} <= found[("ftp", "/exports/2019/")], found
    outputs = run.outputs()
    assert "DEBUG" in outputs["stderr"], "-vv must log at debug level"
    leaks = [(v, name) for name, text in outputs.items() for v in RAW if v in text]
    assert leaks == [], leaks
    secrets = [(s[:5], name) for name, text in outputs.items() for s in (sshd["password"], ftpd["password"])
               if s in text]
    assert secrets == [], secrets
    assert after == before  # read-only: same bytes and the same mtimes
