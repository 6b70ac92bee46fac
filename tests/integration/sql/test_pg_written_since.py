"""PostgreSQL: a table written between two runs is never "unchanged since first seen".

A table with no write-time column gets its age from the run history: the same row count and
sample fingerprint as an earlier run reads "unchanged since first seen". The sample of a table
above 1,000 rows is ``TABLESAMPLE ... REPEATABLE``: the same rows each night, so an UPDATE of
rows outside it (no insert, no delete) left the fingerprint as it was, and an actively updated
customer table was reported stale once the limit passed. PostgreSQL's cumulative statistics
(``pg_stat_all_tables`` n_tup_ins + n_tup_upd + n_tup_del, ``pg_stat_database.stats_reset``)
count the write: a counter that went up since the previous run (statistics not reset in
between) is a write since that run.

Real PostgreSQL on 127.0.0.1:5432 (a fresh database of this module). Times are ``--as-of``
instants of their own, never today's.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from auditor.config import parse_config
from auditor.engine import RunOptions, run_audit

pytestmark = pytest.mark.postgres
T0 = datetime(2025, 1, 1, 2, 0, tzinfo=UTC)
ROWS = 5000
ROLE = "writes_select_only"


def _seed(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as c:
        for name in ("customers", "legacy_customers"):  # legacy: the RedMart case, never written again
            c.execute(sa.text(f"CREATE TABLE {name} (id int primary key, email text, phone text)"))
            c.execute(sa.text(f"INSERT INTO {name} SELECT i, 'user' || i || '@example.com', '+65 9123 ' || (1000 + i)"
                              " FROM generate_series(1, :n) i"), {"n": ROWS})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text("ANALYZE customers"))
        c.execute(sa.text("ANALYZE legacy_customers"))
    engine.dispose()


@pytest.fixture
def db(pg_url: str):
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.execute(sa.text("DROP TABLE IF EXISTS customers, legacy_customers"))
    engine.dispose()
    _seed(pg_url)
    return pg_url


def _writes(c: sa.Connection, table: str) -> int:
    return c.execute(sa.text("SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_all_tables "
                             "WHERE relid = CAST(:t AS regclass)"), {"t": table}).scalar()


def _wait_counted(url: str, table: str, at_least: int) -> None:
    """The statistics are flushed by the writing backend (at its exit, or within a second of idle):
    wait, bounded, until another session sees the count."""
    engine = sa.create_engine(url)
    try:
        deadline = time.monotonic() + 20
        while True:
            with engine.connect() as c:
                c.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
                if _writes(c, table) >= at_least:
                    return
            assert time.monotonic() < deadline, f"{table}: the statistics never counted {at_least} writes"
            time.sleep(0.2)
    finally:
        engine.dispose()


def _update_outside_the_sample(url: str) -> None:
    """UPDATE the last rows: the sample (TABLESAMPLE ... REPEATABLE, LIMIT) reads the first rows it
    picks in the table's order, and the new row versions go after them (asserted by the caller: the
    fingerprint holds)."""
    engine = sa.create_engine(url)
    with engine.connect() as c:
        before = _writes(c, "customers")
    with engine.begin() as c:
        c.execute(sa.text("UPDATE customers SET phone = '+65 8000 0000' WHERE id > :n - 20"), {"n": ROWS})
    engine.dispose()
    _wait_counted(url, "customers", before + 20)


def _config(tmp_path, url: str):
    text = f"""
state: sqlite:///{tmp_path / 'state.db'}
policies: [builtin:baseline]
vendors:
  - {{id: redmart, name: RedMart legacy hosting}}
sources:
  - id: redmart-db
    vendor: redmart
    kind: sql
    url: {url}
    include: ["public.customers", "public.legacy_customers"]
    sample_rows: 100
