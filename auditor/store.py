"""The auditor's own state store: every run, kept; SQLAlchemy 2, any URL (SQLite default).

What it holds: runs, the sources' statuses, datasets (facts and personal-data summaries
with masked examples, never sampled values), findings with ``first_seen``, waivers, and
the run lock. A run is written in one transaction, so a crash leaves earlier runs as they
were; a run row marked ``running`` at the start is shown as ``failed`` (interrupted) by the
next run once its lock turns out to be stale (its process is gone).

The schema is versioned with Alembic (``auditor/migrations``): ``Store.open`` upgrades a
store in place to the head revision.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, overload

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from auditor.errors import LockedError, RunNotSaved, StoreError
from auditor.models import (
    AttestationUse,
    CollectionError,
    Dataset,
    Finding,
    ResolvedFinding,
    Run,
    SourceResult,
    Vendor,
    Waiver,
    WriteCounter,
    leaves_incomplete,
)
from auditor.redact import mask_secret_values

log = logging.getLogger("auditor.store")
# the lock two processes take to upgrade (or create) a PostgreSQL / MySQL store one after the other
_UPGRADE_LOCK_ID = 0x61756469746F72  # "auditor"
_UPGRADE_LOCK_NAME = "auditor_state_upgrade"
_UPGRADE_WAIT_SECONDS = 600  # how long an upgrade waits for another process's, then says so
SCHEMA_HEAD = "0009"  # the newest migration (auditor/migrations/versions); a test holds them equal
metadata = sa.MetaData()
_KEPT = ("complete", "partial")  # the statuses of the runs that are history
# re-judgements left out of the history by their ids up to this many, else by a subquery (_in_history)
_LEFT_OUT_INLINE = 1000

runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("config", sa.String(1024), nullable=False, index=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
    sa.Column("trigger", sa.String(512), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("previous_run_id", sa.String(64)),
    sa.Column("pid", sa.Integer),
    sa.Column("host", sa.String(255)),
    sa.Column("extra", sa.Text, nullable=False, default="{}"),  # vendors, errors, limits (JSON)
    sa.Column("process", sa.String(64)),  # _process_mark() of the process that ran it
)

sources = sa.Table(
    "sources", metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("id", sa.String(255), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("vendor", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("datasets", sa.Integer, nullable=False, default=0),
)

datasets = sa.Table(
    "datasets", metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("source", sa.String(255), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("fingerprint", sa.String(128)),
    sa.Column("facts", sa.Text, nullable=False),  # the Dataset, JSON
)
sa.Index("ix_datasets_source_fp", datasets.c.source, datasets.c.fingerprint)

findings = sa.Table(
    "findings", metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("id", sa.String(128), nullable=False),  # read by ix_findings_id_run_id (migration 0009)
    sa.Column("rule", sa.String(128), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("first_seen", sa.DateTime(timezone=True)),
    sa.Column("data", sa.Text, nullable=False),  # the Finding, JSON
)
# first_seen reads (id, run_id) from this index alone, never a finding row (migration 0007)
sa.Index("ix_findings_id_run_id", findings.c.id, findings.c.run_id)
# a run's findings, and its not-assessed ones alone (_left_incomplete): in place of one on run_id (migration 0008)
sa.Index("ix_findings_run_id_rule", findings.c.run_id, findings.c.rule)

waivers = sa.Table(
    "waivers", metadata,
    sa.Column("finding_id", sa.String(128), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("until", sa.DateTime(timezone=True), nullable=False),
    sa.Column("by", sa.String(255)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("severity", sa.String(16)),
)

run_lock = sa.Table(
    "run_lock", metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("process", sa.String(64)),  # _process_mark() of the holder: None where not known
)


# each dataset's newest write counter (migration 0005): one row per dataset, replaced by each run
write_marks = sa.Table(
    "write_marks", metadata,
    sa.Column("key", sa.String(64), primary_key=True),  # mark_key(source, name): names of any length
    sa.Column("source", sa.String(255), nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("counter", sa.Text, nullable=False),  # the dataset's facts["write_counter"], JSON
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
)


# each dataset's last classification under the digest of its input (migration 0006): one row per
# dataset, replaced by each run that classifies it (auditor.classify.memo)
classify_memo = sa.Table(
    "classify_memo", metadata,
    sa.Column("key", sa.String(64), primary_key=True),  # memo_key(source, kind, name)
    sa.Column("source", sa.String(255), nullable=False, index=True),
    sa.Column("digest", sa.String(80), nullable=False),  # sample_digest(): keyed
    sa.Column("day", sa.String(10)),  # the day it holds for (a result that read today's date), None: any
    sa.Column("result", sa.Text, nullable=False),  # the dataset's personal_data as the run kept it, JSON
    sa.Column("run_id", sa.String(64), nullable=False),
)


@dataclass(frozen=True)
class Memo:
    """One dataset's classification as a run kept it, and what it was made from."""

    digest: str
    day: str | None  # the date it holds for; None: any date
    result: str  # JSON: the dataset's personal_data (masked examples, scrubbed names)


