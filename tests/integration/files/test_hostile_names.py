"""File names a vendor's uploads really have: not UTF-8 (a cp1252 'März' from Windows), a line
break. SFTP lists and reads them (names shown with backslash escapes); FTP, whose servers map
names themselves, names each one it could not stat in facts.unsampled. Neither fails the source."""

from __future__ import annotations

import os
from datetime import datetime, timezone

from auditor import registry
from auditor.models import Observation, RowsSampled, Vendor
from connectors import load_builtin
from connectors.base import CollectContext, SourceSpec
from tests.file_servers import estate, ftp_server, sshd_server

OLD = datetime(2019, 3, 14, tzinfo=timezone.utc)


def observations(kind: str, options: dict) -> dict[str, Observation]:
    load_builtin()
    cls = registry.connectors.get(kind)
    spec = SourceSpec(id="drop", kind=kind, vendor=Vendor(id="v"), options=cls.Options(**options))
    return {o.dataset.name: o for o in cls(spec, CollectContext(as_of=OLD)).collect() if isinstance(o, Observation)}


def test_non_utf8_and_line_break_names():
    with estate({"ok/a.csv": (b"email\nplain.name@example.com\n", OLD)}) as root, sshd_server() as s, \
            ftp_server(root) as f:
        base = os.fsencode(str(root))
        for raw, email in ((b"/ok/Kunden_M\xe4rz.csv", b"latin1.name@example.com"),
                           (b"/ok/line\nbreak.csv", b"line.break@example.com")):
            with open(base + raw, "wb") as fh:
                fh.write(b"email\n" + email + b"\n")
            os.chmod(base + raw, 0o644)
            os.utime(base + raw, (OLD.timestamp(), OLD.timestamp()))
        sftp = observations("sftp", {"host": s["host"], "port": s["port"], "user": s["user"],
                                     "password": s["password"], "paths": [str(root)]})
        ftp = observations("ftp", {"host": f["host"], "port": f["port"], "user": f["user"],
                                   "password": f["password"], "paths": ["/"], "tls": "none"})
    ok = sftp[f"{root}/ok/"]
    assert ok.dataset.objects == 3 and not ok.dataset.facts.get("unsampled"), ok.dataset.facts
    assert ok.sample.rows == RowsSampled(objects=3, rows=3, exact=True)  # one row in each file, all read
    values = {v for vs in ok.sample.fields.values() for v in vs}
    assert {"plain.name@example.com", "latin1.name@example.com", "line.break@example.com"} <= values
    ftp_ok = ftp["/ok/"].dataset
    assert ftp_ok.objects >= 1 and ftp_ok.facts["unsampled"], ftp_ok.facts  # named, never silently dropped
    assert all("FTP 550" in why for why in ftp_ok.facts["unsampled"].values()), ftp_ok.facts["unsampled"]
