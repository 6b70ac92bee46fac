"""Benchmark: SQL inventory of a many-table PostgreSQL schema against floors measured in the same run.

Creates a throw-away database with N tables (ids, names, emails, phones, an ``updated_at``
column, ``--rows`` rows each), then times, in interleaved repetitions (min / median / max):

- **equal-work floor**: over the same driver (psycopg, one connection), one catalogue query
  for every table's columns, then per table ``count(*), max(updated_at)`` and a 1,000-row
  ``LIMIT`` sample, fetched;
- **minimal floor**: one catalogue query, then per table the 1,000-row ``LIMIT`` sample alone;
- **equal-work floor over 2 connections** (a reference): the same work, the tables above 200,000
  rows (the connector's estimate path) on a second connection in a thread, as the connector reads
  them (``max_connections`` 2); the one-connection floor stays the target's;
- **equal-work floor with the connector's random sample** (a reference): the same, but a table the
  catalogue estimates above 1,000 rows is sampled as the connector samples it (``TABLESAMPLE``,
  ``REPEATABLE``, ``LIMIT``), not by its first rows;
- **connector**: the SQL connector's ``collect()`` alone;
- **end to end**: ``run_audit`` (connector, classifier, policies, state) and the JSON, HTML
  and CSV reports, as ``auditor scan --json --html --csv`` runs them (the HTML rendered in a child
  process while the run is stored: ``auditor.publish.Prerender``), in this process after a warm-up (imports are not in the figure), on one
  state store kept from run to run as a nightly audit's is (created and migrated by the
  warm-up; each run then reads the history of the runs before it and adds its own). A sample
  read again unchanged is not classified again (the classification the run before kept under
  its digest is used: ``auditor.classify.memo``), as in a nightly audit of tables not written
  since; a reference line, **every sample classified**, deletes the kept classifications
  before each run (a first run, or every table changed).

The estate is ``--tables`` tables of ``--rows`` rows (default 200 x 200: a shared machine), or
with ``--estate issue`` the estate of issue 24: 1,001 tables, 1,000 of ``--rows`` rows and one
of 5,000,000 rows. The first line printed names the estate measured.

Statements are counted from the server's side: a separate, untimed pass per variant with
``log_statement = 'all'`` set on the throw-away database (``ALTER DATABASE``: the server logs
every statement of every new session on it), counting that database's ``statement:`` /
``execute`` entries in the server log (statements inside a multi-statement query counted one by
one; queries, i.e. round trips, apart), read with ``pg_read_file`` (superuser; the log file is
``pg_current_logfile()`` or ``$AUDITOR_PG_LOG``, default the Debian cluster's). Where the log
cannot be read, transactions (``xact_commit + xact_rollback`` of ``pg_stat_database``) are the
server-side count. ``--profile`` adds a cProfile summary of one end-to-end run.

CPU is counted on both sides too, per run: this process's (with its children's: the HTML report
renders in one while the run is stored), and the PostgreSQL server's (its
processes' user + system time from ``/proc``, backends that ended with their connection included
through the postmaster's reaped children; the machine's busy core-seconds beside it as a check).
Their sum over the cores is the least wall any scheduling of the same work could reach on this
machine, and this process's CPU alone the least one interpreter could: both are printed as
ratios to the equal-work floor's wall, the bounds the end-to-end target is measured against.

    .venv/bin/python benchmarks/sql_inventory.py              # 200 tables (reduced: a shared machine)
    .venv/bin/python benchmarks/sql_inventory.py --quick      # 30 tables
    .venv/bin/python benchmarks/sql_inventory.py --estate issue     # 1,001 tables, one of 5M rows
    .venv/bin/python benchmarks/sql_inventory.py --estate issue --keep bench_issue24   # seed once, reuse after
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import re
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import sqlalchemy as sa
import yaml
from _result import interleaved, machine_busy_seconds, machine_steal_seconds, median, result, spread  # noqa: E402 (run as a script from benchmarks/)

from auditor.gcpause import fewer_collections
from auditor.models import Observation, Vendor
from connectors.base import CollectContext, SourceSpec
from connectors.sql import Connector

ADMIN_URL = os.environ.get("AUDITOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DEFAULT_LOG = "/var/log/postgresql/postgresql-15-main.log"
SAMPLE_ROWS = 1000

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

BIG_ROWS = 5_000_000
SEED_BIG = """
CREATE TABLE bench.t_big (id serial PRIMARY KEY, full_name text, email varchar(200), phone varchar(20), city text,
                          score float, created_at timestamp, updated_at timestamp);