def memo_key(source: str, kind: str, name: str) -> str:
    return hashlib.sha256(f"{source}\0{kind}\0{name}".encode()).hexdigest()


def mark_key(source: str, name: str) -> str:
    return hashlib.sha256(f"{source}\0{name}".encode()).hexdigest()


def _left_incomplete() -> sa.Exists:
    """The run holds a not-assessed finding, open or waived (models.leaves_incomplete): whatever its
    stored status, it is not complete (an earlier version stored such runs with only waived
    unknowns as complete)."""
    return (sa.select(findings.c.pk).where(findings.c.run_id == runs.c.id, findings.c.rule == "not-assessed",
                                           findings.c.status.in_(("open", "waived")))).exists()


def _rejudged(run: sa.FromClause) -> sa.Exists:
    """Whether ``run`` (an alias of ``runs``) re-judges the past (:func:`_history`)."""
    earlier = runs.alias("earlier")
    return (sa.select(earlier.c.id).where(earlier.c.config == run.c.config, earlier.c.id != run.c.id,
                                          earlier.c.started_at < run.c.started_at,
                                          earlier.c.as_of > run.c.as_of,
                                          earlier.c.as_of <= run.c.started_at,
                                          earlier.c.status.in_(_KEPT))).exists()


def _history(as_of: datetime) -> sa.Select:
    """The ids of the runs that are history as of ``as_of``: kept (complete or partial), as of that
    instant or before, and not re-judgements of the past. A re-judgement is a run made after a run
    of its config whose later as-of had already come (``scan --as-of`` last month after tonight's
    run): it read the data as it is now, not as it was then, so it is stored and can be reported,
    but later runs do not read it as history (first seen, unchanged since, the run to diff
    against). A preview of the future made before it (``--as-of`` next year, still to come when
    this run started) does not make tonight's run a re-judgement. Uncorrelated: computed once
    per query, over the runs table alone."""
    run = runs.alias("hist")
    return sa.select(run.c.id).where(run.c.as_of <= as_of, run.c.status.in_(_KEPT), ~_rejudged(run))


def _rejudgements(as_of: datetime) -> sa.Select:
    """The ids of the kept runs as of ``as_of`` or before that are re-judgements of the past: with
    them left out, the kept runs as of ``as_of`` are :func:`_history`. Over the runs table alone."""
    run = runs.alias("hist")
    return sa.select(run.c.id).where(run.c.as_of <= as_of, run.c.status.in_(_KEPT), _rejudged(run))


def _in_history(q: sa.Select, as_of: datetime, rejudged: Collection[str]) -> sa.Select:
    """``q``, joined to ``runs``, kept to the runs of :func:`_history` as of ``as_of``, told row by
    row by the run's status and as-of, the re-judgements (:func:`_rejudgements`, read once) by id,
    or past :data:`_LEFT_OUT_INLINE` of them by the subquery. ``runs.id IN (_history(as_of))``
    made SQLite drive the query from the history runs (every finding row of each), and computed
    the history (over every pair of runs of a config) once per query."""
    q = q.where(runs.c.status.in_(_KEPT), runs.c.as_of <= as_of)
    if len(rejudged) > _LEFT_OUT_INLINE:  # not that many bound parameters: the same, in SQL
        return q.where(runs.c.id.not_in(_rejudgements(as_of)))
    return q.where(runs.c.id.not_in(sorted(rejudged))) if rejudged else q


@overload
def _utc(dt: datetime) -> datetime: ...


@overload
def _utc(dt: None) -> None: ...


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


PID_REUSE_MARGIN = timedelta(minutes=5)


def _node() -> str:
    """This host as runs and the run lock name it: the hostname, and the pid namespace the pids are
    of (containers sharing the machine's hostname, with host networking, have pids of their own)."""
    host = socket.gethostname()
    try:
        return f"{host} {os.readlink('/proc/self/ns/pid')}"  # "vm pid:[4026531836]"
    except OSError:
        return host


def _this_node(host: str | None) -> bool:
    """Whether a run or lock written on ``host`` has pids this process can judge (a bare hostname:
    written before pid namespaces were recorded, judged as before)."""
    return host in (_node(), socket.gethostname())


def _start_ticks(pid: int) -> int:
    """When the process holding ``pid`` started, in clock ticks after boot (Linux ``/proc``: field
    22 of its stat, counted after "(comm)", which may hold spaces); OSError/ValueError/IndexError
    where not known."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def _pid_age(pid: int) -> float | None:
    """Seconds since the process now holding ``pid`` started (its start in ticks after boot,
    against the uptime: neither reads the wall clock); None when not known."""
    try:
        ticks = _start_ticks(pid)
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return uptime - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _process_mark(pid: int | None = None) -> str | None:
    """Which process holds ``pid`` (this one by default), for as long as the machine is up: the
    kernel's boot id and the process's start in ticks after boot (Linux ``/proc``; None elsewhere).
    A pid used again, or the same pid after a reboot, gives another mark; no clock is read."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            boot = f.read().strip()
        return f"{boot}:{_start_ticks(pid or os.getpid())}"
    except (OSError, ValueError, IndexError):
        return None


