"""Peak memory of a SQL scan of hostile cells next to a normal table (issue 16, SQL cases).

    python benchmarks/hostile_memory_sql.py            # 40 rows of 30 MB (PostgreSQL), 40 of 15 MB (MariaDB)
    python benchmarks/hostile_memory_sql.py --quick    # 4 rows each

The SQL rows of the hostile-input table (``benchmarks/hostile_memory.py`` holds the object
readers' rows; fold these cases into it when both are on main). Each case is a table built on
the server (``repeat()``: nothing big crosses the wire while seeding), scanned by the SQL
connector in a fresh child process under an address-space limit (RLIMIT_AS, 2 GiB), which
reports its own peak RSS (``VmHWM``). Values are cut on the server, so the hostile table costs
what the normal one costs. A server that is not listening is reported and skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import sqlalchemy as sa  # noqa: E402
from _result import result  # noqa: E402

LIMIT_BYTES = 2 * 1024 ** 3
PG_ADMIN = os.environ.get("AUDITOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MY_ADMIN = os.environ.get("AUDITOR_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/test")
ROWS = 40  # 4 under --quick


def _pg_normal(c: sa.Connection) -> None:
    c.execute(sa.text("CREATE TABLE t (id int primary key, email text, note text)"))
    c.execute(sa.text(f"INSERT INTO t SELECT g, 'u' || g || '@example.com', repeat('lorem ', 20)"
                      f" FROM generate_series(1, {ROWS}) g"))


def _pg_huge(c: sa.Connection) -> None:
    c.execute(sa.text("CREATE TABLE t (id int primary key, email text, note text)"))
    c.execute(sa.text(f"INSERT INTO t SELECT g, 'u' || g || '@example.com', repeat('lorem ', 5000000)"
                      f" FROM generate_series(1, {ROWS}) g"))  # 30 MB a cell


def _pg_json(c: sa.Connection) -> None:
    c.execute(sa.text("CREATE TABLE t (id int primary key, doc jsonb)"))
    c.execute(sa.text(f"INSERT INTO t SELECT g, jsonb_build_object('email', 'u' || g || '@example.com',"
                      f" 'blob', repeat('x', 30000000)) FROM generate_series(1, {ROWS}) g"))


def _my_normal(c: sa.Connection) -> None:
    c.execute(sa.text("CREATE TABLE t (id int primary key, email varchar(100), note longtext)"))
    c.execute(sa.text(f"INSERT INTO t SELECT seq, concat('u', seq, '@example.com'), repeat('lorem ', 20)"
                      f" FROM seq_1_to_{ROWS}"))


def _my_huge(c: sa.Connection) -> None:  # max_allowed_packet (16 MB by default) bounds one value
    c.execute(sa.text("CREATE TABLE t (id int primary key, email varchar(100), note longtext)"))
    c.execute(sa.text(f"INSERT INTO t SELECT seq, concat('u', seq, '@example.com'), repeat('lorem ', 2500000)"
                      f" FROM seq_1_to_{ROWS}"))


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    admin: str
    port: int
    seed: Callable[[sa.Connection], None]
    baseline: str | None


CASES = [
    Case("sql-normal-pg", "PostgreSQL: rows of short text", PG_ADMIN, 5432, _pg_normal, None),
    Case("sql-huge-text-pg", "PostgreSQL: 30 MB text cells", PG_ADMIN, 5432, _pg_huge, "sql-normal-pg"),
    Case("sql-huge-json-pg", "PostgreSQL: 30 MB jsonb cells", PG_ADMIN, 5432, _pg_json, "sql-normal-pg"),
    Case("sql-normal-mariadb", "MariaDB: rows of short text", MY_ADMIN, 3306, _my_normal, None),
    Case("sql-huge-text-mariadb", "MariaDB: 15 MB longtext cells", MY_ADMIN, 3306, _my_huge, "sql-normal-mariadb"),
]


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(url: str) -> None:
    """Scan the one table of ``url`` with the SQL connector; print what it read and the peak RSS."""
    from datetime import UTC, datetime

    from auditor.models import Observation, Vendor
    from connectors.base import CollectContext, SourceSpec
    from connectors.sql import Connector

    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))
    spec = SourceSpec(id="db", kind="sql", vendor=Vendor(id="v"),
                      options=Connector.Options(url=url, statement_timeout=120))
    out: dict = {"status": None}
    for item in Connector(spec, CollectContext(as_of=datetime(2026, 11, 28, tzinfo=UTC))).collect():
        if isinstance(item, Observation):
            fields = item.sample.fields if item.sample else {}
            out = {"status": item.dataset.status, "rows": item.dataset.records,
                   "longest": max((len(v) for vs in fields.values() for v in vs), default=0),
                   "cut": sum(v["values"] for v in item.dataset.facts.get("sample", {}).get("cut_on_server", {}).values())}
    out["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(out))


def run_case(case: Case) -> dict | None:
    admin = sa.create_engine(case.admin, isolation_level="AUTOCOMMIT")
    db = f"auditor_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {db}"))
    url = sa.engine.make_url(case.admin).set(database=db)
    try:
        eng = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            case.seed(c)
        eng.dispose()
        proc = subprocess.run([sys.executable, __file__, "--child", url.render_as_string(hide_password=False)],
                              capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            print(f"{case.name:<22} died: {proc.stderr.strip().splitlines()[-1:]}")
            return None
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        with admin.connect() as c:
            if admin.dialect.name == "postgresql":
                c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": db})
            c.execute(sa.text(f"DROP DATABASE IF EXISTS {db}"))
        admin.dispose()


def main() -> None:
    global ROWS
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="4 rows a table instead of 40")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    if args.quick:
        ROWS = 4
    peaks: dict[str, float] = {}
    print(f"{'case':<22} {'rows':>5} {'cut':>5} {'longest':>8} {'peak RSS':>10}  what")
    for case in CASES:
        if not _listening(case.port):
            print(f"{case.name:<22} skipped: nothing listening on 127.0.0.1:{case.port}")
            continue
        out = run_case(case)
        if out is None:
            result("hostile memory (SQL)", f"{case.name} peak RSS", -1, "MB", "finishes under 2 GiB", False)
            continue
        peaks[case.name] = out["peak_rss_mb"]
        print(f"{case.name:<22} {out['rows']!s:>5} {out['cut']:>5} {out['longest']:>8} {out['peak_rss_mb']:>8.0f}MB"
              f"  {case.what}")
        base = peaks.get(case.baseline or "")
        if base:
            ratio = out["peak_rss_mb"] / base
            result("hostile memory (SQL)", f"{case.name} peak RSS vs {case.baseline}", ratio, "x",
                   "<= 2x the normal input", ratio <= 2)
        else:
            result("hostile memory (SQL)", f"{case.name} peak RSS", out["peak_rss_mb"], "MB", "baseline", None)


if __name__ == "__main__":
    main()
