"""Issue 15 item 3: every SQL relation that stores rows is inventoried, every column type is
sampled or named in ``unsampled``, per-cell failures stay per cell and per-table failures per
table. Real PostgreSQL, MariaDB and SQLite.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sql_helpers import by_name, scan

from auditor.classify import classify
from auditor.models import CollectionError, Observation
from connectors.sql import sampling

AS_OF = datetime(2026, 11, 28, tzinfo=UTC)
CARD = 4111111111111111
PHONE = 6591234567  # +65 9123 4567 as a number
DEEP = 40  # JSON levels: far beyond the old depth limit of 8
DEEP_MARIADB = 15  # MariaDB's JSON_VALID refuses documents deeper than 32 (a level here is two)


def _types(obs: Observation) -> set[str]:
    return {p.type for p in classify(obs.sample)} if obs.sample else set()


def _deep_doc(email: str, depth: int = DEEP) -> str:
    doc: dict = {"email": email}
    for i in range(depth):
        doc = {f"k{i}": [doc]}
    return json.dumps(doc)


BRACKETS = "[" * 5000 + "x" + "]" * 5000  # one hostile text cell: used to raise RecursionError


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="module")
def pg(pg_url: str):
    eng = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(sa.text("CREATE TABLE events (id int, email text, at date) PARTITION BY RANGE (at)"))
        c.execute(sa.text("CREATE TABLE events_2019 PARTITION OF events FOR VALUES FROM ('2019-01-01') TO ('2020-01-01')"))
        c.execute(sa.text("CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')"))
        c.execute(sa.text("INSERT INTO events SELECT g, 'p' || g || '@example.com', "
                          "date '2019-06-01' + (g * 3) FROM generate_series(1, 120) g"))
        c.execute(sa.text("CREATE TABLE src (id int primary key, email text)"))
        c.execute(sa.text("INSERT INTO src SELECT g, 'm' || g || '@example.com' FROM generate_series(1, 30) g"))
        c.execute(sa.text("CREATE MATERIALIZED VIEW mv_customers AS SELECT * FROM src"))
        c.execute(sa.text("CREATE MATERIALIZED VIEW mv_empty AS SELECT * FROM src WITH NO DATA"))
        c.execute(sa.text("CREATE TABLE numbers (id int primary key, card double precision, phone double precision,"
                          " ref uuid, active boolean, n smallint, price numeric(12, 2), span interval, doc jsonb,"
                          " tags text[], note text)"))
        for i in range(1, 21):
            c.execute(sa.text("INSERT INTO numbers VALUES (:i, :card, :phone, :ref, true, 1, 10.5, '1 day',"
                              " CAST(:doc AS jsonb), ARRAY['a'], :note)"),
                      {"i": i, "card": float(CARD), "phone": float(PHONE + i), "ref": str(uuid.uuid4()),
                       "doc": _deep_doc(f"deep{i}@example.com"), "note": BRACKETS if i == 1 else "ok"})
        c.execute(sa.text("CREATE TABLE zz_after (id int primary key, email text)"))
        c.execute(sa.text("INSERT INTO zz_after SELECT g, 'z' || g || '@example.com' FROM generate_series(1, 10) g"))
        c.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgres_fdw"))
        c.execute(sa.text("CREATE SERVER elsewhere FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', dbname 'test')"))
        c.execute(sa.text("CREATE FOREIGN TABLE remote_people (id int, email text) SERVER elsewhere"))
    yield pg_url
    eng.dispose()


def test_postgres_relations_partitions_matviews_foreign(pg):
    items = scan(pg, AS_OF)
    got = by_name(items)
    assert not [i for i in items if isinstance(i, CollectionError)], items
    # partitions roll up to their root: one dataset with every row, partitions named, none of their own
    assert "public.events_2019" not in got and "public.events_2020" not in got
    ev = got["public.events"]
    assert ev.dataset.status == "assessed" and ev.dataset.records == 120
    assert ev.dataset.facts["relation"] == "partitioned table"
    assert ev.dataset.facts["partitions"] == ["public.events_2019", "public.events_2020"]
    assert "email" in _types(ev)
    # a materialized view stores rows: inventoried and classified
    mv = got["public.mv_customers"]
    assert mv.dataset.facts["relation"] == "materialized view" and mv.dataset.records == 30
    assert "email" in _types(mv)
    empty = got["public.mv_empty"]
    assert empty.dataset.records == 0 and "not populated" in empty.dataset.facts["relation_state"]
    # it holds no rows: classified as holding none (an empty sample), not "personal data unknown"
    assert empty.sample is not None and not any(empty.sample.fields.values())
    # a foreign table: inventoried, its rows named as not read (they live on another server)
    ft = got["public.remote_people"]
    assert ft.dataset.facts["relation"] == "foreign table" and ft.sample is None
    assert set(ft.dataset.facts["unsampled"]) == {"id", "email"}
    assert "foreign server elsewhere" in ft.dataset.facts["unsampled"]["email"]


def test_postgres_every_column_type_sampled_or_named(pg):
    got = by_name(scan(pg, AS_OF, include=["public.numbers", "public.zz_after"]))
    obs = got["public.numbers"]
    assert obs.dataset.status == "assessed", obs.dataset.error
    fields = obs.sample.fields
    cols = set(obs.dataset.columns)
    named = set(obs.dataset.facts.get("unsampled", {}))
    sampled = {f.split(".")[0].split("[")[0] for f in fields}
    assert cols == sampled | named, (cols, sampled, named)  # nothing silently skipped
    assert str(CARD) in fields["card"]  # double precision as digits, not 4.111111111111111e+15
    types = _types(obs)
    assert "payment_card" in types and "phone" in types
    deep = [k for k in fields if k.startswith("doc.k39[].k38[]") and k.endswith("k0[].email") and "levels…" in k]
    assert deep and len(deep[0]) < 300, sorted(fields)  # long paths keep their head and their leaf
    assert "email" in types  # found 40 levels deep in a jsonb column
    assert fields["active"][0] == "true" and len(fields["ref"][0]) == 36
    # the hostile bracket cell is read as text (cut), never a recursion error, never the source's failure
    assert "public.zz_after" in got and got["public.zz_after"].dataset.status == "assessed"


def test_per_table_failure_stays_per_table(pg, monkeypatch):
    real = sampling.read_rows

    def flaky(cols, rows, structured=frozenset(), cut=None, texts=None, **more):
        if "card" in cols:
            raise RecursionError("maximum recursion depth exceeded")
        return real(cols, rows, structured, cut, texts, **more)

    monkeypatch.setattr(sampling, "read_rows", flaky)
    got = by_name(scan(pg, AS_OF, include=["public.numbers", "public.zz_after"]))
    bad = got["public.numbers"].dataset
    assert bad.status == "error" and "RecursionError" in bad.error and "maximum" not in bad.error
    assert got["public.zz_after"].dataset.status == "assessed" and "email" in _types(got["public.zz_after"])


def test_a_cell_that_cannot_be_read_is_named_not_fatal():
    class Hostile:
        def __str__(self) -> str:
            raise RecursionError("deep")

    read = sampling.read_rows(["a", "b"], [("x@example.com", Hostile()), ("y@example.com", "ok")])
    assert read.fields["a"] == ["x@example.com", "y@example.com"] and read.fields["b"] == ["ok"]
    assert read.unsampled == {"b": "1 sampled value(s) could not be read (RecursionError): not classified"}


def test_json_walk_is_iterative_and_bounded():
    out: dict = {}
    deep = "[" * 200_000 + '"deep@example.com"' + "]" * 200_000
    assert sampling.walk_json(deep, "c", out) == "complete"
    (path, values), = out.items()
    assert values == ["deep@example.com"] and len(path) < 200
    out = {}
    assert sampling.walk_json('{"a": {"email": "x@example.com", "b": "cut', "c", out) == "partial"
    assert out == {"c.a.email": ["x@example.com"]}
    assert sampling.walk_json("[citation needed]", "c", {}) == "invalid"


# --------------------------------------------------------------------------- MariaDB


@pytest.fixture(scope="module")
def my(mysql_url: str):
    eng = sa.create_engine(mysql_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(sa.text("CREATE TABLE versioned (id int primary key, email varchar(100)) WITH SYSTEM VERSIONING"))
        c.execute(sa.text("INSERT INTO versioned VALUES (1, 'gone1@example.com'), (2, 'gone2@example.com')"))
        c.execute(sa.text("DELETE FROM versioned"))  # deleted, yet every version is still stored
        c.execute(sa.text("CREATE TABLE parts (id int primary key, email varchar(100)) PARTITION BY HASH(id) PARTITIONS 4"))
        c.execute(sa.text("INSERT INTO parts SELECT seq, concat('h', seq, '@example.com') FROM seq_1_to_40"))
        c.execute(sa.text("CREATE SEQUENCE counter"))
        c.execute(sa.text("CREATE TABLE numbers (id int primary key, card double, phone double, ref uuid,"
                          " active boolean, bits bit(8), doc json, note text)"))
        for i in range(1, 21):
            c.execute(sa.text("INSERT INTO numbers VALUES (:i, :card, :phone, :ref, 1, b'1010', :doc, :note)"),
                      {"i": i, "card": float(CARD), "phone": float(PHONE + i), "ref": str(uuid.uuid4()),
                       "doc": _deep_doc(f"deep{i}@example.com", DEEP_MARIADB), "note": BRACKETS if i == 1 else "ok"})
    yield mysql_url
    eng.dispose()


def test_mariadb_system_versioned_partitions_and_types(my):
    items = scan(my, AS_OF)
    got = by_name(items)
    assert not [i for i in items if isinstance(i, CollectionError)], items
    assert not any("counter" in n for n in got)  # a sequence holds no rows of people
    v = got[next(n for n in got if n.endswith(".versioned"))]
    assert v.dataset.facts["relation"] == "system-versioned table"
    assert v.dataset.records == 2 and "FOR SYSTEM_TIME ALL" in v.dataset.facts["records_scope"]
    assert "email" in _types(v)  # deleted rows are still stored: found
    p = got[next(n for n in got if n.endswith(".parts"))]
    assert p.dataset.records == 40 and p.dataset.facts.get("partitioned") is True and "email" in _types(p)
    n = got[next(n for n in got if n.endswith(".numbers"))]
    assert n.dataset.status == "assessed", n.dataset.error
    sampled = {f.split(".")[0].split("[")[0] for f in n.sample.fields}
    assert set(n.dataset.columns) == sampled | set(n.dataset.facts.get("unsampled", {}))
    assert str(CARD) in n.sample.fields["card"]
    types = _types(n)
    assert {"payment_card", "phone", "email"} <= types, types


# --------------------------------------------------------------------------- SQLite


def test_sqlite_real_cards_and_hostile_cells(tmp_path):
    path = tmp_path / "vendor.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, card REAL, note TEXT, doc JSON)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)",
                    [(i, float(CARD), BRACKETS if i == 1 else "ok", _deep_doc(f"s{i}@example.com")) for i in range(1, 21)])
    con.execute("CREATE TABLE zz (id INTEGER PRIMARY KEY, email TEXT)")
    con.execute("INSERT INTO zz VALUES (1, 'a@example.com')")
    con.commit()
    con.close()
    got = by_name(scan(f"sqlite:///{path}", AS_OF))
    t = got["main.t"]
    assert t.dataset.status == "assessed", t.dataset.error
    assert str(CARD) in t.sample.fields["card"]
    assert {"payment_card", "email"} <= _types(t)
    assert got["main.zz"].dataset.status == "assessed"


# --------------------------------------------------------------------------- issue 15 item 6


def test_a_mistyped_glob_is_not_assessed_not_a_pass(pg):
    items = scan(pg, AS_OF, include=["public.customer_*"])  # the tables are events, src, numbers, ...
    errors = [i for i in items if isinstance(i, CollectionError)]
    assert not by_name(items)
    assert len(errors) == 1 and errors[0].dataset is None  # the whole source: not assessed
    reason = errors[0].reason
    assert "'public.customer_*'" in reason and "matched nothing" in reason
    # events (its partitions rolled up), src, mv_customers, mv_empty, numbers, zz_after, remote_people
    assert "the source holds 7 tables" in reason
    assert "events" not in reason and "numbers" not in reason  # counts only, never names
    # one glob matching nothing beside one that matches: still named
    items = scan(pg, AS_OF, include=["public.zz_*", "public.custmers"])
    assert "public.zz_after" in by_name(items)
    assert [e.dataset for e in items if isinstance(e, CollectionError)] == ["public.custmers"]
    items = scan(pg, AS_OF, include=["public.zz_*", "public.nope_*"])
    assert [e.reason for e in items if isinstance(e, CollectionError)][0].count("'public.nope_*'") == 1


def test_a_source_with_no_table_is_not_assessed(tmp_path):
    path = tmp_path / "empty.db"
    sqlite3.connect(path).execute("CREATE VIEW v AS SELECT 1 AS x").connection.close()
    items = scan(f"sqlite:///{path}", AS_OF)
    errors = [i for i in items if isinstance(i, CollectionError)]
    assert not by_name(items) and len(errors) == 1 and errors[0].dataset is None, items
    assert "'*' matched nothing (the source holds 0 tables)" in errors[0].reason


def test_postgres_legacy_inheritance_counts_each_row_once(pg_url):
    eng = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(sa.text("CREATE SCHEMA legacy"))
        c.execute(sa.text("CREATE TABLE legacy.orders (id int, email text)"))
        c.execute(sa.text("CREATE TABLE legacy.orders_2018 () INHERITS (legacy.orders)"))
        c.execute(sa.text("INSERT INTO legacy.orders VALUES (1, 'p@example.com')"))
        c.execute(sa.text("INSERT INTO legacy.orders_2018 SELECT g, 'c' || g || '@example.com' FROM generate_series(1, 9) g"))
    eng.dispose()
    got = by_name(scan(pg_url, AS_OF, schemas=["legacy"]))
    assert got["legacy.orders"].dataset.records == 1  # FROM ONLY: the parent's own row
    assert got["legacy.orders_2018"].dataset.records == 9
    assert "FROM ONLY" in got["legacy.orders"].dataset.facts["inheritance"]


EXOTIC_PG = {  # type -> a value literal
    "money": "12.50", "tsvector": "'a fat cat'", "point": "'(1,2)'", "int4range": "'[1,5)'", "xml": "'<a>x</a>'",
    "bit(8)": "B'10101010'", "varbit": "B'101'", "inet": "'10.1.2.3'", "cidr": "'10.0.0.0/8'",
    "macaddr": "'08:00:2b:01:02:03'", "time": "'12:30'", "timetz": "'12:30+08'", "interval": "'2 days'",
    "oid": "1", "real": "6591234567", "char(3)": "'abc'", "name": "'n'", "json": "'{\"email\": \"j@example.com\"}'",
    "int[]": "'{1,2}'", "text[]": "'{x@example.com}'", "bytea": "'\\x00'", "uuid": "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
}


def test_postgres_exotic_types_are_each_sampled_or_named(pg_url):
    cols = ", ".join(f"c{i} {t}" for i, t in enumerate(EXOTIC_PG))
    vals = ", ".join(f"CAST({v} AS {t})" for t, v in EXOTIC_PG.items())
    eng = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(sa.text("CREATE SCHEMA exotic"))
        c.execute(sa.text(f"CREATE TABLE exotic.t (id int primary key, {cols})"))
        c.execute(sa.text(f"INSERT INTO exotic.t SELECT g, {vals} FROM generate_series(1, 5) g"))
    eng.dispose()
    obs = by_name(scan(pg_url, AS_OF, schemas=["exotic"]))["exotic.t"]
    assert obs.dataset.status == "assessed", obs.dataset.error
    sampled = {f.split(".")[0].split("[")[0] for f in obs.sample.fields}
    named = obs.dataset.facts.get("unsampled", {})
    assert set(obs.dataset.columns) == sampled | set(named), set(obs.dataset.columns) - sampled - set(named)
    bytea = f"c{list(EXOTIC_PG).index('bytea')}"
    oid = f"c{list(EXOTIC_PG).index('oid')}"  # a large object's reference: its contents are elsewhere
    assert set(named) == {bytea, oid} and "binary" in named[bytea] and "large object" in named[oid]
    assert obs.sample.fields[f"c{list(EXOTIC_PG).index('inet')}"][0] == "10.1.2.3"  # not '10.1.2.3/32'
    assert {"email", "ip_address"} <= {p.type for p in classify(obs.sample)}


def test_json_cut_on_the_server_keeps_what_it_read_and_names_the_rest():
    head = '{"contact": {"email": "x@example.com"}, "blob": "' + "y" * 100
    read = sampling.read_rows(["doc", "note"], [(head + "z", head + "z")], structured={"doc"}, cut={"doc": len(head), "note": len(head)})
    for col in ("doc", "note"):  # a JSON column, and JSON kept in a text column (MariaDB)
        assert read.fields[f"{col}.contact.email"] == ["x@example.com"], read.fields
        assert "1 JSON value(s) longer than" in read.unsampled[col]
    assert read.cut == {"doc": 1, "note": 1}