def _holder_gone(pid: int | None, since: datetime | None, mark: str | None = None) -> bool:
    """Whether the process of this host that wrote ``pid`` at ``since`` is gone: its pid is dead,
    or in use by another process (a pid used again: a busy host, the same small pid each night in a
    container with a fixed hostname, a reboot). Known by the process ``mark`` recorded with the lock
    where there is one: no clock is compared, so a wall clock stepped since (NTP correcting a host
    that booted with a wrong clock) cannot make a live holder look gone. For a lock written before
    marks were recorded, by ages: the lock's on the clock that wrote it (``since`` and now on one
    clock), the process's on the kernel's, with a margin for a clock stepped since."""
    if pid is None:
        return False
    if not _pid_alive(pid):
        return True
    if mark is not None:
        now = _process_mark(pid)
        if now is not None:
            return now != mark
    age = _pid_age(pid)
    if age is None or since is None:
        return False
    held = (datetime.now(timezone.utc) - _utc(since)).total_seconds()
    return age < held - PID_REUSE_MARGIN.total_seconds()


def safe_url(url: str) -> str:
    """The URL without its password: the user-info one and any given as a query parameter (?password=)."""
    try:
        return mask_secret_values(sa.engine.make_url(url).render_as_string(hide_password=True))
    except Exception:  # noqa: BLE001 - an unparsable URL: say nothing of it
        return "<unparsable URL>"


def _reason(exc: BaseException) -> str:
    """The driver's own message, first line only: never the SQL or its parameters."""
    orig = getattr(exc, "orig", None)
    text = str(orig) if orig is not None else exc.__class__.__name__
    return (text.strip().splitlines() or [exc.__class__.__name__])[0][:300]


def _newest(finding_id: str) -> sa.ScalarSelect:
    """The key of a finding's newest row: read off ``ix_findings_id_run_id`` (SQLite and InnoDB keep
    the row's key in each entry), not its rows of every run kept fetched and sorted by key."""
    return sa.select(sa.func.max(findings.c.pk)).where(findings.c.id == finding_id).scalar_subquery()


def _unusable(method):
    """A driver error while reading or writing the store is one StoreError line (exit 2)."""
    import functools

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except SQLAlchemyError as exc:
            reason = _reason(exc)
            if "could not decode" in reason.lower() or "malformed" in reason.lower():  # garbage inside a page
                raise StoreError(f"the state store {safe_url(str(self.engine.url))} is damaged "
                                 f"({reason.split(' with text')[0][:120]}): restore it from a backup, "
                                 "or move it away to start a new history") from None
            raise StoreError(f"the state store {safe_url(str(self.engine.url))} is unusable: {reason}") from None

    return wrapper


