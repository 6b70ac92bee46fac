"""Driver errors as short, credential-free, value-free reasons.

Driver messages can quote data (``invalid input syntax ... "value"``) or a DSN; only the
messages of connection, permission and timeout errors are kept (first line, redacted,
cut short); data errors are named by their class only.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from auditor.redact import Redactor

_PERMISSION_PG = {"42501"}
_TIMEOUT_PG = {"57014"}
_LOCK = {"55P03", 1205}
_PERMISSION_MY = {1142, 1143, 1044, 1227, 1370}
_TIMEOUT_MY = {1969, 3024}
# PyMySQL: 2013 "Lost connection to MySQL server during query" (a KILL from another session, a server
# restart, a cut network path; with "(timed out)": its own read_timeout), 2006 "MySQL server has gone away"
_LOST_MY = {2013, 2006}
_AUTH_MY = {1045, 1698}
# without a dialect's own ``error_codes``: the codes of the built-in engines
_DEFAULT_CODES: dict[str, frozenset[object]] = {
    "permission": frozenset(_PERMISSION_PG | _PERMISSION_MY), "timeout": frozenset(_TIMEOUT_PG | _TIMEOUT_MY),
    "lock": frozenset(_LOCK), "auth": frozenset(_AUTH_MY), "read_timeout": frozenset({2013}),
    "lost": frozenset(_LOST_MY)}


LOCKED_BY = "a migration, VACUUM FULL, ALTER TABLE or LOCK TABLES"
WAY_OUT = "re-run outside the maintenance window, or once the session holding the lock has ended"


def locked(where: str, seconds: float | None = None) -> str:
    """A relation another session holds a conflicting lock on, as a not-assessed reason: the
    cause and the way out (``where``: what waited; ``seconds``: how long)."""
    waited = f" after {seconds:g}s" if seconds is not None else ""
    return (f"not assessed: locked by another session: lock wait timed out (lock timeout{waited} {where}; "
            f"{LOCKED_BY} holds it); {WAY_OUT}")


def _code(orig: BaseException) -> object:
    args = getattr(orig, "args", None)
    if args and isinstance(args[0], int):  # PyMySQL/MySQLdb: (errno, message)
        return args[0]
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)  # psycopg 3 / psycopg2


def _first_line(orig: BaseException, redact: Redactor) -> str:
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    if isinstance(getattr(orig, "args", None), tuple) and len(orig.args) == 2 and isinstance(orig.args[0], int):
        text = f"({orig.args[0]}) {orig.args[1]}"  # PyMySQL: (code, message)
    return redact(text)[:300]


def describe(exc: BaseException, redact: Redactor, fix: str | None = None,
             codes: Mapping[str, frozenset[object]] | None = None) -> str:
    """``exc`` as a short reason; ``codes``: the dialect's ``error_codes`` (permission, timeout,
    lock, auth, read_timeout, lost), by default those of the built-in engines."""
    codes = _DEFAULT_CODES if codes is None else codes
    orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None else exc
    code = _code(orig)
    message = str(orig).lower()

    def has(kind: str) -> bool:
        return code is not None and code in codes.get(kind, ())

    if has("permission") or "permission denied" in message:
        return f"permission denied: {_first_line(orig, redact)}" + (f" (fix: {fix})" if fix else "")
    if has("lock") or "lock timeout" in message:
        return f"lock timeout: locked by another session: lock wait timed out ({LOCKED_BY} holds a conflicting lock); {WAY_OUT}"
    if has("read_timeout") and "timed out" in message:  # PyMySQL's read_timeout/write_timeout
        return ("no answer from the server within read_timeout: the connection went silent "
                "(raise read_timeout, or check the network path)")
    # the server's last words when another session ends this one (pg_terminate_backend), read as the
    # socket closes: psycopg raises them without their SQLSTATE (57P01)
    if has("lost") or "terminating connection due to administrator command" in message:
        # not a slow query: more statement_timeout changes nothing
        return ("connection lost: the server closed it (a KILL from another session, a "
                f"restart, or the network path cut it) ({_first_line(orig, redact)}); re-run once the server is "
                "reachable, or ask its operator what ended the session")
    if has("timeout") or "interrupted" in message or "canceling statement" in message:
        return "statement timeout: the query ran longer than statement_timeout (raise it, or audit off-peak)"
    if "timeout expired" in message or "timed out" in message:
        return "connection timed out (connect_timeout)"
    if has("auth") or "authentication failed" in message or "no password supplied" in message:
        return f"authentication failed ({type(orig).__name__})"
    if isinstance(exc, sa.exc.DataError):
        return f"data error while reading ({type(orig).__name__})"
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate[:2] in ("22", "23"):  # data exception / integrity: may quote a value
        return f"data error while reading ({type(orig).__name__}, SQLSTATE {sqlstate})"
    return f"{type(orig).__name__}: {_first_line(orig, redact)}"


def server_timed_out(exc: BaseException, codes: Mapping[str, frozenset[object]] | None = None) -> bool:
    """Whether the server itself cancelled the statement at its statement timeout: PostgreSQL's
    57014 "canceling statement due to statement timeout" (not "due to user request": another
    session's pg_cancel_backend), MariaDB's 1969 max_statement_time, MySQL's 3024
    max_execution_time, a dialect's own timeout code with "timeout" in its message (Snowflake).
    Not a conflict with recovery, a KILL QUERY, a lock wait or the client's read_timeout; not
    SQLite's "interrupted" (the connector's deadline or a cancel: not told apart); not a server
    whose lc_messages is not English (its message is read for "timeout": the table is then not
    assessed, named as a statement timeout, as before)."""
    codes = _DEFAULT_CODES if codes is None else codes
    orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None else exc
    code = _code(orig)
    if code is None or code not in codes.get("timeout", ()):
        return False
    # psycopg's text carries the CONTEXT lines (a function's name may say "timeout"): the primary message only
    diag = getattr(orig, "diag", None)
    primary = getattr(diag, "message_primary", None) or str(orig)
    return code in _TIMEOUT_MY or "timeout" in primary.lower()


def driver_hint(url: sa.URL, exc: ImportError, extra: tuple[str, str] | None = None) -> str:
    """A missing database driver as what to install (``pip install '.[mysql]'``) and the URL
    scheme that uses it (``extra``: the dialect's ``driver_extra()``), instead of a bare
    ``ModuleNotFoundError: pymysql``."""
    module = getattr(exc, "name", None) or str(exc)
    if extra is None:
        return f"the {url.drivername} driver is not installed (no module {module}): install it into the auditor's environment"
    name, scheme = extra
    return (f"the {url.drivername} driver is not installed (no module {module}): install the auditor's "
            f"driver with `pip install '.[{name}]'` and write the URL as {scheme}://...")


def is_disconnect(exc: BaseException) -> bool:
    return isinstance(exc, sa.exc.DBAPIError) and bool(exc.connection_invalidated)
