"""Review: a driver's data error quotes the value it choked on (Snowflake: ``100038 (22018):
Numeric value '...' is not recognized``, raised as a ProgrammingError, not a DataError); the
reason the connector reports is the error's class and SQLSTATE, never the value."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from auditor.redact import Redactor
from connectors.sql.errors import describe
from connectors.sql.snowflake import Snowflake

VALUE = "S1234567D"


@pytest.mark.parametrize("errno,sqlstate,msg", [
    (100038, "22018", f"Numeric value '{VALUE}' is not recognized"),
    (100071, "22000", f'Failed to cast variant value "{VALUE}" to NUMBER'),
    (100035, "22007", f"Timestamp '{VALUE}' is not recognized"),
])
def test_snowflake_data_errors_never_quote_the_value(errno, sqlstate, msg):
    from snowflake.connector.errors import ProgrammingError

    orig = ProgrammingError(msg=msg, errno=errno, sqlstate=sqlstate)
    exc = sa.exc.ProgrammingError("SELECT ...", {}, orig)
    reason = describe(exc, Redactor(), codes=Snowflake.error_codes)
    assert VALUE not in reason, reason
    assert sqlstate in reason and "data error" in reason, reason


def test_a_session_ended_by_another_is_a_lost_connection_even_without_its_sqlstate():
    # pg_terminate_backend: the server's notice is read as the socket closes, and psycopg raises it
    # from consume_input without SQLSTATE 57P01 (seen as a flaky send-ahead test)
    import psycopg

    reason = describe(psycopg.OperationalError(
        "consuming input failed: terminating connection due to administrator command"), Redactor())
    assert reason.startswith("connection lost: the server closed it") and "administrator command" in reason
