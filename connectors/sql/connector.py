"""The SQL connector (``kind: sql``): PostgreSQL, MySQL/MariaDB and SQLite.

One source is one database server (or file), read over **one** connection (PostgreSQL: plus,
with ``max_connections`` > 1, a second read-only one for the big tables, :class:`ReadAhead`):

1. connect (read-only session, connect and statement timeouts, UTC); a refusal or an
   authentication failure raises :class:`~auditor.errors.ConnectorError` with a
   credential-free message;
2. per source, a fixed number of bulk queries: server facts, reflection with the
   inspector's ``get_multi_*`` methods per schema, table statistics; the catalogue waits at most
   ``catalog_lock_timeout`` on a lock another session holds, and a relation locked ACCESS
   EXCLUSIVE (a migration, VACUUM FULL) is set aside, not assessed as locked, the rest of its
   schema reflected without it (:meth:`Connector._reflect_schema`);
3. per table, **one** aggregate (exact ``count(*)`` when the table is small, ``max()`` of
   each write-time column, commit timestamps, key range), then **one** sample statement (plus
   a fallback when a random sample came back empty). Where the session is read-only by
   default (``Dialect.autocommit_reads``) each statement is its own read-only transaction (no
   BEGIN / SET TRANSACTION READ ONLY / ROLLBACK per table, no lock kept past its statement);
   otherwise, and for tables that need it (PostgreSQL row security read through a policy),
   the table is read inside its own ``SET TRANSACTION READ ONLY`` / ``START TRANSACTION READ
   ONLY`` transaction. The aggregate and whole-table sample statements are compiled once per
   shape (:mod:`.statements`). A table the estimate says fits in the sample has its aggregate
   and its "all rows" sample sent as one simple query where the driver allows it
   (``Dialect.multi_statement_reads``: one round trip; tagged ``sample``). Every query carries
   the execution option ``auditor_phase`` (``setup`` | ``table`` | ``sample``) for whoever counts.

A table that cannot be read (permission, timeout) becomes that dataset's ``error``; the
others go on. An aggregate that runs past ``statement_timeout`` (a write-time column with no
index on a huge table: ``max()`` reads every row) is asked again without its scans (the count,
the write times, the commit times; the key range is an index lookup): the sample is read and
classified, and only the age (and an exact count) stays unknown, its way out named
(:meth:`Connector._without_scans`). Identifiers are always quoted by SQLAlchemy. Sampled
values go to the classifier in the :class:`~auditor.models.Sample` and nowhere else.
"""

from __future__ import annotations

import contextlib
import fnmatch
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import sqlalchemy as sa
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.pool import NullPool

from auditor.errors import ConnectorError
from auditor.models import CollectionError, Dataset, Observation, Sample
from auditor.redact import SPILLED_PASSWORD, Redactor, spilled_password
from connectors import objects
from connectors.base import Capabilities, CollectContext, SourceSpec, empty_selection, matches, unmatched_patterns
from connectors.base import Options as BaseOptions

from . import age, sampling, sendahead
from .apart import ReadAhead, Statistics
from .deadline import Watchdog
from .dialects import Dialect, Server, TableInfo, dialect_for
from .errors import describe, driver_hint, locked, server_timed_out
from .permissions import grants
from .statements import Shapes
from .typememo import types_once


@dataclass
class ReflectedTable:
    """One relation as reflected: its name, columns (the inspector's dicts), primary key and
    what the catalogue said of it (:class:`~.dialects.TableInfo`)."""

    schema: str | None
    name: str
    columns: list[Any]  # sqlalchemy ReflectedColumn dicts: name, type, nullable...
    pk: Any  # ReflectedPrimaryKeyConstraint: constrained_columns
    info: TableInfo = field(default_factory=TableInfo)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.schema, self.name)

    @property
    def display(self) -> str:
        return display_name(self.schema or "main", self.name)

    @property
    def spellings(self) -> tuple[str, ...]:
        """The names include and exclude globs are matched against: the dataset's, and for a
        schema written quoted (``"a.b".c``) the plain ``schema.table`` a config may use."""
        plain = f"{self.schema or 'main'}.{self.name}"
        return (self.display,) if plain == self.display else (self.display, plain)


def _spec_text(entry: tuple[str, str, str | None]) -> str:
    """An aggregate's entry as a reader names it: ``count(*)``, ``max(updated_at)``, ``commit``."""
    _key, agg, column = entry
    return "count(*)" if agg == "count" else f"max({column})" if column is not None else agg


def display_name(schema: str, name: str) -> str:
    """A table's dataset name, ``schema.name``: one name per table. A schema holding '.' (or
    starting with '"') is written in double quotes, '"' doubled: "a.b".c and a."b.c" were both
    'a.b.c', and a dataset is keyed by its name (policy evaluation, the store, finding ids)."""
    if "." in schema or schema.startswith('"'):
        schema = '"' + schema.replace('"', '""') + '"'
    return f"{schema}.{name}"


@dataclass
class ReadPlan:
    """What one table's statements read: the aggregate's expressions and the sample's columns."""

    exact: bool  # count(*) rather than the engine's estimate
    candidates: list[age.Candidate]
    key: str | None  # the integer key whose ranges are sampled
    sample_cols: list[str]
    unsampled: dict[str, str]
    structured: set[str]
    cut: dict[str, int]
    spec: list[tuple[str, str, str | None]]  # the aggregate: (result key, aggregate function, column)
    commit_expr: Any
    texts: dict[str, str] = field(default_factory=dict)  # columns read as the server's text, by kind


@dataclass
class TableRead:
    """What the statements gave: the aggregate's values and the sample's rows."""

    got: dict[str, Any]
    rows: list[tuple]
    strategy: str
    sampled: bool  # a sample statement was run
    counted: int | None = None  # rows of an unfiltered read that returned fewer than its LIMIT: every row
    scans_cut: ScansCut | None = None  # the aggregate ran past statement_timeout: read again without its scans


@dataclass
class ScansCut:
    """A table's aggregate cancelled by the server's statement timeout, read again without the
    expressions that scan the table (:meth:`Connector._without_scans`)."""

    plan: ReadPlan  # the plan read instead: the key range only
    dropped: list[tuple[str, str, str | None]]  # the spec entries left out
    candidates: list[age.Candidate]  # the write-time columns whose max() was not read


class _Cut(Exception):  # noqa: N818 - a signal inside _read(), never seen outside the connector
    def __init__(self, cut: ScansCut, timeout: sa.exc.DBAPIError) -> None:
        self.cut, self.timeout = cut, timeout


@dataclass
class _Watch:
    """One connection's client-side deadline: its watchdog, the token of the statement armed
    last, and the current statement's deadline (for a dialect's driver-side watch)."""

    watchdog: Watchdog
    token: int | None = None
    deadline: list[float] = field(default_factory=lambda: [0.0])


def _arm_watch(w: _Watch, dialect: Any, statement_timeout: float, dbapi_conn: Any) -> None:
    """The connection's client-side deadline armed from now (the current statement's, for the
    watchdog and for a dialect's driver-side watch)."""
    w.deadline[0] = time.monotonic() + statement_timeout
    fd = dialect.socket_of(dbapi_conn)
    if fd is not None:
        w.token = w.watchdog.arm(fd)


class Options(BaseOptions):
    url: str
    include: list[str] = Field(default_factory=lambda: ["*"])
    exclude: list[str] = Field(default_factory=list)
    schemas: list[str] | None = None
    sample_rows: int = Field(1000, ge=0)
    # deadlines, seconds, positive and finite (``.inf`` is a config error naming the key)
    connect_timeout: float = Field(10, gt=0, allow_inf_nan=False)
    statement_timeout: float = Field(30, gt=0, allow_inf_nan=False)  # server-side, per statement
    read_timeout: float | None = Field(None, gt=0, allow_inf_nan=False)  # client-side; default statement_timeout + 15
    # the catalogue's wait for a lock another session holds (capped by statement_timeout): a table
    # locked ACCESS EXCLUSIVE (a migration, VACUUM FULL) is then named as locked, not waited on
    catalog_lock_timeout: float = Field(2, gt=0, allow_inf_nan=False)
    exact_count_max_rows: int = Field(200_000, ge=0)  # engine estimate above this: estimate path
    exact_count_max_bytes: int = Field(256 * 1024 * 1024, ge=0)  # no estimate and bigger: no count
    # connections at once: 2 (PostgreSQL) reads the tables on the estimate path (big: their
    # statements scan) ahead on a second read-only connection while the first reads the rest
    max_connections: int = Field(2, ge=1)
    # server processes a statement may use besides its connection's own (PostgreSQL's parallel
    # workers, max_parallel_workers_per_gather): 0, each connection is one process on the vendor's
    # server; None leaves the server's (or the role's) setting
    parallel_workers: int | None = Field(0, ge=0, le=1024)

    @field_validator("schemas")
    @classmethod
    def _once_each(cls, value: list[str] | None) -> list[str] | None:
        """A schema named twice is read once (each of its tables was one dataset twice)."""
        return list(dict.fromkeys(value)) if value is not None else None

    @field_validator("url")
    @classmethod
    def _parse(cls, value: str) -> str:
        try:
            url = sa.engine.make_url(value)
        except sa.exc.ArgumentError:
            raise ValueError("not a SQLAlchemy database URL") from None
        if spilled_password(url, value):  # never echo the value here
            raise ValueError(SPILLED_PASSWORD)
        return value


def _copy(params: Any) -> Any:
    return dict(params) if isinstance(params, dict) else params


class _CursorContext:
    """What a ``before_cursor_execute`` / ``after_cursor_execute`` listener reads of the context of
    a statement run on the DBAPI cursor by :func:`_one_round_trip`: its execution options."""

    executemany = False

    def __init__(self, options: Any) -> None:
        self.execution_options = options


