"""Issue 16 item 1 (SQL): every byte budget holds at the source. Cells of tens of megabytes
are cut on the server (``left()`` / ``LEFT()`` / ``substr()``), so the scan's peak memory does
not grow with the size of a value (main fetched whole values and cut them afterwards: 40 rows
of 30 MB text took 2.4 GB). Each scan runs in a child process under an address-space limit
(RLIMIT_AS 1.5 GiB) and reports its own peak RSS (VmHWM).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.sql.dialects import LONG_CHARS

ROOT = Path(__file__).resolve().parents[2]
LIMIT = int(1.5 * 1024 ** 3)
CHILD = r"""
import json, sys
from datetime import UTC, datetime
from pathlib import Path
from auditor.models import Observation, Vendor
from connectors.base import CollectContext, SourceSpec
from connectors.sql import Connector
url, table = sys.argv[1], sys.argv[2]
spec = SourceSpec(id="db", kind="sql", vendor=Vendor(id="v"),
                  options=Connector.Options(url=url, include=[f"*.{table}"], statement_timeout=60))
out = {}
for item in Connector(spec, CollectContext(as_of=datetime(2026, 11, 28, tzinfo=UTC))).collect():
    if isinstance(item, Observation):
        d = item.dataset
        fields = item.sample.fields if item.sample else {}
        out = {"status": d.status, "error": d.error, "records": d.records, "unsampled": d.facts.get("unsampled", {}),
               "longest": max((len(v) for vs in fields.values() for v in vs), default=0),
               "emails": sum(1 for v in fields.get("email", [])),
               "cut": d.facts.get("sample", {}).get("cut_on_server", {})}
hwm = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:"))
out["peak_rss_mb"] = int(hwm.split()[1]) / 1024
print(json.dumps(out))
"""


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def scan_in_child(url: str, table: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, url, table], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, preexec_fn=_limit)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_postgres_huge_text_cells_are_cut_on_the_server(pg_url):
    eng = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:  # built on the server: 12 rows of 30 MB (main: ~1 GB on the client)
        c.execute(sa.text("CREATE TABLE huge (id int primary key, email text, note text, doc jsonb)"))
        c.execute(sa.text("INSERT INTO huge SELECT g, 'u' || g || '@example.com', repeat('lorem ', 5000000),"
                          " jsonb_build_object('email', 'j' || g || '@example.com', 'blob', repeat('x', 30000000))"
                          " FROM generate_series(1, 12) g"))
        assert c.execute(sa.text("SELECT min(length(note)) FROM huge")).scalar() == 30_000_000
    eng.dispose()
    got = scan_in_child(pg_url, "huge")
    assert got["status"] == "assessed" and got["records"] == 12 and got["emails"] == 12, got
    assert got["longest"] <= LONG_CHARS, got  # values cut on the server, classified as far as read
    assert got["cut"]["note"]["values"] == 12 and got["cut"]["doc"]["values"] == 12, got["cut"]
    assert "12 JSON value(s) longer than" in got["unsampled"]["doc"]  # the rest of each document: named
    assert got["peak_rss_mb"] < 300, got


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_mariadb_huge_text_cells_are_cut_on_the_server(mysql_url):
    eng = sa.create_engine(mysql_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:  # max_allowed_packet (16 MB) bounds a value: 12 rows of 15 MB, built on the server
        c.execute(sa.text("CREATE TABLE huge (id int primary key, email varchar(100), note longtext)"))
        c.execute(sa.text("INSERT INTO huge SELECT seq, concat('u', seq, '@example.com'), repeat('lorem ', 2500000)"
                          " FROM seq_1_to_12"))
        assert c.execute(sa.text("SELECT min(length(note)) FROM huge")).scalar() == 15_000_000
    eng.dispose()
    got = scan_in_child(mysql_url, "huge")
    assert got["status"] == "assessed" and got["records"] == 12 and got["emails"] == 12, got
    assert got["longest"] <= LONG_CHARS and got["cut"]["note"]["values"] == 12, got
    assert got["peak_rss_mb"] < 300, got
