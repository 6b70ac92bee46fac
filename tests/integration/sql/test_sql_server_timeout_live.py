"""What the server says when it cancels a statement, read as the SQL connector reads it
(connectors.sql.errors.server_timed_out), on the real PostgreSQL: its own statement timeout is one;
another session's pg_cancel_backend is not, even inside a function whose name says "timeout"
(psycopg's text of the error carries the CONTEXT lines, which name the function)."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from connectors.sql.errors import server_timed_out

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def eng(pg_url: str):
    engine = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(sa.text("CREATE FUNCTION wait_timeout_fn() RETURNS int LANGUAGE plpgsql AS "
                          "$$ BEGIN PERFORM pg_sleep(10); RETURN 1; END $$"))
    yield engine
    engine.dispose()


def test_the_servers_statement_timeout(eng):
    with eng.connect() as c:
        c.execute(sa.text("SET statement_timeout = 200"))
        with pytest.raises(sa.exc.DBAPIError) as caught:
            c.execute(sa.text("SELECT wait_timeout_fn()"))
    assert server_timed_out(caught.value)


def test_a_cancel_from_another_session_is_not_it(eng):
    with eng.connect() as victim:
        pid = victim.execute(sa.text("SELECT pg_backend_pid()")).scalar()

        def cancel() -> None:
            with eng.connect() as c:
                end = time.monotonic() + 10
                while time.monotonic() < end:  # once the victim runs the function: cancel it
                    if c.execute(sa.text("SELECT state = 'active' FROM pg_stat_activity WHERE pid = :p"),
                                 {"p": pid}).scalar():
                        c.execute(sa.text("SELECT pg_cancel_backend(:p)"), {"p": pid})
                        return
                    time.sleep(0.05)

        t = threading.Thread(target=cancel, daemon=True)
        t.start()
        with pytest.raises(sa.exc.DBAPIError) as caught:
            victim.execute(sa.text("SELECT wait_timeout_fn()"))
        t.join(10)
    text = str(caught.value.orig).lower()
    assert "user request" in text and "timeout" in text, text  # the function's name, in the CONTEXT
    assert not server_timed_out(caught.value)
