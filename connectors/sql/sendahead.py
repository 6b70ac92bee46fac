"""One query sent ahead on a psycopg connection, its results taken later.

A small table costs the client about as much as the server (the client converts, digests and
describes its rows; the server counts and reads them). Sent one after the other, each waits
for the other. So the connector sends the next table's query (its aggregate and its "all
rows" sample, one simple query) as soon as this table's results are off the wire
(:func:`take`), and only then converts (:func:`load`) and describes this table: the server's
work on the next overlaps the client's on this one. One connection and one thread: the order
of the tables is kept, no lock is shared, and at most one query is in flight; nothing else is
sent on the connection until its results are taken (:func:`take`, :func:`receive`) or the
connection is given up.

Only psycopg's public libpq wrapper (``pgconn``: ``send_query``, ``flush``, ``consume_input``,
``is_busy``, ``get_result``) and its loaders (``psycopg.adapt.Transformer``, the ones a cursor
fetches with) are used: the values are the ones ``cursor.fetchone()`` / ``fetchall()`` give, or for
the sample's columns named in ``as_text``, the text the server wrote (the type's output function,
the text ``CAST(c AS TEXT)`` gives: the cast left out of the statement spares the server a copy of
every such value).
Waiting is a ``select`` on the connection's socket: the client-side deadline (:mod:`.deadline`)
shuts that socket, the wait returns and the read fails at once, as a cursor's does.
"""

from __future__ import annotations

import select
from collections.abc import Sequence
from typing import Any


def available(driver: Any) -> bool:
    """Whether ``driver`` (a DBAPI connection) is a psycopg 3 connection this module can drive."""
    try:
        import psycopg
        from psycopg import adapt, errors

        return (isinstance(driver, psycopg.Connection) and hasattr(adapt, "Transformer")
                and hasattr(errors, "error_from_result") and driver.pgconn is not None)
    except Exception:  # noqa: BLE001 - another driver, or a psycopg without these: never sent ahead
        return False


def send(driver: Any, sql: str) -> None:
    """Send ``sql`` (a parameterless simple query) and flush it; its results stay on the wire."""
    pgconn = driver.pgconn
    pgconn.send_query(sql.encode(driver.info.encoding))
    fd = pgconn.socket
    while pgconn.flush() != 0:  # a non-blocking connection: the rest of the query, when writable
        readable, _, _ = select.select([fd], [fd], [])
        if readable:
            pgconn.consume_input()


def receive(driver: Any, as_text: Sequence[int] = ()) -> tuple[Any, list | None]:
    """(first result's first row, second result's rows) of the query :func:`send` sent, every
    result of it taken off the wire first (the connection is idle again, whatever it raises); a
    statement's error raised as psycopg raises it (``psycopg.errors``: its SQLSTATE's class).
    ``as_text``: the second result's columns loaded as the server wrote them (its type's text
    form, as ``CAST(c AS TEXT)`` gives it), whatever their type."""
    first, pending = take(driver, as_text)
    return first, load(pending)


def take(driver: Any, as_text: Sequence[int] = ()) -> tuple[Any, Any]:
    """:func:`receive` in two steps: every result taken off the wire, their statuses checked, the
    first result's first row loaded and the second's loaders chosen; its rows still as the server
    sent them (``pending``, None when there is no second result) for :func:`load`. The connection
    is idle on return: the next query may be sent while ``pending`` is loaded (the server reads the
    one while the client converts the other), and ``pending`` needs nothing of it any more."""
    from psycopg import adapt, errors, pq

    pgconn = driver.pgconn
    fd = pgconn.socket
    results: list[Any] = []
    while True:
        pgconn.consume_input()  # a lost or shut connection raises here (psycopg.OperationalError)
        while not pgconn.is_busy():
            res = pgconn.get_result()
            if res is None:
                return _taken(driver, results, adapt, errors, pq, as_text)
            results.append(res)
        select.select([fd], [], [])


def load(pending: Any) -> list | None:
    """The rows of the second result :func:`take` left (None: there was none)."""
    if pending is None:
        return None
    tx, second = pending
    return list(tx.load_rows(0, second.ntuples, tuple))


def _taken(driver: Any, results: list, adapt: Any, errors: Any, pq: Any,
           as_text: Sequence[int]) -> tuple[Any, Any]:
    status = pq.ExecStatus
    for res in results:
        if res.status == status.FATAL_ERROR:
            raise errors.error_from_result(res, encoding=driver.info.encoding)
        if res.status != status.TUPLES_OK and res.status != status.COMMAND_OK:
            raise errors.InternalError(f"unexpected result status from query: {status(res.status).name}")
    if not results:
        raise errors.InternalError("got no result from the query")
    tx = adapt.Transformer(driver)
    tx.set_pgresult(results[0])
    first = tx.load_row(0, tuple) if results[0].ntuples else None
    if len(results) < 2:
        return first, None
    second = results[1]
    if as_text and second.nfields:
        tx.set_pgresult(second, set_loaders=False)
        text = set(as_text)
        from psycopg import postgres
        text_oid = postgres.types["text"].oid  # its loader gives a column's text as the server wrote it
        tx.set_loader_types([text_oid if i in text else second.ftype(i) for i in range(second.nfields)],
                            pq.Format.TEXT)
    else:
        tx.set_pgresult(second)
    return first, (tx, second)  # its loaders made while the connection is there (they keep its encoding)