class Store:
    def __init__(self, engine: sa.Engine):
        self.engine = engine

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def open(cls, url: str, verify: bool = True) -> Store:
        """The store at ``url``, upgraded to the newest schema. ``verify``: its integrity checked
        (:meth:`check`, a read of every page of a SQLite store); a reader of the history after a
        run that opened and checked it (the metrics' last complete run) leaves it False: a damage
        found meanwhile is a read error (StoreError) there."""
        try:
            m = sa.engine.make_url(url)
        except sa.exc.ArgumentError:
            raise StoreError(f"state: not a valid SQLAlchemy URL: {safe_url(url)}") from None
        kwargs: dict[str, Any] = {}
        if m.get_backend_name() == "sqlite":
            db = m.database
            if db and db != ":memory:":
                parent = Path(db).parent
                if not parent.exists():
                    raise StoreError(f"state store folder does not exist: {parent}")
            kwargs["connect_args"] = {"timeout": 15}
        try:
            engine = sa.create_engine(m, future=True, **kwargs)
        except (ImportError, sa.exc.NoSuchModuleError) as exc:
            raise StoreError(f"state store driver missing for {m.get_backend_name()}: {exc}") from None
        if m.get_backend_name() == "sqlite":
            @sa.event.listens_for(engine, "connect")
            def _fk(dbapi_conn, _rec):  # pragma: no cover - trivial
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA secure_delete=ON")  # what is cleared or replaced is not left in free pages
                cur.close()
        store = cls(engine)
        store.upgrade()
        if verify:
            store.check()
        store.reap_dead_runs()
        return store

    def check(self) -> None:
        """A damaged SQLite store is found before anything is scanned (one line, exit 2)."""
        if self.engine.dialect.name != "sqlite":
            return
        try:
            with self.engine.connect() as conn:
                verdict = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check(3)")]
        except sa.exc.OperationalError as exc:  # locked, unreadable: not a verdict on its pages
            raise StoreError(f"cannot open the state store {safe_url(str(self.engine.url))}: {_reason(exc)}") from None
        except SQLAlchemyError as exc:  # "database disk image is malformed" and the like
            verdict = [_reason(exc)]
        if verdict != ["ok"]:
            lines = [ln for v in verdict for ln in str(v).splitlines() if ln.strip() and not ln.startswith("***")]
            raise StoreError(f"the state store {safe_url(str(self.engine.url))} is damaged "
                             f"({(lines or ['no answer'])[0][:200]}): restore it from a backup, "
                             "or move it away to start a new history")

    def reap_dead_runs(self) -> None:
        """Runs left ``running`` by a process of this host that is gone (killed, or it could not
        mark its own failure on a full disk) are shown as failed from now on."""
        try:
            with self.engine.begin() as conn:
                rows = conn.execute(sa.select(runs.c.id, runs.c.pid, runs.c.started_at, runs.c.process).where(
                    runs.c.status == "running", runs.c.host.in_((_node(), socket.gethostname())))).all()
                dead = [rid for rid, pid, started, mark in rows if _holder_gone(pid, started, mark)]
                if dead:
                    conn.execute(runs.update().where(runs.c.id.in_(dead), runs.c.status == "running")
                                 .values(status="failed"))
        except SQLAlchemyError as exc:  # read-only or full: the next start tries again
            log.warning("could not mark interrupted runs failed: %s", _reason(exc))

    def _upgrading(self) -> StoreError:
        return StoreError(f"the state store {safe_url(str(self.engine.url))} is being upgraded by another process "
                          f"that has not finished in {int(_UPGRADE_WAIT_SECONDS)} seconds: try again later")

    def upgrade(self) -> None:
        """Migrate the store to the newest schema; a store already there is left alone without
        loading the migration scripts (every run opens the store)."""
        current: list[str] = []
        try:
            with self.engine.connect() as conn:
                if sa.inspect(conn).has_table("alembic_version"):
                    current = list(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
                    if current == [SCHEMA_HEAD]:
                        return
        except SQLAlchemyError as exc:  # unreachable, refused, locked, or not a database at all
            reason = getattr(exc, "orig", None) or exc.__class__.__name__
            raise StoreError(f"cannot open the state store {safe_url(str(self.engine.url))}: {reason}") from None
        from alembic import command
        from alembic.config import Config as AlembicConfig
        from alembic.script import ScriptDirectory

        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        known = {r.revision for r in ScriptDirectory.from_config(cfg).walk_revisions()}
        unknown = [v for v in current if v not in known]
        if unknown:  # written by a newer auditor (a rollback, hosts at different versions): left as it is
            raise StoreError(f"the state store {safe_url(str(self.engine.url))} has schema {', '.join(unknown)}, "
                             f"newer than this auditor's ({SCHEMA_HEAD}): run the auditor version that wrote it "
                             "(or newer), or point `state:` at another store")
        dialect = self.engine.dialect.name
        held: sa.Connection | None = None  # MySQL/MariaDB: the connection holding the named lock
        lock = f"{_UPGRADE_LOCK_NAME}.{self.engine.url.database or ''}"[:64]  # names are server-wide
        try:
            if dialect in ("mysql", "mariadb"):
                # two first runs at once both found the store empty and both created it (see below):
                # a named lock, held on a connection of its own until the upgrade's transaction has
                # committed (held on the upgrade's own, it was released before the last version
                # update committed, and the second read the old version and migrated again)
                held = self.engine.connect()
                got = held.execute(sa.text("SELECT GET_LOCK(:n, :s)"),
                                   {"n": lock, "s": int(_UPGRADE_WAIT_SECONDS)}).scalar()
                if got != 1:
                    raise self._upgrading()
            with self.engine.begin() as conn:
                if dialect == "sqlite":
                    # pysqlite begins a transaction only before DML and commits DDL as it goes: an
                    # upgrade stopped midway (SIGTERM, a full disk) kept its ALTERs with the old
                    # alembic_version, and every later open failed on them. One real transaction,
                    # taken for writing at once: the whole upgrade or none of it, and a second
                    # process opening the same old store waits, then finds it at head.
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                elif dialect == "postgresql":
                    # two first runs at once (cron and a pre-event audit) both found the store empty
                    # and both created it: the second failed on the first's tables. The database's
                    # own lock, held to the transaction's end: the second waits, then alembic (which
                    # reads the version after it) finds the store at head.
                    # bounded as GET_LOCK is (it waited for ever behind a hung upgrade); for this
                    # transaction only, the upgrade's own lock waits included
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(_UPGRADE_WAIT_SECONDS)}s'")
                    try:
                        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_UPGRADE_LOCK_ID})")
                    except sa.exc.OperationalError as exc:
                        if getattr(getattr(exc, "orig", None), "sqlstate", None) != "55P03":  # lock_not_available
                            raise
                        raise self._upgrading() from None
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except SQLAlchemyError as exc:  # unreachable, refused, locked, or not a database at all
            reason = getattr(exc, "orig", None) or exc.__class__.__name__
            raise StoreError(f"cannot open the state store {safe_url(str(self.engine.url))}: {reason}") from None
        finally:
            if held is not None:  # after the commit: the next process reads the new version
                with contextlib.suppress(SQLAlchemyError):
                    held.execute(sa.text("SELECT RELEASE_LOCK(:n)"), {"n": lock})
                held.close()

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ the run lock
    @contextmanager
    def lock(self, run_id: str, stale_after: timedelta = timedelta(hours=12)) -> Iterator[None]:
        self.acquire_lock(run_id, stale_after)
        try:
            yield
        finally:
            self.release_lock(run_id)

    def acquire_lock(self, run_id: str, stale_after: timedelta = timedelta(hours=12)) -> None:
        """Take the store's run lock. A holder that is gone is taken over: on this host when
        its process is dead, from another host (a container, a pod) once the lock is older
        than ``stale_after``."""
        row: dict[str, Any] = {"name": "run", "run_id": run_id, "pid": os.getpid(), "host": _node(),
               "acquired_at": datetime.now(timezone.utc), "process": _process_mark()}
        for _ in range(2):
            try:
                with self.engine.begin() as conn:
                    conn.execute(run_lock.insert().values(**row))
                return
            except IntegrityError:
                with self.engine.begin() as conn:
                    held = conn.execute(sa.select(run_lock).where(run_lock.c.name == "run")).mappings().first()
                    if held is None:
                        continue
                    same_host = _this_node(held["host"])
                    expired = row["acquired_at"] - _utc(held["acquired_at"]) > stale_after
                    if (same_host and _holder_gone(held["pid"], held["acquired_at"], held["process"])) or (not same_host and expired):
                        # the holder died (SIGKILL, OOM, a pod evicted): its run is interrupted
                        log.warning("taking over the run lock of run %s (pid %s on %s, %s)", held["run_id"],
                                    held["pid"], held["host"], "process gone" if same_host else "expired")
                        conn.execute(run_lock.delete().where(run_lock.c.run_id == held["run_id"]))
                        conn.execute(runs.update().where(runs.c.id == held["run_id"], runs.c.status == "running")
                                     .values(status="failed", finished_at=None))
                        continue
                    started = _utc(held["acquired_at"])
                    if same_host:  # its process lives: it is running
                        after = "it is running on this host: wait for it to end"
                    else:  # a pod killed mid-run leaves a host no later pod has: its process cannot be checked
                        hours = stale_after.total_seconds() / 3600
                        after = (f"its lock expires {(started + stale_after).isoformat(timespec='seconds')} "
                                 f"(lock_stale_hours: {hours:g}); if that run is gone (a killed pod or host), "
                                 "`auditor unlock` releases it now")
                    raise LockedError(
                        f"another audit run ({held['run_id']}, pid {held['pid']} on {held['host']}, started "
                        f"{started.isoformat(timespec='seconds')}) holds this state store; "
                        f"runs on one store never overlap: {after}"
                    ) from None
            except SQLAlchemyError as exc:
                raise StoreError(f"cannot write the state store: {getattr(exc, 'orig', None) or exc}") from None
        raise LockedError("could not take the run lock")

    @_unusable
    def force_unlock(self) -> str | None:
        """``auditor unlock``: release whatever holds the lock; its run is marked failed."""
        with self.engine.begin() as conn:
            held = conn.execute(sa.select(run_lock).where(run_lock.c.name == "run")).mappings().first()
            if held is None:
                return None
            conn.execute(run_lock.delete().where(run_lock.c.name == "run"))
            conn.execute(runs.update().where(runs.c.id == held["run_id"], runs.c.status == "running")
                         .values(status="failed"))
            return f"run {held['run_id']} (pid {held['pid']} on {held['host']})"

    def release_lock(self, run_id: str) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(run_lock.delete().where(run_lock.c.run_id == run_id))
        except SQLAlchemyError as exc:  # the next run takes over a lock whose process is gone
            log.warning("could not release the run lock: %s", _reason(exc))

    # ------------------------------------------------------------------ writing a run
    def begin_run(self, run: Run, config: str) -> None:
        """Mark a run as running (its own small transaction), so a crash is visible later."""
        try:
            with self.engine.begin() as conn:
                conn.execute(runs.insert().values(
                    id=run.id, config=config, started_at=run.started_at, as_of=run.as_of, trigger=run.trigger,
                    status="running", pid=os.getpid(), host=_node(), extra="{}", process=_process_mark()))
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot write the state store: {getattr(exc, 'orig', exc)}") from None

    def save_run(self, run: Run, memos: Mapping[str, tuple[str, Memo]] | None = None) -> None:
        """Everything of one run in one transaction. ``memos``: the classifications it made, by
        :func:`memo_key`, each with its source (replacing the dataset's earlier one)."""
        extra = {
            "vendors": [v.model_dump(mode="json") for v in run.vendors],
            "errors": [e.model_dump(mode="json") for e in run.errors],
            "resolved": [r.model_dump(mode="json") for r in run.resolved],
            "carried": [f.model_dump(mode="json") for f in run.carried],
            "policy_limits": run.policy_limits,
            "trigger_detail": run.trigger_detail,
            "attestations": [a.model_dump(mode="json") for a in run.attestations],
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(runs.update().where(runs.c.id == run.id).values(
                    finished_at=run.finished_at, status=run.status, previous_run_id=run.previous_run_id,
                    extra=json.dumps(extra, default=str)))
                if run.sources:
                    conn.execute(sources.insert(), [dict(run_id=run.id, **s.model_dump()) for s in run.sources])
                if run.datasets:
                    conn.execute(datasets.insert(), [
                        dict(run_id=run.id, source=d.source, name=d.name, kind=d.kind,
                             fingerprint=d.facts.get("fingerprint"),  # each row its own (a key may come twice)
                             facts=d.model_dump_json()) for d in run.datasets])
                marks = [dict(key=mark_key(d.source, d.name), source=d.source, name=d.name,
                              counter=json.dumps(d.facts["write_counter"], sort_keys=True), run_id=run.id,
                              as_of=run.as_of)
                         for d in run.datasets if d.status == "assessed" and d.known.write_counter is not None]
                # a re-judgement of the past never replaces a mark as of a later instant that has come (it
                # read today's counters, not those of its as-of); a preview of the future's mark is replaced
                kept: list[dict[str, Any]] = []
                for i in range(0, len(marks), 500):
                    keys = [m["key"] for m in marks[i:i + 500]]
                    newer = set(conn.execute(sa.select(write_marks.c.key).where(
                        write_marks.c.key.in_(keys), write_marks.c.as_of > run.as_of,
                        write_marks.c.as_of <= run.started_at)).scalars())
                    chunk = [m for m in marks[i:i + 500] if m["key"] not in newer]
                    # replaced: each dataset's newest counter only
                    conn.execute(write_marks.delete().where(write_marks.c.key.in_([m["key"] for m in chunk])))
                    kept += chunk
                if kept:
                    conn.execute(write_marks.insert(), kept)
                memo_rows = [dict(key=k, source=src, digest=m.digest, day=m.day, result=m.result, run_id=run.id)
                             for k, (src, m) in (memos or {}).items()]
                # a source read whole: the kept classifications of its datasets gone since are dropped
                whole = {s.id for s in run.sources if s.status == "ok"}
                present = {memo_key(d.source, d.kind, d.name) for d in run.datasets if d.source in whole}
                gone = [k for k in conn.execute(sa.select(classify_memo.c.key).where(
                    classify_memo.c.source.in_(sorted(whole)))).scalars() if k not in present] if whole else []
                stale = gone + [m["key"] for m in memo_rows]
                for i in range(0, len(stale), 500):
                    conn.execute(classify_memo.delete().where(classify_memo.c.key.in_(stale[i:i + 500])))
                if memo_rows:
                    conn.execute(classify_memo.insert(), memo_rows)
                if run.findings:
                    conn.execute(findings.insert(), [
                        dict(run_id=run.id, id=f.id, rule=f.rule, severity=f.severity, status=f.status,
                             first_seen=f.first_seen, data=f.model_dump_json()) for f in run.findings])
        except SQLAlchemyError as exc:
            reason = _reason(exc)
            marked = self.mark_failed(run.id)
            raise RunNotSaved(f"run {run.id} could not be saved to the state store ({reason}); it is marked failed"
                              + ("" if marked else " by the next start") + ", and its reports are written from memory",
                              run.model_copy(update={"status": "failed"})) from None

    def mark_failed(self, run_id: str) -> bool:
        """True when written; False when the store cannot take even that (the next start marks it)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(runs.update().where(runs.c.id == run_id).values(
                    status="failed", finished_at=datetime.now(timezone.utc)))
            return True
        except SQLAlchemyError as exc:
            log.warning("could not mark run %s failed now: %s", run_id, _reason(exc))
            return False

    # ------------------------------------------------------------------ history
    @_unusable
    def previous_run_id(self, config: str, before: datetime | None = None, complete_only: bool = True,
                        exclude: str | None = None, as_of: datetime | None = None) -> str | None:
        """The run before: the latest started, or with ``as_of``, the latest as of that instant or
        earlier, leaving out re-judgements of the past (:func:`_history`)."""
        q = sa.select(runs.c.id).where(runs.c.config == config)
        q = (q.where(runs.c.status == "complete", ~_left_incomplete()) if complete_only
             else q.where(runs.c.status.in_(("complete", "partial"))))
        if before is not None:
            q = q.where(runs.c.started_at < before)
        if exclude:
            q = q.where(runs.c.id != exclude)
        if as_of is not None:
            q = q.where(runs.c.id.in_(_history(as_of))).order_by(runs.c.as_of.desc())
        q = q.order_by(runs.c.started_at.desc()).limit(1)
        with self.engine.connect() as conn:
            return conn.execute(q).scalar()

    @_unusable
    def rejudgements(self, as_of: datetime) -> list[str]:
        """The kept runs as of ``as_of`` or before that re-judge the past (:func:`_history`), usually
        none: read once, over the runs table alone, for the history queries of a run."""
        with self.engine.connect() as conn:
            return list(conn.execute(_rejudgements(as_of)).scalars())

    @_unusable
    def first_seen(self, finding_ids: list[str], as_of: datetime | None = None) -> dict[str, datetime]:
        """When each finding was first found; with ``as_of``, by the runs as of that instant or
        earlier, leaving out re-judgements of the past (:func:`_history`). Each id's rows are found
        in ``ix_findings_id_run_id`` (id, run_id) and their runs by key: no finding row is read."""
        if not finding_ids:
            return {}
        rejudged = self.rejudgements(as_of) if as_of is not None else []
        out: dict[str, datetime] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(finding_ids), 500):
                chunk = finding_ids[i:i + 500]
                q = (sa.select(findings.c.id, sa.func.min(runs.c.as_of))
                     .join(runs, runs.c.id == findings.c.run_id).where(findings.c.id.in_(chunk)))
                q = _in_history(q, as_of, rejudged) if as_of is not None else q.where(runs.c.status.in_(_KEPT))
                q = q.group_by(findings.c.id)
                out.update({fid: _utc(ts) for fid, ts in conn.execute(q)})
        return out

    @_unusable
    def write_marks(self, sources: Collection[str]) -> dict[tuple[str, str], tuple[WriteCounter, datetime]]:
        """Each dataset's newest write counter of these sources, with the instant (``as_of``) of the
        run that read it: one query for all of them."""
        if not sources:
            return {}
        q = (sa.select(write_marks.c.source, write_marks.c.name, write_marks.c.counter, write_marks.c.as_of)
             .where(write_marks.c.source.in_(sorted(set(sources)))))
        out: dict[tuple[str, str], tuple[WriteCounter, datetime]] = {}
        with self.engine.connect() as conn:
            for source, name, counter, as_of in conn.execute(q):
                try:
                    out[(source, name)] = (WriteCounter.model_validate_json(counter), _utc(as_of))
                except ValueError:  # written by another version in another shape: no mark, never an error
                    continue
        return out

    @_unusable
    def memos(self, sources: Collection[str]) -> dict[str, Memo]:
        """The kept classifications of these sources' datasets, by :func:`memo_key`: one query."""
        if not sources:
            return {}
        q = (sa.select(classify_memo.c.key, classify_memo.c.digest, classify_memo.c.day, classify_memo.c.result)
             .where(classify_memo.c.source.in_(sorted(set(sources)))))
        with self.engine.connect() as conn:
            return {key: Memo(digest, day, result) for key, digest, day, result in conn.execute(q)}

    @_unusable
    def fingerprint_since(self, source: str, name: str, fingerprint: str, as_of: datetime | None = None,
                          rejudged: Collection[str] | None = None) -> datetime | None:
        """When this dataset was first seen with this very fingerprint (row count + sample hash);
        with ``as_of``, by the runs as of that instant or earlier, leaving out re-judgements of the
        past (:func:`_history`: they read today's data, so they saw nothing unchanged back then).
        ``rejudged``: :meth:`rejudgements` as of ``as_of``, read once for all of a run's datasets
        (else read here: the history over every pair of runs, again for each dataset)."""
        q = (sa.select(sa.func.min(runs.c.as_of)).join(runs, runs.c.id == datasets.c.run_id)
             .where(datasets.c.source == source, datasets.c.name == name, datasets.c.fingerprint == fingerprint))
        if as_of is not None:
            q = _in_history(q, as_of, self.rejudgements(as_of) if rejudged is None else rejudged)
        with self.engine.connect() as conn:
            return _utc(conn.execute(q).scalar())

    @_unusable
    def findings_of(self, run_id: str, except_ids: Collection[str] = ()) -> list[Finding]:
        """The run's findings in their order; ``except_ids``: findings left out (not even parsed)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(findings.c.id, findings.c.data).where(findings.c.run_id == run_id)
                                .order_by(findings.c.pk))
            return [Finding.model_validate_json(data) for fid, data in rows if fid not in except_ids]

    # ------------------------------------------------------------------ reading runs
    @_unusable
    def list_runs(self, config: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        q = sa.select(runs.c.id, runs.c.started_at, runs.c.finished_at, runs.c.as_of, runs.c.trigger,
                      runs.c.status, runs.c.config, runs.c.pid, runs.c.host, runs.c.process,
                      # read only for runs stored complete (a partial or failed one is incomplete anyway)
                      sa.case((runs.c.status == "complete", _left_incomplete()), else_=sa.false()).label("left_incomplete"))
        if config:
            q = q.where(runs.c.config == config)
        q = q.order_by(runs.c.started_at.desc()).limit(limit)
        with self.engine.connect() as conn:
            out = [dict(r) for r in conn.execute(q).mappings()]
        for r in out:  # left running by a process of this host that is gone, and not yet marked (a full disk)
            if r.pop("left_incomplete") and r["status"] == "complete":
                r["status"] = "partial"  # stored complete by a version that let a waiver complete a run
            pid, mark = r.pop("pid"), r.pop("process")
            if _this_node(r.pop("host")) and r["status"] == "running" and _holder_gone(pid, r["started_at"], mark):
                r["status"] = "failed"
        return out

    @_unusable
    def latest_run_id(self, config: str | None = None) -> str | None:
        q = sa.select(runs.c.id).where(runs.c.status.in_(("complete", "partial")))
        if config:
            q = q.where(runs.c.config == config)
        with self.engine.connect() as conn:
            return conn.execute(q.order_by(runs.c.started_at.desc()).limit(1)).scalar()

    @_unusable
    def load_run(self, run_id: str, with_datasets: bool = True, findings_except: Collection[str] = ()) -> Run:
        """The run as saved. What the next run compares itself with needs less: ``with_datasets=False``
        leaves the datasets out and ``findings_except`` the findings with those ids (neither is
        read from its JSON), so a run of many tables does not parse its predecessor's inventory."""
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(runs).where(runs.c.id == run_id)).mappings().first()
            if r is None:
                raise StoreError(f"no run {run_id!r} in the state store")
            extra = json.loads(r["extra"] or "{}")
            src = [SourceResult(**{k: v for k, v in dict(s).items() if k != "run_id"})
                   for s in conn.execute(sa.select(sources).where(sources.c.run_id == run_id)).mappings()]
            ds = [Dataset.model_validate_json(row[0]) for row in
                  conn.execute(sa.select(datasets.c.facts).where(datasets.c.run_id == run_id)
                               .order_by(datasets.c.pk))] if with_datasets else []
        status = r["status"]
        found = tuple(self.findings_of(run_id, findings_except))
        if status == "complete" and any(leaves_incomplete(f) for f in found):
            status = "partial"  # stored by a version that let a waiver complete a run: a waived unknown is unknown
        return Run(
            id=r["id"], started_at=_utc(r["started_at"]), finished_at=_utc(r["finished_at"]), as_of=_utc(r["as_of"]),
            trigger=r["trigger"], trigger_detail=extra.get("trigger_detail", {}), status=status, config_path=r["config"], sources=tuple(src), datasets=tuple(ds),
            findings=found,
            resolved=tuple(ResolvedFinding(**x) for x in extra.get("resolved", [])),
            carried=tuple(Finding.model_validate(x) for x in extra.get("carried", [])),
            errors=tuple(CollectionError(**x) for x in extra.get("errors", [])),
            vendors=tuple(Vendor(**x) for x in extra.get("vendors", [])),
            previous_run_id=r["previous_run_id"], policy_limits=extra.get("policy_limits", {}),
            attestations=tuple(AttestationUse.model_validate(x) for x in extra.get("attestations", [])),
        )

    # ------------------------------------------------------------------ waivers
    @_unusable
    def add_waiver(self, waiver: Waiver) -> None:
        with self.engine.begin() as conn:
            conn.execute(waivers.delete().where(waivers.c.finding_id == waiver.finding_id))
            conn.execute(waivers.insert().values(**waiver.model_dump()))

    @_unusable
    def waivers(self) -> dict[str, Waiver]:
        with self.engine.connect() as conn:
            return {r["finding_id"]: Waiver(**{**dict(r), "until": _utc(r["until"]), "created_at": _utc(r["created_at"])})
                    for r in conn.execute(sa.select(waivers)).mappings()}

    @_unusable
    def latest_finding(self, finding_id: str) -> Finding | None:
        """The finding as the newest run that had it stored it (None: never seen)."""
        with self.engine.connect() as conn:
            data = conn.execute(sa.select(findings.c.data).where(findings.c.pk == _newest(finding_id))).scalar()
        return Finding.model_validate_json(data) if data else None

    @_unusable
    def latest_severity(self, finding_id: str) -> str | None:
        """The finding's severity in the newest run that had it (None: never seen)."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(findings.c.severity).where(findings.c.pk == _newest(finding_id))).scalar()
