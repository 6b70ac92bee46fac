"""A varying character column the server holds to its declared length (PostgreSQL's
``varchar(n)``) is read without a server-side cut when its length is within its cut and what the
classifier keeps (``sampling.cuts``, ``Dialect.enforces_lengths``): no value of it could be cut,
so the scan is the same as with the cut (datasets, fingerprints, samples), and the server is
spared a ``left(CAST(...))`` per value. Unbounded text, longer columns, enums, domains and arrays
keep their cut, and so does ``char(n)``: its text form (the cut's) drops the blank padding that
the value read as it is keeps. On the real server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sql_helpers import dump_items, scan

from auditor.models import Observation
from connectors.sql import dialects, sampling, sendahead

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
ROWS = 30

COLUMNS = {
    "v20": "varchar(20)", "c10": "char(10)", "v900": "varchar(900)", "v2000": "varchar(2000)", "note": "text",
    "mood": "lens_mood", "code": "lens_code", "tags": "varchar(5)[]", "doc": "varchar(300)", "unbounded": "varchar",
}


def _values(i: int) -> dict[str, Any]:
    return {
        "v20": f"{i:02d}" + "x" * 18 if i % 3 else None,  # exactly 20 characters, or NULL
        "c10": "ab", "v900": "é" * (900 if i % 2 else 10), "v2000": "y" * 1500,  # past MAX_CHARS: cut
        "note": f"wl.tan{i}@example.com " + "z" * 3000,  # unbounded: cut
        "mood": "ok" if i % 2 else "sad", "code": f"C{i}", "tags": [f"t{i}", "x"],
        "doc": json.dumps({"email": f"u{i}@example.com", "n": i}),  # JSON in a bounded column
        "unbounded": "q" * 40,
    }


def _seed(url: str, table: str, extra_text_columns: int = 0) -> None:
    engine = sa.create_engine(url)
    extra = {f"w{k}": "text" for k in range(extra_text_columns)}  # many cut columns: smaller shares
    with engine.begin() as c:
        c.exec_driver_sql("DO $$ BEGIN CREATE TYPE lens_mood AS ENUM ('ok', 'sad'); "
                          "EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        c.exec_driver_sql("DO $$ BEGIN CREATE DOMAIN lens_code AS varchar(8); "
                          "EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        cols = ", ".join(f'"{k}" {v}' for k, v in {**COLUMNS, **extra}.items())
        c.exec_driver_sql(f"CREATE TABLE {table} (id integer primary key, {cols}, updated_at timestamp)")
        for i in range(1, ROWS + 1):
            row = {**_values(i), **{k: f"w{i}" for k in extra}}
            names = ", ".join(f'"{k}"' for k in row)
            c.exec_driver_sql(f"INSERT INTO {table} (id, updated_at, {names}) VALUES (%(id)s, %(updated_at)s, "
                              + ", ".join(f"%({k})s" for k in row) + ")",
                              {"id": i, "updated_at": datetime(2024, 1, 1) + timedelta(hours=i), **row})
    engine.dispose()


@pytest.fixture(scope="module")
def seeded(pg_url: str) -> str:
    _seed(pg_url, "lens_plain")
    _seed(pg_url, "lens_wide", extra_text_columns=40)  # the shares fall below MAX_CHARS (1,000 rows x 44 cuts)
    return pg_url


def _sent(monkeypatch: pytest.MonkeyPatch, url: str) -> tuple[list, list[str]]:
    sql: list[str] = []
    real = sendahead.send

    def send(driver: Any, text: str) -> None:
        sql.append(text)
        real(driver, text)

    def executed(conn, cursor, statement, parameters, context, executemany):  # a table not sent ahead
        sql.append(statement)

    monkeypatch.setattr(sendahead, "send", send)
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", executed)
    try:
        items = scan(url, AS_OF)
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", executed)
    return items, sql


def test_a_bounded_column_is_read_whole_and_the_scan_is_the_same(seeded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert dialects.Postgres.enforces_lengths is True
    with monkeypatch.context() as m:
        fast, sent = _sent(m, seeded)
    with monkeypatch.context() as m:
        m.setattr(dialects.Postgres, "enforces_lengths", False)
        plain, sent_plain = _sent(m, seeded)
    assert dump_items(fast) == dump_items(plain)  # the same datasets, fingerprints, samples and notes
    got = {o.dataset.name.split(".", 1)[1]: o for o in fast if isinstance(o, Observation)}
    assert {"lens_plain", "lens_wide"} <= set(got)
    for name, o in got.items():
        if name.startswith("lens_"):
            assert o.dataset.status == "assessed", o.dataset.error
            assert o.sample is None or o.dataset.records == ROWS
    plain_sql = next(s for s in sent if "lens_plain" in s and " LIMIT " in s)
    for col in ("v20", "v900", "doc"):  # within the cut and MAX_CHARS: read as they are
        assert f"CAST(public.lens_plain.{col} AS TEXT)" not in plain_sql, plain_sql
        assert f"public.lens_plain.{col}" in plain_sql
    # past MAX_CHARS, unbounded, enum, domain, char(n) (its text form drops the padding): cut, as ever
    for col in ("v2000", "note", "mood", "code", "unbounded", "c10"):
        assert f"left(CAST(public.lens_plain.{col} AS TEXT)" in plain_sql, (col, plain_sql)
    assert "to_json(public.lens_plain.tags)" in plain_sql  # an array: as JSON text, cut
    wide_sql = next(s for s in sent if "lens_wide" in s and " LIMIT " in s)
    assert "left(CAST(public.lens_wide.v900 AS TEXT)" in wide_sql  # its share is below 900 characters now: cut
    assert "CAST(public.lens_wide.v20 AS TEXT)" not in wide_sql
    before = next(s for s in sent_plain if "lens_plain" in s and " LIMIT " in s)
    assert "left(CAST(public.lens_plain.v20 AS TEXT)" in before  # the dialect that does not say so: cut as ever


def test_cuts_drop_only_what_fits() -> None:
    from sqlalchemy.dialects import postgresql as pg

    cols = [{"name": "v20", "type": sa.String(20)}, {"name": "t", "type": sa.Text()},
            {"name": "e", "type": sa.Enum("ok", "sad", name="m")}, {"name": "v2000", "type": sa.String(2000)},
            {"name": "c", "type": sa.CHAR(4)}, {"name": "u", "type": sa.String()}, {"name": "a", "type": pg.ARRAY(sa.String(5))}]
    names = [c["name"] for c in cols]
    every = sampling.cuts(cols, names, 1000)
    assert set(every) == {"v20", "t", "e", "v2000", "c", "u", "a"}
    bounded = sampling.cuts(cols, names, 1000, enforced=True)
    assert bounded == {k: v for k, v in every.items() if k != "v20"}  # char(4) too: its padding
    wide = sampling.cuts(cols, names, 10**6, enforced=True)  # shares at MIN_CHARS: a varchar(20) still fits
    assert "v20" not in wide and wide["t"] == sampling.MIN_CHARS


@pytest.fixture(scope="module")
def jis_url() -> Any:
    """A database in EUC_JIS_2004, where one server character may be two code points in Python
    ('か゚', bytes a4f7, is U+304B U+309A): varchar(n) counts the server's characters."""
    import uuid

    from tests.conftest import PG_ADMIN_URL

    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"auditor_t_jis_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.exec_driver_sql(f"CREATE DATABASE {name} ENCODING 'EUC_JIS_2004' LC_COLLATE 'C' LC_CTYPE 'C' "
                          "TEMPLATE template0")
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        engine = sa.create_engine(url)
        with engine.begin() as c:
            wide = ", ".join(f"w{k} text" for k in range(40))  # 41 cut columns: a cut of 818 characters
            c.exec_driver_sql(f"CREATE TABLE wide (v varchar(700), {wide})")
            c.exec_driver_sql("INSERT INTO wide (v, w0) VALUES "
                              "(repeat(convert_from('\\xa4f7'::bytea, 'EUC_JIS_2004'), 700), 'a')")
        engine.dispose()
        yield url
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()


def test_a_server_encoding_whose_character_may_be_two_code_points_keeps_every_cut(
        jis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a UTF8 database is read without the cut: in EUC_JIS_2004 a varchar(700) value can be 1,400
    code points long, which the cut (818) shortens and reading it whole would not (found in review:
    the fingerprint and the notes changed)."""
    with monkeypatch.context() as m:
        fast, sent = _sent(m, jis_url)
    with monkeypatch.context() as m:
        m.setattr(dialects.Postgres, "enforces_lengths", False)
        plain, _sent_plain = _sent(m, jis_url)
    assert dump_items(fast) == dump_items(plain)
    [wide] = [o for o in fast if isinstance(o, Observation) and o.dataset.name.endswith(".wide")]
    assert wide.dataset.status == "assessed", wide.dataset.error
    assert wide.dataset.facts["sample"]["cut_on_server"]["v"]["chars"] == 818
    assert any("left(CAST(public.wide.v AS TEXT)" in s for s in sent), sent
