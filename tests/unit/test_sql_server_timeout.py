"""Only the server's own statement timeout makes the SQL connector read a table again without its
scans (connectors.sql.errors.server_timed_out): a cancel by another session, a conflict with
recovery on a replica, a KILL QUERY, a lock wait and the client's read timeout are not slow scans,
and an index would not help them."""

from __future__ import annotations

import psycopg
import pymysql
import pytest
import sqlalchemy as sa

from auditor.redact import Redactor
from connectors.sql.errors import describe, server_timed_out


def wrapped(orig: BaseException) -> sa.exc.DBAPIError:
    return sa.exc.OperationalError("SELECT 1", {}, orig)


@pytest.mark.parametrize("orig,timed_out", [
    (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), True),
    (psycopg.errors.QueryCanceled("canceling statement due to user request"), False),  # pg_cancel_backend
    (psycopg.errors.SerializationFailure("canceling statement due to conflict with recovery"), False),
    (psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"), False),
    (pymysql.err.OperationalError(1969, "Query execution was interrupted (max_statement_time exceeded)"), True),
    (pymysql.err.OperationalError(3024, "Query execution was interrupted, maximum statement execution time "
                                        "exceeded"), True),
    (pymysql.err.OperationalError(1317, "Query execution was interrupted"), False),  # KILL QUERY
    (pymysql.err.OperationalError(2013, "Lost connection to MySQL server during query (timed out)"), False),
    (pymysql.err.OperationalError(1205, "Lock wait timeout exceeded; try restarting transaction"), False),
])
def test_only_the_servers_statement_timeout(orig, timed_out):
    assert server_timed_out(wrapped(orig)) is timed_out
    if timed_out:  # and it is one that describe() names a statement timeout, as before
        assert describe(wrapped(orig), Redactor()).startswith("statement timeout")


@pytest.mark.parametrize("errno,message,timed_out", [
    (630, "Statement reached its statement or warehouse timeout of 1 second(s) and was canceled.", True),
    (604, "SQL execution canceled", False),  # a cancel, not the timeout
])
def test_a_dialects_own_codes(errno, message, timed_out):
    """Snowflake's connector errors carry the SQLSTATE; its dialect's error_codes are used."""
    errors = pytest.importorskip("snowflake.connector.errors")
    from connectors.sql.snowflake import Snowflake

    orig = errors.ProgrammingError(msg=message, errno=errno, sqlstate="57014")
    assert server_timed_out(wrapped(orig), Snowflake.error_codes) is timed_out
