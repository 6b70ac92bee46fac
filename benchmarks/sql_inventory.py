"""Benchmark: inventory of a 1,000-table schema on the local PostgreSQL.

Creates a throw-away database with N tables (ids, names, emails, phones, an
``updated_at`` column, 200 rows each), scans it with the SQL connector, prints wall time
and queries per table (counted with a SQLAlchemy ``before_cursor_execute`` hook), then
drops the database.

Targets: under 60 s for 1,000 tables; at most 3 queries per table plus the sample.

    .venv/bin/python benchmarks/sql_inventory.py            # 1,000 tables
    .venv/bin/python benchmarks/sql_inventory.py --quick    # ~50 tables
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime

import sqlalchemy as sa
from _result import result  # noqa: E402 (run as a script from benchmarks/)

from auditor.models import Observation, Vendor
from connectors.base import CollectContext, SourceSpec
from connectors.sql import Connector

ADMIN_URL = os.environ.get("AUDITOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

SEED = """
DO $$
BEGIN
  FOR i IN 1..{n} LOOP
    EXECUTE format('CREATE TABLE bench.%I (id serial PRIMARY KEY, full_name text, email varchar(200),'
                   ' phone varchar(20), city text, score float, created_at timestamp, updated_at timestamp)',
                   't_' || lpad(i::text, 4, '0'));
    EXECUTE format('INSERT INTO bench.%I (full_name, email, phone, city, score, created_at, updated_at)'
                   ' SELECT ''Name '' || g, ''user'' || g || ''@example.com'', ''+65 9'' || lpad(g::text, 7, ''0''),'
                   ' ''Singapore'', random(), timestamp ''2018-01-01'' + g * interval ''1 hour'','
                   ' timestamp ''2019-03-01'' + g * interval ''1 minute'' FROM generate_series(1, {rows}) g',
                   't_' || lpad(i::text, 4, '0'));
  END LOOP;
END $$;
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 50 tables")
    parser.add_argument("--tables", type=int, default=None)
    parser.add_argument("--rows", type=int, default=200)
    args = parser.parse_args()
    n = args.tables or (50 if args.quick else 1000)

    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    dbname = f"auditor_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as c:
            c.execute(sa.text(f"CREATE DATABASE {dbname}"))
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL not reachable at {sa.engine.make_url(ADMIN_URL).host}: {type(exc.orig).__name__}")
        return 2
    url = sa.engine.make_url(ADMIN_URL).set(database=dbname).render_as_string(hide_password=False)
    seed = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        t0 = time.perf_counter()
        with seed.connect() as c:
            c.execute(sa.text("CREATE SCHEMA bench"))
            c.connection.driver_connection.execute(SEED.format(n=n, rows=args.rows))  # no placeholders
            c.execute(sa.text("ANALYZE"))
        print(f"seeded {n} tables x {args.rows} rows in {time.perf_counter() - t0:.1f} s")

        counts: Counter = Counter()

        def hook(conn, cursor, statement, parameters, context, executemany):
            counts[context.execution_options.get("auditor_phase", "other") if context else "other"] += 1

        sa.event.listen(sa.engine.Engine, "before_cursor_execute", hook)
        spec = SourceSpec(id="bench", kind="sql", vendor=Vendor(id="bench"), options=Connector.Options(url=url))
        t0 = time.perf_counter()
        items = list(Connector(spec, CollectContext(as_of=datetime.now(UTC))).collect())
        wall = time.perf_counter() - t0
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", hook)

        datasets = [o.dataset for o in items if isinstance(o, Observation)]
        assessed = sum(d.status == "assessed" for d in datasets)
        dated = sum(d.last_modified_basis == "max(updated_at)" for d in datasets)
        per_table = (counts["table"] + counts["other"]) / max(1, len(datasets))
        print(f"tables: {len(datasets)} (assessed {assessed}, dated by max(updated_at) {dated})")
        print(f"wall time: {wall:.2f} s ({wall / max(1, len(datasets)) * 1000:.1f} ms per table)")
        print(f"queries: setup {counts['setup']} (once per source), per table {per_table:.2f} "
              f"plus {counts['sample'] / max(1, len(datasets)):.2f} sample, other {counts['other']}")
        ok = wall < 60 * n / 1000 + 5 and per_table <= 3 and assessed == n
        result("SQL inventory", f"wall time, {n:,} tables on PostgreSQL", wall, "s", f"< {60 * n / 1000:g}",
               wall < 60 * n / 1000 + 5)
        result("SQL inventory", "queries per table (plus one sample)", per_table, "", "<= 3", per_table <= 3)
        print("targets (< 60 s per 1,000 tables, <= 3 queries per table plus the sample):", "met" if ok else "MISSED")
        return 0 if ok else 1
    finally:
        seed.dispose()
        with admin.connect() as c:
            c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": dbname})
            c.execute(sa.text(f"DROP DATABASE IF EXISTS {dbname}"))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
