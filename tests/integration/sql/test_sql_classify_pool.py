"""Samples classified in worker processes (auditor.classify_pool) change nothing a run reports:
the same datasets in the same order, the same personal data (counts, masked examples, where),
notes, fingerprints, findings and collection errors as classifying them in the source's thread.

Real PostgreSQL on 127.0.0.1:5432, values of many types (the connector keeps some in their
types until the classifier needs text: they cross the pipe as they are), more tables than the
pool's automatic start (``START_AFTER``). Times are the data's: ``as_of`` is derived from the
rows written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from auditor import classify_pool
from auditor.classify_pool import ClassifyPool
from auditor.config import parse_config
from auditor.engine import RunOptions, run_audit

WRITTEN = datetime(2024, 3, 1, 9, 0)
AS_OF = WRITTEN.replace(tzinfo=UTC) + timedelta(days=500)
TABLES = 40


@pytest.fixture(scope="module")
def estate(pg_url: str) -> str:
    eng = sa.create_engine(pg_url)
    with eng.begin() as c:
        c.execute(sa.text("CREATE SCHEMA crm"))
        c.execute(sa.text(
            "CREATE TABLE customers (id int primary key, full_name text, email text, phone text, nric text, "
            "born date, balance numeric, token uuid, profile jsonb, ip inet, tags text[], stay int4range, "
            "avatar bytea, updated_at timestamptz)"))
        c.execute(sa.text(
            "INSERT INTO customers SELECT i, 'Tan Wei ' || i, 'tan' || i || '@example.com', "
            "'+65 9' || lpad(i::text, 7, '0'), 'S' || lpad((1000000 + i)::text, 7, '0') || 'D', "
            "date '1980-01-01' + i, i * 1.25, md5(i::text)::uuid, "
            "jsonb_build_object('mail', 'j' || i || '@example.org', 'n', i), "
            "('10.0.' || (i % 250) || '.1')::inet, ARRAY['vip', 'x' || i], int4range(i, i + 5), "
            "'\\x00ff'::bytea, :w FROM generate_series(1, 300) i"), {"w": WRITTEN})
        c.execute(sa.text("CREATE TABLE crm.notes (id int, body text)"))
        c.execute(sa.text("INSERT INTO crm.notes SELECT i, 'called ' || CASE WHEN i % 3 = 0 THEN 'lee' || i || "
                          "'@example.org' ELSE 'the office' END || ' about order ' || i FROM generate_series(1, 200) i"))
        c.execute(sa.text("CREATE TABLE empty_audit (id int, email text)"))
        for i in range(TABLES):
            c.execute(sa.text(f"CREATE TABLE crm.t_{i:02d} (id int, contact text, city text, seen timestamp)"))
            c.execute(sa.text(f"INSERT INTO crm.t_{i:02d} SELECT g, CASE WHEN g % {i + 2} = 0 THEN "
                              f"'c' || g || '@example.net' ELSE '+65 8' || lpad(g::text, 7, '0') END, 'Singapore', "
                              f":w FROM generate_series(1, {10 + 7 * i}) g"), {"w": WRITTEN})
        c.execute(sa.text("ANALYZE"))
    eng.dispose()
    return pg_url


def run_with(tmp_path, url: str, processes: str, monkeypatch, name: str):
    monkeypatch.setenv(classify_pool.ENV, processes)
    folder = tmp_path / name
    folder.mkdir()
    text = f"""
state: sqlite:///{folder / 'state.db'}
policies: [builtin:baseline, builtin:pdpa-sg]
vendors: [{{id: shop, name: Shop}}]
detectors:
  - name: staff_code
    regex: 'Tan Wei [0-9]+'
sources:
  - id: shop-db
    vendor: shop
    kind: sql
    url: {url}
    schemas: [public, crm, ghost]
"""
    (folder / "auditor.yaml").write_text(text)
    return run_audit(parse_config(text, str(folder / "auditor.yaml")), RunOptions(as_of=AS_OF))


def comparable(run) -> dict:
    return run.model_dump(exclude={"id", "started_at", "finished_at", "config_path"})


def test_classifying_in_worker_processes_reports_exactly_what_classifying_in_process_does(estate, tmp_path,
                                                                                          monkeypatch):
    monkeypatch.setenv("AUDITOR_FINGERPRINT_KEY", "classproc-pool-test-key-0123456789")  # comparable fingerprints
    pools: list[ClassifyPool] = []
    real = ClassifyPool.for_run.__func__

    def for_run(cls, options):
        pool = real(cls, options)
        pools.append(pool)
        return pool

    monkeypatch.setattr(ClassifyPool, "for_run", classmethod(for_run))
    inline = run_with(tmp_path, estate, "0", monkeypatch, "inline")
    assert pools == [None]  # turned off: no pool
    names = [d.name for d in inline.datasets]
    assert len(names) == TABLES + 3 and "public.customers" in names
    assert any("ghost" in (e.dataset or "") + e.reason for e in inline.errors)  # the missing schema
    types = {p.type for d in inline.datasets for p in d.personal_data}
    assert {"email", "phone", "staff_code"} <= types
    assert inline.findings

    worker = run_with(tmp_path, estate, "1", monkeypatch, "worker")
    pool = pools[-1]
    assert pool is not None and len(pool.processes) == 1  # forced on: every sample went to the worker
    assert all(p.poll() is not None for p in pool.processes)  # ended with the run
    assert comparable(worker) == comparable(inline)


def test_two_workers_with_small_bounds_report_exactly_what_classifying_in_process_does(estate, tmp_path,
                                                                                      monkeypatch):
    """Small queue and in-flight bounds: some samples go to one of two workers, the rest are
    classified in the source's thread (over the bounds), with the not-readable schema between them;
    the report is the in-process one."""
    monkeypatch.setenv("AUDITOR_FINGERPRINT_KEY", "classproc-pool-test-key-0123456789")
    from auditor import engine

    monkeypatch.setattr(classify_pool, "QUEUE_BYTES", 3000)
    monkeypatch.setattr(engine, "IN_FLIGHT_BYTES", 6000)
    sent: list = []
    real = ClassifyPool.submit

    def submit(self, sample, cancel=None):
        job = real(self, sample, cancel)
        sent.append(job is not None)
        return job

    monkeypatch.setattr(ClassifyPool, "submit", submit)
    inline = run_with(tmp_path, estate, "0", monkeypatch, "inline")
    assert sent == []
    workers = run_with(tmp_path, estate, "2", monkeypatch, "workers")
    assert any(sent) and not all(sent)  # both ways in one run
    assert comparable(workers) == comparable(inline)
