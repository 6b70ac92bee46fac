"""A folder a file server will not list or read, named by a person's address or phone
(``/customers/jane.doe@example.com/``): its name is masked in the dataset's denied calls and in the
not-assessed finding's fix, as in every other name the run keeps. Real pyftpdlib, through the CLI."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from tests.file_servers import estate, ftp_server
from tests.file_servers import run_scan as _run_scan

NEW = datetime(2026, 6, 1, tzinfo=timezone.utc)
CSV = b"email\nana.tan@example.com\n"


def test_an_unlisted_or_unread_folder_named_by_a_person_is_masked(tmp_path):
    drop = {"notes.txt": (b"weekly drop\n", NEW), "customers/jane.doe@example.com/a.csv": (CSV, NEW),
            "by-phone/+6591234567/b.csv": (CSV, NEW)}
    with estate(drop) as root, ftp_server(root, unlisted=("customers/jane.doe@example.com",),
                                          list_only=("by-phone/+6591234567",)) as server:
        source = {"kind": "ftp", "host": server["host"], "port": server["port"], "user": server["user"],
                  "password": server["password"], "paths": ["/"], "tls": "none"}
        code, doc, output = _run_scan(tmp_path, source, NEW)
    assert code == 3, output
    text = json.dumps(doc) + output + (tmp_path / "state.db").read_bytes().decode("latin-1")
    assert doc["findings"] and any(d["denied"] for d in doc["datasets"]), doc["datasets"]
    for raw in ("jane.doe", "6591234567"):
        assert raw not in text, (raw, [(d["name"], d["denied"]) for d in doc["datasets"]],
                                 [f["remediation"] for f in doc["findings"] if f["rule"] == "not-assessed"])