def _one_round_trip(conn: sa.Connection, sql: str) -> tuple[Any, list | None]:
    """(first result's first row, second result's rows) of a two-statement simple query, run on
    the connection's DBAPI cursor rather than through a SQLAlchemy result (whose set-up costs
    more than the statement on a small table), as SQLAlchemy runs it: the cursor-execute
    events fired around it (``auditor_phase`` sample: the client-side deadline, whoever
    counts), a driver error handled by the connection (wrapped as ``sa.exc.DBAPIError``, the
    connection invalidated on a disconnect, ``handle_error`` fired), the cursor closed."""
    params: Any = {}  # as SQLAlchemy passes it: the driver reads %% as %
    driver: Any = conn.connection.driver_connection
    cursor = driver.cursor()
    try:
        context = _CursorContext(conn.get_execution_options().union(_SAMPLE))
        try:
            for before in conn.dispatch.before_cursor_execute:
                sql, params = before(conn, cursor, sql, params, context, False)
            # no parameters and no "%": the text is the driver's as it is (psycopg parses a query
            # given parameters for its placeholders and the %% of escaped percent signs)
            cursor.execute(sql, params if params or "%" in sql else None)
            for after in conn.dispatch.after_cursor_execute:
                after(conn, cursor, sql, params, context, False)
        except Exception as exc:  # noqa: BLE001 - handled (and raised) as SQLAlchemy handles it
            conn._handle_dbapi_exception(exc, sql, params, cursor, None)
        first = cursor.fetchone()  # the cursor holds both results (one simple query)
        rows = list(cursor.fetchall()) if cursor.nextset() else None
    finally:
        cursor.close()
    return first, rows


@dataclass
class _Query:
    """A table's aggregate and "all rows" sample as one simple query (:meth:`Connector._query`)."""

    text: str
    plan: ReadPlan
    as_text: tuple[int, ...]


@dataclass
class _Sent:
    """A table's query sent ahead on a connection (:mod:`.sendahead`), its results not taken yet."""

    key: tuple[str | None, str]
    driver: Any  # the DBAPI connection it is in flight on
    sql: str
    plan: ReadPlan
    cursor: Any  # the cursor the execute events were fired with (closed when the results are taken)
    context: _CursorContext
    as_text: tuple[int, ...] = ()  # the sample's columns loaded as the server's text (no cast sent)
    # the thread that sent it (the main connection's): only it takes or drops this record, never
    # the read-ahead thread settling a table of its own connection
    owner: int = field(default_factory=threading.get_ident)


def _send_ahead(conn: sa.Connection, key: tuple[str | None, str], sql: str, plan: ReadPlan,
                as_text: tuple[int, ...] = ()) -> _Sent:
    """``sql`` sent on the connection's driver, the before-execute events fired as
    :func:`_one_round_trip` fires them (the client-side deadline armed from now); ``as_text``: the
    sample's columns to load as the server's text (:func:`.sendahead.take`)."""
    params: Any = {}
    driver: Any = conn.connection.driver_connection
    cursor = driver.cursor()
    context = _CursorContext(conn.get_execution_options().union(_SAMPLE))
    try:
        for before in conn.dispatch.before_cursor_execute:
            sql, params = before(conn, cursor, sql, params, context, False)
        sendahead.send(driver, sql)
    except BaseException:
        cursor.close()
        raise
    return _Sent(key, driver, sql, plan, cursor, context, as_text)


def _receive(conn: sa.Connection, sent: _Sent) -> tuple[Any, list | None]:
    """The results of a query :func:`_send_ahead` sent, as :func:`_one_round_trip` returns
    them; a driver error handled by the connection as there (wrapped, invalidated on a
    disconnect, ``handle_error`` fired)."""
    first, pending = _take(conn, sent)
    return first, _load(conn, sent, pending)


def _take(conn: sa.Connection, sent: _Sent) -> tuple[Any, Any]:
    """:func:`_receive`'s first step (:func:`.sendahead.take`): the results off the wire, the
    connection idle again; the rows still to load (:func:`_load`)."""
    try:
        try:
            first, pending = sendahead.take(sent.driver, sent.as_text)
            for after in conn.dispatch.after_cursor_execute:
                after(conn, sent.cursor, sent.sql, {}, sent.context, False)
        except Exception as exc:  # noqa: BLE001 - handled (and raised) as SQLAlchemy handles it
            conn._handle_dbapi_exception(exc, sent.sql, {}, sent.cursor, None)
    finally:
        sent.cursor.close()
    return first, pending


def _load(conn: sa.Connection, sent: _Sent, pending: Any, first: Callable[[], None] | None = None) -> list | None:
    """The rows :func:`_take` left, loaded; a loader's error handled as a driver error there,
    ``first`` called before (it settles a query sent since: the handling may roll back)."""
    try:
        return sendahead.load(pending)
    except Exception as exc:  # noqa: BLE001 - handled (and raised) as SQLAlchemy handles it
        if first is not None:
            with contextlib.suppress(Exception):
                first()
        conn._handle_dbapi_exception(exc, sent.sql, {}, None, None)
        raise  # not reached: the call above raises


# entries each memo of type objects keeps (by identity, so the objects kept alive): PostgreSQL's
# reflection shares a type object among a schema's columns (typememo), others give each column its own
MEMO_ENTRIES = 4096

# the catalogue's statistics read on a second connection while the first reflects (Statistics)
STATISTICS_APART = True

# the wire kinds (:data:`.sampling.WIRE_KINDS`) whose text the server writes alike with or without
# ``CAST(c AS TEXT)``: their output function is the cast (an I/O conversion). Not a boolean, whose
# cast says 'true' where its output says 't'. A query sent ahead selects them as they are and loads
# them as text (:func:`.sendahead.take`): the same texts, without a copy of each on the server
LOADED_AS_TEXT = frozenset({"int", "uuid", "float", "timestamp", "timestamptz", "date"})

_TABLE = {"auditor_phase": "table"}
_SAMPLE = {"auditor_phase": "sample"}


