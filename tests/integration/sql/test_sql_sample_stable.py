"""PostgreSQL: the random sample of a big table is the same rows run after run while the
table is unchanged, so its fingerprint holds ("unchanged since first seen" needs it).

A table larger than a quarter of ``shared_buffers`` is read by synchronized sequential scans:
a scan starts where another scan of it last reported its position, so a ``TABLESAMPLE ...
REPEATABLE`` sample (the same rows chosen) cut by ``LIMIT`` kept different rows whenever any
other scan of the table had stopped part way (measured: four runs, four fingerprints)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sql_helpers import by_name, scan

pytestmark = pytest.mark.postgres
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def big(pg_url):
    engine = sa.create_engine(pg_url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        buffers = c.execute(sa.text("SELECT setting::bigint * 8192 FROM pg_settings WHERE name = 'shared_buffers'")).scalar()
        rows = max(200_000, int(buffers / 4 / 120 * 1.5))  # well past a quarter of shared_buffers (about 150 bytes a row)
        c.execute(sa.text("CREATE TABLE big (id bigint, email text, note text)"))
        c.execute(sa.text("INSERT INTO big SELECT g, 'user' || g || '@example.com', repeat('x', 90) "
                          "FROM generate_series(1, :n) g"), {"n": rows})
        c.execute(sa.text("ANALYZE big"))
        size = c.execute(sa.text("SELECT pg_relation_size('big')")).scalar()
        assert size > buffers / 4, (size, buffers)
    try:
        yield pg_url, rows
    finally:
        engine.dispose()


def _move_the_scan_position(url: str, stop: int) -> None:
    """A sequential scan of ``big`` that stops part way (at id ``stop``): synchronized scans
    start the next scan of the table where this one last reported its position."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            c.execute(sa.text("SET max_parallel_workers_per_gather = 0"))
            assert c.execute(sa.text("SELECT id FROM big WHERE id = :stop LIMIT 1"), {"stop": stop}).all()
    finally:
        engine.dispose()


def test_a_big_tables_sample_and_fingerprint_hold_while_it_is_unchanged(big):
    url, rows = big
    first = by_name(scan(url, AS_OF, sample_rows=500, exact_count_max_rows=1000))["public.big"].dataset
    assert first.facts["sample"]["strategy"].startswith("tablesample"), first.facts["sample"]
    for stop in (rows // 2 + 7, rows // 3 + 11):
        _move_the_scan_position(url, stop)
        again = by_name(scan(url, AS_OF, sample_rows=500, exact_count_max_rows=1000))["public.big"].dataset
        assert again.facts["sample"] == first.facts["sample"]
        assert again.facts["fingerprint"] == first.facts["fingerprint"]
