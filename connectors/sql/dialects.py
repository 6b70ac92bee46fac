"""What differs between engines: session set-up, server facts and bulk table statistics.

Each dialect answers, in a fixed number of queries per source (never per table):

- ``on_connect``: read-only session, statement timeout, UTC session time zone (PostgreSQL: ISO DateStyle);
- ``server``: engine version, encryption in transit and the settings it came from;
- ``tables``: per relation that stores rows, the engine's row estimate, bytes, engine write
  time, at-rest encryption and (PostgreSQL) whether the role may SELECT it and whether
  row-level security would hide rows from it.

Relations inventoried (each engine's catalog, not only ``BASE TABLE``):

- PostgreSQL ``pg_class.relkind``: ``r`` tables, ``p`` partitioned tables (one dataset for
  the whole tree: its partitions, ``relispartition``, are rolled up into their root from
  ``pg_partition_root``, named in the root's ``facts.partitions``, never datasets of their
  own), ``m`` materialized views, ``f`` foreign tables (inventoried, not read: their rows
  live on another server, named in ``unsampled``). Views hold no rows; sequences hold none
  of people's.
- MySQL/MariaDB ``information_schema.TABLES.TABLE_TYPE``: ``BASE TABLE`` and ``SYSTEM
  VERSIONED`` (MariaDB keeps every earlier version of every row: counted and sampled with
  ``FOR SYSTEM_TIME ALL``); partitions are internal to their table; ``SEQUENCE`` and views
  are not inventoried.
- SQLite ``sqlite_master`` ``type = 'table'``.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from importlib.metadata import entry_points
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.engine.reflection import ObjectKind
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import TableClause

from auditor.models import EncryptionAtRest, EncryptionInTransit

from . import permissions
from .age import to_utc
from .typememo import _holds_null

LONG_CHARS = 16 * 1024  # the cut of a value whose column declares no bound (sampling.LONG_CHARS)
ALL_VERSIONS = "FOR SYSTEM_TIME ALL"  # MariaDB system-versioned tables: every stored version of every row


@dataclass
class TableInfo:
    estimate: int | None = None
    estimate_basis: str | None = None
    bytes: int | None = None
    readable: bool | None = None  # None: not known before trying
    engine_times: list[tuple[str, datetime | None, Any]] = field(default_factory=list)
    encryption_at_rest: EncryptionAtRest = "unknown"
    encryption_basis: str = "the engine does not report table encryption"
    facts: dict[str, Any] = field(default_factory=dict)
    rowid: bool = False  # SQLite: the table has a rowid to sample by
    relation: str = "table"  # table | partitioned table | materialized view | foreign table | system-versioned table
    partition_of: tuple[str | None, str] | None = None  # PostgreSQL: the root this partition rolls up to
    hidden_by: str | None = None  # why the engine may hide rows from this login (row-level security)
    row_security_policy: bool = False  # PostgreSQL: a policy lets this login see every row
    not_read: str | None = None  # why the rows are not read at all (foreign table)
    populated: bool = True  # PostgreSQL materialized view: WITH NO DATA holds no rows
    history: bool = False  # MariaDB system-versioned table: read FOR SYSTEM_TIME ALL
    inheritance_parent: bool = False  # PostgreSQL legacy inheritance: read FROM ONLY (children are their own datasets)
    shadow_of: str | None = None  # SQLite: a virtual table's helper (FTS5 notes_data...): its storage, not a dataset
    not_reflected: str | None = None  # why its columns could not be reflected (locked by another session)


@dataclass
class Server:
    engine: str
    in_transit: EncryptionInTransit = "unknown"
    in_transit_basis: str = "unknown"
    facts: dict[str, Any] = field(default_factory=dict)
    commit_timestamps: bool = False


# a hot standby's cumulative statistics do not count the writes it replays: its counters stand still
_STANDBY_NOTE = ("not a write counter here: this server is a standby (pg_is_in_recovery), whose statistics do not "
                 "count replayed writes")


def _run(conn: sa.Connection, sql: str, params: dict | None = None) -> Sequence[sa.Row] | None:
    """One bulk query that may be refused; None (and the session intact) when it is."""
    try:
        rows = conn.execute(sa.text(sql), params or {}).all()
        conn.rollback()
        return rows
    except sa.exc.DBAPIError:
        conn.rollback()
        return None


class Dialect:
    """One engine, as the connector sees it. A new engine plugs in with a subclass and
    :func:`register` (``@register("snowflake")``, a module listed in :data:`BUILTIN_MODULES` or
    an ``auditor.sql_dialects`` entry point): the connector and :mod:`.sampling` never ask
    which engine they talk to, they call these hooks.

    Connection (once per source):

    - ``engine_url()``, ``connect_args(connect_timeout, statement_timeout)``,
      ``network_args(read_timeout)``: how SQLAlchemy connects, with every wait bounded;
    - ``on_connect(dbapi_conn, statement_timeout)``: the session is read-only, has a
      server-side statement timeout and a UTC time zone (raise if it cannot be made so);
    - ``watch(dbapi_conn, expired)``: a driver-side deadline (SQLite's progress handler);
      ``socket_of(dbapi_conn)``: the socket the client-side watchdog may shut;
    - ``cleanup()``: release what the connection needed (temporary copies);
    - ``lock_wait(conn, seconds)``: bound the session's wait for another session's lock (short
      for the catalogue, about ``statement_timeout`` for the reads); ``locked_relations(conn,
      schema)``: the relations another session holds a blocking lock on (set aside, not waited on).

    Catalogue (a fixed number of queries per source, never per table):

    - ``server(conn)`` -> :class:`Server` (engine, encryption in transit and its basis);
    - ``schemas`` / ``unknown_schemas`` / ``is_system``; ``reflect_kind`` (what the inspector
      reflects besides tables);
    - ``tables(conn, schemas)`` -> ``{(schema, name): TableInfo}``: estimates, bytes, engine
      write times, at-rest encryption, readability and why rows would be hidden.

    Reading one table (statements built here, identifiers always quoted by SQLAlchemy):

    - ``reflected_column(column)``: a reflected column with its driver type mapped onto
      SQLAlchemy's generic one where it is not a subclass of it (Snowflake's timestamps, VARIANT);
    - ``autocommit_reads``: the session is read-only by default, so each statement is its own
      read-only transaction (no transaction statements per table); otherwise, and for a table
      that ``needs_transaction(info)``, ``begin_statements(info)`` open a read-only transaction
      of its own (``begin_sql``, plus e.g. PostgreSQL's ``SET LOCAL row_security = on``);
    - ``multi_statement_reads``: a parameterless query may hold several statements (PostgreSQL's
      simple query protocol), so a table the estimate says fits in the sample has its aggregate
      and its "all rows" sample read in one round trip (psycopg 3 only);
    - ``read_ahead``: the big tables (the estimate path) may be read on a second read-only
      connection while the first reads the rest (``max_connections`` > 1);
    - ``table_clause(schema, name, columns, info)``: the FROM (PostgreSQL ``ONLY`` for a legacy
      inheritance parent); ``all_versions(stmt, table)``: every stored version of a
      system-versioned table (MariaDB ``FOR SYSTEM_TIME ALL``);
    - ``loose_types``: dates may be kept in text or integer columns (age found by name alone);
      ``newest(column, few_rows=...)``: a write-time column's newest write as the aggregate reads it
      (``few_rows`` is passed, by keyword, only when true: a hook of one argument still serves);
    - ``commit_time_expr(server)`` / ``commit_time_basis`` / ``commit_time_null`` and
      ``age_notes(server)``: an engine's own last-write time and what it could not say;
    - ``sample_key(columns, pk, info)``: an integer key to sample random ranges of, or None;
    - ``cut(column, chars, structured)``: a value as the sample reads it, cut on the server to
      ``chars + 1`` characters (JSON/arrays as JSON text), labelled with the column's name;
    - ``engine_sample(...)``: the engine's own random sample (``TABLESAMPLE``), tried first;
      ``filter_sample(...)``: a random filter when there is no key to sample ranges of.

    Explaining (never quoting data or credentials):

    - ``error_codes``: driver codes that mean permission / timeout / lock / authentication /
      read timeout / a connection lost mid-query (see :func:`.errors.describe`); ``driver_extra()``: the extra and URL scheme
      that install the driver; ``grants``: the least-privilege grants ``auditor permissions``
      prints; ``schema_fix`` / ``grant_fix`` / ``rls_fix`` / ``read_error_fix``: what to grant.
    """

    # whether the server may serve a value other than the stored one to this identity (masking
    # policies): a column of nothing but masks is then named unread (``sampling.read_rows``)
    masks_on_read = False

    name = "generic"
    system_schemas: frozenset[str] = frozenset()
    begin_sql: str | None = None  # first statement of a table's own transaction (see autocommit_reads)
    reflect_kind = ObjectKind.TABLE  # what the inspector reflects besides tables
    loose_types: ClassVar[bool] = False  # dates may live in text/integer columns: the name alone decides
    grants: ClassVar[str | None] = None  # least-privilege grants, printed by ``auditor permissions``
    error_codes: ClassVar[dict[str, frozenset[object]]] = {}
    # the catalogue's row count is exact metadata (Snowflake's ROW_COUNT), not sampled statistics: a
    # complete read that returns fewer rows is a row policy filtering the audit role
    estimate_exact: ClassVar[bool] = False
    commit_time_basis: ClassVar[str] = "commit time"
    # CREATE INDEX on a table makes the server answer max() of the column from the index (not on a
    # store without user indexes: Snowflake's micro-partition metadata)
    indexes: ClassVar[bool] = True
    # the session is read-only by default (``on_connect``), so each statement may be its own
    # read-only transaction (autocommit): no BEGIN / begin_statements / ROLLBACK per table
    autocommit_reads: ClassVar[bool] = False
    # a parameterless query may hold several statements (a simple query, one round trip): a small
    # table's aggregate and its "all rows" sample are sent together (with the psycopg 3 driver)
    multi_statement_reads: ClassVar[bool] = False
    # Dialect.tables may run on a second connection, in a thread of its own, while the first reflects
    # (apart.Statistics): a dialect says so when its tables() needs nothing of the main connection
    statistics_apart: ClassVar[bool] = False
    # the big tables (estimate path) may be read on a second read-only connection while the first
    # reads the rest (``max_connections``): their scans overlap the client's work on the others
    read_ahead: ClassVar[bool] = False
    # ``sample_key`` reads the primary keys (reflected in bulk per schema); False where it never
    # does (the engine samples itself): the primary keys are then not reflected at all
    samples_by_key: ClassVar[bool] = True
    # the server holds a character column to its declared length (``varchar(200)`` never holds 201
    # characters): a column whose values fit whole within its cut is read without one
    # (:func:`.sampling.cuts`), sparing the server a function call per value, where each of the
    # server's characters is one code point in Python (:meth:`lengths_bound`). Not SQLite's (a
    # declared length is not enforced there); MySQL's is left to be measured
    enforces_lengths: ClassVar[bool] = False
    commit_time_null: ClassVar[str] = "NULL"

    # server processes a statement may use besides its connection's (the source's parallel_workers;
    # None: the server's setting); engines without parallel query ignore it
    parallel_workers: int | None = None

    def __init__(self, url: URL) -> None:
        self.url = url

    def engine_url(self) -> URL:
        return self.url

    def prepare_engine(self, engine: sa.Engine) -> None:
        """Adjust SQLAlchemy's dialect of a new engine before anything is reflected (types the
        driver's dialect does not know). Default: nothing."""

    def connect_args(self, connect_timeout: float, statement_timeout: float) -> dict:
        return {}

    def on_connect(self, dbapi_conn: Any, statement_timeout: float) -> None:
        pass

    def network_args(self, read_timeout: float) -> dict:
        """Driver options that bound every network wait (TCP keepalives, socket timeouts)."""
        return {}

    def socket_of(self, dbapi_conn: Any) -> int | None:
        """The connection's socket, for the client-side deadline (None: the driver has its own)."""
        return None

    def location(self) -> str:
        host = self.url.host or "localhost"
        port = f":{self.url.port}" if self.url.port else ""
        return f"{self.url.get_backend_name()}://{host}{port}/{quote(self.url.database or '', safe='')}"

    @cached_property
    def _uri_location(self) -> str:
        """``location()``: a function of the source's URL, asked once, not once per table."""
        return self.location()

    def uri(self, schema: str, name: str) -> str:
        return f"{self._uri_location}/{quote(schema, safe='')}.{quote(name, safe='')}"

    def schemas(self, inspector: sa.Inspector, wanted: list[str] | None) -> list[str | None]:
        names = wanted or [s for s in inspector.get_schema_names() if not self.is_system(s)]
        return list(names)

    def is_system(self, schema: str) -> bool:
        return schema in self.system_schemas

    def unknown_schemas(self, inspector: sa.Inspector, wanted: list[str] | None) -> list[str]:
        """Explicitly named schemas the audit identity cannot see (absent, or no privilege)."""
        if not wanted:
            return []
        known = set(inspector.get_schema_names())
        return [s for s in dict.fromkeys(wanted) if s not in known]

    def schema_fix(self, schema: str) -> str:
        return f"grant the audit role access to schema {schema}"

    def catalog_error(self, exc: BaseException) -> str | None:
        """Why reading the catalogue failed, with the exact grant, for an error the engine names (a
        Snowflake role without a usable warehouse or database), or None (the error says it)."""
        return None

    def invisible_tables(self, conn: sa.Connection, schemas: list[str]) -> dict[str, tuple[str, str]]:
        """{schema: (reason, fix)} of audited schemas some of whose tables this login may not even
        see (a catalogue that lists only the tables a login holds a privilege on). Default: none
        (the catalogue lists every table, readable or not, and an unreadable one is named)."""
        return {}

    def cleanup(self) -> None:
        """Release what the connection needed (temporary copies); called once after the scan."""

    def lock_wait(self, conn: sa.Connection, seconds: float) -> None:
        """Bound the session's wait for a lock another session holds (``seconds``): short while the
        catalogue is read, ``statement_timeout`` again for the tables' reads. Default: nothing."""

    def locked_relations(self, conn: sa.Connection, schema: str | None) -> set[str]:
        """Relations of ``schema`` another session holds (or waits for) a lock on that blocks
        reading them or their catalogue entry (PostgreSQL ``pg_locks``). Default: none known."""
        return set()

    def server(self, conn: sa.Connection) -> Server:
        return Server(engine=self.name)

    def tables(self, conn: sa.Connection, schemas: list[str | None]) -> dict[tuple[str | None, str], TableInfo]:
        return {}

    def commit_time_expr(self, server: Server) -> Any:
        return None

    def newest(self, column: Any, few_rows: bool = False) -> Any:
        """The newest write a date or timestamp column says (``max``; where the engine keeps values
        that are no instant or that Python's datetime cannot hold, such as PostgreSQL's 'infinity' or
        a year past 9999, those left out). ``few_rows``: the statement counts the table's rows, no
        more than a sample's, so it reads every one of them whatever the indexes (no index answers
        its max() alone)."""
        return sa.func.max(column)

    def grant_fix(self, schema: str, name: str) -> str:
        return "grant the audit role SELECT on this table"

    def rls_fix(self, role: str | None, schema: str, name: str) -> str:
        return self.grant_fix(schema, name)

    def read_error_fix(self, exc: BaseException, role: str | None, schema: str, name: str) -> str:
        """What to grant when reading the table failed with ``exc``."""
        return self.grant_fix(schema, name)

    def driver_extra(self) -> tuple[str, str] | None:
        """(pip extra, URL scheme) that install and use this engine's driver; None: not shipped."""
        return None

    # -- reading one table ---------------------------------------------------------------
    def watch(self, dbapi_conn: Any, expired: Callable[[], bool]) -> None:
        """A driver-side deadline: make the driver give up when ``expired()`` (default: none)."""

    def begin_statements(self, info: TableInfo) -> list[str]:
        """Statements that open the read-only transaction a table is read in."""
        return [self.begin_sql] if self.begin_sql else []

    def needs_transaction(self, info: TableInfo) -> bool:
        """With ``autocommit_reads``: this table is read in a transaction of its own anyway
        (its ``begin_statements`` set something that lasts only a transaction)."""
        return False

    def table_clause(self, schema: str | None, name: str, cols: list[str], info: TableInfo | None = None) -> Any:
        return sa.table(name, *[sa.column(c) for c in cols], schema=schema)

    def all_versions(self, stmt: Any, table: Any) -> Any:
        """``stmt`` reading every stored version of a system-versioned ``table``."""
        return stmt

    def age_notes(self, server: Server) -> tuple[dict[str, str], list[str]]:
        """(age signals not read and why, notes for an unknown age) of this server."""
        return {}, []

    def reflected_column(self, column: Any) -> Any:
        """A reflected column as the connector reasons about it (age, sampling): a driver type that
        is not a subclass of SQLAlchemy's generic one mapped onto it (Snowflake's TIMESTAMP_NTZ is a
        DateTime, its VARIANT is JSON). Default: as reflected."""
        return column

    def typed_columns(self, conn: sa.Connection, schema: str | None, columns: dict) -> dict:
        """One schema's bulk reflection (``{(schema, table): [column, ...]}``) with the types
        SQLAlchemy did not recognize named from the engine's own catalogue where that tells how the
        sample must read them. Default: as reflected."""
        return columns

    def sample_key(self, cols: list[dict], pk: dict, info: TableInfo) -> str | None:
        """An integer key whose random ranges the sample reads (a single-column integer primary key)."""
        pkcols = pk.get("constrained_columns") or []
        if len(pkcols) == 1:
            col = next((c for c in cols if c["name"] == pkcols[0]), None)
            if col is not None and isinstance(col["type"], sa.Integer):
                return str(col["name"])
        return None

    def wire_texts(self, columns: list[dict], sampled: list[str], cut: dict[str, int],
                   structured: set[str]) -> dict[str, str]:
        """{column: kind} of the sampled columns read as the server's text form
        (:func:`.sampling.as_text`, kinds :data:`.sampling.WIRE_KINDS`): the server writes them
        as the sample's texts would say them, for less than loading and converting the values.
        Default: none (every column read as the driver gives it)."""
        return {}

    def lengths_bound(self) -> bool:
        """Whether a character column's values are at most its declared length in Python's
        characters too (:attr:`enforces_lengths`, and this server's encoding says so)."""
        return self.enforces_lengths

    def cut(self, column: Any, chars: int | None, structured: bool = False) -> Any:
        """``column`` as the sample reads it: cut to ``chars`` + 1 characters on the server (one
        more than kept, so a cut is seen), labelled with the column's name."""
        if chars is None:
            return column.label(column.name)
        return sa.func.substr(sa.cast(column, sa.String), 1, chars + 1).label(column.name)

    def engine_sample(self, table: Any, picked_from: Callable[[Any], list[Any]], rows: int,
                      records: int | None, seed: int) -> tuple[Any, str] | None:
        """(statement, strategy) of the engine's own random sample of a table bigger than ``rows``."""
        return None

    def filter_sample(self, select: Callable[..., Any], picked: list[Any], rows: int, records: int | None,
                      seed: int) -> tuple[Any, str] | None:
        """(statement, strategy) of a random filter, when no key range can be sampled."""
        return None


def _wire_kind(coltype: Any) -> str | None:
    """The :data:`.sampling.WIRE_KINDS` kind of a PostgreSQL column type, if it has one: a
    function of the type's class and time zone alone, remembered per (class, time zone)."""
    key = (type(coltype), getattr(coltype, "timezone", None))
    try:
        return _WIRE_KINDS[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable time zone attribute: not remembered
        return _wire_kind_of(coltype)
    kind = _WIRE_KINDS[key] = _wire_kind_of(coltype)
    return kind


_WIRE_KINDS: dict[tuple[type, Any], str | None] = {}


def _wire_kind_of(coltype: Any) -> str | None:
    if isinstance(coltype, sa.Boolean):
        return "bool"
    if isinstance(coltype, sa.Integer):
        return "int"
    if isinstance(coltype, sa.Double):  # double precision; real (float4) loads widened: not its text
        return "float"
    if isinstance(coltype, sa.DateTime):
        return "timestamptz" if getattr(coltype, "timezone", False) else "timestamp"
    if isinstance(coltype, sa.Date):
        return "date"
    if isinstance(coltype, sa.Uuid):
        return "uuid"
    return None


class OnlyTable(TableClause):
    """A PostgreSQL table read without its inheritance children (``FROM ONLY``): a legacy
    parent's children are datasets of their own, so their rows are not counted twice."""

    inherit_cache = True


@compiles(OnlyTable, "postgresql")
def _only(element: OnlyTable, compiler: Any, **kw: Any) -> str:
    text = compiler.visit_table(element, **kw)
    return f"ONLY {text}" if kw.get("asfrom") else text


D = TypeVar("D", bound=type[Dialect])
_REGISTRY: dict[str, type[Dialect]] = {}
BUILTIN_MODULES = ("connectors.sql.sqlite", "connectors.sql.snowflake")  # dialects in modules of their own, registered on import


def register(*backends: str) -> Callable[[D], D]:
    """Class decorator: this dialect serves URLs whose backend name is one of ``backends``."""

    def deco(cls: D) -> D:
        for backend in backends:
            _REGISTRY[backend] = cls
        return cls

    return deco


_loaded = [False]
_load_lock = threading.RLock()  # sources are collected in threads: no lookup before every module registered


def _load() -> None:
    if _loaded[0]:
        return
    with _load_lock:
        if _loaded[0]:
            return
        import importlib  # noqa: PLC0415 - the built-in modules import this one

        for module in BUILTIN_MODULES:
            importlib.import_module(module)
        for ep in entry_points(group="auditor.sql_dialects"):
            ep.load()  # a third-party module that calls register()
        _loaded[0] = True


def registered() -> list[type[Dialect]]:
    """Every registered dialect class, once each, in registration order."""
    _load()
    return list(dict.fromkeys(_REGISTRY.values()))


@register("postgresql")
class Postgres(Dialect):
    name = "postgresql"
    system_schemas = frozenset({"information_schema", "pg_catalog", "pg_toast"})
    begin_sql = "SET TRANSACTION READ ONLY"
    reflect_kind = ObjectKind.TABLE | ObjectKind.MATERIALIZED_VIEW  # TABLE covers r, p and f
    grants = permissions.POSTGRESQL
    autocommit_reads = True  # default_transaction_read_only = on for the session
    multi_statement_reads = True  # simple query protocol: "SELECT ...; SELECT ..." in one round trip
    statistics_apart = True
    read_ahead = True  # a second session: its own watchdog (the client-side deadline is per connection)
    samples_by_key = False  # TABLESAMPLE (sample_key): no primary key is reflected
    enforces_lengths = True  # varchar(n): never more than n characters (of the server's encoding)
    error_codes: ClassVar[dict[str, frozenset[object]]] = {
        "permission": frozenset({"42501"}), "timeout": frozenset({"57014"}), "lock": frozenset({"55P03"})}
    commit_time_basis = "max(pg_xact_commit_timestamp(xmin))"
    commit_time_null = "NULL (rows written before track_commit_timestamp was on)"

    def __init__(self, url: URL) -> None:
        super().__init__(url)
        self._restrictive: set[tuple[str, str]] = set()  # tables a restrictive policy hides rows of

    def driver_extra(self) -> tuple[str, str] | None:
        return ("postgres", "postgresql+psycopg")

    def needs_transaction(self, info: TableInfo) -> bool:
        return info.row_security_policy  # SET LOCAL row_security lasts one transaction

    def reflected_column(self, column: Any) -> Any:
        # a domain is read as its base type (a domain over bytea is binary, over jsonb JSON); an
        # oid column (and the lo extension's domain over it) holds references to large objects,
        # whose contents live in pg_largeobject (Hibernate's @Lob): the numbers are not the data
        coltype = column["type"]
        for _ in range(16):  # a domain over a domain ...
            if not isinstance(coltype, postgresql.DOMAIN) or coltype.data_type is None:
                break
            coltype = coltype.data_type
        if isinstance(coltype, postgresql.OID):
            coltype = LargeObjectRef()
        elif type(coltype) is postgresql.HSTORE:
            coltype = Hstore()
        return column if coltype is column["type"] else {**column, "type": coltype}

    def typed_columns(self, conn: sa.Connection, schema: str | None, columns: dict) -> dict:
        # a composite type (CREATE TYPE ... AS (nric text, mobile text)), or an array of one, is a type
        # SQLAlchemy does not know (NullType): read as its text, '(S1234567D,"+65 9123 4567")', one
        # compound cell in which the classifier found nothing. Named from pg_type, it is read as
        # to_json's object, field by field. One query, only for a schema with a column of unknown type
        if not any(_holds_null(c["type"]) for cols in columns.values() for c in cols):
            return columns
        rows = _run(conn, _COMPOSITE_COLUMNS, {"schema": schema})
        if not rows:
            return columns
        composite = {(r[0], r[1]): r[2] for r in rows}
        out = {}
        for key, cols in columns.items():
            out[key] = [{**c, "type": Composite(composite[(key[1], c["name"])])}
                        if _holds_null(c["type"]) and (key[1], c["name"]) in composite else c for c in cols]
        return out

    def begin_statements(self, info: TableInfo) -> list[str]:
        if info.row_security_policy:  # a policy shows this login every row: read through it
            return [*super().begin_statements(info), "SET LOCAL row_security = on"]
        return super().begin_statements(info)

    def table_clause(self, schema: str | None, name: str, cols: list[str], info: TableInfo | None = None) -> Any:
        if info is not None and info.inheritance_parent:  # FROM ONLY: its children are datasets of their own
            return OnlyTable(name, *[sa.column(c) for c in cols], schema=schema)
        return super().table_clause(schema, name, cols, info)

    def age_notes(self, server: Server) -> tuple[dict[str, str], list[str]]:
        if server.facts.get("track_commit_timestamp") == "off":
            return ({"pg_xact_commit_timestamp": "not read: track_commit_timestamp = off"},
                    ["track_commit_timestamp = off"])
        return {}, []

    def sample_key(self, cols: list[dict], pk: dict, info: TableInfo) -> str | None:
        return None  # TABLESAMPLE instead of key ranges

    # the kinds the session writes as the sample's texts (see :meth:`server`): integers, UUIDs and
    # booleans always; double precision on 12+ with extra_float_digits > 0 (shortest exact
    # digits); timestamps and dates with DateStyle ISO, as on_connect sets it (timestamptz: the
    # session's TimeZone is UTC)
    _wire_kinds: frozenset[str] = frozenset({"int", "uuid", "bool"})
    _one_code_point = False  # the server's encoding is UTF8 (read by server())

    def lengths_bound(self) -> bool:
        return self.enforces_lengths and self._one_code_point

    def wire_texts(self, columns: list[dict], sampled: list[str], cut: dict[str, int],
                   structured: set[str]) -> dict[str, str]:
        kinds = self._wire_kinds
        out: dict[str, str] = {}
        for c in columns:
            name, t = c["name"], c["type"]
            if name in cut or name in structured:
                continue
            kind = _wire_kind(t)
            if kind is not None and kind in kinds:
                out[name] = kind
        return {n: out[n] for n in sampled if n in out}

    def cut(self, column: Any, chars: int | None, structured: bool = False) -> Any:
        if chars is None:
            return column.label(column.name)
        value = sa.func.to_json(column) if structured else column  # arrays as JSON text
        return sa.func.left(sa.cast(value, sa.Text), chars + 1).label(column.name)

    def engine_sample(self, table: Any, picked_from: Callable[[Any], list[Any]], rows: int,
                      records: int | None, seed: int) -> tuple[Any, str] | None:
        method = "bernoulli" if records is None or records <= 5_000_000 else "system"
        pct = 100.0 if not records else min(100.0, max(0.0001, 300.0 * rows / records))
        sampled = sa.tablesample(table, getattr(sa.func, method)(pct), seed=sa.literal(seed))
        return sa.select(*picked_from(sampled)).limit(rows), f"tablesample {method} {pct:.4g}%"

    def read_error_fix(self, exc: BaseException, role: str | None, schema: str, name: str) -> str:
        orig = getattr(exc, "orig", None) or exc
        if "row-level security" in str(orig).lower():
            return self.rls_fix(role, schema, name)
        return self.grant_fix(schema, name)

    def connect_args(self, connect_timeout: float, statement_timeout: float) -> dict:
        return {"connect_timeout": max(2, round(connect_timeout)), "application_name": "auditor"}

    def network_args(self, read_timeout: float) -> dict:
        # a peer that vanishes (no RST) is noticed by TCP: keepalive probes after idle seconds,
        # and unacknowledged data given up after tcp_user_timeout; the watchdog covers the rest
        idle = max(1, int(min(30, read_timeout)))
        return {"keepalives": 1, "keepalives_idle": idle, "keepalives_interval": max(1, int(min(10, idle / 3))),
                "keepalives_count": 3, "tcp_user_timeout": int(read_timeout * 1000)}

    def socket_of(self, dbapi_conn: Any) -> int | None:
        try:
            return int(dbapi_conn.pgconn.socket)  # psycopg 3
        except Exception:  # noqa: BLE001 - another driver, or a closed connection: no client deadline
            return None

    def on_connect(self, dbapi_conn: Any, statement_timeout: float) -> None:
        ms = max(1, int(statement_timeout * 1000))
        cur = dbapi_conn.cursor()
        for sql in (
            "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",  # default_transaction_read_only
            f"SET statement_timeout = {ms}",
            f"SET lock_timeout = {ms}",
            "SET TimeZone = 'UTC'",
            # dates and times as ISO texts whatever the database or role sets (ALTER DATABASE ...
            # SET DateStyle = 'SQL, DMY'): the driver parses only ISO, and the sample's server texts
            # (wire_texts) are ISO's
            "SET DateStyle = 'ISO, MDY'",
            # rows hidden by row-level security make the query fail instead of coming back empty
            "SET row_security = off",
            # a big table's scans start at block 0, not where another session's scan of it last
            # was: a REPEATABLE sample cut by LIMIT is then the same rows run after run
            "SET synchronize_seqscans = off",
        ):
            cur.execute(sql)
        dbapi_conn.commit()
        # the audit's footprint on the server is its connections: by default a scan starts no
        # parallel workers (each would be one more busy process on the vendor's server, beside
        # max_connections); the source's parallel_workers, None: the server's setting. Its own
        # transaction: a server without the setting (before 9.6, a fork) is read as it is
        if self.parallel_workers is not None:
            try:
                cur.execute(f"SET max_parallel_workers_per_gather = {int(self.parallel_workers)}")
                dbapi_conn.commit()
            except Exception:  # noqa: BLE001 - an unknown parameter: the server's own parallelism
                dbapi_conn.rollback()
        cur.close()
        # no statement of a scan is run often enough to gain from being prepared (each table's
        # are its own): psycopg 3 then keeps no per-query bookkeeping to decide it
        if hasattr(dbapi_conn, "prepare_threshold"):
            dbapi_conn.prepare_threshold = None

    def is_system(self, schema: str) -> bool:
        return schema in self.system_schemas or schema.startswith(("pg_temp_", "pg_toast_temp_"))

    def lock_wait(self, conn: sa.Connection, seconds: float) -> None:
        conn.exec_driver_sql(f"SET lock_timeout = {max(1, int(seconds * 1000))}")
        conn.commit()  # a session setting: kept past this (read-only) transaction

    def locked_relations(self, conn: sa.Connection, schema: str | None) -> set[str]:
        # ACCESS EXCLUSIVE (granted, or queued: a waiting request blocks the readers behind it)
        rows = _run(conn, "SELECT DISTINCT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                          " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE l.locktype = 'relation'"
                          " AND l.mode = 'AccessExclusiveLock' AND l.pid <> pg_backend_pid()"
                          " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                          " AND n.nspname = :schema", {"schema": schema or "public"})
        return {r[0] for r in rows or ()}

    def server(self, conn: sa.Connection) -> Server:
        version = ".".join(str(p) for p in (conn.dialect.server_version_info or ())[:2])
        s = Server(engine=f"postgresql {version}".strip())
        row = _run(conn, "SELECT current_setting('ssl'), current_setting('track_commit_timestamp'),"
                         " current_setting('extra_float_digits'), current_setting('DateStyle'),"
                         " current_setting('server_encoding')")
        # UTF8: a character is one code point. Not so everywhere (EUC_JIS_2004's a4f7 is two), and
        # a length in the server's characters then does not bound a value's length in Python's
        self._one_code_point = bool(row and row[0][4] == "UTF8")
        ssl, tct = (row[0][0], row[0][1]) if row else (None, None)
        kinds = {"int", "uuid", "bool"}
        if row and (conn.dialect.server_version_info or (0,)) >= (12,) and str(row[0][2]).lstrip("-").isdigit() \
                and int(row[0][2]) > 0:
            kinds.add("float")
        if row and str(row[0][3]).replace(" ", "").upper().startswith("ISO,"):
            kinds |= {"timestamp", "timestamptz", "date"}
        self._wire_kinds = frozenset(kinds)
        s.facts.update({"ssl": ssl, "track_commit_timestamp": tct})
        s.commit_timestamps = tct == "on"
        role = _run(conn, "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        if role:
            s.facts.update({"role": role[0][0], "role_bypasses_rls": bool(role[0][1] or role[0][2])})
            self._role = str(role[0][0])  # named in the grants that fix an unreadable table
        if ssl == "off":
            s.in_transit, s.in_transit_basis = "optional", "ssl = off: every network connection is unencrypted"
            return s
        rules = _run(conn, "SELECT type FROM pg_hba_file_rules WHERE type <> 'local' AND error IS NULL")
        if rules is None:
            s.in_transit_basis = f"ssl = {ssl}; pg_hba_file_rules not readable by this role"
            return s
        types = sorted({r[0] for r in rules})
        s.facts["pg_hba_types"] = types
        if ssl == "on" and types and all(t == "hostssl" for t in types):
            s.in_transit, s.in_transit_basis = "enforced", "ssl = on and every pg_hba network rule is hostssl"
        else:
            s.in_transit = "optional"
            s.in_transit_basis = f"ssl = {ssl}; pg_hba network rules {types} allow non-TLS connections"
        return s

    _STATS = (
        "SELECT n.nspname, c.relname, c.reltuples, {size}, s.n_live_tup,"
        " s.n_tup_ins + s.n_tup_upd + s.n_tup_del, has_table_privilege(c.oid, 'SELECT'),"
        " has_schema_privilege(n.oid, 'USAGE'), c.relkind,"
        " c.oid, c.relispartition, CASE WHEN c.relispartition THEN pg_partition_root(c.oid)::oid END,"
        " c.relispopulated, c.relrowsecurity, c.relforcerowsecurity, pg_has_role(c.relowner, 'USAGE'),"
        " (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid),"
        # every row visible to this login through a policy: a permissive USING (true) for SELECT
        # that applies to it, and no restrictive policy that applies to it
        " EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polpermissive"
        "   AND p.polcmd IN ('r', '*') AND {open_qual}"
        "   AND (0 = ANY(p.polroles) OR EXISTS (SELECT 1 FROM unnest(p.polroles) r WHERE pg_has_role(r, 'USAGE'))))"
        " AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND NOT p.polpermissive"
        "   AND p.polcmd IN ('r', '*')"
        "   AND (0 = ANY(p.polroles) OR EXISTS (SELECT 1 FROM unnest(p.polroles) r WHERE pg_has_role(r, 'USAGE')))),"
        # a restrictive policy that applies to this login: no added (permissive) policy lifts it
        " EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND NOT p.polpermissive"
        "   AND p.polcmd IN ('r', '*')"
        "   AND (0 = ANY(p.polroles) OR EXISTS (SELECT 1 FROM unnest(p.polroles) r WHERE pg_has_role(r, 'USAGE')))),"
        " (SELECT fs.srvname FROM pg_foreign_table ft JOIN pg_foreign_server fs ON fs.oid = ft.ftserver"
        "   WHERE ft.ftrelid = c.oid),"
        " c.relkind <> 'p' AND EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = c.oid), {locked},"
        # the write counters' epoch (when this database's statistics were last reset; NULL: never) and
        # whether this server is a standby (its counters do not count replayed writes): one value each
        # for the whole query (uncorrelated), readable by any role
        " (SELECT d.stats_reset FROM pg_stat_database d WHERE d.datname = current_database()), (SELECT pg_is_in_recovery())"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid"
        " WHERE c.relkind IN ('r', 'p', 'm', 'f') AND n.nspname IN :schemas"
    )
    _RELATIONS = {"r": "table", "p": "partitioned table", "m": "materialized view", "f": "foreign table"}
    # Lock-free: pg_total_relation_size waits for a table another session holds exclusively.
    _PAGES = (
        "(c.relpages + COALESCE((SELECT relpages FROM pg_class t WHERE t.oid = c.reltoastrelid), 0)"
        " + COALESCE((SELECT sum(i.relpages) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " WHERE x.indrelid = c.oid), 0))::bigint * current_setting('block_size')::bigint"
    )

    # deparsing a policy (pg_get_expr) opens its table, which waits on an ACCESS EXCLUSIVE lock
    _OPEN_QUAL = "COALESCE(pg_get_expr(p.polqual, p.polrelid), 'true') = 'true'"
    _HELD = ("EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'relation' AND l.relation = {rel}"
             " AND l.mode = 'AccessExclusiveLock' AND l.pid <> pg_backend_pid()"
             " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))")

    def tables(self, conn: sa.Connection, schemas: list[str | None]) -> dict[tuple[str | None, str], TableInfo]:
        params = {"schemas": [s for s in schemas if s]}
        bytes_basis = "pg_total_relation_size"
        try:
            sql = sa.text(self._STATS.format(size="pg_total_relation_size(c.oid)", open_qual=self._OPEN_QUAL,
                                             locked="false"))
            rows = conn.execute(sql.bindparams(sa.bindparam("schemas", expanding=True)), params).all()
        except sa.exc.OperationalError:  # a lock or a timeout: catalog page counts, no policy of a locked table
            conn.rollback()
            bytes_basis = "pg_class.relpages (estimate: a table was locked)"
            held = self._HELD.format(rel="p.polrelid")
            sql = sa.text(self._STATS.format(size=self._PAGES, open_qual=f"CASE WHEN {held} THEN false ELSE "
                                             f"{self._OPEN_QUAL} END", locked=self._HELD.format(rel="c.oid")))
            rows = conn.execute(sql.bindparams(sa.bindparam("schemas", expanding=True)), params).all()
        conn.rollback()
        out: dict[tuple[str | None, str], TableInfo] = {}
        by_oid: dict[int, tuple[str, str]] = {}
        roots: dict[tuple[str, str], int] = {}
        counted: dict[tuple[str, str], tuple[int, int]] = {}  # relation -> (oid, rows written): not on a standby
        bypass = self._bypass(conn)
        for (nsp, rel, reltuples, size, live, writes, can_select, usage, relkind, oid, is_partition, root,
             populated, rls, force_rls, owns, policies, open_policy, restrictive, foreign_server, inherited,
             held, stats_reset, standby) in rows:
            by_oid[oid] = (nsp, rel)
            info = TableInfo(bytes=int(size) if size is not None else None, readable=bool(can_select and usage))
            if reltuples is not None and reltuples >= 0:
                info.estimate, info.estimate_basis = int(reltuples), "pg_class.reltuples"
            elif live:
                info.estimate, info.estimate_basis = int(live), "pg_stat_all_tables.n_live_tup"
            info.facts["pg_stat_writes"] = int(writes) if writes is not None else None
            info.facts["pg_stats_reset"] = stats_reset.isoformat() if stats_reset is not None else None
            if standby:
                info.facts["pg_stat_writes_note"] = _STANDBY_NOTE
            elif writes is not None:
                counted[(nsp, rel)] = (oid, int(writes))
            info.facts["bytes_basis"] = bytes_basis
            info.relation = self._RELATIONS.get(relkind, "table")
            if relkind == "p":
                info.facts["partitioned"] = True
            if is_partition and root is not None:
                roots[(nsp, rel)] = root
            info.populated = bool(populated)
            if inherited:  # legacy inheritance: the children are tables of their own, read once each
                info.inheritance_parent = True
                info.facts["inheritance"] = "parent of inheriting tables: read FROM ONLY (its own rows)"
            if foreign_server is not None:
                info.facts["foreign_server"] = foreign_server
                info.not_read = (f"foreign table: its rows live on foreign server {foreign_server}, not in this "
                                 "database (not read; audit that server as a source of its own)")
            if rls:
                info.facts["row_security"] = {"enabled": True, "forced": bool(force_rls), "policies": int(policies or 0)}
                if held:  # locked by another session: its policies not deparsed (that waits); its read says
                    info.facts["row_security"]["policies_read"] = "no: the table was locked by another session"
                elif not bypass and not (owns and not force_rls):
                    if open_policy:
                        info.row_security_policy = True  # a policy shows this login every row
                    else:
                        if restrictive:  # the way out is BYPASSRLS only
                            self._restrictive.add((nsp, rel))
                        info.hidden_by = (f"row-level security is enabled{' and forced' if force_rls else ''} "
                                          f"on this table ({int(policies or 0)} policies) and the audit role does "
                                          "not bypass it: it would see only the rows its policies allow")
            info.encryption_basis = "PostgreSQL has no table encryption it can report (disk encryption is not visible)"
            out[(nsp, rel)] = info
        self._roll_up(out, roots, by_oid)
        self._write_counters(out, counted)
        return out

    @staticmethod
    def _write_counters(out: dict[tuple[str | None, str], TableInfo],
                        counted: dict[tuple[str, str], tuple[int, int]]) -> None:
        """``facts["write_counter"]``: rows inserted + updated + deleted by the cumulative statistics,
        and the epoch a later run's value compares within (the engine, ``auditor.engine.age_from_history``):
        the database's ``stats_reset`` and the relations counted (their oids: a table dropped and
        created again, a restore of an old dump say, is a new epoch, never "written"). A partitioned
        table's writes are its partitions' (the root's own counter does not move)."""
        parts: dict[tuple[str | None, str], list[tuple[str | None, str]]] = {}
        for key, info in out.items():
            if info.partition_of is not None:
                parts.setdefault(info.partition_of, []).append(key)
        for key, info in out.items():
            if info.partition_of is not None:
                continue  # rolled up into its root
            members = [key, *parts.get(key, ())]
            if any(m not in counted for m in members):
                continue  # a relation with no statistics (a foreign table), or a standby: no counter
            oids = sorted(counted[m][0] for m in members)
            relids = str(oids[0]) if len(oids) == 1 else \
                f"{len(oids)} relations sha256:{hashlib.sha256(','.join(map(str, oids)).encode()).hexdigest()[:16]}"
            info.facts["write_counter"] = {
                "value": sum(counted[m][1] for m in members),
                "epoch": f"stats_reset={info.facts.get('pg_stats_reset') or 'never'}; relid={relids}",
                "by": "PostgreSQL statistics",
            }

    @staticmethod
    def _bypass(conn: sa.Connection) -> bool:
        row = _run(conn, "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        return bool(row and row[0][0])

    @staticmethod
    def _roll_up(out: dict[tuple[str | None, str], TableInfo], roots: dict[tuple[str, str], int],
                 by_oid: dict[int, tuple[str, str]]) -> None:
        """Partitions into their root: one dataset for the whole tree (rows, bytes, names)."""
        for key, root_oid in roots.items():
            root = by_oid.get(root_oid)
            if root is None or root not in out:
                continue  # the root is in a schema not scanned: the partition stays a dataset of its own
            part, parent = out[key], out[root]
            part.partition_of = root
            if "partitions" not in parent.facts:  # the tree's rows are its partitions' rows
                parent.estimate = parent.estimate_basis = None
            names = parent.facts.setdefault("partitions", [])
            names.append(f"{key[0]}.{key[1]}")
            if part.bytes is not None:
                parent.bytes = (parent.bytes or 0) + part.bytes
            if part.estimate is not None and not part.facts.get("partitioned"):
                parent.estimate = (parent.estimate or 0) + part.estimate
                parent.estimate_basis = "sum of its partitions' pg_class.reltuples"
        for info in out.values():
            if "partitions" in info.facts:
                info.facts["partitions"] = sorted(info.facts["partitions"])

    def commit_time_expr(self, server: Server) -> Any:
        if not server.commit_timestamps:
            return None
        return sa.func.max(sa.func.pg_xact_commit_timestamp(sa.literal_column("xmin")))

    def newest(self, column: Any, few_rows: bool = False) -> Any:
        # 'infinity' and '-infinity' (sentinels: "never expires", "not yet"), and a year past 9999 or
        # before Christ (a sentinel, a typo) are no write's time, and the driver cannot load them as one
        # (Python's datetime holds the years 1 to 9999): the newest value in that range (NULL when none).
        # untyped literals, each read as the column's type: a timestamptz's in the session's TimeZone,
        # UTC (on_connect), the zone the driver loads it in, so the range is the one it can load
        first: Any = sa.literal_column("'0001-01-01'")
        past: Any = sa.literal_column("'10000-01-01'")
        if few_rows:
            # a small table whose rows the statement counts: every row is read whatever the indexes
            # (the planner answers max() from an index only in a statement of min() and max() alone),
            # so the max() of the values in range from that read, the same value: a test on its few rows
            # costs the server less than planning the sub-select below (about 70 us a 200-row table,
            # two fifths of its aggregate's server time; from 5,000 to 25,000 rows on, the sub-select
            # is the cheaper)
            return sa.func.max(column).filter(sa.and_(column >= first, column < past))
        # Elsewhere max() itself, then only where that is past the range the newest value in it (a
        # sub-select the server runs only then): max() alone is what an index on the column answers
        # without reading the table, where a FILTER on the aggregate reads every row. The price: a column
        # with no index that holds an 'infinity' or a year past 9999 is read twice (the sub-select's
        # scan), a sentinel rare in a write time
        newest = sa.func.max(column)
        own = column.table.alias("held").c[column.name]  # its own FROM, never correlated with the table read
        held = sa.select(sa.func.max(own)).where(own >= first, own < past).scalar_subquery()
        return sa.case((newest >= past, held), (newest < first, sa.null()), else_=newest)

    def _who(self, role: str | None = None) -> str:
        role = role or getattr(self, "_role", None)
        return _pg_ident(role) if role else "<audit role>"

    def schema_fix(self, schema: str) -> str:
        who = self._who()
        return f"GRANT USAGE ON SCHEMA {_pg_ident(schema)} TO {who}; GRANT SELECT ON ALL TABLES IN SCHEMA {_pg_ident(schema)} TO {who}"

    def grant_fix(self, schema: str, name: str) -> str:
        who = self._who()
        return (f"GRANT USAGE ON SCHEMA {_pg_ident(schema)} TO {who}; GRANT SELECT ON {_pg_ident(schema)}.{_pg_ident(name)} "
                f"TO {who} (or GRANT pg_read_all_data TO {who})")

    def rls_fix(self, role: str | None, schema: str, name: str) -> str:
        who = self._who(role)
        if (schema, name) in self._restrictive:
            return (f"ALTER ROLE {who} BYPASSRLS (as a superuser; a restrictive policy applies to the audit role, "
                    "and no added policy lifts a restrictive one)")
        return (f"ALTER ROLE {who} BYPASSRLS (as a superuser), or a policy that shows the audit role every row: "
                f"CREATE POLICY auditor_read ON {_pg_ident(schema)}.{_pg_ident(name)} FOR SELECT TO {who} USING (true)")


def _pg_ident(name: str) -> str:
    """A PostgreSQL identifier as a statement must write it: in double quotes, each '"' doubled."""
    return '"' + name.replace('"', '""') + '"'


def _decode_innodb(name: str) -> str:
    """MariaDB/MySQL file-name encoding (``@0022`` for ``"``) back to text."""
    return re.sub(r"@([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), name)


class LargeObjectRef(sa.types.LargeBinary):
    """A PostgreSQL ``oid`` column (or the ``lo`` extension's domain over it): references to large
    objects, whose contents are in ``pg_largeobject``, not in the table. Not sampled, named so."""

    unsampled_reason = ("large object references (oid): the contents live in pg_largeobject, not in this "
                        "table, and are not sampled")


class Composite(sa.types.UserDefinedType):
    """A PostgreSQL composite type (or an array of one, or a domain over one), named as the server
    names it: read as ``to_json`` (an object of its fields, key paths ``column.field``)."""

    cache_ok = True
    read_as_json = True

    def __init__(self, name: str = "record") -> None:
        self.name = name

    def get_col_spec(self, **_kw: Any) -> str:
        return self.name


class Hstore(postgresql.HSTORE):
    """The hstore extension's key/value type, read as ``to_json`` (its cast to json: an object, key
    paths ``column.key``), not as '"nric"=>"S1234567D", ...' text, a compound cell."""

    read_as_json = True


# the columns of one schema whose type is composite, an array of one or a domain over one
_COMPOSITE_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
LEFT JOIN pg_catalog.pg_type b ON b.oid = t.typbasetype AND t.typtype = 'd'
WHERE n.nspname = coalesce(:schema, current_schema()) AND a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r', 'p', 'm', 'f') AND 'c' IN (t.typtype, e.typtype, b.typtype)
"""


class Geometry(sa.types.LargeBinary):
    """A MariaDB/MySQL spatial column (POINT, POLYGON, ...), a type SQLAlchemy's MySQL dialect does not
    know: read as unknown, the sample cast it to text and MariaDB refused (error 4079), which made the
    whole table unassessed. Known as this, it is not sampled and is named so (``unsampled_reason``)."""

    unsampled_reason = "geometry column (POINT, POLYGON, ...): its contents are not sampled"

    def __init__(self, *_args: Any, **_kw: Any) -> None:  # a reflected type's arguments (an SRID): none kept
        super().__init__()


# MariaDB's and MySQL's spatial types, as SHOW CREATE TABLE names them
GEOMETRY_TYPES = ("geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
                  "geometrycollection", "geomcollection")


@register("mysql", "mariadb")
class MySQL(Dialect):
    name = "mysql"
    system_schemas = frozenset({"mysql", "information_schema", "performance_schema", "sys"})
    begin_sql = "START TRANSACTION READ ONLY"
    grants = permissions.MYSQL
    autocommit_reads = True  # SET SESSION TRANSACTION READ ONLY
    error_codes: ClassVar[dict[str, frozenset[object]]] = {
        "permission": frozenset({1142, 1143, 1044, 1227, 1370}), "timeout": frozenset({1969, 3024}),
        "lock": frozenset({1205}), "auth": frozenset({1045, 1698}), "read_timeout": frozenset({2013}),
        "lost": frozenset({2013, 2006})}

    def driver_extra(self) -> tuple[str, str] | None:
        return ("mysql", f"{self.url.get_backend_name()}+pymysql")

    def prepare_engine(self, engine: sa.Engine) -> None:
        # on this engine's dialect object only (SQLAlchemy's module-level table is left alone)
        known = engine.dialect.ischema_names  # type: ignore[attr-defined]
        engine.dialect.ischema_names = {  # type: ignore[attr-defined]
            **{name: Geometry for name in GEOMETRY_TYPES}, **known}

    def all_versions(self, stmt: Any, table: Any) -> Any:
        return stmt.with_hint(table, ALL_VERSIONS)

    # SQLAlchemy's reflection parses SHOW CREATE TABLE and keeps a column name's escaped backtick
    # doubled ('e``mail' for the column e`mail): quoted again, the sample named a column that does
    # not exist and the whole table was not assessed. Names as the server knows them:
    def reflected_column(self, column: Any) -> Any:
        name = column["name"]
        return {**column, "name": name.replace("``", "`")} if "``" in name else column

    def sample_key(self, cols: list[dict], pk: dict, info: TableInfo) -> str | None:
        names = [str(c).replace("``", "`") for c in pk.get("constrained_columns") or []]
        return super().sample_key(cols, {**pk, "constrained_columns": names}, info)

    def cut(self, column: Any, chars: int | None, structured: bool = False) -> Any:
        if chars is None:
            return column.label(column.name)
        return sa.func.left(sa.cast(column, sa.String), chars + 1).label(column.name)

    def filter_sample(self, select: Callable[..., Any], picked: list[Any], rows: int, records: int | None,
                      seed: int) -> tuple[Any, str] | None:
        if not records:
            return None
        p = min(1.0, 3.0 * rows / records)
        return select(*picked).where(sa.func.rand(seed) < p).limit(rows), f"rand() < {p:.4g}"

    def connect_args(self, connect_timeout: float, statement_timeout: float) -> dict:
        return {"connect_timeout": max(1, round(connect_timeout))}

    def network_args(self, read_timeout: float) -> dict:
        # PyMySQL's socket timeouts: every read and write of the protocol waits at most this long
        return {"read_timeout": max(1, round(read_timeout)), "write_timeout": max(1, round(read_timeout))}

    def lock_wait(self, conn: sa.Connection, seconds: float) -> None:
        # metadata locks (a DDL in progress, LOCK TABLES ... WRITE): whole seconds, at least 1
        conn.exec_driver_sql(f"SET SESSION lock_wait_timeout = {max(1, int(seconds))}")
        conn.commit()

    def on_connect(self, dbapi_conn: Any, statement_timeout: float) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("SET SESSION TRANSACTION READ ONLY")
        cur.execute("SET time_zone = '+00:00'")
        try:  # MariaDB: seconds; MySQL: milliseconds, SELECT only
            cur.execute(f"SET SESSION max_statement_time = {float(statement_timeout)}")
        except Exception:  # noqa: BLE001 - not MariaDB: fall through to MySQL's variable
            cur.execute(f"SET SESSION max_execution_time = {int(statement_timeout * 1000)}")
        cur.close()
        dbapi_conn.commit()

    def schemas(self, inspector: sa.Inspector, wanted: list[str] | None) -> list[str | None]:
        if wanted:
            return list(wanted)
        if self.url.database:  # a URL that names a database audits that database
            return [self.url.database]
        return super().schemas(inspector, None)

    def server(self, conn: sa.Connection) -> Server:
        rows = _run(
            conn,
            "SHOW VARIABLES WHERE Variable_name IN ('version', 'have_ssl', 'require_secure_transport',"
            " 'innodb_encrypt_tables', 'default_table_encryption')",
        ) or []
        v = {r[0]: r[1] for r in rows}
        version = v.get("version", "")
        flavour = "mariadb" if "mariadb" in version.lower() else "mysql"
        s = Server(engine=f"{flavour} {version.split('-')[0]}".strip())
        s.facts.update({k: v.get(k) for k in ("have_ssl", "require_secure_transport", "innodb_encrypt_tables",
                                                  "default_table_encryption")})
        rst, have = (v.get("require_secure_transport") or "").upper(), (v.get("have_ssl") or "").upper()
        if rst == "ON":
            s.in_transit, s.in_transit_basis = "enforced", "require_secure_transport = ON"
        elif rst == "OFF":
            s.in_transit = "optional"
            s.in_transit_basis = f"require_secure_transport = OFF (have_ssl = {have or 'n/a'}): unencrypted connections accepted"
        elif have in ("DISABLED", "NO"):
            s.in_transit, s.in_transit_basis = "optional", f"have_ssl = {have}: connections are unencrypted"
        else:
            s.in_transit_basis = "require_secure_transport not readable"
        return s

    def tables(self, conn: sa.Connection, schemas: list[str | None]) -> dict[tuple[str | None, str], TableInfo]:
        sql = sa.text(
            "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH, UPDATE_TIME, ENGINE,"
            " CREATE_OPTIONS, TABLE_TYPE FROM information_schema.TABLES"
            " WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') AND TABLE_SCHEMA IN :schemas"
        ).bindparams(sa.bindparam("schemas", expanding=True))
        rows = conn.execute(sql, {"schemas": [s for s in schemas if s]}).all()
        conn.rollback()
        variables = {r[0]: r[1] for r in (_run(conn, "SHOW VARIABLES LIKE 'innodb_encrypt_tables'") or [])}
        encrypt_all = (variables.get("innodb_encrypt_tables") or "").upper()
        listed: dict[str, bool] | None = None
        enc = _run(conn, "SELECT NAME, ENCRYPTION_SCHEME FROM information_schema.INNODB_TABLESPACES_ENCRYPTION")
        if enc is not None:
            listed = {_decode_innodb(r[0]): bool(r[1]) for r in enc}
        else:
            enc = _run(conn, "SELECT NAME, ENCRYPTION FROM information_schema.INNODB_TABLESPACES")
            if enc is not None:
                listed = {_decode_innodb(r[0]): str(r[1]).upper() == "Y" for r in enc}
        out: dict[tuple[str | None, str], TableInfo] = {}
        for schema, name, trows, data, index, update_time, engine, options, table_type in rows:
            info = TableInfo(estimate=int(trows) if trows is not None else None, estimate_basis="information_schema.TABLE_ROWS")
            if table_type == "SYSTEM VERSIONED":  # every earlier version of every row is kept too
                info.relation, info.history = "system-versioned table", True
            if "partitioned" in (options or "").lower():
                info.facts["partitioned"] = True  # partitions are internal to the table: one dataset
            if data is not None or index is not None:
                info.bytes = int(data or 0) + int(index or 0)
            info.facts["storage_engine"] = engine
            when = to_utc(update_time)
            info.engine_times.append((
                "information_schema.UPDATE_TIME", when,
                None if when else "NULL (InnoDB forgets it at a restart; never written since)",
            ))
            info.encryption_at_rest, info.encryption_basis = self._at_rest(
                f"{schema}/{name}", engine, (options or "").lower(), encrypt_all, listed)
            out[(schema, name)] = info
        return out

    @staticmethod
    def _at_rest(key: str, engine: str | None, options: str, encrypt_all: str,
                 listed: dict[str, bool] | None) -> tuple[EncryptionAtRest, str]:
        if "encrypted=yes" in options or "encryption='y'" in options:
            return "provider", f"CREATE_OPTIONS: {options}"
        if "encrypted=no" in options or "encryption='n'" in options:
            return "none", f"CREATE_OPTIONS: {options}"
        if listed is not None and key in listed:
            return ("provider", "INNODB tablespace encryption: encrypted") if listed[key] else (
                "none", "INNODB tablespace encryption: not encrypted")
        if (engine or "").lower() == "innodb" and encrypt_all in ("ON", "FORCE"):
            return "provider", f"innodb_encrypt_tables = {encrypt_all}"
        if (engine or "").lower() == "innodb" and encrypt_all == "OFF":
            return "none", "innodb_encrypt_tables = OFF and no table encryption option (disk encryption is not visible)"
        return "unknown", "the engine did not say (INNODB tablespace encryption not readable)"

    def schema_fix(self, schema: str) -> str:
        return f"GRANT SELECT ON `{schema}`.* TO the audit user"

    def invisible_tables(self, conn: sa.Connection, schemas: list[str]) -> dict[str, tuple[str, str]]:
        # information_schema lists only the tables a login holds a privilege on: without SELECT on
        # the whole database (or *.*), directly or through its active role (SHOW GRANTS says both),
        # a table it was not granted is not listed, and could not be named as unreadable
        rows = _run(conn, "SHOW GRANTS")
        if rows is None:
            return {}
        whole: list[re.Pattern[str]] = []
        for (line,) in rows:
            m = _GRANT_ON.match(str(line))
            if m is None or not _grants_select(m.group("privs")):
                continue
            if m.group("obj") == "*.*":
                return {}
            db = _GRANT_DB.fullmatch(m.group("obj"))
            if db is not None:
                whole.append(_db_pattern(db.group(1).replace("``", "`")))
        me = _run(conn, "SELECT CURRENT_USER()")
        user, _, host = str(me[0][0] if me else "").rpartition("@")
        who = f"'{user}'@'{host}'" if user else "the audit user"
        out: dict[str, tuple[str, str]] = {}
        for schema in schemas:
            if not any(p.fullmatch(schema) for p in whole):
                out[schema] = (
                    f"the audit login holds SELECT on some tables of {schema} only, not on the database: a table "
                    "it holds no privilege on is invisible to it (information_schema lists only what a login "
                    "may use), so whether the database holds other tables, and what is in them, is unknown",
                    f"GRANT SELECT ON `{schema.replace('`', '``')}`.* TO {who}")
        return out

    def grant_fix(self, schema: str, name: str) -> str:
        return f"GRANT SELECT ON `{schema}`.* TO the audit user"


_GRANT_ON = re.compile(r"^GRANT (?P<privs>.+?) ON (?P<obj>\*\.\*|`(?:[^`]|``)+`\.\*|\S+) TO ")
_GRANT_DB = re.compile(r"`((?:[^`]|``)+)`\.\*")


def _grants_select(privs: str) -> bool:
    """Whether a SHOW GRANTS privilege list holds SELECT on the whole object (not on some columns)."""
    items = [p.strip().upper() for p in privs.split(",")]
    return "SELECT" in items or items[0].startswith("ALL")


def _db_pattern(name: str) -> re.Pattern[str]:
    """A database-level grant's name as a pattern: ``%`` and ``_`` are wildcards, ``\\`` escapes."""
    out, i = [], 0
    while i < len(name):
        ch = name[i]
        if ch == "\\" and i + 1 < len(name):
            out.append(re.escape(name[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def dialect_for(url: URL) -> Dialect:
    _load()
    return _REGISTRY.get(url.get_backend_name(), Dialect)(url)
