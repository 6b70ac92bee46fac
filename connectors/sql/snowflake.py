"""Snowflake: ``kind: sql`` with a ``snowflake://`` URL (``pip install '.[snowflake]'``,
snowflake-sqlalchemy 2.1 over the Snowflake connector 5.x).

URL: ``snowflake://USER:${PASSWORD}@ACCOUNT/DATABASE[/SCHEMA]?warehouse=WH&role=ROLE`` (the
connector's own keys in the query). One more key is the auditor's: ``protocol=http``, with a
host and port instead of the account (``snowflake://u:p@127.0.0.1:8080/DB?account=A&protocol=http``),
reaches an endpoint without TLS (a test server); snowflake-sqlalchemy refuses ``protocol`` in
the URL, so the dialect takes it out and hands it to the connector itself.

What the connector reads, in a fixed number of queries per source:

- ``INFORMATION_SCHEMA.TABLES`` of the URL's database (one query for every audited schema):
  ``ROW_COUNT`` (Snowflake keeps it exact in its metadata: the estimate), ``BYTES`` (active
  storage, without Time Travel and Fail-safe bytes), ``LAST_ALTERED`` (the engine's write time:
  the last DML, DDL *or background maintenance*, so an old value proves old data, a recent one
  does not prove fresh data; write-time columns win over it), ``RETENTION_TIME`` (Time Travel
  days), ``IS_TRANSIENT`` and ``TABLE_TYPE`` (Fail-safe: 7 more days for permanent tables, none
  for transient and temporary ones). Views (``TABLE_TYPE = 'VIEW'``, which snowflake-sqlalchemy
  reflects as tables) hold no rows of their own and are not datasets; external tables are
  inventoried, not read (their rows are files in a stage: audit that bucket).
- per table, the connector's aggregate and one sample:
  ``TABLESAMPLE BERNOULLI (p) REPEATABLE (seed)`` (``SYSTEM``, block sampling, above
  :data:`BLOCK_SAMPLE_ROWS` rows) with a ``LIMIT``, values cut on the server.

Facts: encryption at rest is always on (Snowflake encrypts every table, AES-256; a customer
key, Tri-Secret Secure, is not visible to SQL: ``provider``). In transit: Snowflake accepts
HTTPS only; a connection made with ``protocol=http`` was not encrypted and says so. Time Travel
and Fail-safe are how long *deleted* rows stay recoverable (``facts.time_travel_days``,
``facts.fail_safe_days``), not a purge rule: ``retention_days`` still comes only from a purge rule
declared in the table comment. The account's network policy is not read (the audit role would
need the account's security administrator's privileges): whether the account accepts logins
from anywhere stays unknown unless attested (``facts.unknown_unless_attested``).

The session cannot be made read-only (Snowflake has no such mode): the grants below give the
audit role nothing but USAGE and SELECT, and the connector issues only SELECT and SHOW
statements. The session's ``STATEMENT_TIMEOUT_IN_SECONDS``, ``TIMEZONE = UTC`` and ``QUERY_TAG``
are sent at login; the connector's ``login_timeout``, ``query_timeout`` and ``retry_timeout``
bound every wait on the client side.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import URL

from .age import to_utc
from .dialects import Dialect, Server, TableInfo, _run, register

BLOCK_SAMPLE_ROWS = 10_000_000  # above this, SYSTEM (block) sampling: Bernoulli reads every row
FAIL_SAFE_DAYS = 7  # Snowflake's Fail-safe period of a permanent table (not configurable)

GRANTS = (
    "-- as SECURITYADMIN (or a role that may create roles and grant on the objects):\n"
    "CREATE ROLE auditor_read;\n"
    "GRANT USAGE ON WAREHOUSE <warehouse> TO ROLE auditor_read;      -- an X-SMALL one, AUTO_SUSPEND = 60\n"
    "GRANT USAGE ON DATABASE <db> TO ROLE auditor_read;\n"
    "GRANT USAGE ON ALL SCHEMAS IN DATABASE <db> TO ROLE auditor_read;\n"
    "GRANT SELECT ON ALL TABLES IN DATABASE <db> TO ROLE auditor_read;\n"
    "GRANT SELECT ON ALL MATERIALIZED VIEWS IN DATABASE <db> TO ROLE auditor_read;\n"
    "GRANT USAGE ON FUTURE SCHEMAS IN DATABASE <db> TO ROLE auditor_read;\n"
    "GRANT SELECT ON FUTURE TABLES IN DATABASE <db> TO ROLE auditor_read;\n"
    "CREATE USER auditor DEFAULT_ROLE = auditor_read DEFAULT_WAREHOUSE = <warehouse> TYPE = SERVICE;\n"
    "ALTER USER auditor SET RSA_PUBLIC_KEY = '...';   -- key-pair login (or a password for a LEGACY_SERVICE user)\n"
    "GRANT ROLE auditor_read TO USER auditor;\n"
    "-- Nothing else: no OWNERSHIP, no MONITOR, no IMPORTED PRIVILEGES on SNOWFLAKE. A table the role\n"
    "-- has no privilege on is absent from INFORMATION_SCHEMA and cannot even be reported: grant on\n"
    "-- whole databases. The account's network policy is not read (that needs the security\n"
    "-- administrator): attest the fact 'public' (false: a network policy or private connectivity\n"
    "-- restricts logins) to assess it. Snowflake has no read-only session: these grants are the guarantee."
)

_NETWORK_POLICY = (
    "the account's network policy is not read (SHOW NETWORK POLICIES and the account's NETWORK_POLICY "
    "parameter need the security administrator's privileges): a Snowflake account accepts logins from "
    "any address unless a network policy or private connectivity restricts it")


_GENERIC: dict[str, tuple[type, dict[str, Any]]] = {
    "TIMESTAMP_NTZ": (sa.DateTime, {}), "TIMESTAMP_LTZ": (sa.DateTime, {"timezone": True}),
    "TIMESTAMP_TZ": (sa.DateTime, {"timezone": True}),
    "VARIANT": (sa.JSON, {}), "OBJECT": (sa.JSON, {}), "ARRAY": (sa.JSON, {}),
}
_MIXED: dict[type, type] = {}


def _generic(coltype: Any) -> Any:
    """snowflake-sqlalchemy's TIMESTAMP_NTZ/LTZ/TZ (not DateTime subclasses) and VARIANT/OBJECT/ARRAY
    (not JSON) as types that are both: the age finds write-time columns, the sample reads JSON, and
    the report still names the Snowflake type. None: nothing to map."""
    cls = type(coltype)
    found = _GENERIC.get(cls.__name__)
    if found is None or isinstance(coltype, found[0]):
        return None
    generic, kwargs = found
    if cls not in _MIXED:
        _MIXED[cls] = type(cls.__name__, (cls, generic), {"__module__": __name__})
    return _MIXED[cls](**kwargs)


@register("snowflake")
class Snowflake(Dialect):
    name = "snowflake"
    indexes = False  # no CREATE INDEX on its tables: a long scan's way out is the timeout or the warehouse
    system_schemas = frozenset({"information_schema"})
    grants = GRANTS
    # snowflake.connector errors carry the SQLSTATE: 42501 insufficient privileges (003001),
    # 42S02 "does not exist or not authorized" (002003: Snowflake does not tell them apart),
    # 57014 statement timeout (000630), 28000 refused login (390100), HYT00 the client's
    # login_timeout / query_timeout (000014)
    error_codes: ClassVar[dict[str, frozenset[object]]] = {
        "permission": frozenset({"42501", "42S02"}), "timeout": frozenset({"57014"}),
        "auth": frozenset({"28000"}), "read_timeout": frozenset({"HYT00"})}
    samples_by_key = False  # TABLESAMPLE (sample_key): no primary key is reflected
    estimate_exact = True  # INFORMATION_SCHEMA.TABLES.ROW_COUNT counts every row, whatever a row access policy shows
    masks_on_read = True  # masking policies serve '***MASKED***' (or any mask) to a role they hide values from

    def __init__(self, url: URL) -> None:
        super().__init__(url)
        self.protocol = str(url.query.get("protocol") or "https").lower()

    def driver_extra(self) -> tuple[str, str] | None:
        return ("snowflake", "snowflake")

    def engine_url(self) -> URL:
        return self.url.difference_update_query(["protocol"])

    def location(self) -> str:
        db = (self.url.database or "").split("/")[0]
        where = self.url.host or "?"
        if self.url.port:
            where += f":{self.url.port}"
        return f"snowflake://{where}/{db}"

    def connect_args(self, connect_timeout: float, statement_timeout: float) -> dict:
        args: dict[str, Any] = {
            "login_timeout": max(1, math.ceil(connect_timeout)),
            "session_parameters": {
                "STATEMENT_TIMEOUT_IN_SECONDS": max(1, math.ceil(statement_timeout)),
                "TIMEZONE": "UTC",
                "QUERY_TAG": "auditor",
                "CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False,  # the auditor sends the vendor's account no telemetry
                "CLIENT_TELEMETRY_ENABLED": False,
            },
            "retry_max_attempts": 3,
            "application": "auditor",
        }
        if self.protocol != "https":
            args["protocol"] = self.protocol
        return args

    def network_args(self, read_timeout: float) -> dict:
        # every query's wall clock (retries included) and each HTTP attempt, on the client side
        return {"query_timeout": max(1, math.ceil(read_timeout)), "retry_timeout": max(1, math.ceil(read_timeout))}

    def schemas(self, inspector: sa.Inspector, wanted: list[str] | None) -> list[str | None]:
        if wanted:
            return list(wanted)
        parts = (self.url.database or "").split("/")
        if len(parts) > 1 and parts[1]:  # a URL that names a schema audits that schema
            return [inspector.dialect.normalize_name(parts[1])]
        return super().schemas(inspector, None)

    def schema_fix(self, schema: str) -> str:
        return f"GRANT USAGE ON SCHEMA {schema} and SELECT ON ALL TABLES IN SCHEMA {schema} TO ROLE <audit role>"

    def rls_fix(self, role: str | None, schema: str, name: str) -> str:
        role = role or str(self.url.query.get("role") or "<audit role>")
        db = (self.url.database or "").split("/")[0] or "<db>"
        return (f"let the role {role} see every row of {schema}.{name}: add IS_ROLE_IN_SESSION('{role}') OR ... to the "
                "body of its row access policy (ALTER ROW ACCESS POLICY <policy> SET BODY -> ...; the policy: SELECT "
                f"POLICY_NAME FROM TABLE({db}.INFORMATION_SCHEMA.POLICY_REFERENCES(REF_ENTITY_NAME => "
                f"'{db}.{schema}.{name}', REF_ENTITY_DOMAIN => 'table')) as its owner)")

    def catalog_error(self, exc: BaseException) -> str | None:
        orig = getattr(exc, "orig", None) or exc
        errno, state = getattr(orig, "errno", None), getattr(orig, "sqlstate", None)
        role = str(self.url.query.get("role") or "<audit role>")
        if state == "57P03" or errno == 606:  # no active warehouse: the role has USAGE on none (or none is named)
            warehouse = str(self.url.query.get("warehouse") or "<warehouse>")
            return (f"no usable warehouse: the role may use no warehouse, or none is named (fix: GRANT USAGE ON "
                    f"WAREHOUSE {warehouse} TO ROLE {role}; and name it: warehouse={warehouse} in the URL, or the "
                    "user's DEFAULT_WAREHOUSE)")
        if errno == 90105:  # no current database: the URL's database is not usable by the role (SQLSTATE 22000)
            db = (self.url.database or "").split("/")[0] or "<db>"
            return (f"the session has no current database: the role may not use database {db}, or it does not "
                    f"exist (fix: GRANT USAGE ON DATABASE {db} TO ROLE {role}; check the database name in the URL)")
        return None

    def grant_fix(self, schema: str, name: str) -> str:
        return f"GRANT USAGE ON SCHEMA {schema} and SELECT ON TABLE {schema}.{name} TO ROLE <audit role>"

    def server(self, conn: sa.Connection) -> Server:
        version = ".".join(str(p) for p in (conn.dialect.server_version_info or ())[:3])
        s = Server(engine=f"snowflake {version}".strip())
        row = _run(conn, "SELECT CURRENT_ROLE(), CURRENT_WAREHOUSE(), CURRENT_DATABASE()")
        if row:
            s.facts.update({"role": row[0][0], "warehouse": row[0][1], "database": row[0][2]})
        region = _run(conn, "SELECT CURRENT_REGION()")
        s.facts["region"] = region[0][0] if region else "not answered (CURRENT_REGION() failed)"
        s.facts["transport"] = self.protocol
        if self.protocol == "https":
            s.in_transit = "enforced"
            s.in_transit_basis = "Snowflake accepts HTTPS (TLS 1.2+) connections only; this connection used HTTPS"
        else:
            s.in_transit = "optional"
            s.in_transit_basis = (f"this endpoint answered over plain {self.protocol.upper()} (protocol={self.protocol}"
                                  " in the URL): not Snowflake's own service, which accepts HTTPS only")
        s.facts["network_policy"] = "unknown (not read)"
        return s

    _TABLES = (
        "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, IS_TRANSIENT, ROW_COUNT, BYTES, RETENTION_TIME,"
        " LAST_ALTERED, CREATED, IS_DYNAMIC, IS_ICEBERG, IS_HYBRID"
        " FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA IN :schemas"
    )

    def tables(self, conn: sa.Connection, schemas: list[str | None]) -> dict[tuple[str | None, str], TableInfo]:
        d = conn.dialect
        names = [d.denormalize_name(s) for s in schemas if s]
        if not names:
            return {}
        sql = sa.text(self._TABLES).bindparams(sa.bindparam("schemas", expanding=True))
        rows = conn.execute(sql, {"schemas": names}).all()
        conn.rollback()
        out: dict[tuple[str | None, str], TableInfo] = {}
        # views hold no rows of their own (their base tables are datasets); snowflake-sqlalchemy
        # reflects them with the tables
        views = _run(conn, "SELECT TABLE_SCHEMA, TABLE_NAME FROM INFORMATION_SCHEMA.VIEWS WHERE TABLE_SCHEMA IN ("
                     + ", ".join(f"'{n.replace(chr(39), chr(39) * 2)}'" for n in names) + ")") or []
        for schema, name in views:
            out[(d.normalize_name(schema), d.normalize_name(name))] = TableInfo(
                shadow_of="a view: its rows are its base tables'")
        for schema, name, ttype, transient, row_count, size, retention, altered, created, dynamic, iceberg, hybrid in rows:
            key = (d.normalize_name(schema), d.normalize_name(name))
            kind = str(ttype or "").upper()
            if kind == "VIEW":  # no rows of its own (its base tables are datasets): not a dataset
                out[key] = TableInfo(shadow_of="a view: its rows are its base tables'")
                continue
            info = TableInfo(estimate=int(row_count) if row_count is not None else None,
                             estimate_basis="INFORMATION_SCHEMA.TABLES.ROW_COUNT",
                             bytes=int(size) if size is not None else None)
            when = to_utc(altered)
            info.engine_times.append((
                "INFORMATION_SCHEMA.TABLES.LAST_ALTERED", when,
                None if when else "NULL (not reported for this table)"))
            info.encryption_at_rest = "provider"
            info.encryption_basis = ("Snowflake encrypts all table data at rest (AES-256, always on); a customer-managed "
                                     "key (Tri-Secret Secure) is not visible to SQL")
            is_transient = str(transient or "").upper() == "YES"
            temporary = "TEMPORARY" in kind
            info.relation = {"MATERIALIZED VIEW": "materialized view", "EXTERNAL TABLE": "external table",
                             "EVENT TABLE": "event table"}.get(kind, "table")
            if str(dynamic or "").upper() == "YES":
                info.relation = "dynamic table"
            if kind == "EXTERNAL TABLE":
                info.not_read = ("external table: its rows are files in an external stage, not in Snowflake "
                                 "(not read; audit that bucket as a source of its own)")
            fail_safe = 0 if (is_transient or temporary or kind == "EXTERNAL TABLE") else FAIL_SAFE_DAYS
            time_travel = int(retention) if retention is not None else None
            info.facts.update({
                "table_type": kind.lower() or None,
                "transient": is_transient,
                "time_travel_days": time_travel,
                "fail_safe_days": fail_safe,
                "deleted_rows_recoverable": (
                    f"a deleted or overwritten row stays recoverable for {time_travel} days of Time Travel "
                    f"(RETENTION_TIME) and {fail_safe} days of Fail-safe"
                    + (" (permanent table)" if fail_safe else " (transient/temporary table: no Fail-safe)")
                    if time_travel is not None else "RETENTION_TIME not reported"),
                "created": made.isoformat() if (made := to_utc(created)) else None,
                "unknown_unless_attested": {"public": _NETWORK_POLICY},
            })
            if str(iceberg or "").upper() == "YES":
                info.facts["iceberg"] = True  # data files in the customer's external volume
            if str(hybrid or "").upper() == "YES":
                info.facts["hybrid"] = True
            out[key] = info
        return out

    def reflected_column(self, column: Any) -> Any:
        generic = _generic(column["type"])
        return column if generic is None else {**column, "type": generic}

    def cut(self, column: Any, chars: int | None, structured: bool = False) -> Any:
        if chars is None or not structured:
            return super().cut(column, chars, structured)
        # VARIANT / OBJECT / ARRAY as JSON text (a cast to VARCHAR keeps only a string's text)
        return sa.func.left(sa.func.to_json(column), chars + 1).label(column.name)

    def sample_key(self, cols: list[dict], pk: dict, info: TableInfo) -> str | None:
        return None  # primary keys are not enforced nor indexed in Snowflake: TABLESAMPLE instead of key ranges

    def engine_sample(self, table: Any, picked_from: Callable[[Any], list[Any]], rows: int,
                      records: int | None, seed: int) -> tuple[Any, str] | None:
        method = "bernoulli" if records is None or records <= BLOCK_SAMPLE_ROWS else "system"
        pct = 100.0 if not records else min(100.0, max(0.000001, 300.0 * rows / records))
        sampled = sa.tablesample(table, getattr(sa.func, method)(sa.literal_column(f"{pct:.6f}")),
                                 seed=sa.literal_column(str(int(seed))))
        return sa.select(*picked_from(sampled)).limit(rows), f"tablesample {method} {pct:.4g}%"
