"""Symbolic links on an SFTP drop: a link to a file is read (a link cannot loop through a file);
a link to a folder inside the configured paths is audited there; a link to a folder outside
them, a loop or a dangling link is named with what to do, never 'raise max_object_bytes'."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

from tests.file_servers import estate, run_scan, sshd_server

OLD = datetime(2019, 3, 14, tzinfo=timezone.utc)
CSV = b"email,phone\n" + b"".join(f"user{i}@example.com,+65 9123 45{i:02d}\n".encode() for i in range(30))
AWAY = b"email\n" + b"".join(f"away{i}@example.com\n".encode() for i in range(10))


@pytest.fixture(scope="module")
def drop():
    with estate({"drop/exports/customers.csv": (CSV, OLD), "outside/away.csv": (AWAY, OLD),
                 "elsewhere/more.csv": (AWAY, OLD)}) as top, sshd_server() as server:
        root = top / "drop"
        os.symlink(top / "outside" / "away.csv", root / "linked.csv")  # a file outside: read through the link
        os.symlink(root / "exports", root / "mirror")  # a folder inside the path: audited there
        os.symlink(root / "exports" / "customers.csv", root / "latest.csv")  # a file inside: read there, once
        os.symlink(root / "loop", root / "loop")  # a loop
        os.symlink(top / "elsewhere", root / "away")  # a folder outside the path: named, with the path to add
        yield top, root, server


def test_links_are_read_covered_or_named_with_a_way_out(drop, tmp_path):
    top, root, server = drop
    src = {"kind": "sftp", "host": server["host"], "port": server["port"], "user": server["user"],
           "password": "${PW}", "paths": [str(root)]}
    code, doc, output = run_scan(tmp_path, src, OLD + timedelta(days=30), env={"PW": server["password"]})
    ds = {d["name"]: d for d in doc["datasets"]}
    base = ds[str(root)]
    unsampled = base["unsampled"] or {}
    assert set(unsampled) == {"loop", "away"}, unsampled  # linked.csv read, mirror audited as exports/
    assert f"add {top / 'elsewhere'} to the source's paths" in unsampled["away"], unsampled
    assert base["objects"] == 2, base["objects"]  # exports/customers.csv and linked.csv; latest.csv is customers.csv
    assert "away" in str(base["personal_data"]) or base["personal_data"], base  # the linked file was read
    na = [f for f in doc["findings"] if f["rule"] == "not-assessed" and "personal_data" in f["evidence"]["unknown"]]
    assert na and all("max_object_bytes" not in f["remediation"] for f in na), na
    assert any("link" in f["remediation"] for f in na), na


def test_adding_the_folder_a_link_leads_to_covers_it(drop, tmp_path):
    top, root, server = drop
    src = {"kind": "sftp", "host": server["host"], "port": server["port"], "user": server["user"],
           "password": "${PW}", "paths": [str(root), str(top / "elsewhere")]}
    code, doc, output = run_scan(tmp_path, src, OLD + timedelta(days=30), env={"PW": server["password"]})
    ds = {d["name"]: d for d in doc["datasets"]}
    assert set(ds[str(root)]["unsampled"] or {}) == {"loop"}, ds[str(root)]["unsampled"]
    assert ds[str(top / "elsewhere")]["personal_data"], ds[str(top / "elsewhere")]


def test_an_unpinned_host_key_is_said_with_the_value_to_pin(drop):
    """Without host_key_sha256 any server answering at the address gets the password: the facts say
    the key was not checked and give the line to pin it (a changed key is then refused)."""
    from tests.file_servers import collect

    top, root, server = drop
    opts = {"host": server["host"], "port": server["port"], "user": server["user"], "password": server["password"],
            "paths": [str(root)]}
    facts = collect("sftp", opts, OLD)[str(root)].facts
    assert facts["host_key_checked"].startswith("no: set host_key_sha256: SHA256:"), facts
    fingerprint = facts["host_key_checked"].split("host_key_sha256: ")[1].split()[0]
    pinned = collect("sftp", {**opts, "host_key_sha256": fingerprint}, OLD)[str(root)].facts
    assert pinned["host_key_checked"] == "yes (host_key_sha256)", pinned
