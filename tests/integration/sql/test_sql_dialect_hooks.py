"""A new engine plugs in by a Dialect subclass and its registration alone: the connector and
the sampler ask the dialect, never the engine's name."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sql_helpers import by_name, scan

from connectors.sql import Connector, dialects
from connectors.sql.sqlite import SQLite

SQL = Path(dialects.__file__).parent
ENGINE_NAMES = re.compile(r"""["'](postgresql|postgres|mysql|mariadb|sqlite|snowflake|bigquery)["']""")


@pytest.mark.parametrize("module", ["connector.py", "sampling.py", "age.py", "errors.py", "permissions.py"])
def test_no_engine_name_is_branched_on_outside_the_dialects(module):
    text = (SQL / module).read_text()
    assert not ENGINE_NAMES.search(text), ENGINE_NAMES.findall(text)
    assert "dialect.name" not in text and "d.name" not in text


@pytest.fixture
def tagged(tmp_path, monkeypatch):
    """A dialect registered for a backend: here a subclass of SQLite that records its hooks."""
    calls: list[str] = []

    class Tagged(SQLite):
        name = "tagged"
        grants = "GRANT tagged reads"
        autocommit_reads = False  # each table in a transaction its begin_statements open

        def sample_key(self, cols: list[dict], pk: dict, info: dialects.TableInfo) -> str | None:
            calls.append("sample_key")
            return None  # no key ranges: the engine's own sample below

        def engine_sample(self, table: Any, picked_from: Any, rows: int, records: int | None,
                          seed: int) -> tuple[Any, str] | None:
            calls.append("engine_sample")
            return sa.select(*picked_from(table)).limit(rows), "tagged sample"

        def begin_statements(self, info: dialects.TableInfo) -> list[str]:
            calls.append("begin_statements")
            return ["SELECT 1"]

    monkeypatch.setitem(dialects._REGISTRY, "sqlite", Tagged)
    path = tmp_path / "t.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as c:
        c.exec_driver_sql("CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT)")
        c.exec_driver_sql("INSERT INTO people (email) VALUES " + ",".join(f"('u{i}@example.com')" for i in range(50)))
    engine.dispose()
    return f"sqlite:///{path}", calls


def test_a_registered_dialect_is_used_by_the_connector_and_the_sampler(tagged):
    url, calls = tagged
    obs = by_name(scan(url, sample_rows=10))["main.people"]
    assert obs.dataset.facts["sample"]["strategy"] == "tagged sample"
    assert {"sample_key", "engine_sample", "begin_statements"} <= set(calls)
    assert len(obs.sample.fields["email"]) == 10
    assert Connector.permissions()["tagged"] == "GRANT tagged reads"


@pytest.mark.parametrize("url", ["postgresql+psycopg://u@h/db", "mariadb+pymysql://u@h/db", "sqlite://"])
@pytest.mark.parametrize("schema,name", [("public", "plain"), ('we"ird', 'x"><img src=x>'), (None, "per%cent Table"),
                                         ("auditorph_t", "auditorph_c0"), ("pct%(x)s", 'back\\slash`"?')])
def test_a_shape_compiled_once_gives_each_table_the_sql_its_own_compile_gives(url, schema, name):
    """statements.Shapes: one compile per shape, each table's identifiers quoted as the compiler
    quotes them (percent signs doubled for pyformat drivers), parameters in the driver's form."""
    from connectors.sql import sampling
    from connectors.sql.statements import Shapes

    engine = sa.create_engine(url)  # never connects: the dialect and its paramstyle only
    sa_dialect, ours = engine.dialect, dialects.dialect_for(sa.engine.make_url(url))
    info = dialects.TableInfo(history=True)
    cols = ["Email", 'a"; drop table b; --', "n%", "id"]
    cut = {"Email": 300, 'a"; drop table b; --': 256}

    def stmt(s, n, cs):
        return sampling.plan(ours, s, n, cs[:3], 10, 5, cs[3], None, dict(zip(cs[:2], cut.values())),
                             {cs[2]}, True, info).statement

    shapes = Shapes(sa_dialect)
    for _ in range(2):
        sql, params = shapes.render(("whole",), stmt, schema, name, cols)
    compiled = stmt(schema, name, cols).compile(dialect=sa_dialect, compile_kwargs={"render_postcompile": True})
    values = compiled.construct_params()
    assert sql == compiled.string
    assert params == (tuple(values[k] for k in compiled.positiontup) if compiled.positional else values)
    assert shapes.compiled == 1
    engine.dispose()
