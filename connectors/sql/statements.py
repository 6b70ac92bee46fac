"""Statement shapes compiled once per source and reused for every table of that shape.

Compiling a SQLAlchemy statement costs more than running it on a small table. The table's
statements differ from one table to the next mostly by names: so a statement is built and
compiled once with placeholder identifiers (``auditorph_s`` / ``auditorph_t`` /
``auditorph_c0``...), and each table's SQL is that text with its own identifiers, quoted by the
dialect's identifier preparer exactly as the compiler quotes them (``%`` doubled where the
driver's paramstyle needs it). Bound values (``LIMIT``) belong to the shape: they are part of
its key, and passed in the driver's parameter form. Statements whose values differ per table
(random samples: seeds, percentages, key ranges) are not cached here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import sqlalchemy as sa

PREFIX = "auditorph_"
_PLACEHOLDER = re.compile(r"\bauditorph_(s|t|c\d+)\b")
SCHEMA, TABLE = PREFIX + "s", PREFIX + "t"


def column(i: int) -> str:
    return f"{PREFIX}c{i}"


_COLUMNS = [column(i) for i in range(256)]  # the placeholders of the first columns, built once


class Shapes:
    """One cache per source (one SQLAlchemy dialect)."""

    def __init__(self, dialect: sa.Dialect) -> None:
        self.dialect = dialect
        self.preparer = dialect.identifier_preparer
        self._cache: dict[Hashable, tuple[str, Any]] = {}
        self.compiled = 0  # shapes compiled (for whoever measures)
        self._last: tuple[tuple, dict[str, str]] | None = None
        self._quoted: dict[str, str] = {}  # identifier -> as the preparer quotes it
        self._schemas: dict[str, str] = {}  # schema -> as the preparer quotes a schema

    def render(self, key: Hashable, build: Callable[[str | None, str, list[str]], Any], schema: str | None,
               name: str, columns: Sequence[str], literal: bool = False) -> tuple[str, Any]:
        """(driver SQL, driver parameters) of ``build(schema, table, columns)`` for this table.

        ``build`` receives placeholder names and must use every identifier through them; ``key``
        must tell apart everything else the statement depends on (bound values included).
        ``literal``: bound values written into the SQL (integers the connector chose: cuts,
        ``LIMIT``), so the text can share one simple query with another statement."""
        full = (key, schema is None, len(columns), literal)
        hit = self._cache.get(full)
        if hit is None:
            stmt = build(None if schema is None else SCHEMA, TABLE, [column(i) for i in range(len(columns))])
            compiled = stmt.compile(dialect=self.dialect,
                                    compile_kwargs={"render_postcompile": True, "literal_binds": literal})
            values = compiled.construct_params()
            if compiled.positional:
                params: Any = tuple(values[k] for k in compiled.positiontup or ())
            else:
                params = values
            # a str.format template: braces of the SQL doubled, each placeholder a field
            template = _PLACEHOLDER.sub(lambda m: "{" + m.group(0) + "}", compiled.string.replace("{", "{{")
                                        .replace("}", "}}"))
            hit = (template, params)
            self._cache[full] = hit
            self.compiled += 1
        template, params = hit
        return template.format_map(self._names(schema, name, columns)), params

    def _names(self, schema: str | None, name: str, columns: Sequence[str]) -> dict[str, str]:
        """The table's quoted identifiers by placeholder (the last table's kept: its statements
        are rendered one after the other)."""
        key = (schema, name, tuple(columns))
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        quote = self._quote
        names = {TABLE: quote(name)}
        if schema is not None:
            names[SCHEMA] = self._quoted_schema(schema)
        for i, c in enumerate(columns):
            names[_COLUMNS[i] if i < len(_COLUMNS) else column(i)] = quote(c)
        self._last = (key, names)
        return names

    def _quote(self, name: str) -> str:
        """The preparer's quoting of an identifier (a function of the string alone, remembered:
        an estate's tables share most of their column names). A ``quoted_name`` carries its own
        quoting: never remembered."""
        return _remembered(self._quoted, self.preparer.quote, name)

    def _quoted_schema(self, schema: str) -> str:
        return _remembered(self._schemas, self.preparer.quote_schema, schema)


def _remembered(seen: dict[str, str], quote: Callable[[str], str], name: str) -> str:
    """``quote(name)``, remembered in ``seen`` for a plain ``str`` (not for a ``quoted_name``)."""
    if type(name) is not str:
        return quote(name)
    hit = seen.get(name)
    if hit is None:
        hit = seen[name] = quote(name)
    return hit