INSERT INTO bench.t_big (full_name, email, phone, city, score, created_at, updated_at)
  SELECT 'Name ' || g, 'user' || g || '@example.com', '+65 9' || lpad((g % 10000000)::text, 7, '0'), 'Singapore',
         random(), timestamp '2018-01-01' + g * interval '1 second', timestamp '2019-03-01' + g * interval '1 second'
  FROM generate_series(1, {rows}) g;
"""

CATALOGUE = """SELECT c.relname, array_agg(a.attname ORDER BY a.attnum)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = 'bench' AND c.relkind = 'r' GROUP BY c.relname ORDER BY c.relname"""


def postgres_cpu_seconds() -> float | None:
    """CPU seconds (user + system) of this machine's PostgreSQL server processes since they
    started: every live process named ``postgres`` (the postmaster, its backends, parallel
    workers and background processes), plus the postmaster's reaped children (``cutime`` and
    ``cstime`` of ``/proc/<pid>/stat``: a backend that ended with its connection). None where
    ``/proc`` shows no such process (another machine's server, or no ``/proc``)."""
    procs: dict[int, tuple[str, int, list[int]]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                line = fh.read()
        except OSError:
            continue  # ended meanwhile: the postmaster's children's times hold it once reaped
        name, rest = line[line.find("(") + 1:line.rfind(")")], line[line.rfind(")") + 2:].split()
        procs[int(entry)] = (name, int(rest[1]), [int(x) for x in rest[11:15]])
    total, found = 0, False
    for name, ppid, (utime, stime, cutime, cstime) in procs.values():
        if name != "postgres":
            continue
        found = True
        total += utime + stime
        if procs.get(ppid, ("",))[0] != "postgres":  # the postmaster: its reaped children too
            total += cutime + cstime
    return total / os.sysconf("SC_CLK_TCK") if found else None


def dsn(url: str) -> str:
    u = sa.engine.make_url(url)
    return f"host={u.host} port={u.port or 5432} user={u.username} dbname={u.database}" + (
        f" password={u.password}" if u.password else "")


def floor_equal(url: str) -> int:
    """Equal work over psycopg: the catalogue, then count/max and a 1,000-row sample per table."""
    rows = 0
    with psycopg.connect(dsn(url), autocommit=True) as conn:
        tables = conn.execute(CATALOGUE).fetchall()
        for name, _cols in tables:
            conn.execute(f'SELECT count(*), max(updated_at) FROM bench."{name}"').fetchone()
            rows += len(conn.execute(f'SELECT * FROM bench."{name}" LIMIT {SAMPLE_ROWS}').fetchall())
    return len(tables)


def floor_random(url: str) -> int:
    """The equal-work floor with the connector's random sample: a table the catalogue estimates
    above the sample size is sampled as the connector samples it on PostgreSQL (``TABLESAMPLE
    BERNOULLI``, ``SYSTEM`` above 5M rows, 300 x the sample's rows as a share, ``REPEATABLE``,
    ``LIMIT``) rather than by its first rows (a reference: the target's floor is ``floor_equal``)."""
    with psycopg.connect(dsn(url), autocommit=True) as conn:
        tables = conn.execute(CATALOGUE).fetchall()
        sizes = dict(conn.execute("SELECT c.relname, c.reltuples FROM pg_class c JOIN pg_namespace n ON "
                                  "n.oid = c.relnamespace WHERE n.nspname = 'bench' AND c.relkind = 'r'").fetchall())
        for name, _cols in tables:
            conn.execute(f'SELECT count(*), max(updated_at) FROM bench."{name}"').fetchone()
            records = sizes.get(name) or 0
            if records > SAMPLE_ROWS:
                method = "BERNOULLI" if records <= 5_000_000 else "SYSTEM"
                pct = min(100.0, max(0.0001, 300.0 * SAMPLE_ROWS / records))
                conn.execute(f'SELECT * FROM bench."{name}" TABLESAMPLE {method} ({pct}) REPEATABLE (1) '
                             f'LIMIT {SAMPLE_ROWS}').fetchall()
            else:
                conn.execute(f'SELECT * FROM bench."{name}" LIMIT {SAMPLE_ROWS}').fetchall()
    return len(tables)


BIG_TABLE_ROWS = 200_000  # the connector's default exact_count_max_rows: bigger tables take the estimate path


def floor_equal_two(url: str) -> int:
    """The equal-work floor over two connections, as the connector uses them: the tables above
    BIG_TABLE_ROWS (by the catalogue's estimate) read on a second connection in a thread while
    the first reads the others (a reference, beside the one-connection floor that is the target's)."""
    with psycopg.connect(dsn(url), autocommit=True) as conn:
        tables = conn.execute(CATALOGUE).fetchall()
        sizes = dict(conn.execute("SELECT c.relname, c.reltuples FROM pg_class c JOIN pg_namespace n ON "
                                  "n.oid = c.relnamespace WHERE n.nspname = 'bench' AND c.relkind = 'r'").fetchall())
        big = [name for name, _cols in tables if sizes.get(name, 0) > BIG_TABLE_ROWS]

        def read(c: psycopg.Connection, name: str) -> None:
            c.execute(f'SELECT count(*), max(updated_at) FROM bench."{name}"').fetchone()
            c.execute(f'SELECT * FROM bench."{name}" LIMIT {SAMPLE_ROWS}').fetchall()

        def second() -> None:
            with psycopg.connect(dsn(url), autocommit=True) as c2:
                for name in big:
                    read(c2, name)

        thread = threading.Thread(target=second)
        thread.start()
        for name, _cols in tables:
            if name not in big:
                read(conn, name)
        thread.join()
    return len(tables)


def floor_minimal(url: str) -> int:
    """The least a scan can do: the catalogue, then one LIMIT per table."""
    with psycopg.connect(dsn(url), autocommit=True) as conn:
        tables = conn.execute(CATALOGUE).fetchall()
        for name, _cols in tables:
            conn.execute(f'SELECT * FROM bench."{name}" LIMIT {SAMPLE_ROWS}').fetchall()
    return len(tables)


def connector(url: str) -> int:
    """The connector alone, as ``run_audit`` runs it (with the quieter garbage collector of a run)."""
    spec = SourceSpec(id="bench", kind="sql", vendor=Vendor(id="bench"), options=Connector.Options(url=url))
    with fewer_collections():
        items = list(Connector(spec, CollectContext(as_of=datetime.now(UTC))).collect())
    datasets = [o.dataset for o in items if isinstance(o, Observation)]
    assert all(d.status == "assessed" for d in datasets), [d.error for d in datasets if d.status != "assessed"][:3]
    return len(datasets)


def end_to_end(url: str, folder: Path, cold: bool = False) -> int:
    """``run_audit`` on the state store kept in ``folder`` (the first call creates it), then the reports.
    ``cold``: the classifications the runs before kept are deleted first (a few ms, in the figure):
    every sample is classified, as in a first run or after every table changed."""
    from auditor.config import load_config
    from auditor.engine import RunOptions, run_audit
    from auditor.plugins import load_connectors
    from auditor.publish import Targets, publish
    from auditor.redact import Redactor

    try:
        from auditor.publish import Prerender
    except ImportError:  # an older tree (benchmarks/overlap_ab.py's side A): its reports rendered after the save
        Prerender = None  # noqa: N806

    load_connectors()  # the config names kind: sql

    path = folder / "bench.yaml"
    if cold and (folder / "state.db").exists():
        import sqlite3

        with contextlib.closing(sqlite3.connect(folder / "state.db")) as db, db:
            db.execute("DELETE FROM classify_memo")
    if not path.exists():
        cfg = {"state": f"sqlite:///{folder}/state.db", "vendors": [{"id": "v"}],
               "sources": [{"id": "pg", "vendor": "v", "kind": "sql", "url": url}]}
        path.write_text(yaml.safe_dump(cfg))
    stamp = time.monotonic_ns()
    # as `auditor scan --json --html --csv` runs it: the HTML report renders in a child process while
    # the run is stored (auditor.publish.Prerender), then publish() writes every report
    targets = Targets(json=folder / f"r-{stamp}.json", html=folder / f"r-{stamp}.html", csv=folder / f"r-{stamp}.csv")
    config = load_config(path)
    if Prerender is None:
        run = run_audit(config, RunOptions())
        out = publish(run, config, "high", targets, Redactor())
    else:
        rendering = Prerender(targets)
        run = run_audit(config, RunOptions(before_save=rendering))
        out = publish(run, config, "high", targets, Redactor(), rendered=rendering)
    assert all(s.status == "ok" for s in run.sources), run.sources
    assert out.error is None and len(out.written) == 4, out
    return len(run.datasets)


class ServerCounts:
    """Statements (server log) and transactions (pg_stat_database) of one database, per variant."""

    def __init__(self, admin: sa.Engine, dbname: str) -> None:
        self.admin, self.dbname = admin, dbname
        with admin.connect() as c:
            current = c.execute(sa.text("SELECT pg_current_logfile()")).scalar()
        self.log = current or os.environ.get("AUDITOR_PG_LOG", DEFAULT_LOG)
        self.line = re.compile(rf"@{re.escape(dbname)} LOG:  (?:statement|execute [^:]*): (\w+(?: \w+)?)")
        # a logged query's text: its first line, and the lines after it that start with a tab
        self.entry = re.compile(rf"@{re.escape(dbname)} LOG:  (?:statement|execute [^:]*): ([^\n]*(?:\n\t[^\n]*)*)")
        self.queries: dict[str, int] = {}
        self.kinds: dict[str, Counter] = {}
        self.readable = self._size() is not None

    def _size(self) -> int | None:
        try:
            with self.admin.connect() as c:
                return c.execute(sa.text("SELECT size FROM pg_stat_file(:p)"), {"p": self.log}).scalar()
        except sa.exc.DBAPIError:
            return None

    def _xacts(self) -> int:
        with self.admin.connect() as c:
            c.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
            return c.execute(sa.text("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = :d"),
                             {"d": self.dbname}).scalar()

    def measure(self, fn, name: str = "") -> tuple[int | None, int]:
        """(statements or None, transactions) of one call of ``fn`` on the database."""
        with self.admin.connect() as c:
            c.execute(sa.text(f"ALTER DATABASE {self.dbname} SET log_statement = 'all'"))
            c.commit()
        start, x0 = self._size(), self._xacts()
        fn()
        time.sleep(1.2)  # a backend's counters reach pg_stat_database when it exits (or within a second)
        end, x1 = self._size(), self._xacts()
        with self.admin.connect() as c:
            c.execute(sa.text(f"ALTER DATABASE {self.dbname} RESET log_statement"))
            c.commit()
        statements = None
        if start is not None and end is not None:
            with self.admin.connect() as c:
                text = c.execute(sa.text("SELECT pg_read_file(:p, :o, :n)"),
                                 {"p": self.log, "o": start, "n": end - start}).scalar() or ""
            found = self.line.findall(text)
            # a query may hold several statements (the connector sends a small table's aggregate
            # and sample as one simple query): statements are counted inside it, queries apart
            entries = self.entry.findall(text)
            statements = sum(1 + e.count(";\n") for e in entries)
            self.queries[name] = len(entries)
            self.kinds[name] = Counter(k.upper() for k in found)
        return statements, x1 - x0


def profile_summary(fn, top: int = 12) -> list[str]:
    """Where one call's time goes, in every thread (run_audit collects in worker threads): own
    time grouped by area, and the top functions by own time. Waiting in a thread shows as I/O
    waits (the driver's poll) or lock waits (the main thread waiting for the workers)."""
    profiles: list[cProfile.Profile] = []

    def start_in_thread(*_args):  # threading.setprofile: the first event of each new thread
        sys.setprofile(None)
        prof = cProfile.Profile()
        profiles.append(prof)
        prof.enable()

    main = cProfile.Profile()
    threading.setprofile(start_in_thread)
    main.enable()
    try:
        fn()
    finally:
        main.disable()
        threading.setprofile(None)  # type: ignore[arg-type]
    stats = pstats.Stats(main)
    for prof in profiles:
        stats.add(prof)
    areas = [("classifier", "/auditor/classify/"), ("SQL connector", "/connectors/sql/"),
             ("reports", "/reports/"), ("policies", "/policies/"), ("engine/state/models", "/auditor/"),
             ("SQLAlchemy", "/sqlalchemy/"), ("psycopg (driver, waiting on the server)", "/psycopg"),
             ("pydantic", "/pydantic"), ("jinja2", "/jinja2/"), ("re/re2", "re2"), ("yaml", "/yaml/")]
    by_area: dict[str, float] = {}
    total = 0.0
    for (filename, _line, _func), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        total += tt
        area = next((a for a, needle in areas if needle in filename), None)
        if area is None and filename == "~":
            if "acquire" in _func or "wait" in _func:
                area = "waiting on other threads (locks)"
            elif any(w in _func for w in ("poll", "select", "recv", "send")):
                area = "waiting on sockets (server round trips)"
            elif "sqlite3" in _func:
                area = "state store (sqlite3)"
        area = area or "other (stdlib, builtins)"
        by_area[area] = by_area.get(area, 0.0) + tt
    waiting = by_area.pop("waiting on other threads (locks)", 0.0)
    total -= waiting  # the main thread waiting for the collecting threads: their time is counted where it went

    def cum(file_end: str, func: str) -> float:
        return sum(v[3] for (f, _l, fn), v in stats.stats.items() if f.endswith(file_end) and fn == func)  # type: ignore[attr-defined]

    lines = [f"profile of one end-to-end run, every thread: {total:.2f}s of own time "
             f"(plus {waiting:.2f}s of threads waiting on each other, not counted)",
             f"  the waits: the main thread blocked until the source's thread is done (collect_all {cum('auditor/engine.py', 'collect_all'):.2f}s), "
             f"the SQL read-timeout watchdog asleep between statements (its thread {cum('sql/deadline.py', '_run'):.2f}s): idle, not on the path"]
    lines += [f"  {area:42s} {t:6.2f}s  {100 * t / total:5.1f}%" for area, t in sorted(by_area.items(), key=lambda kv: -kv[1])]
    ranked = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]  # type: ignore[attr-defined]
    lines.append("  top functions by own time:")
    for (filename, line, func), (_cc, nc, tt, ct, _) in ranked:
        short = "/".join(filename.split("/")[-2:])
        lines.append(f"    {tt:6.2f}s own {ct:6.2f}s cum {nc:>8} calls  {short}:{line} {func}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 tables, 2 repetitions")
    parser.add_argument("--tables", type=int, default=None, help="default 200 (1,001 with --estate issue)")
    parser.add_argument("--estate", choices=("reduced", "issue"), default="reduced",
                        help="issue: issue 24's estate, --tables (default 1,001) of which one has 5,000,000 rows")
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--keep", metavar="DBNAME", default=None,
                        help="seed the estate into database DBNAME and keep it for the next run with the same --keep "
                             "(reused as it is when it already holds the bench schema: same --tables/--rows/--estate "
                             "expected); drop it yourself when done")
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=None,
                        help="add a cProfile summary of one end-to-end run (default: on, off with --quick)")
    args = parser.parse_args()
    n = args.tables or (30 if args.quick else 1001 if args.estate == "issue" else 200)
    big = 1 if args.estate == "issue" else 0
    estate = (f"{n - big:,} tables of {args.rows:,} rows" + (f" + 1 table of {BIG_ROWS:,} rows (issue 24's estate)" if big else
              " (reduced: issue 24's estate is 1,001 tables, one of 5,000,000 rows; --estate issue)"))
    repeats = args.repeats or (2 if args.quick else 3)

    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    dbname = args.keep or f"auditor_bench_{uuid.uuid4().hex[:8]}"
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", dbname):
        parser.error("--keep: a lower-case database name of letters, digits and underscores")
    reuse = False
    try:
        with admin.connect() as c:
            exists = c.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": dbname}).scalar()
            if not exists:
                c.execute(sa.text(f"CREATE DATABASE {dbname}"))
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL not reachable at {sa.engine.make_url(ADMIN_URL).host}: {type(exc.orig).__name__}")
        return 2
    url = sa.engine.make_url(ADMIN_URL).set(database=dbname).render_as_string(hide_password=False)
    seed = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        t0 = time.perf_counter()
        with seed.connect() as c:
            seeded = c.execute(sa.text("SELECT count(*) FROM pg_tables WHERE schemaname = 'bench'")).scalar()
            if args.keep and seeded:
                reuse = True
                if seeded != n:
                    print(f"--keep {dbname}: it holds {seeded} bench tables, not {n}; drop it or use another name")
                    return 2
            else:
                c.execute(sa.text("CREATE SCHEMA bench"))
                c.connection.driver_connection.execute(SEED.format(n=n - big, rows=args.rows))  # no placeholders
                if big:
                    c.connection.driver_connection.execute(SEED_BIG.format(rows=BIG_ROWS))
                c.execute(sa.text("ANALYZE"))
        seed.dispose()
        print(f"# SQL inventory benchmark  cores={os.cpu_count()}  tables={n}  rows={args.rows}  repeats={repeats}")
        print(f"estate: {estate}")
        print(f"reused the estate kept in database {dbname} (--keep)" if reuse else
              f"seeded in {time.perf_counter() - t0:.1f} s" + (f" (kept in database {dbname}: --keep)" if args.keep else ""))

        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            variants = {"floor_minimal": lambda: floor_minimal(url), "floor_equal": lambda: floor_equal(url),
                        "floor_equal_two": lambda: floor_equal_two(url), "floor_random": lambda: floor_random(url),
                        "connector": lambda: connector(url), "end_to_end": lambda: end_to_end(url, folder),
                        "end_to_end_cold": lambda: end_to_end(url, folder, cold=True)}
            for fn in variants.values():  # warm-up: imports, the classifier, the state's migrations, the cache
                fn()
            probed: dict[str, dict[str, list[float]]] = {}
            walls, cpus, got = interleaved(variants, repeats,
                                           {"server": postgres_cpu_seconds, "machine": machine_busy_seconds,
                                            "steal": machine_steal_seconds}, probed)
            assert got["floor_equal"] == got["floor_minimal"] == got["floor_equal_two"] == got["floor_random"] == got["connector"] == n, got

            counts = ServerCounts(admin, dbname)
            server = {name: counts.measure(fn, name) for name, fn in variants.items()
                      if name not in ("end_to_end", "end_to_end_cold", "floor_equal_two", "floor_random")}
            profile = args.profile if args.profile is not None else not args.quick
            lines = profile_summary(variants["end_to_end"]) if profile else []

        labels = {"floor_minimal": "minimal floor (catalogue + 1 LIMIT per table, psycopg)",
                  "floor_equal": "equal-work floor (catalogue + count/max + 1,000-row sample, psycopg)",
                  "floor_equal_two": "  reference: the same over 2 connections (big tables on the second)",
                  "floor_random": "  reference: the same, big tables randomly sampled as the connector does",
                  "connector": "SQL connector collect()",
                  "end_to_end": "end to end (run_audit, kept state store + JSON/HTML/CSV: nightly)",
                  "end_to_end_cold": "  reference: the same, every sample classified (no kept classification)"}
        floor = median(walls["floor_equal"])
        print("wall (min / median / max of interleaved runs), ratio of medians to the equal-work floor:")
        for name, label in labels.items():
            print(f"  {label:72s} {spread(walls[name])}  {median(walls[name]) / floor:5.2f}x  "
                  f"({median(walls[name]) / n * 1000:.1f} ms/table, client CPU {median(cpus[name]) / n * 1000:.1f} ms/table)")
        cores = os.cpu_count() or 1
        server_cpu = probed.get("server", {})
        busy = probed.get("machine", {})
        if server_cpu:
            print(f"CPU per run (medians): this process, the PostgreSQL server's processes (/proc), the machine's "
                  f"{cores} cores busy (every process's: /proc/stat), and the least wall their sum allows on {cores} cores:")
            for name, label in labels.items():
                both = [c + w for c, w in zip(cpus[name], server_cpu[name])]
                print(f"  {label:72s} client {median(cpus[name]):6.3f} s  server {median(server_cpu[name]):6.3f} s  "
                      f"machine busy {median(busy.get(name, [0.0])):6.3f} core-s  least wall {median(both) / cores:6.3f} s")
        steal = probed.get("steal", {})
        if steal.get("floor_equal") and steal.get("end_to_end"):
            # a shared virtual machine: the hypervisor's share of the cores stretches the floor's round trips
            # (2 per table, each a wake-up) more than the run's pipelined ones, so the ratio of medians moves with it
            print(f"CPU steal (the hypervisor's, /proc/stat) per run (medians): equal-work floor "
                  f"{median(steal['floor_equal']):.3f} core-s, end to end {median(steal['end_to_end']):.3f} core-s")
        how = "server log (log_statement=all)" if counts.readable else "server log unreadable: n/a"
        print(f"server-side counts per table: statements from the {how}; transactions from pg_stat_database")
        for name, (stmts, xacts) in server.items():
            s = f"{stmts / n:.2f}" if stmts is not None else "n/a"
            q = counts.queries.get(name)
            qs = f", queries (round trips) {q / n:.2f} per table" if q is not None else ""
            print(f"  {labels[name]:72s} statements {s:>5} per table ({stmts} in all){qs}, transactions {xacts / n:.2f} per table")
            if counts.kinds.get(name):
                print("      by first words: " + ", ".join(f"{k} {v}" for k, v in counts.kinds[name].most_common(8)))
        for line in lines:
            print(line)

        e2e, conn_ratio = median(walls["end_to_end"]) / floor, median(walls["connector"]) / floor
        floor_text = f"equal-work floor {spread(walls['floor_equal'])}; minimal floor {spread(walls['floor_minimal'])}"
        where = f"{n:,} tables" + (", one of 5M rows" if big else "")
        result("SQL inventory", f"end to end (nightly: samples as the run before read them, their kept classification used "
               f"again) / equal-work floor, {where} (medians)", e2e, "x", "<= 2",
               None if args.quick else e2e <= 2, floor=floor_text, spread=spread(walls["end_to_end"]))
        fastest = min(walls["end_to_end"]) / min(walls["floor_equal"])
        result("SQL inventory", f"end to end / equal-work floor, the fastest repetition of each (least disturbed by the "
               f"machine: a loaded or shared one stretches the floor's round trips most), {where}", fastest, "x",
               "(reference)", None, floor=f"equal-work floor {spread(walls['floor_equal'])}",
               spread=spread(walls["end_to_end"]))
        result("SQL inventory", f"end to end, every sample classified (none kept by an earlier run: a first run, or "
               f"every table changed) / equal-work floor, {where} (medians)", median(walls["end_to_end_cold"]) / floor,
               "x", "(reference)", None, floor=floor_text, spread=spread(walls["end_to_end_cold"]))
        result("SQL inventory", f"connector / equal-work floor, {where} (medians)", conn_ratio, "x",
               "(reference)", None, floor=floor_text, spread=spread(walls["connector"]))
        two = median(walls["floor_equal_two"])
        result("SQL inventory", f"end to end / equal-work floor over 2 connections, {where} (medians)",
               median(walls["end_to_end"]) / two, "x", "(reference)", None,
               floor=f"equal-work floor over 2 connections {spread(walls['floor_equal_two'])}")
        result("SQL inventory", f"connector / equal-work floor over 2 connections, {where} (medians)",
               median(walls["connector"]) / two, "x", "(reference)", None,
               floor=f"equal-work floor over 2 connections {spread(walls['floor_equal_two'])}")
        rnd = median(walls["floor_random"])
        result("SQL inventory", f"end to end / equal-work floor with the connector's random sample, {where} (medians)",
               median(walls["end_to_end"]) / rnd, "x", "(reference)", None,
               floor=f"equal-work floor, random sample of the tables above {SAMPLE_ROWS:,} rows {spread(walls['floor_random'])}")
        result("SQL inventory", "end to end / minimal floor (medians)", median(walls["end_to_end"]) / median(walls["floor_minimal"]),
               "x", "(reference)", None, floor=f"minimal floor {spread(walls['floor_minimal'])}")
        if server_cpu:
            # the bounds no scheduling can beat on this machine: the run's CPU (this process's and the
            # server's) spread over every core, and this process's CPU alone (one interpreter)
            both = {k: [c + w for c, w in zip(cpus[k], server_cpu[k])] for k in ("end_to_end", "floor_equal")}
            cpu_text = (f"end to end: client CPU {spread(cpus['end_to_end'])}, server CPU {spread(server_cpu['end_to_end'])}; "
                        f"equal-work floor: wall {spread(walls['floor_equal'])}, client CPU {spread(cpus['floor_equal'])}, "
                        f"server CPU {spread(server_cpu['floor_equal'])}")
            bound = median(both["end_to_end"]) / cores / floor
            result("SQL inventory", f"end to end, least wall its CPU allows on {cores} cores ((client + server CPU) / cores) "
                   f"/ equal-work floor, {where} (medians)", bound, "x",
                   "(reference: above 2, no scheduling meets the target on this machine)" if bound > 2 else
                   "(reference: at most 2, the run's CPU allows the target with the work spread over every core)",
                   None, floor=cpu_text)
            alone = median(cpus["end_to_end"]) / floor
            result("SQL inventory", f"end to end, client process CPU / equal-work floor, {where} (medians)",
                   alone, "x", "(reference: one interpreter's least wall" + (
                       ": above 2, the target needs client work off this interpreter or less of it)" if alone > 2
                       else ")"), None, floor=cpu_text)
            result("SQL inventory", f"equal-work floor, (client + server CPU) / wall: cores it keeps busy, {where} (medians)",
                   median(both["floor_equal"]) / floor, "cores", "(reference)", None, floor=cpu_text)
        stmts, xacts = server["connector"]
        fs, _ = server["floor_equal"]
        if stmts is not None:
            result("SQL inventory", "statements per table, server log (connector)", stmts / n, "", "(reference)", None,
                   floor=f"equal-work floor {fs / n:.2f} per table" if fs is not None else None)
            result("SQL inventory", "queries (round trips) per table, server log (connector)",
                   counts.queries["connector"] / n, "", "(reference)", None,
                   floor=f"equal-work floor {counts.queries['floor_equal'] / n:.2f} per table")
        result("SQL inventory", "transactions per table, pg_stat_database (connector)", xacts / n, "", "(reference)", None,
               floor=f"equal-work floor {server['floor_equal'][1] / n:.2f} per table (autocommit)")
        return 0
    finally:
        seed.dispose()
        with admin.connect() as c:
            c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": dbname})
            if not args.keep:
                c.execute(sa.text(f"DROP DATABASE IF EXISTS {dbname}"))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
