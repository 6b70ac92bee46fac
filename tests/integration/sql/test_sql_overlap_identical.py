"""Reading ahead (``engine.COLLECT_AHEAD``: the connector in a thread of its own, a few tables
ahead of the classifier) changes nothing a run reports: the same datasets in the same order,
the same counts, fingerprints, findings and collection errors as reading inline. A PostgreSQL
source over psycopg is read inline by default (it sends each table's query ahead itself:
``Connector.overlaps_its_waits``); the runs read ahead turn that off to take the thread's path.

Real PostgreSQL on 127.0.0.1:5432: tables of personal data and of none, empty, binary (not
fully sampled), free text, one above ``exact_count_max_rows`` (the estimate path, read on the
connector's second connection), two schemas, one named schema that does not exist (a
collection error). Times are the data's: ``as_of`` is derived from the rows written.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from auditor import engine
from auditor.config import parse_config
from auditor.engine import RunOptions, run_audit

WRITTEN = datetime(2024, 3, 1, 9, 0)
AS_OF = WRITTEN.replace(tzinfo=UTC) + timedelta(days=500)


@pytest.fixture(scope="module")
def estate(pg_url: str) -> str:
    eng = sa.create_engine(pg_url)
    with eng.begin() as c:
        c.execute(sa.text("CREATE SCHEMA crm"))
        c.execute(sa.text("CREATE TABLE customers (id int primary key, full_name text, email text, phone text, "
                          "nric text, updated_at timestamp)"))
        c.execute(sa.text("INSERT INTO customers SELECT i, 'Tan Wei ' || i, 'tan' || i || '@example.com', "
                          "'+65 9' || lpad(i::text, 7, '0'), 'S' || lpad((1000000 + i)::text, 7, '0') || 'D', "
                          ":w FROM generate_series(1, 300) i"), {"w": WRITTEN})
        c.execute(sa.text("CREATE TABLE orders (id int primary key, buyer_email text, total numeric, created_at timestamp)"))
        c.execute(sa.text("INSERT INTO orders SELECT i, 'buyer' || (i % 700) || '@shop.example', i * 0.5, "
                          ":w - i * interval '1 minute' FROM generate_series(1, 5000) i"), {"w": WRITTEN})
        c.execute(sa.text("CREATE TABLE sku_prices (sku text primary key, price numeric)"))
        c.execute(sa.text("INSERT INTO sku_prices SELECT 'SKU-' || i, i * 1.5 FROM generate_series(1, 80) i"))
        c.execute(sa.text("CREATE TABLE empty_audit (id int, email text)"))
        c.execute(sa.text("CREATE TABLE avatars (id int, owner_email text, picture bytea)"))
        c.execute(sa.text("INSERT INTO avatars SELECT i, 'pic' || i || '@example.com', '\\x00ff'::bytea "
                          "FROM generate_series(1, 40) i"))
        c.execute(sa.text("CREATE TABLE crm.notes (id int, body text)"))
        c.execute(sa.text("INSERT INTO crm.notes SELECT i, 'called ' || CASE WHEN i % 3 = 0 THEN 'lee' || i || "
                          "'@example.org' ELSE 'the office' END || ' about order ' || i FROM generate_series(1, 200) i"))
        for i in range(24):  # small tables: several observations in flight at once
            c.execute(sa.text(f"CREATE TABLE crm.t_{i:02d} (id int, contact text, city text)"))
            c.execute(sa.text(f"INSERT INTO crm.t_{i:02d} SELECT g, CASE WHEN g % {i + 2} = 0 THEN "
                              f"'c' || g || '@example.net' ELSE '+65 8' || lpad(g::text, 7, '0') END, 'Singapore' "
                              f"FROM generate_series(1, {10 + 7 * i}) g"))
        c.execute(sa.text("ANALYZE"))
    eng.dispose()
    return pg_url


def run_with(tmp_path, url: str, ahead: int, monkeypatch, default: bool = False):
    """``default``: as the source is read out of the box (inline: it sends its queries ahead itself),
    whatever ``ahead`` is; else ``ahead`` decides (0: inline; more: the read-ahead thread's path)."""
    from connectors.sql.connector import Connector

    monkeypatch.setattr(engine, "COLLECT_AHEAD", ahead)
    monkeypatch.setattr(Connector, "overlaps_its_waits", Connector.__dict__["overlaps_its_waits"] if default else False)
    folder = tmp_path / f"ahead-{ahead}{'-default' if default else ''}"
    folder.mkdir()
    text = f"""
state: sqlite:///{folder / 'state.db'}
policies: [builtin:baseline, builtin:pdpa-sg]
vendors: [{{id: shop, name: Shop}}]
sources:
  - id: shop-db
    vendor: shop
    kind: sql
    url: {url}
    schemas: [public, crm, ghost]
    exact_count_max_rows: 2000
"""
    (folder / "auditor.yaml").write_text(text)
    return run_audit(parse_config(text, str(folder / "auditor.yaml")), RunOptions(as_of=AS_OF))


def comparable(run) -> dict:
    return run.model_dump(exclude={"id", "started_at", "finished_at", "config_path"})


def test_reading_ahead_reports_exactly_what_reading_inline_does(estate, tmp_path, monkeypatch):
    monkeypatch.setenv("AUDITOR_FINGERPRINT_KEY", "pipe-overlap-test-key-0123456789")  # one key: comparable fingerprints
    from connectors.sql.connector import Connector

    readers: list[str] = []  # the thread each run's generator ran in
    collect = Connector.collect

    def recorded(self):
        readers.append(threading.current_thread().name)
        yield from collect(self)

    monkeypatch.setattr(Connector, "collect", recorded)
    inline = run_with(tmp_path, estate, 4, monkeypatch, default=True)  # inline, however far ahead the engine may read
    names = [d.name for d in inline.datasets]
    assert len(names) == 30 and "public.customers" in names and "crm.t_23" in names
    assert inline.sources[0].status == "ok" and inline.sources[0].datasets == 30
    assert any("ghost" in (e.dataset or "") + e.reason for e in inline.errors)  # the missing schema
    assert all(d.known.fingerprint for d in inline.datasets if d.status == "assessed" and d.records)
    assert {p.type for d in inline.datasets for p in d.personal_data} >= {"email", "phone"}
    assert inline.findings
    for ahead in (0, 1, 4):
        got = run_with(tmp_path, estate, ahead, monkeypatch)
        assert comparable(got) == comparable(inline), ahead
    # the default and COLLECT_AHEAD 0 read the source in its own thread; the others in a thread of their own
    assert [r.endswith("-collect") for r in readers] == [False, False, True, True], readers