"""
    path = tmp_path / "auditor.yaml"
    path.write_text(text)
    return parse_config(text, str(path))


def _run(cfg, as_of: datetime):
    run = run_audit(cfg, RunOptions(as_of=as_of, trigger="schedule:nightly"))
    return run, {d.name: d for d in run.datasets}


def _stale(run, name: str) -> list:
    return [f for f in run.findings if f.dataset == name and
            (f.rule == "stale-personal-data" or (f.rule == "not-assessed" and f.evidence.get("rule") == "stale-personal-data"))]


def _fingerprints(tmp_path, name: str) -> list[str]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'state.db'}")
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT d.fingerprint FROM datasets d JOIN runs r ON r.id = d.run_id "
                                 "WHERE d.name = :n ORDER BY r.started_at"), {"n": name}).scalars().all()
    engine.dispose()
    return list(rows)


def test_a_table_updated_outside_its_sample_a_year_later_is_not_unchanged_since_first_seen(db, tmp_path):
    cfg = _config(tmp_path, db)
    _, first = _run(cfg, T0)
    assert first["public.customers"].last_modified is None
    assert first["public.customers"].facts["sample"]["strategy"].startswith("tablesample"), first["public.customers"].facts["sample"]
    _update_outside_the_sample(db)
    run, second = _run(cfg, T0 + timedelta(days=400))
    fp = _fingerprints(tmp_path, "public.customers")
    assert len(fp) == 2 and fp[0] == fp[1], "the update must be outside the sample for this test to mean anything"
    customers = second["public.customers"]
    assert not customers.last_modified_basis.startswith("unchanged since first seen"), customers.last_modified_basis
    assert customers.last_modified_basis.startswith("written since the run of 2025-01-01 (PostgreSQL statistics"), \
        customers.last_modified_basis
    assert customers.last_modified == T0  # no older than the previous run's instant: the conservative reading
    # written some time in those 400 days: neither stale nor fresh is known, never a stale finding
    assert not [f for f in run.findings if f.dataset == "public.customers" and f.rule == "stale-personal-data"]
    # the RedMart case: a table never written again is still stale, from its fingerprint
    legacy = second["public.legacy_customers"]
    assert legacy.last_modified_basis.startswith("unchanged since first seen 2025-01-01"), legacy.last_modified_basis
    assert [f.rule for f in run.findings if f.dataset == "public.legacy_customers" and f.rule == "stale-personal-data"]


def test_nightly_a_table_written_since_last_night_is_fresh_and_the_unwritten_one_stays_stale(db, tmp_path):
    cfg = _config(tmp_path, db)
    _run(cfg, T0)
    run, ds = _run(cfg, T0 + timedelta(days=370))  # nothing written: both unchanged since first seen, stale
    assert _stale(run, "public.customers") and _stale(run, "public.legacy_customers")
    _update_outside_the_sample(db)
    run, ds = _run(cfg, T0 + timedelta(days=371))
    assert len(set(_fingerprints(tmp_path, "public.customers"))) == 1
    customers = ds["public.customers"]
    assert customers.last_modified_basis.startswith("written since the run of 2026-01-06 (PostgreSQL statistics"), \
        customers.last_modified_basis
    assert customers.last_modified == T0 + timedelta(days=370)
    assert customers.judgment is not None and customers.judgment.stale is False
    assert customers.judgment.age_bound == "at_most" and customers.judgment.age_days == 1
    assert not _stale(run, "public.customers")
    assert [f.rule for f in _stale(run, "public.legacy_customers")] == ["stale-personal-data"]
    assert ds["public.legacy_customers"].last_modified_basis.startswith("unchanged since first seen 2025-01-01")
    # the next night, with no write since: the fingerprint's "unchanged since first seen 2025-01-01"
    # would be before the write; the counters know it was between the last two runs
    run, ds = _run(cfg, T0 + timedelta(days=372))
    customers = ds["public.customers"]
    assert customers.last_modified_basis == ("written between the runs of 2026-01-06 and 2026-01-07 (PostgreSQL "
                                             "statistics: no write counted since the run of 2026-01-07)")
    assert customers.judgment is not None and customers.judgment.stale is False and not _stale(run, "public.customers")
    # more than the limit after the later of the two runs, with no write counted since: stale again
    run, ds = _run(cfg, T0 + timedelta(days=371 + 366))
    assert ds["public.customers"].last_modified_basis.startswith("written between the runs of 2026-01-06 and 2026-01-07")
    assert [f.rule for f in _stale(run, "public.customers")] == ["stale-personal-data"]
    assert [f.rule for f in _stale(run, "public.legacy_customers")] == ["stale-personal-data"]


def test_statistics_reset_since_the_previous_run_fall_back_to_the_fingerprint(db, tmp_path):
    cfg = _config(tmp_path, db)
    _run(cfg, T0)
    _update_outside_the_sample(db)
    engine = sa.create_engine(db)
    with engine.connect() as c:
        c.execute(sa.text("SELECT pg_stat_reset()"))  # this database's counters, and its stats_reset
    with engine.begin() as c:  # more writes after the reset than before it: the counter alone would say "written"
        c.execute(sa.text("UPDATE customers SET phone = '+65 8000 0001' WHERE id > :n - 40"), {"n": ROWS})
    engine.dispose()
    _wait_counted(db, "customers", 40)
    run, ds = _run(cfg, T0 + timedelta(days=400))
    customers = ds["public.customers"]
    assert customers.last_modified_basis.startswith("unchanged since first seen 2025-01-01"), customers.last_modified_basis
    assert "statistics reset since the previous run" in customers.last_modified_basis


def test_a_role_with_only_select_on_the_table_reads_the_counters(db, tmp_path):
    admin = sa.create_engine(db, isolation_level="AUTOCOMMIT")
    dbname = sa.engine.make_url(db).database
    with admin.connect() as c:
        c.execute(sa.text(f"DROP ROLE IF EXISTS {ROLE}"))
        c.execute(sa.text(f"CREATE ROLE {ROLE} LOGIN"))
        c.execute(sa.text(f"GRANT CONNECT ON DATABASE {dbname} TO {ROLE}"))
        c.execute(sa.text(f"GRANT USAGE ON SCHEMA public TO {ROLE}"))
        c.execute(sa.text(f"GRANT SELECT ON customers, legacy_customers TO {ROLE}"))
    try:
        url = sa.engine.make_url(db).set(username=ROLE).render_as_string(hide_password=False)
        cfg = _config(tmp_path, url)
        _run(cfg, T0)
        _update_outside_the_sample(db)
        run, ds = _run(cfg, T0 + timedelta(days=1))
        customers = ds["public.customers"]
        assert customers.facts["server"]["role"] == ROLE
        assert customers.facts["pg_stat_writes"] >= ROWS + 20
        assert "pg_stats_reset" in customers.facts
        assert customers.last_modified_basis.startswith("written since the run of 2025-01-01 (PostgreSQL statistics")
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f"DROP OWNED BY {ROLE}"))
            c.execute(sa.text(f"REVOKE CONNECT ON DATABASE {dbname} FROM {ROLE}"))
            c.execute(sa.text(f"DROP ROLE {ROLE}"))
        admin.dispose()


def test_a_partitioned_tables_counter_is_its_partitions_and_a_recreated_table_is_a_new_epoch(pg_url):
    from sql_helpers import by_name, scan

    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.execute(sa.text("DROP TABLE IF EXISTS orders, notes"))
        c.execute(sa.text("CREATE TABLE orders (id int, email text) PARTITION BY RANGE (id)"))
        c.execute(sa.text("CREATE TABLE orders_a PARTITION OF orders FOR VALUES FROM (0) TO (100)"))
        c.execute(sa.text("CREATE TABLE orders_b PARTITION OF orders FOR VALUES FROM (100) TO (200)"))
        c.execute(sa.text("INSERT INTO orders SELECT i, 'a' || i || '@example.com' FROM generate_series(1, 150) i"))
        c.execute(sa.text("CREATE TABLE notes (id int, body text)"))
        c.execute(sa.text("INSERT INTO notes SELECT i, 'x' FROM generate_series(1, 10) i"))
    engine.dispose()  # the writer's backend ends: its counts are flushed at once
    _wait_counted(pg_url, "orders_b", 51)
    _wait_counted(pg_url, "notes", 10)
    first = by_name(scan(pg_url, T0))
    counter = first["public.orders"].dataset.facts["write_counter"]
    assert counter["value"] == 150 and "relid=3 relations sha256:" in counter["epoch"], counter
    assert "public.orders_a" not in first  # rolled up into its root
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.execute(sa.text("UPDATE orders SET email = 'b' || id || '@example.com' WHERE id > 140"))
        c.execute(sa.text("DROP TABLE notes"))
        c.execute(sa.text("CREATE TABLE notes (id int, body text)"))  # a restore of an old dump, say
        c.execute(sa.text("INSERT INTO notes SELECT i, 'x' FROM generate_series(1, 50) i"))
    engine.dispose()
    _wait_counted(pg_url, "orders_b", 51 + 10)
    _wait_counted(pg_url, "notes", 50)
    again = by_name(scan(pg_url, T0))
    assert again["public.orders"].dataset.facts["write_counter"] == {**counter, "value": 160}
    before, after = (o["public.notes"].dataset.facts["write_counter"] for o in (first, again))
    assert after["value"] > before["value"] and after["epoch"] != before["epoch"]  # never compared: a new table


def test_a_rejudgement_of_the_past_leaves_the_write_marks_of_the_later_runs(db, tmp_path):
    """`scan --as-of` two years back, made after the nightly runs: it reads today's counters, and
    must not become the mark the next night compares with (its as-of is not when they were read)."""
    cfg = _config(tmp_path, db)
    _run(cfg, T0)
    _update_outside_the_sample(db)
    _, ds = _run(cfg, T0 + timedelta(days=1))
    assert ds["public.customers"].last_modified_basis.startswith("written since the run of 2025-01-01")
    _run(cfg, T0 - timedelta(days=400))  # re-judging 2023-11-28
    _, ds = _run(cfg, T0 + timedelta(days=2))
    # before: "written between the runs of 2025-01-01 and 2023-11-28 (... no write counted since the run of
    # 2023-11-28)": the re-judgement had replaced the mark, and the write's latest instant went back 400 days
    assert ds["public.customers"].last_modified_basis == (
        "written between the runs of 2025-01-01 and 2025-01-02 (PostgreSQL statistics: no write counted since "
        "the run of 2025-01-02)"), ds["public.customers"].last_modified_basis