class Connector:
    kind: ClassVar[str] = "sql"
    Options: ClassVar[type[BaseModel]] = Options
    capabilities: ClassVar[Capabilities] = Capabilities(
        knows=frozenset({"records", "bytes", "last_modified", "encryption_at_rest", "encryption_in_transit",
                         "has_retention", "retention_days", "columns", "personal_data"}),
        never={"public": "network exposure of a database is outside what a SQL login can see",
               "region": "a SQL login does not see where the server runs",
               "versioning": "not a setting of a database", "object_lock": "not a setting of a database"})

    def __init__(self, source: SourceSpec, ctx: CollectContext) -> None:
        self.source, self.ctx = source, ctx
        self.opts: Options = source.options
        self.url = sa.engine.make_url(self.opts.url)
        self.dialect: Dialect = dialect_for(self.url)
        self.dialect.parallel_workers = self.opts.parallel_workers
        self.redact = Redactor()
        self.redact.add(self.url.password if isinstance(self.url.password, str) else None)
        self._shapes: dict[int, Shapes] = {}  # statement shapes compiled for this source, per engine dialect
        self._type_texts: dict[Any, str] = {}  # compiled column types (see _type_text)
        self._type_objects: dict[int, tuple[Any, str]] = {}  # the same, by type object
        # per run (the server's facts, e.g. which kinds it writes as text, are read first): see _column_plan
        self._column_plans: dict[tuple, tuple[list[Any], tuple]] = {}
        self._isolation: Any = None  # the connection's isolation level before reads went autocommit
        self._sent: _Sent | None = None  # the next table's query in flight on the main connection
        # the table read after the one being read on the main connection, and its query made ahead
        # (:meth:`_table`): sent as soon as this one's results are off the wire (:meth:`_aggregate`)
        self._following: tuple[Server, ReflectedTable] | None = None
        self._made: tuple[tuple[str | None, str], _Query | None] | None = None
        self._stopping = False  # the collection is ending (done, cancelled, closed): a table cut off now is not failing
        self.read_timeout = self.opts.read_timeout or self.opts.statement_timeout + 15
        self.watchdog = Watchdog(self.read_timeout)  # PostgreSQL: a connection that goes silent
        self._watch = _Watch(self.watchdog)  # the main connection's; the read-ahead one has its own
        self._watches: dict[sa.Engine, _Watch] = {}

    @classmethod
    def permissions(cls) -> dict:
        return grants()

    def units(self) -> list[str] | None:
        """The schemas that may hold selected tables, one unit each (Celery); None when that is one
        schema, or a named schema is missing (then the source is one unit). A unit reads its own
        schema's tables (``CollectContext.unit``); the one with ``unit_checks`` (the first) also
        makes the source-wide checks (names not found, a selection that matched nothing) over
        every schema's catalog, as one collection of the source does."""
        with self._opened() as (_engine, conn):
            inspector = sa.inspect(conn)
            schemas = self.dialect.schemas(inspector, self.opts.schemas)
            if self.dialect.unknown_schemas(inspector, self.opts.schemas) or any(s is None for s in schemas):
                return None
            wanted = [s for s in schemas if s is not None and self._may_select(s)]
            return wanted if len(wanted) > 1 else None

    def _may_select(self, schema: str) -> bool:
        """Whether an include pattern can select a table of ``schema`` (``schema.table`` patterns:
        the part before the first dot must match; a pattern without a dot may match anything)."""
        import fnmatch

        return "." in schema or any("." not in p or fnmatch.fnmatchcase(schema, p.split(".", 1)[0])
                                    for p in self.opts.include)

    def _globbed(self, schema: str) -> bool:
        """Whether a glob of ``include`` may select a table of ``schema`` (one a login that cannot list
        every table would miss); a table named outright is found, or named as not found."""
        import fnmatch

        return any(objects.GLOB_CHARS & set(p) and ("." not in p or fnmatch.fnmatchcase(schema, p.split(".", 1)[0]))
                   for p in self.opts.include)

    @property
    def overlaps_its_waits(self) -> bool:
        """Whether the source's own thread keeps the server busy while an observation is
        consumed: each table's query is sent before the table before it is handed over
        (:mod:`.sendahead`: PostgreSQL over psycopg), so the server reads the next table while
        this one is described and classified. The engine then runs this connector in the
        source's thread (:data:`auditor.engine.COLLECT_AHEAD` does not apply): a second thread
        would only hand the interpreter lock back and forth (measured on the 1,001-table
        estate: 8-10% of an end-to-end run's wall, 14% of its CPU)."""
        return self.dialect.multi_statement_reads and self.dialect.engine_url().get_driver_name() == "psycopg"

    # -- connection -----------------------------------------------------------------
    def _engine(self, watch: _Watch | None = None) -> sa.Engine:
        d, o = self.dialect, self.opts
        w = watch or self._watch
        connect_args = {**d.connect_args(o.connect_timeout, o.statement_timeout), **d.network_args(self.read_timeout)}
        try:
            engine = sa.create_engine(d.engine_url(), poolclass=NullPool, connect_args=connect_args)
        except ImportError as exc:  # the URL's DBAPI driver is not installed: say which extra has it
            raise ConnectorError(driver_hint(self.url, exc, d.driver_extra())) from None
        d.prepare_engine(engine)

        @sa.event.listens_for(engine, "connect")
        def _session(dbapi_conn: Any, _record: Any) -> None:
            fd = d.socket_of(dbapi_conn)  # the session set-up waits on the network too
            w.token = w.watchdog.arm(fd) if fd is not None else None
            try:
                d.on_connect(dbapi_conn, o.statement_timeout)
            finally:
                w.watchdog.disarm()
            d.watch(dbapi_conn, lambda: time.monotonic() > w.deadline[0])

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _arm(conn: sa.Connection, *_args: Any) -> None:
            _arm_watch(w, d, o.statement_timeout, conn.connection.dbapi_connection)

        @sa.event.listens_for(engine, "after_cursor_execute")
        def _disarm(*_args: Any) -> None:
            w.watchdog.disarm()

        @sa.event.listens_for(engine, "handle_error")
        def _failed(_ctx: Any) -> None:
            w.watchdog.disarm()

        self._watches[engine] = w
        return engine

    def _awaiting(self, conn: sa.Connection) -> None:
        """A query sent ahead (:meth:`_send_next`) is armed when its answer is waited for, not from
        when it went out: it went out before the table before it was handed over, and whoever took
        that table may have held the connector for longer than ``read_timeout`` (a big sample
        classified inline, a full read-ahead buffer). That wait is not the server's silence."""
        w = self._watches.get(conn.engine)
        if w is not None:
            _arm_watch(w, self.dialect, self.opts.statement_timeout, conn.connection.dbapi_connection)

    @contextlib.contextmanager
    def _own_engine(self) -> Iterator[sa.Engine]:
        """An engine for a second connection (the statistics', the read-ahead's), with a
        client-side watchdog of its own (one statement armed at a time per watchdog); on the way
        out its watchdog is stopped and the engine disposed of."""
        watch = _Watch(Watchdog(self.read_timeout))
        engine: sa.Engine | None = None
        try:
            engine = self._engine(watch)
            yield engine
        finally:
            watch.watchdog.close()
            if engine is not None:
                engine.dispose()
                self._watches.pop(engine, None)

    def _silent(self, conn: sa.Connection | None = None) -> str | None:
        """The reason when the last statement (over ``conn``, else the main connection) was cut
        off by the client-side deadline."""
        w = self._watches.get(conn.engine, self._watch) if conn is not None else self._watch
        if w.token is not None and w.watchdog.fired(w.token):
            return (f"no answer from the server within read_timeout ({self.read_timeout:g}s): the connection "
                    "went silent and was closed (raise read_timeout, or check the network path)")
        return None

    def _connect(self, engine: sa.Engine) -> sa.Connection:
        try:
            return engine.connect()
        except (sa.exc.DBAPIError, OSError) as exc:
            # while connecting, a driver's timeout is the connect timeout: no statement has run yet
            # (Snowflake's connector says HYT00 both for its login_timeout and its query_timeout)
            codes = None if self._codes is None else {
                k: v for k, v in self._codes.items() if k not in ("timeout", "read_timeout")}
            reason = self._silent() or describe(exc, self.redact, codes=codes)
            raise ConnectorError(f"cannot connect to {self.dialect.location()}: {reason}") from None

    @contextlib.contextmanager
    def _opened(self) -> Iterator[tuple[sa.Engine, sa.Connection]]:
        """An engine and one connection to the source; on the way out the connection is closed, the
        watchdog stopped, the engine disposed of and the dialect's leftovers cleaned up."""
        engine = self._engine()
        try:
            conn = self._connect(engine)
            try:
                yield engine, conn
            finally:
                conn.close()
        finally:
            self.watchdog.close()
            engine.dispose()
            self._watches.pop(engine, None)
            self.dialect.cleanup()

    # -- the run ---------------------------------------------------------------------
    def collect(self) -> Iterator[Observation | CollectionError]:
        with self._opened() as (engine, conn):
            yield from self._collect(engine, conn)

    def _collect(self, engine: sa.Engine, conn: sa.Connection) -> Iterator[Observation | CollectionError]:
        setup = conn.execution_options(auditor_phase="setup")  # per-statement options override it
        stats: Statistics | None = None  # the statistics read on a second connection meanwhile
        infos: dict[tuple[str | None, str], TableInfo] | None = None
        self._stopping = False
        try:
            try:
                self.dialect.lock_wait(setup, self._catalog_wait)  # the catalogue waits briefly on a lock
                server = self.dialect.server(setup)
                self._column_plans = {}  # a plan of columns holds what this server said (wire texts)
                inspector = sa.inspect(setup)
                schemas = self.dialect.schemas(inspector, self.opts.schemas)
                missing_schemas = self.dialect.unknown_schemas(inspector, self.opts.schemas)
                schemas = [s for s in schemas if s not in missing_schemas]
                unit = self.ctx.unit  # one schema of the source (a Celery unit), or None: all of them
                checks = unit is None or self.ctx.unit_checks  # the source-wide checks, in one unit only
                if unit is not None and not checks:
                    schemas = [s for s in schemas if s == unit]
                stats = Statistics.start(self, schemas) if self._statistics_apart() else None
                if stats is None:
                    infos = self.dialect.tables(setup, schemas)
                invisible = (self.dialect.invisible_tables(setup, [s for s in schemas if s and self._globbed(s)])
                             if checks else {})
            except sa.exc.DBAPIError as exc:
                raise self._catalog_failure(setup, exc) from None

            def infos_now() -> dict[tuple[str | None, str], TableInfo]:
                """The statistics, once the reflection needs them: the second connection's (waited
                for), or, if it could not give them, read here as they always were."""
                nonlocal infos
                if infos is None:
                    assert stats is not None
                    infos = stats.result()
                    if stats.error is not None:  # the statistics' own failure: the source's, as on the main connection
                        raise self._catalog_failure(setup, stats.error, stats.silent) from None
                    if infos is None:
                        try:
                            infos = self.dialect.tables(setup, schemas)
                        except sa.exc.DBAPIError as exc:
                            raise self._catalog_failure(setup, exc) from None
                return infos

            tables, unreflected = yield from self._reflect(inspector, setup, schemas, infos_now, missing_schemas)
            if stats is not None:
                stats.result()  # its connection closed (no schema may have asked): never more than two at once
                if infos is None and stats.error is not None:  # no schema asked for them: still the source's error
                    raise self._catalog_failure(setup, stats.error, stats.silent)
        except BaseException:
            if stats is not None:  # an error, a closed generator, a time limit: its statement cancelled, joined
                stats.stop()
            raise
        conn = self._read_session(conn)
        if checks:
            not_found = list(self._not_found(missing_schemas, self._seen))
            yield from not_found
            for schema, (reason, fix) in invisible.items():  # tables the login cannot even list: named
                yield CollectionError(source=self.source.id, dataset=schema, reason=reason, fix=fix)
            if not unreflected:  # a schema not read is its own error: no "empty selection" on top
                yield from self._empty_selection(self._seen, tables, not_found)
        if unit is not None:
            tables = [t for t in tables if t.schema == unit]
        self.ctx.log.info("sql source %s: %d tables selected", self.source.id, len(tables))
        lost: str | None = None
        ahead = self._read_ahead(server, tables)
        try:
            for i, t in enumerate(tables):
                if self.ctx.cancel.is_set():
                    break
                early = ahead.result(t) if ahead is not None else None
                if early is not None:
                    yield early
                elif lost:
                    yield Observation(dataset=self._dataset(server, t, status="error", error=lost))
                else:
                    # the table after it is read on this connection too: its query may go ahead
                    after = tables[i + 1] if i + 1 < len(tables) else None
                    if after is not None and ahead is not None and after.key in ahead.keys:
                        after = None
                    yield self._table_or_error(conn, server, t, after)
                    if conn.invalidated or conn.closed:
                        self._sent = None  # in flight on the connection lost, if anything: read again
                        conn, lost = self._reconnect(engine, conn)
                self.ctx.progress(1)
        finally:
            self._stopping = True  # what the read-ahead connection has in flight is cut off below
            try:
                self._settle(conn, give_up=True)  # stopped early (cancelled, closed): nothing left in flight
            finally:
                if ahead is not None:
                    ahead.stop()

    def _catalog_failure(self, setup: sa.Connection, exc: sa.exc.DBAPIError,
                         silent: str | None = None) -> ConnectorError:
        """The source's error when its catalogue cannot be read (``silent``: the reason when the
        statement was cut off by the client-side deadline of the connection it ran on)."""
        with contextlib.suppress(sa.exc.DBAPIError):
            setup.rollback()
        reason = (silent or self._silent() or self.dialect.catalog_error(exc)
                  or describe(exc, self.redact, codes=self._codes))
        return ConnectorError(f"cannot read the catalog of {self.dialect.location()}: {reason}")

    def _statistics_apart(self) -> bool:
        """Whether the catalogue's statistics (:meth:`.Dialect.tables`) are read on a second
        connection while the first reflects the schemas (:class:`Statistics`): where the big
        tables may be read ahead on one (``max_connections`` > 1, the dialect allows it)."""
        return STATISTICS_APART and self.opts.max_connections >= 2 and self.dialect.statistics_apart

    def _slow(self, t: ReflectedTable) -> bool:
        """A table whose statements scan it: its rows are read (see :meth:`_not_read`) and it is
        on the estimate path (too big for an exact count)."""
        info, o = t.info, self.opts
        if info.readable is False or info.hidden_by or info.not_read or not info.populated:
            return False
        return ((info.estimate is not None and info.estimate > o.exact_count_max_rows)
                or (info.bytes is not None and info.bytes > o.exact_count_max_bytes))

    def _read_ahead(self, server: Server, tables: list[ReflectedTable]) -> ReadAhead | None:
        """The big tables read on a second connection while the main one reads the rest (where
        the dialect allows it and ``max_connections`` > 1); None when there is nothing to overlap."""
        if self.opts.max_connections < 2 or not self.dialect.read_ahead:
            return None
        slow = [t for t in tables if self._slow(t)]
        if not slow or len(slow) == len(tables):
            return None
        ahead = ReadAhead(self, server, slow)
        ahead.start()
        return ahead

    # -- transactions ------------------------------------------------------------------
    def _read_session(self, conn: sa.Connection) -> sa.Connection:
        """The session a connection reads tables in, the same on every one (the first, each
        reconnect, the read-ahead one; what the dialect's ``on_connect`` sets comes on top): the
        lock wait a second shorter than ``statement_timeout`` (a locked table is named as locked,
        not as a slow query), then each statement its own read-only transaction (:meth:`_reading`).
        The lock wait not set is logged, not raised (the reads then wait as long as a statement)."""
        try:
            self.dialect.lock_wait(conn, self._read_lock_wait)
        except sa.exc.DBAPIError as exc:
            with contextlib.suppress(sa.exc.DBAPIError):
                conn.rollback()
            self.ctx.log.info("sql source %s: lock wait not restored (%s)", self.source.id, type(exc).__name__)
        return self._reading(conn)

    def _reading(self, conn: sa.Connection) -> sa.Connection:
        """The connection the tables are read over. Where the dialect's session is read-only by
        default (``autocommit_reads``: PostgreSQL's default_transaction_read_only, MySQL's SET
        SESSION TRANSACTION READ ONLY, SQLite's query_only), each statement is its own read-only
        transaction: no BEGIN / SET TRANSACTION / ROLLBACK per table, and no lock outlives its
        statement. A table that needs more (``needs_transaction``: PostgreSQL row security read
        through a policy) is read in a transaction of its own (``begin_statements``)."""
        if not self.dialect.autocommit_reads:
            return conn
        conn.rollback()  # no transaction may be open when the isolation level changes
        self._isolation = conn.default_isolation_level
        return conn.execution_options(isolation_level="AUTOCOMMIT")

    @contextlib.contextmanager
    def _transaction(self, conn: sa.Connection, info: TableInfo) -> Iterator[None]:
        """The table's statements: in their own read-only transaction where the dialect needs one."""
        own = not self.dialect.autocommit_reads or self.dialect.needs_transaction(info)
        if own and self.dialect.autocommit_reads:
            conn.rollback()  # ends SQLAlchemy's (autocommit) transaction: the isolation level may change
            conn.execution_options(isolation_level=self._isolation)
        try:
            if own:
                for sql in self.dialect.begin_statements(info):
                    conn.exec_driver_sql(sql, execution_options=_TABLE)
            yield
        finally:
            if own and not conn.invalidated and not conn.closed:
                conn.rollback()  # nothing was written; end the read-only transaction
                if self.dialect.autocommit_reads:
                    conn.execution_options(isolation_level="AUTOCOMMIT")

    def _reflect(self, inspector: sa.Inspector, setup: sa.Connection, schemas: list[str | None],
                 infos_now: Callable[[], dict[tuple[str | None, str], TableInfo]], missing_schemas: list[str],
                 ) -> Generator[CollectionError, None, tuple[list[ReflectedTable], bool]]:
        """Columns, keys and comments per schema (a fixed number of queries); the tables selected.
        Returns (selected tables, whether a schema could not be reflected); sets ``_seen`` (every
        relation reflected, selected or not) and ``_seen_count``. ``infos_now``: the catalogue's
        statistics, asked for once a schema's columns are read (they may still be on their way)."""
        tables: list[ReflectedTable] = []
        self._comments: dict[tuple[str | None, str], str | None] = {}
        self._seen: set[str] = set()
        unreflected = False
        reflected: dict[tuple[str | None, str], ReflectedTable] = {}
        parents: set[tuple[str | None, str]] = set()  # roots of selected partitions
        for schema in schemas:
            try:
                columns, pks, blocked = self._reflect_schema(inspector, setup, schema, infos_now)
            except sa.exc.DBAPIError as exc:
                setup.rollback()
                if self.ctx.unit is None or schema == self.ctx.unit:  # another unit says so of its own schema
                    # a refusal: the dialect's grant; anything else (a corrupt file, a broken catalogue):
                    # no grant would help
                    fix = (self.dialect.schema_fix(schema or "main") if self._denied(exc) else
                           "check that the database is intact and readable (the reason names what failed), "
                           "then audit it again")
                    yield CollectionError(source=self.source.id, dataset=schema,
                                          reason=f"schema not reflected: {describe(exc, self.redact, codes=self._codes)}",
                                          fix=fix)
                unreflected = True
                continue
            infos = infos_now()
            for key, reason in blocked.items():  # named, not reflected: not assessed on their own
                columns.setdefault(key, [])
                info = infos.setdefault(key, TableInfo())
                info.not_reflected = reason
            if schema is not None and not columns and schema in (self.opts.schemas or ()):
                missing_schemas.append(schema)  # named, but no table in it is visible
            for (sch, name), cols in sorted(columns.items(), key=lambda kv: kv[0][1]):
                info = infos.get((sch, name)) or TableInfo()
                if info.shadow_of is not None:
                    continue  # a virtual table's storage: read through the virtual table, once
                cols = [self.dialect.reflected_column(c) for c in cols]  # engine types as SQLAlchemy's generic ones
                t = ReflectedTable(sch, name, cols, pks.get((sch, name)) or {}, info)
                self._seen.update(t.spellings)
                reflected[t.key] = t
                if info.partition_of is not None:  # a partition: its rows are read through its root, once
                    if matches(t.spellings, self.opts.include, self.opts.exclude):
                        parents.add(info.partition_of)
                    continue
                if matches(t.spellings, self.opts.include, self.opts.exclude):
                    tables.append(t)
        chosen = {t.key for t in tables}
        for root in sorted(parents - chosen, key=lambda k: (k[0] or "", k[1])):
            # a selected partition selects its root, unless the root itself is excluded
            if root in reflected and matches(reflected[root].spellings, [], self.opts.exclude):
                tables.append(reflected[root])
        self._seen_count = len([t for t in reflected.values() if t.info.partition_of is None])
        return tables, unreflected

    @property
    def _catalog_wait(self) -> float:
        return min(self.opts.catalog_lock_timeout, self.opts.statement_timeout)

    @property
    def _read_lock_wait(self) -> float:
        """A table's read gives up on a lock a second before ``statement_timeout`` would end it, so
        the cause is named (locked by another session) rather than a slow query."""
        return max(self._catalog_wait, self.opts.statement_timeout - 1)

    def _reflect_schema(self, inspector: sa.Inspector, setup: sa.Connection, schema: str | None,
                        infos_now: Callable[[], dict[tuple[str | None, str], TableInfo]]) -> tuple[dict, dict, dict]:
        """(columns, primary keys, {relation: why not reflected}) of one schema: in bulk; when a
        lock held by another session stops the bulk (reflecting a column default opens the table,
        which waits on an ACCESS EXCLUSIVE lock: a migration, VACUUM FULL, ALTER TABLE), the
        relations the server says are locked are set aside and the rest reflected in bulk again;
        if that fails on a lock too, one relation at a time. A lock costs ``catalog_lock_timeout``
        per attempt, never the whole schema. A refused definition (a privilege error: MariaDB's
        SHOW CREATE TABLE on a table granted column by column) also sends the schema one relation
        at a time, setting aside only the refused ones. Any other error is the schema's (raised)."""
        kind = self.dialect.reflect_kind

        def bulk(names: list[str] | None) -> tuple[dict, dict]:
            if names is not None and not names:
                return {}, {}
            with types_once(setup.dialect):
                columns = inspector.get_multi_columns(schema=schema, filter_names=names, kind=kind)
            columns = self.dialect.typed_columns(setup, schema, columns)
            pks = (inspector.get_multi_pk_constraint(schema=schema, filter_names=names, kind=kind)
                   if self.dialect.samples_by_key else {})  # only sample_key reads them
            comments = self._table_comments(inspector, schema, kind, names)
            setup.rollback()
            self._comments.update(comments)
            return columns, pks

        def names_of_schema() -> list[str]:
            return sorted({n for (s, n) in infos_now() if s == schema}) or sorted(
                inspector.get_table_names(schema=schema) + self._view_names(inspector, schema))

        reason = locked("while reading its catalogue entry", self._catalog_wait)

        def each(rest: list[str], blocked: dict) -> tuple[dict, dict, dict]:
            """One relation at a time: only the relations that wait on a lock, or whose definition
            the audit identity may not read, are set aside (named, not assessed on their own)."""
            columns: dict = {}
            pks: dict = {}
            for n in rest:
                try:
                    c, p = bulk([n])
                except sa.exc.DBAPIError as exc:
                    setup.rollback()
                    if self._waited(exc) == "lock":
                        blocked[(schema, n)] = reason
                    elif self._denied(exc):
                        blocked[(schema, n)] = describe(exc, self.redact, codes=self._codes,
                                                        fix=self.dialect.grant_fix(schema or "main", n))
                    else:
                        raise
                    continue
                columns.update(c)
                pks.update(p)
            return columns, pks, blocked

        try:
            return (*bulk(None), {})
        except sa.exc.DBAPIError as exc:
            setup.rollback()
            why = self._waited(exc)
            if why is None:
                if not self._denied(exc):
                    raise
                # one relation's definition is refused (MariaDB: SHOW CREATE TABLE on a table granted
                # column by column, error 1142): that relation alone is not assessed, not the schema
                self.ctx.log.warning("sql source %s: schema %s: a relation's definition could not be read; "
                                     "reflecting one relation at a time", self.source.id, schema)
                return each(names_of_schema(), {})
            first = exc
        names = names_of_schema()
        held = self.dialect.locked_relations(setup, schema) & set(names)
        if why == "statement" and not held:
            raise first  # slow, not locked: the schema's own error, as before (no retry per relation)
        blocked = {(schema, n): reason for n in sorted(held)}
        rest = [n for n in names if n not in held]
        self.ctx.log.warning("sql source %s: schema %s: reflection waited on a lock; %d relation(s) locked by "
                             "another session set aside", self.source.id, schema, len(blocked))
        try:
            columns, pks = bulk(rest)
            return columns, pks, blocked
        except sa.exc.DBAPIError as exc:
            setup.rollback()
            if self._waited(exc) != "lock":
                raise
        return each(rest, blocked)

    def _view_names(self, inspector: sa.Inspector, schema: str | None) -> list[str]:
        if not self.dialect.reflect_kind & sa.engine.reflection.ObjectKind.MATERIALIZED_VIEW:
            return []
        try:
            return list(inspector.get_materialized_view_names(schema=schema))
        except NotImplementedError:
            return []

    def _denied(self, exc: BaseException) -> bool:
        """The server refused the audit identity (a privilege error), as :func:`.errors.describe` says."""
        return describe(exc, self.redact, codes=self._codes).startswith("permission denied")

    def _waited(self, exc: BaseException) -> str | None:
        """"lock": a lock wait timed out; "statement": the statement timed out (maybe on a lock)."""
        said = describe(exc, self.redact, codes=self._codes)
        return "lock" if said.startswith("lock timeout") else "statement" if said.startswith("statement timeout") else None

    def _not_found(self, schemas: list[str], seen: set[str]) -> Iterator[CollectionError]:
        """Explicitly named schemas and tables that matched nothing: reported, never silent."""
        for schema in schemas:
            yield CollectionError(
                source=self.source.id, dataset=schema,
                reason=f"schema {schema} not found or not visible to the audit identity (no table in it could be listed)",
                fix=f"check the schema name, and {self.dialect.schema_fix(schema)}")
        for entry in objects.explicit_names(self.opts.include, self.opts.exclude):
            if entry not in seen and entry.split(".", 1)[0] not in schemas:  # a missing schema is said once
                schema, _, name = entry.rpartition(".")
                yield CollectionError(
                    source=self.source.id, dataset=entry, kind="table",
                    reason=f"table {entry} not found or not visible to the audit identity",
                    fix=f"check the name (schema.table), and {self.dialect.grant_fix(schema or 'main', name)}")

    def _empty_selection(self, seen: set[str], tables: list, not_found: list) -> Iterator[CollectionError]:
        """A selection that matches nothing is a finding, not a pass: glob patterns that select
        no table, or a source with no table selected at all (counts only, never names)."""
        held = getattr(self, "_seen_count", len(seen))
        unmatched = unmatched_patterns(sorted(seen), self.opts.include, self.opts.exclude)
        if unmatched:
            yield empty_selection(self.source.id, "table", unmatched, held)
        elif not tables and not not_found:
            yield empty_selection(self.source.id, "table", list(self.opts.include) or ["*"], held)

    @staticmethod
    def _table_comments(inspector: sa.Inspector, schema: str | None, kind: Any,
                        names: list[str] | None = None) -> dict[tuple[str | None, str], str | None]:
        """Table comments in one round trip per schema (where a retention rule may be declared)."""
        try:
            return {key: (c or {}).get("text") for key, c in inspector.get_multi_table_comment(
                schema=schema, filter_names=names, kind=kind).items()}
        except NotImplementedError:  # SQLite has no table comments
            return {}

    def _reconnect(self, engine: sa.Engine, conn: sa.Connection) -> tuple[sa.Connection, str | None]:
        """A new connection in place of a lost one, with the first one's session (:meth:`_read_session`);
        or the old one and why the source is unreachable."""
        conn.close()
        try:
            new = engine.connect()
        except (sa.exc.DBAPIError, OSError) as exc:
            return conn, f"the source became unreachable during the scan: {describe(exc, self.redact, codes=self._codes)}"
        try:
            return self._read_session(new), None
        except (sa.exc.SQLAlchemyError, OSError) as exc:  # lost again while its session was set up
            return new, f"the source became unreachable during the scan: {describe(exc, self.redact, codes=self._codes)}"

    # -- one table: reflect -> aggregate -> sample -> dataset ----------------------------
    def _table_or_error(self, conn: sa.Connection, server: Server, t: ReflectedTable,
                        after: ReflectedTable | None = None) -> Observation:
        """One table; whatever goes wrong in it stays that table's error (the rest goes on).
        ``after``: the table read next on this connection, whose query may be sent ahead."""
        try:
            return self._table(conn, server, t, after)
        except Exception as exc:  # noqa: BLE001 - a per-table failure is never the source's
            with contextlib.suppress(Exception):
                self._settle(conn)  # the next table's query, if sent: taken off the wire first
                if not conn.invalidated and not conn.closed:
                    conn.rollback()
            reason = f"the table could not be read: {type(exc).__name__} (the rest of the source was read)"
            self._not_assessed(t.display, reason)
            return Observation(dataset=self._dataset(server, t, status="error", error=reason))

    def _not_assessed(self, table: str, reason: str) -> None:
        """A table's failure, logged; but one cut off by the source's own stop (cancelled, timed out,
        closed by its reader) is never reported, and its error (a cancel reads as a statement timeout
        on PostgreSQL) would name a failure there was not: that one is a debug line."""
        if self._stopping or self.ctx.cancel.is_set():
            self.ctx.log.debug("sql source %s: table %r cut off as the source stopped: %s", self.source.id, table, reason)
            return
        self.ctx.log.warning("sql source %s: table %r not assessed: %s", self.source.id, table, reason)

    def _table(self, conn: sa.Connection, server: Server, t: ReflectedTable,
               after: ReflectedTable | None = None) -> Observation:
        sent = self._sent_on(conn)
        if sent is not None and sent.key != t.key:  # sent for another table: not this one's
            self._settle(conn)
            sent = None
        unread = self._not_read(server, t)
        if unread is not None:
            return unread
        plan = sent.plan if sent is not None else self._plan(server, t)
        following: tuple[Server, ReflectedTable] | None = None
        if after is not None:  # the next table's query made while this one's answer is on its way
            try:
                self._made = (after.key, self._query(conn, server, after))
            except Exception as exc:  # noqa: BLE001 - not sent ahead: its own read meets it, as that table's
                self.ctx.log.debug("sql source %s: table %r: its query not sent ahead (%s)", self.source.id,
                                   after.display, type(exc).__name__)
                self._made = (after.key, None)
            self._following = (server, after)
        try:
            try:
                read = self._read(conn, t, plan)
            except _Cut as late:  # its scans ran past statement_timeout: read without them
                if self.ctx.cancel.is_set():  # the run is stopping: not a second wait
                    raise late.timeout from None
                self.ctx.log.warning(
                    "sql source %s: table %r: %s ran past statement_timeout (%gs): read again without "
                    "them (the age unknown)", self.source.id, t.display,
                    ", ".join(_spec_text(e) for e in late.cut.dropped), self.opts.statement_timeout)
                read = self._read(conn, t, late.cut.plan, late.cut)
                plan = late.cut.plan
        except sa.exc.DBAPIError as exc:
            schema = t.schema or "main"
            fix = self.dialect.read_error_fix(exc, server.facts.get("role"), schema, t.name)
            reason = self._silent(conn) or describe(exc, self.redact, fix=fix, codes=self._codes)
            self._not_assessed(f"{schema}.{t.name}", reason)
            return Observation(dataset=self._dataset(server, t, status="error", error=reason))
        finally:  # (the read-ahead thread's tables, never followed, leave the main connection's alone)
            if after is not None:  # None once sent (or tried) while this table's rows loaded (:meth:`_aggregate`)
                following, self._following = self._following, None
        if following is not None:
            self._send_next(conn, *following)  # the server reads it while this table is described
        return self._observation(server, t, plan, read)

    def _read(self, conn: sa.Connection, t: ReflectedTable, plan: ReadPlan, cut: ScansCut | None = None) -> TableRead:
        """The table's aggregate and sample, in its transaction (an aggregate sent alone that the
        server cancels at its statement timeout raises :class:`_Cut` from :meth:`_aggregate`, the
        transaction ended first). ``cut``: this is the read without the scans; where that left the
        count out, an "all rows" read (the estimate's choice) confirms every row only below its
        LIMIT, as the count would have."""
        with self._transaction(conn, t.info):
            got, whole = self._aggregate(conn, t, plan)
            read = whole or self._sample(conn, t, plan, got)
        if cut is not None:
            read.scans_cut = cut
            if read.strategy == "all rows" and read.counted is None and any(e[1] == "count" for e in cut.dropped):
                if len(read.rows) < self.opts.sample_rows:
                    read.counted = len(read.rows)  # fewer than the LIMIT: every row, as counted
                else:
                    read.strategy = f"the first {len(read.rows)} rows (count(*) not read: the table may hold more)"
        return read

    @staticmethod
    def _without_scans(plan: ReadPlan) -> ScansCut | None:
        """``plan`` without the aggregate's expressions that read every row (``count(*)``, each
        write-time column's newest value, the commit times); the key range (an index's first and
        last entries) is kept. None when there is none to leave out (nothing else to try)."""
        def scans(entry: tuple[str, str, str | None]) -> bool:
            return entry[0] not in ("kmin", "kmax")
        dropped = [e for e in plan.spec if scans(e)]
        if not dropped:
            return None
        kept = [e for e in plan.spec if not scans(e)]
        lighter = replace(plan, exact=False, candidates=[], spec=kept, commit_expr=None)
        return ScansCut(lighter, dropped, list(plan.candidates))

    def _cut_reason(self, t: ReflectedTable, cut: ScansCut) -> tuple[dict[str, str], str | None, str]:
        """(age signals not read, the unknown age's reason or None where no write time was left
        out (only the count), the way out) of a table read without its scans. An index answers
        max() only in a statement of maxima and key ranges: a count(*) or the commit times in the
        same statement scan every row whatever the indexes (PostgreSQL's plan: a Seq Scan)."""
        o = self.opts
        timeout = f"statement_timeout ({o.statement_timeout:g}s)"
        names = [self.dialect.commit_time_basis if e[1] == "commit" else _spec_text(e) for e in cut.dropped
                 if e[1] != "count"]
        signals = {n: f"not read: ran past {timeout}" for n in names}
        kinds = {e[1] for e in cut.dropped}
        steps = []  # done together: the count left out, then an index for max()
        if "count" in kinds:
            estimate, size = t.info.estimate, t.info.bytes
            steps.append(f"set exact_count_max_rows below {estimate:,} (this table's row estimate) so it is not counted"
                         if estimate else
                         f"set exact_count_max_bytes below {size:,} (this table's size: it has no row estimate) so it "
                         "is not counted" if size else
                         "ANALYZE the table so the engine has a row estimate the count can be left out for")
        if "commit" not in kinds and cut.candidates and self.dialect.indexes:
            q = self.dialect_impl.identifier_preparer.quote
            table = f"{q(t.schema)}.{q(t.name)}" if t.schema else q(t.name)
            steps.append("an index lets the server read the newest write from it at once: " + "; ".join(
                f"CREATE INDEX {q(f'ix_{t.name}_{c.column}'[:60])} ON {table} ({q(c.column)})"
                for c in cut.candidates))
        longer = f"raise statement_timeout above {o.statement_timeout:g}s for this source, or audit off-peak"
        fix = (", then ".join(steps) + "; or " + longer) if steps else longer
        if "commit" in kinds:
            fix = ("the newest commit time (track_commit_timestamp) is read by a scan of every row, which no index "
                   "shortens: " + fix)
        if not signals:
            return {}, None, fix
        return signals, (f"unknown ({', '.join(signals)} not read: the scan ran past {timeout} and the server "
                         f"cancelled it; the sample was read without it (fix: {fix}))"), fix

    # -- the next table's query sent ahead (PostgreSQL over psycopg: :mod:`.sendahead`) ---------
    def _sent_on(self, conn: sa.Connection) -> _Sent | None:
        """The query in flight on this connection, if any (the read-ahead connection never has one)."""
        sent = self._sent
        if sent is None or conn.closed or conn.invalidated:
            return None
        return sent if sent.driver is conn.connection.driver_connection else None

    def _query(self, conn: sa.Connection, server: Server, t: ReflectedTable) -> _Query | None:
        """``t``'s aggregate and "all rows" sample as one simple query, where it is read that way
        (:meth:`_together`, its own statements in autocommit); else None."""
        if not self.dialect.autocommit_reads or self.dialect.needs_transaction(t.info):
            return None
        if conn.closed or conn.invalidated:
            return None
        if self._not_read(server, t) is not None or not sendahead.available(conn.connection.driver_connection):
            return None
        plan = self._plan(server, t)
        if not plan.spec or not self._together(conn, t, plan):
            return None
        sql, params, _keys = self._aggregate_sql(conn, t, plan)
        if params:
            return None
        whole, _ = self._whole_sql(conn, t, plan, literal=True, loaded=True)
        text = f"{sql};\n{whole}"
        if "%" in text:  # psycopg would read it for parameters: sent by a cursor, as before
            return None
        as_text = tuple(i for i, c in enumerate(plan.sample_cols) if plan.texts.get(c) in LOADED_AS_TEXT)
        return _Query(text, plan, as_text)

    def _send_next(self, conn: sa.Connection, server: Server, t: ReflectedTable) -> None:
        """Send ``t``'s query (:meth:`_query`; the one :meth:`_table` made ahead, if it did) now,
        where nothing else is in flight. A send that fails leaves the connection to the loop: it
        is invalidated (the next table reconnects), never left with half a query on it."""
        if self._sent is not None or conn.closed or conn.invalidated:
            return
        made, self._made = self._made, None
        query = made[1] if made is not None and made[0] == t.key else self._query(conn, server, t)
        if query is None:
            return
        try:
            self._sent = _send_ahead(conn, t.key, query.text, query.plan, query.as_text)
            # sent: no one waits for it until its table comes (:meth:`_awaiting` arms the deadline then)
            w = self._watches.get(conn.engine)
            if w is not None:
                w.watchdog.disarm()
        except Exception:  # noqa: BLE001 - the next table is read as before, on a fresh connection
            self._sent = None
            with contextlib.suppress(Exception):
                conn.invalidate()

    def _settle(self, conn: sa.Connection, give_up: bool = False) -> None:
        """Take the results of a query sent ahead on this connection off the wire (discarded:
        its table is read again, or not at all); ``give_up``: close the connection instead of
        waiting for them (the run is stopping). From another thread than the one that sent the
        query in flight (the read-ahead connection's, whose failed table settles its own
        connection), nothing: that query and its record are the main connection's."""
        record = self._sent  # read once: the main thread may set it meanwhile
        if record is None or record.owner != threading.get_ident():
            return
        sent = self._sent_on(conn)  # None: in flight on a connection given up since (its results went with it)
        self._sent = None
        if sent is None:
            return
        if give_up:
            sent.cursor.close()
            with contextlib.suppress(Exception):
                conn.invalidate()
            return
        # the watchdog's mark of a silent server is kept as the table before left it: a wait for this
        # query that runs past read_timeout is this query's table's business, never the caller's error
        w = self._watches.get(conn.engine)
        token = w.token if w is not None else None
        try:
            self._awaiting(conn)
            _receive(conn, sent)
        except sa.exc.DBAPIError:
            pass  # that table's error, if it is read again; a lost connection: invalidated already
        finally:
            if w is not None:
                w.token = token

    def _not_read(self, server: Server, t: ReflectedTable) -> Observation | None:
        """The table's observation when its rows are not to be read at all, else None."""
        info, schema = t.info, t.schema or "main"
        if info.not_reflected:  # its columns are unknown: nothing to read them by
            return Observation(dataset=self._dataset(server, t, status="error", error=info.not_reflected))
        if info.readable is False:
            return Observation(dataset=self._dataset(
                server, t, status="error",
                error=f"permission denied: the audit role may not SELECT this table (fix: {self.dialect.grant_fix(schema, t.name)})"))
        if info.hidden_by:  # a filtered read is not an empty read: never 0 records
            fix = self.dialect.rls_fix(server.facts.get("role"), schema, t.name)
            return Observation(dataset=self._dataset(
                server, t, status="error", error=f"not assessed: {info.hidden_by} (fix: {fix})"))
        if info.not_read or not info.populated:
            return self._unread(server, t)
        return None

    def _plan(self, server: Server, t: ReflectedTable) -> ReadPlan:
        o, info, cols = self.opts, t.info, t.columns
        exact = (info.estimate is None or info.estimate <= o.exact_count_max_rows) and (
            info.bytes is None or info.bytes <= o.exact_count_max_bytes)
        key = self.dialect.sample_key(cols, t.pk, info)
        cands, sample_cols, unsampled, structured, cut, texts = self._column_plan(cols, key)
        spec: list[tuple[str, str, str | None]] = []  # (result key, aggregate, column)
        if exact:
            spec.append(("count", "count", None))
        for c in cands:  # a date or timestamp column's newest value as the dialect reads it; an epoch's max
            spec.append((f"max:{c.column}", "max" if c.epoch else "newest", c.column))
        commit_expr = self.dialect.commit_time_expr(server)
        if commit_expr is not None:
            spec.append(("commit", "commit", None))
        if key is not None:
            spec += [("kmin", "min", key), ("kmax", "max", key)]
        return ReadPlan(exact=exact, candidates=cands, key=key, sample_cols=sample_cols, unsampled=unsampled,
                        structured=structured, cut=cut, spec=spec, commit_expr=commit_expr, texts=texts)

    def _column_plan(self, cols: list[Any], key: str | None) -> tuple[list[age.Candidate], list[str], dict[str, str],
                                                                      set[str], dict[str, int], dict[str, str]]:
        """(write-time candidates, sampled columns, unsampled, structured, cuts, wire texts) of a
        table's columns: a function of their names and type objects (and the sample key), so
        remembered by them for this run (PostgreSQL's reflection gives the tables of one estate the
        same type objects, see :func:`.typememo.types_once`); each table gets its own copies."""
        memo_key = (key, *[(c["name"], id(c["type"])) for c in cols])
        hit = self._column_plans.get(memo_key)
        if hit is None or any(a is not b["type"] for a, b in zip(hit[0], cols)):
            if len(self._column_plans) >= MEMO_ENTRIES:  # types not shared (not PostgreSQL's): bounded
                self._column_plans.clear()
            o = self.opts
            cands = age.candidates(cols, loose_types=self.dialect.loose_types)
            sample_cols, unsampled = sampling.column_plan(cols)
            structured = sampling.structured_columns(cols)
            cut = sampling.cuts(cols, sample_cols, o.sample_rows, self.dialect.lengths_bound())
            texts = self.dialect.wire_texts(cols, [c for c in sample_cols if c != key], cut, structured)
            hit = ([c["type"] for c in cols], (cands, sample_cols, unsampled, structured, cut, texts))
            self._column_plans[memo_key] = hit  # the types kept alive: their ids stay theirs
        cands, sample_cols, unsampled, structured, cut, texts = hit[1]
        return list(cands), list(sample_cols), dict(unsampled), set(structured), dict(cut), dict(texts)

    def _aggregate(self, conn: sa.Connection, t: ReflectedTable, plan: ReadPlan) -> tuple[dict[str, Any], TableRead | None]:
        """One statement: exact count, max() of each write-time column, commit time, key range
        (its shape compiled once per source, see :mod:`.statements`). With it, where the engine's
        estimate says the table fits in the sample and the driver takes several statements in one
        simple query (:meth:`_together`), the "all rows" sample in the same round trip: returned
        when the exact count confirms it (else the sample is read after, as without it)."""
        if not plan.spec:
            return {}, None
        sent = self._sent_on(conn)
        if sent is not None and sent.key == t.key:  # its query went ahead: its results are waiting
            self._sent = None
            self._awaiting(conn)
            first, pending = _take(conn, sent)
            keys = [k for k, _, _ in plan.spec]
            count = dict(zip(keys, first)).get("count") if first is not None else None
            following = self._following
            if following is not None and pending is not None and count is not None and count <= self.opts.sample_rows:
                # read whole (:meth:`_together_read`): nothing more to ask of this connection for this table
                self._following = None
                self._send_next(conn, *following)  # the server reads the next table while these rows load
            # a loader's error is this table's: the next table's query, if sent, is taken off the wire first
            # (its table read as if it had not been sent)
            rows = _load(conn, sent, pending, lambda: self._settle(conn))
            return self._together_read(keys, first, rows)
        sql, params, keys = self._aggregate_sql(conn, t, plan)
        if not params and self._together(conn, t, plan):
            whole, _ = self._whole_sql(conn, t, plan, literal=True)
            first, rows = _one_round_trip(conn, f"{sql};\n{whole}")
            return self._together_read(keys, first, rows)
        try:
            row = conn.exec_driver_sql(sql, _copy(params), execution_options=_TABLE).one()
        except sa.exc.DBAPIError as exc:  # sent alone: a timeout is its scans' (never the sample's)
            cut = self._without_scans(plan) if server_timed_out(exc, self._codes) else None
            if cut is None:  # not the server's timeout, or nothing to leave out (a read without them)
                raise
            raise _Cut(cut, exc) from exc
        return dict(zip(keys, row)), None

    def _together_read(self, keys: list[str], first: Any, rows: list | None) -> tuple[dict[str, Any], TableRead | None]:
        """The aggregate's values, and the table read whole when its count confirms the estimate."""
        if first is None or rows is None:
            raise RuntimeError("the driver did not return both results of the table's query")
        got = dict(zip(keys, first))
        if got["count"] is not None and got["count"] <= self.opts.sample_rows:
            return got, TableRead(got, rows, "all rows", True)
        return got, None  # more rows than the estimate said: the sample is read on its own

    def _newest(self, column: Any, few_rows: bool) -> Any:
        """The dialect's newest-write expression; ``few_rows`` passed only when true, by keyword (a
        plug-in dialect's ``newest(self, column)`` from before it still serves)."""
        return self.dialect.newest(column, few_rows=True) if few_rows else self.dialect.newest(column)

    def _aggregate_sql(self, conn: sa.Connection, t: ReflectedTable, plan: ReadPlan) -> tuple[str, Any, list[str]]:
        """The aggregate statement of a table (driver SQL, parameters, result keys): its shape
        compiled once per source (:mod:`.statements`)."""
        names = [c["name"] for c in t.columns]
        at = {n: i for i, n in enumerate(names)}
        info, commit_expr = t.info, plan.commit_expr
        # a counted table no bigger than the sample (usually read whole in the same round trip) is read
        # row by row whatever its indexes: its newest writes from that scan, a test on each of its few
        # rows costing the server less than planning a sub-select (:meth:`.Dialect.newest`; in the shape)
        few_rows = plan.exact and info.estimate is not None and info.estimate <= self.opts.sample_rows

        def build(schema: str | None, name: str, cols: list[str]) -> Any:
            table = self.dialect.table_clause(schema, name, cols, info)

            def col(c: str) -> Any:
                return sa.literal_column("rowid") if c == "rowid" else table.c[cols[at[c]]]

            exprs = [sa.func.count() if agg == "count" else commit_expr if agg == "commit"
                     else self._newest(col(c or ""), few_rows) if agg == "newest"
                     else getattr(sa.func, agg)(col(c or "")) for _, agg, c in plan.spec]
            stmt = sa.select(*[e.label(f"c{i}") for i, e in enumerate(exprs)]).select_from(table)
            return self.dialect.all_versions(stmt, table) if info.history else stmt

        shape = ("aggregate", tuple((agg, c if c == "rowid" else None if c is None else at[c])
                                    for _, agg, c in plan.spec), info.history, info.inheritance_parent, few_rows)
        sql, params = self._shapes_of(conn).render(shape, build, t.schema, t.name, names)
        return sql, params, [k for k, _, _ in plan.spec]

    def _together(self, conn: sa.Connection, t: ReflectedTable, plan: ReadPlan) -> bool:
        """Whether a table's aggregate and its "all rows" sample go in one round trip: an exact
        count is asked for, the engine's estimate says the whole table fits in the sample, and the
        driver sends a parameterless query over the simple protocol, which runs several statements
        (psycopg 3). Both run in one implicit read-only transaction; under READ COMMITTED each
        statement takes its own snapshot, and the server's statement timeout applies to each
        while the client's read deadline covers the round trip."""
        o, info = self.opts, t.info
        return (plan.exact and bool(plan.sample_cols) and o.sample_rows > 0 and info.estimate is not None
                and info.estimate <= o.sample_rows and self.dialect.multi_statement_reads
                and conn.dialect.driver == "psycopg")

    def _sample(self, conn: sa.Connection, t: ReflectedTable, plan: ReadPlan, got: dict[str, Any]) -> TableRead:
        """One sample statement (plus the fallback when a random sample came back empty). A table
        read whole ("all rows") reuses its shape's compiled statement."""
        o, info = self.opts, t.info
        records = got["count"] if plan.exact else info.estimate
        if plan.sample_cols and o.sample_rows > 0 and records is not None and records <= o.sample_rows:
            return self._whole(conn, t, plan, got)
        sample = sampling.plan(self.dialect, t.schema, t.name, plan.sample_cols, o.sample_rows, records, plan.key,
                               (got.get("kmin"), got.get("kmax")) if plan.key else None, plan.cut, plan.structured,
                               info.history, info, plan.texts)
        strategy, rows = sample.strategy, []
        if sample.statement is not None:
            rows = [tuple(r) for r in conn.execute(sample.statement, execution_options=_SAMPLE).all()]
            if not rows and records:
                again = sampling.fallback(self.dialect, t.schema, t.name, plan.sample_cols, o.sample_rows, plan.cut,
                                          plan.structured, info.history, info, plan.texts)
                strategy += f"; {again.strategy}"
                rows = [tuple(r) for r in conn.execute(again.statement, execution_options=_TABLE).all()]
                if len(rows) < o.sample_rows:  # no filter and not cut by its LIMIT: the whole table
                    return TableRead(got, rows, strategy, True, counted=len(rows))
        return TableRead(got, rows, strategy, sample.statement is not None)

    def _whole(self, conn: sa.Connection, t: ReflectedTable, plan: ReadPlan, got: dict[str, Any]) -> TableRead:
        """A table no bigger than the sample: :func:`.sampling.plan`'s "all rows" statement, its
        shape compiled once per source."""
        sql, params = self._whole_sql(conn, t, plan)
        rows = [tuple(r) for r in conn.exec_driver_sql(sql, _copy(params), execution_options=_SAMPLE).all()]
        return TableRead(got, rows, "all rows", True)

    def _whole_sql(self, conn: sa.Connection, t: ReflectedTable, plan: ReadPlan,
                   literal: bool = False, loaded: bool = False) -> tuple[str, Any]:
        """The "all rows" statement of a table no bigger than the sample (driver SQL and
        parameters; ``literal``: its bound values written into the SQL; ``loaded``: its results are
        taken by :func:`.sendahead.take`, which loads the columns of the kinds in
        :data:`LOADED_AS_TEXT` as the server's text, so they are selected without a cast)."""
        o, info = self.opts, t.info
        names = [c["name"] for c in t.columns]
        at = {n: i for i, n in enumerate(names)}
        texts = {c: k for c, k in plan.texts.items() if not loaded or k not in LOADED_AS_TEXT}

        def build(schema: str | None, name: str, cols: list[str]) -> Any:
            ph = {n: cols[i] for n, i in at.items()}
            key = None if plan.key is None else plan.key if plan.key == "rowid" else ph[plan.key]
            made = sampling.plan(self.dialect, schema, name, [ph[c] for c in plan.sample_cols], o.sample_rows,
                                 o.sample_rows, key, None, {ph[c]: n for c, n in plan.cut.items()},
                                 {ph[c] for c in plan.structured}, info.history, info,
                                 {ph[c]: k for c, k in texts.items()})
            assert made.strategy == "all rows", made.strategy
            return made.statement

        shape = ("whole", o.sample_rows, tuple((at[c], plan.cut.get(c), c in plan.structured, c == plan.key,
                                               texts.get(c)) for c in plan.sample_cols),
                 None if plan.key is None else plan.key if plan.key == "rowid" else at[plan.key],
                 info.history, info.inheritance_parent)
        return self._shapes_of(conn).render(shape, build, t.schema, t.name, names, literal=literal)

    def _observation(self, server: Server, t: ReflectedTable, plan: ReadPlan, read: TableRead) -> Observation:
        """The dataset (records, age, fingerprint, what was sampled) and the sample's fields."""
        o, info, got, rows = self.opts, t.info, read.got, read.rows
        sample = sampling.read_rows(plan.sample_cols, rows, plan.structured, plan.cut, plan.texts,
                                    masks_on_read=self.dialect.masks_on_read)
        fields, digest = sample.fields, sample.digest
        unsampled = {**plan.unsampled, **sample.unsampled}
        if not read.sampled:
            digest = "no-sample"
        records = got["count"] if plan.exact else info.estimate
        seen = got["count"] if plan.exact else read.counted  # rows the audit role could read, when all were read
        if self.dialect.estimate_exact and seen is not None and info.estimate is not None and seen < info.estimate:
            # the engine's row count is exact metadata: fewer rows read is a policy filtering the role, not stale stats
            fix = self.dialect.rls_fix(server.facts.get("role"), t.schema or "main", t.name)
            return Observation(dataset=self._dataset(server, t, status="error", error=(
                f"not assessed: the audit role reads {seen} of the {info.estimate} rows "
                f"{info.estimate_basis or 'the engine'} counts: a row access policy hides rows from it (fix: {fix})")))
        basis = "exact" if plan.exact else ("estimate" if records is not None else None)
        stale_estimate = None
        if not plan.exact and read.counted is not None:  # statistics that said far more rows than there are
            if read.counted != info.estimate:
                stale_estimate = (f"{info.estimate_basis or 'the engine'} said {info.estimate}; an unfiltered read "
                                  f"returned every row ({read.counted}): the statistics are stale")
            records, basis = read.counted, "exact"
        engine_times = list(info.engine_times)
        if plan.commit_expr is not None:
            engine_times.insert(0, (self.dialect.commit_time_basis, age.to_utc(got.get("commit")),
                                    self.dialect.commit_time_null))
        cands = plan.candidates
        cut_signals, unknown, cut_fix = (self._cut_reason(t, read.scans_cut) if read.scans_cut is not None
                                         else ({}, None, ""))
        if unknown is None:
            unknown = self._unknown_reason(cands, server, engine_times, t.columns)
        verdict = age.decide(
            {c.column: got.get(f"max:{c.column}") for c in cands}, {c.column: c.tier for c in cands}, engine_times,
            self.ctx.as_of, unknown, epochs=frozenset(c.column for c in cands if c.epoch),
            not_read=age.unread(t.columns, loose_types=self.dialect.loose_types))
        verdict.signals.update(self.dialect.age_notes(server)[0])
        verdict.signals.update(cut_signals)
        extra: dict[str, Any] = {
            "age_signals": verdict.signals,
            "fingerprint": sampling.fingerprint(records, basis, digest),
            "sample": {"rows": len(rows), "columns": plan.sample_cols, "strategy": read.strategy},
        }
        notes: tuple[str, ...] = ()
        if sample.cut:  # values longer than their cut: the first characters were read (the sample), and said so
            extra["sample"]["cut_on_server"] = {c: {"values": n, "chars": plan.cut[c]} for c, n in sample.cut.items()}
            notes = tuple(f"{c}: {n} value(s) longer than {plan.cut[c]} characters: the first {plan.cut[c]} "
                          "of each read" for c, n in sample.cut.items())
        if info.history:
            extra["records_scope"] = "every stored version (FOR SYSTEM_TIME ALL): current and history rows"
        if stale_estimate is not None:
            extra["records_estimate_source"] = stale_estimate
        elif not plan.exact and info.estimate_basis:
            extra["records_estimate_source"] = info.estimate_basis
        if unsampled and o.sample_rows:
            extra["unsampled"] = unsampled  # columns that may hold personal data but were not read
        if cut_signals:  # the cause of the unknown age and its way out (policies.causes): not a missing column
            extra["age_not_scanned"] = {"not_read": list(cut_signals), "statement_timeout": o.statement_timeout,
                                        "fix": cut_fix}
        if read.scans_cut is not None and any(e[1] == "count" for e in read.scans_cut.dropped):
            got_records = ("the records are the engine's estimate" if basis == "estimate" else
                           "every row was read" if basis == "exact" else "the records are unknown (no estimate)")
            notes += (f"count(*) not read: it ran past statement_timeout ({o.statement_timeout:g}s); {got_records} "
                      f"(fix: {cut_fix})",)
        ds = self._dataset(server, t, records=records, records_basis=basis, notes=notes,
                           last_modified=verdict.last_modified, last_modified_basis=verdict.basis, extra=extra)
        return Observation(dataset=ds, sample=Sample(fields=fields) if plan.sample_cols and o.sample_rows else None)

    def _unread(self, server: Server, t: ReflectedTable) -> Observation:
        """A relation inventoried without reading its rows: a foreign table (rows elsewhere), or a
        materialized view that was never populated (no rows)."""
        info = t.info
        if not info.populated:
            extra = {"relation_state": "materialized view not populated (WITH NO DATA): it holds no rows"}
            # no rows, so no personal data: an empty sample says so (not "personal data unknown")
            return Observation(dataset=self._dataset(server, t, records=0, records_basis="exact", extra=extra,
                                                     last_modified_basis="not applicable: the view holds no rows"),
                               sample=Sample(fields={c["name"]: [] for c in t.columns}))
        unsampled = {c["name"]: info.not_read for c in t.columns}
        return Observation(dataset=self._dataset(server, t, extra={"unsampled": unsampled},
                                                 last_modified_basis=f"unknown ({info.not_read})"))

    @property
    def _codes(self) -> dict[str, frozenset[object]] | None:
        return self.dialect.error_codes or None

    def _unknown_reason(self, cands: list[age.Candidate], server: Server, engine_times: list,
                        columns: list[dict] | None = None) -> str:
        named = bool(age.unread(columns or [], loose_types=self.dialect.loose_types))
        # a write-time column not of a date type is named by age.decide(): not "no write-time column"
        parts = ([] if named else ["no write-time column"]) if not cands else ["write-time columns hold no time"]
        parts += self.dialect.age_notes(server)[1]
        for basis, value, raw in engine_times:
            if value is None:
                parts.append(f"{basis}: {raw}")
        return "unknown (" + "; ".join(parts) + ")"

    def _dataset(self, server: Server, t: ReflectedTable, extra: dict | None = None, **fields: Any) -> Dataset:
        sch, name, cols, info = t.schema, t.name, t.columns, t.info
        schema = sch or "main"
        types = {c["name"]: self._type_text(c["type"]) for c in cols}
        facts: dict[str, Any] = {
            "columns": types,
            "engine": server.engine,
            "encryption_at_rest_basis": info.encryption_basis,
            "encryption_in_transit_basis": server.in_transit_basis,
            "server": server.facts,
            "relation": info.relation,
            **info.facts,
        }
        if info.estimate is not None:
            facts["records_estimate"] = info.estimate
        if server.facts.get("transport"):
            facts["transport"] = server.facts["transport"]
        if server.facts.get("never_known"):  # facts this server can never give (on top of the kind's capabilities)
            facts["never_known"] = dict(server.facts["never_known"])
        retention_days = age.retention_from_comment(getattr(self, "_comments", {}).get((sch, name)))
        facts["retention_basis"] = (
            f"declared in the table comment: {retention_days} days" if retention_days is not None else
            f"{server.engine.split()[0]} has no row expiry and the table comment declares no purge rule "
            "(declare one as 'retention: 90d')")
        facts.update(extra or {})
        fields.setdefault("records", None)
        fields.setdefault("records_basis", None)
        if fields.get("status") == "error":
            fields.setdefault("last_modified_basis", "not read: the table could not be read")
        return Dataset(
            source=self.source.id, vendor=self.source.vendor.id, kind="table", name=display_name(schema, name),
            uri=self.dialect.uri(schema, name), bytes=info.bytes,
            encryption_at_rest=info.encryption_at_rest, encryption_in_transit=server.in_transit,
            public=None, has_retention=retention_days is not None, retention_days=retention_days, columns=tuple(c["name"] for c in cols), facts=facts, **fields)

    def _type_text(self, coltype: Any) -> str:
        """A column type as ``facts["columns"]`` says it: compiled by the URL's dialect (its class
        name where that cannot compile it). Remembered per type class and attributes (a type
        compiles from nothing else), so an estate's thousands of VARCHAR(200) compile once; a type
        object seen before (PostgreSQL's reflection gives one per distinct type, see
        :func:`.typememo.types_once`) is looked up by identity, without building that key."""
        seen = self._type_objects.get(id(coltype))
        if seen is not None and seen[0] is coltype:
            return seen[1]
        text = self._type_text_of(coltype)
        if len(self._type_objects) >= MEMO_ENTRIES:  # types not shared (not PostgreSQL's): bounded
            self._type_objects.clear()
        self._type_objects[id(coltype)] = (coltype, text)  # the type kept alive: its id stays its own
        return text

    def _type_text_of(self, coltype: Any) -> str:
        try:
            key: Any = (type(coltype), tuple(coltype.__dict__.items()))
            hit = self._type_texts.get(key)
        except TypeError:  # an unhashable attribute (an Enum's values...): not remembered
            key, hit = None, None
        if hit is not None:
            return hit
        try:
            text = coltype.compile(dialect=self.dialect_impl)
        except sa.exc.CompileError:
            text = type(coltype).__name__
        if key is not None:
            self._type_texts[key] = text
        return text

    def _shapes_of(self, conn: sa.Connection) -> Shapes:
        """The statement shapes of the engine's own (connected, initialized) dialect (one cache
        per engine: the read-ahead connection renders in its own thread)."""
        shapes = self._shapes.get(id(conn.dialect))
        if shapes is None or shapes.dialect is not conn.dialect:
            shapes = self._shapes[id(conn.dialect)] = Shapes(conn.dialect)
        return shapes

    @property
    def dialect_impl(self) -> sa.Dialect:
        if not hasattr(self, "_dialect_impl"):
            self._dialect_impl = self.url.get_dialect()()
        return self._dialect_impl
