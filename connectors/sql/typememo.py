"""PostgreSQL column types parsed once per reflection (:func:`types_once`): an estate's thousands
of ``varchar(200)`` columns share one parse, through SQLAlchemy's private ``PGDialect._reflect_type``,
wrapped only when its parameters are the ones this was written against."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

# imported here, once, by whichever thread imports the connector (before any source runs), never
# inside types_once: there, a SQLite or MariaDB source's first import of it in one thread raced a
# PostgreSQL source loading its psycopg dialect in another (SQLAlchemy's postgresql package imports
# its modules circularly), and one of the two sources failed ("partially initialized module",
# _DeadlockError, "Can't load plugin: sqlalchemy.dialects:postgresql.psycopg")
from sqlalchemy.dialects.postgresql.base import PGDialect

# the parameters of SQLAlchemy's private PGDialect._reflect_type that types_once was written against
# (SQLAlchemy 2.1); any other (2.0 passes domains and enums instead of a loader): left alone
_REFLECT_TYPE_PARAMS = ("self", "format_type", "named_type_loader", "type_description", "collation", "collation_schema")


def _known_reflect_type(fn: Any) -> bool:
    try:
        return tuple(inspect.signature(fn).parameters) == _REFLECT_TYPE_PARAMS
    except (TypeError, ValueError):
        return False


def _holds_null(t: Any) -> bool:
    """Whether a reflected type is, or is built on (a domain's, an array's), one SQLAlchemy did
    not recognize (NULLTYPE: it warned, naming the column)."""
    for _ in range(32):  # domains over domains, arrays of them: a few levels
        if t is None:
            return False
        if isinstance(t, sa.types.NullType):
            return True
        t = getattr(t, "data_type", None) or getattr(t, "item_type", None)
    return True  # deeper than any real type: not remembered


@contextlib.contextmanager
def types_once(dialect: sa.Dialect) -> Iterator[None]:
    """While a schema's columns are reflected: each distinct PostgreSQL ``format_type`` (with its
    collation) parsed into a SQLAlchemy type once, the same type object given to every column that
    has it (``varchar(200)`` in a thousand tables: one parse, not a thousand). A function of its
    arguments within one reflection; a type SQLAlchemy did not recognize (it warns, naming the
    column, and gives NULLTYPE) is not remembered, so each such column still warns. Other
    SQLAlchemy dialects (not PostgreSQL's, whose ``_reflect_type`` this wraps) are left alone."""
    reflect: Any = getattr(type(dialect), "_reflect_type", None)
    if not isinstance(dialect, PGDialect) or not _known_reflect_type(reflect) or "_reflect_type" in vars(dialect):
        yield
        return
    memo: dict[tuple[Any, ...], tuple[Any, Any]] = {}

    def once(format_type: Any, named_type_loader: Any, type_description: Any = None, collation: Any = None,
             collation_schema: Any = None) -> Any:
        key = (format_type, id(named_type_loader), collation, collation_schema)
        hit = memo.get(key)
        if hit is not None and hit[0] is named_type_loader:
            return hit[1]
        got = reflect(dialect, format_type, named_type_loader, type_description, collation, collation_schema)
        if format_type is not None and not _holds_null(got):
            memo[key] = (named_type_loader, got)
        return got

    dialect._reflect_type = once  # type: ignore[method-assign]
    try:
        yield
    finally:
        del dialect._reflect_type
