"""Store.first_seen and Store.fingerprint_since against the history (kept runs as of an instant,
re-judgements of the past left out) on SQLite and the real PostgreSQL: the same answers as the
queries they replaced, at a cost that does not grow with every kept finding row. The replaced query joined findings to runs with
``runs.id IN (_history(as_of))``; SQLite drove it from the history runs and read every finding row
of each of them (by ``ix_findings_run_id``, the JSON ``data`` pages too), so each night's
``apply_history`` cost a few ms more per run kept (0.03 s at the 1st run of a 1,001-table estate,
0.14 s at the 16th). fingerprint_since, asked for each dataset without a write time, computed the
history (over every pair of runs of a config) again for each. Both are kept below as the reference."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from auditor.engine import age_from_history
from auditor.models import Dataset, Finding, Run, RunStatus, SourceResult, Vendor
from auditor.store import Store, _history, _utc, datasets, findings, runs

T0 = datetime(2026, 11, 1, 2, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def reference_first_seen(store: Store, finding_ids: list[str], as_of: datetime | None = None) -> dict[str, datetime]:
    """The query first_seen ran before: every finding row of every history run."""
    if not finding_ids:
        return {}
    out: dict[str, datetime] = {}
    with store.engine.connect() as conn:
        for i in range(0, len(finding_ids), 500):
            chunk = finding_ids[i:i + 500]
            q = (sa.select(findings.c.id, sa.func.min(runs.c.as_of))
                 .join(runs, runs.c.id == findings.c.run_id)
                 .where(findings.c.id.in_(chunk), runs.c.status.in_(("complete", "partial"))))
            if as_of is not None:
                q = q.where(runs.c.id.in_(_history(as_of)))
            q = q.group_by(findings.c.id)
            out.update({fid: _utc(ts) for fid, ts in conn.execute(q)})
    return out


def reference_fingerprint_since(store: Store, source: str, name: str, fingerprint: str,
                                as_of: datetime | None = None) -> datetime | None:
    """The query fingerprint_since ran before."""
    q = (sa.select(sa.func.min(runs.c.as_of)).join(runs, runs.c.id == datasets.c.run_id)
         .where(datasets.c.source == source, datasets.c.name == name, datasets.c.fingerprint == fingerprint))
    if as_of is not None:
        q = q.where(runs.c.id.in_(_history(as_of)))
    with store.engine.connect() as conn:
        return _utc(conn.execute(q).scalar())


def dataset(name: str, fingerprint: str | None = None) -> Dataset:
    return Dataset(source="db", vendor="v", kind="table", name=name, uri="postgresql://h/db/x",
                   facts={"fingerprint": fingerprint or f"hmac1:{name}"})


def finding(fid: str, as_of: datetime) -> Finding:
    return Finding(id=fid, rule="stale-personal-data", severity="high", source="db", vendor="v",
                   dataset=fid, title="stale", evidence={}, first_seen=as_of)


def save(store: Store, run_id: str, as_of: datetime, ids: list[str], status: RunStatus = "complete",
         started_at: datetime | None = None, config: str = "cfg") -> None:
    started = started_at or as_of + timedelta(minutes=30)
    run = Run(id=run_id, started_at=started, finished_at=started, as_of=as_of, status=status,
              sources=(SourceResult(id="db", kind="sql", vendor="v", datasets=len(ids)),),
              findings=tuple(finding(i, as_of) for i in ids), vendors=(Vendor(id="v"),),
              # each finding's dataset, with one fingerprint ("b" changed tomorrow)
              datasets=tuple(dataset(i, "hmac1:b2" if (i, run_id) == ("b", "r7-tomorrow") else None) for i in ids))
    store.begin_run(run.model_copy(update={"status": "running"}), config)
    store.save_run(run)


def history(store: Store) -> list[str]:
    """A history with every kind of run first_seen must tell apart; returns every id stored."""
    save(store, "r0-failed", T0 - 3 * DAY, ["a", "d"], status="failed")  # never history: not kept
    save(store, "r1", T0, ["a", "b"])
    save(store, "r2-partial", T0 + DAY, ["b", "c"], status="partial")  # kept: partial is history
    save(store, "r3-other-config", T0 - 2 * DAY, ["c"], config="other")  # history is every config's
    # a preview of the future made before tonight's run: does not make tonight's run a re-judgement
    save(store, "r4-preview", T0 + 30 * DAY, ["g", "b"], started_at=T0 + 2 * DAY)
    save(store, "r5-tonight", T0 + 3 * DAY, ["a", "c", "e"])
    # re-judging last month after tonight's run: stored, but not history as of any instant
    save(store, "r6-rejudged", T0 + DAY // 2, ["e", "f", "a"], started_at=T0 + 3 * DAY + timedelta(hours=1))
    save(store, "r7-tomorrow", T0 + 4 * DAY, ["a", "h", "b"])
    store.begin_run(Run(id="r8-running", started_at=T0 + 5 * DAY, as_of=T0 + 5 * DAY, status="running"), "cfg")
    return ["a", "b", "c", "d", "e", "f", "g", "h"]


def instants() -> list[datetime | None]:
    return [None, T0 - 4 * DAY, T0 - 3 * DAY, T0 - 2 * DAY, T0, T0 + DAY // 2, T0 + DAY, T0 + 3 * DAY - timedelta(seconds=1),
            T0 + 3 * DAY, T0 + 4 * DAY, T0 + 30 * DAY, T0 + 400 * DAY]


@pytest.mark.parametrize("inline", [1000, 0], ids=["re-judgements-by-id", "re-judgements-by-subquery"])
def test_first_seen_answers_as_the_history_query_did(store, inline, monkeypatch):
    monkeypatch.setattr("auditor.store._LEFT_OUT_INLINE", inline)
    stored = history(store)
    # unknown ids, a duplicate, and more than one chunk of 500
    ids = stored + ["a", "never-seen"] + [f"x{i}" for i in range(600)] + ["h"]
    for as_of in instants():
        expected = reference_first_seen(store, ids, as_of)
        assert store.first_seen(ids, as_of=as_of) == expected, as_of
    assert store.first_seen([], as_of=T0) == {}
    # the history's meaning, spelled out once: the failed run and the re-judgement never count
    for as_of in instants():
        for name in stored:
            for fp in (f"hmac1:{name}", "hmac1:b2"):
                expected_since = reference_fingerprint_since(store, "db", name, fp, as_of)
                assert store.fingerprint_since("db", name, fp, as_of=as_of) == expected_since, (as_of, name)
                if as_of is not None:  # with the re-judgements read once for the run
                    rejudged = store.rejudgements(as_of)
                    assert store.fingerprint_since("db", name, fp, as_of=as_of, rejudged=rejudged) == expected_since
    # as of its own instant or later (an earlier one has it out of the history anyway)
    assert store.rejudgements(T0 + 3 * DAY) == store.rejudgements(T0 + DAY // 2) == ["r6-rejudged"]
    assert store.rejudgements(T0) == []
    tonight = store.first_seen(stored, as_of=T0 + 3 * DAY)
    assert tonight == {"a": T0, "b": T0, "c": T0 - 2 * DAY, "e": T0 + 3 * DAY}
    assert store.first_seen(stored, as_of=T0 + 30 * DAY)["g"] == T0 + 30 * DAY
    assert store.first_seen(["e", "f", "d"]) == {"e": T0 + DAY // 2, "f": T0 + DAY // 2}  # no as-of: every kept run


def _plans_on_findings(store: Store, call):
    """``call()``'s result, and SQLite's plan (its lines) of each statement it ran that reads findings."""
    statements: list[tuple[str, object]] = []

    def seen(_conn, _cursor, statement, parameters, _context, _many):
        statements.append((statement, parameters))

    sa.event.listen(store.engine, "before_cursor_execute", seen)
    try:
        out = call()
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", seen)
    with store.engine.connect() as c:
        plans = [[r[3] for r in c.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
                 for statement, parameters in statements if "findings" in statement]
    return out, plans


def _findings_indexes(store: Store) -> set[str | None]:
    with store.engine.connect() as c:
        return {ix["name"] for ix in sa.inspect(c).get_indexes("findings")}


def _migrate(store: Store, step: str, revision: str) -> None:
    """alembic's ``step`` (upgrade, downgrade) to ``revision``, in one transaction as Store.upgrade runs it."""
    from pathlib import Path

    from alembic import command
    from alembic.config import Config as AlembicConfig

    import auditor.store

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(Path(auditor.store.__file__).parent / "migrations"))
    with store.engine.begin() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # as Store.upgrade does
        cfg.attributes["connection"] = conn
        getattr(command, step)(cfg, revision)


def test_first_seen_looks_findings_up_by_the_covering_index_not_run_by_run(tmp_path):
    """SQLite's plan: findings found by id in an index holding (id, run_id), never every finding row
    of each history run (ix_findings_run_id), which reads each row's JSON."""
    store = Store.open(f"sqlite:///{tmp_path}/state.db")
    try:
        history(store)
        # a night's worth of ids (the plan SQLite picks depends on how many): a chunk of 500 and a few
        _, plans = _plans_on_findings(store, lambda: store.first_seen(["a", "b", "e"] + [f"x{i}" for i in range(520)],
                                                                      as_of=T0 + 3 * DAY))
        assert plans
        for plan in plans:
            on_findings = [p for p in plan if " findings" in p]
            assert on_findings and all("USING COVERING INDEX ix_findings_id_run_id (id=?)" in p
                                       for p in on_findings), plan
            assert not any("ix_findings_run_id " in p or "ix_findings_run_id_rule" in p for p in plan), plan
    finally:
        store.close()


def test_the_age_from_history_reads_the_re_judgements_once_not_for_each_dataset(tmp_path):
    """Datasets without a write time take their age from the fingerprint's history, one query each:
    the history's re-judgements (over every pair of runs of a config) are read once for all."""
    store = Store.open(f"sqlite:///{tmp_path}/state.db")
    try:
        stored = history(store)
        statements: list[str] = []

        def seen(_conn, _cursor, statement, _parameters, _context, _many):
            statements.append(statement)

        sa.event.listen(store.engine, "before_cursor_execute", seen)
        aged = age_from_history([dataset(n) for n in stored], store, T0 + 3 * DAY)
        sa.event.remove(store.engine, "before_cursor_execute", seen)
        over_pairs = [s for s in statements if "earlier" in s]  # the re-judgement's correlated subquery
        assert len(over_pairs) == 1, over_pairs
        assert sum(1 for s in statements if "datasets" in s) == len(stored)
        # the ages themselves: unchanged since first seen by the history as of tonight
        since = {d.name: d.last_modified for d in aged}
        assert since == {"a": T0, "b": T0, "c": T0 - 2 * DAY, "d": None, "e": None, "f": None, "g": None,
                         "h": None}, since
    finally:
        store.close()


def test_migration_0007_adds_the_index_to_a_kept_history_and_its_downgrade_drops_it(tmp_path):
    url = f"sqlite:///{tmp_path}/state.db"
    store = Store.open(url)
    try:
        history(store)
        before = store.first_seen(["a", "c", "e"], as_of=T0 + 3 * DAY)
        _migrate(store, "downgrade", "0006")
        assert "ix_findings_id_run_id" not in _findings_indexes(store)
        store.close()
        store = Store.open(url)  # the next run upgrades it again
        assert "ix_findings_id_run_id" in _findings_indexes(store)
        with store.engine.connect() as c:
            assert c.execute(sa.text("SELECT count(*) FROM findings")).scalar() == 18  # every row kept
        assert store.first_seen(["a", "c", "e"], as_of=T0 + 3 * DAY) == before
    finally:
        store.close()


def _stored_complete(store: Store, n: int, per_run: int) -> None:
    """``n`` complete runs of ``per_run`` findings each, none of them not-assessed."""
    for i in range(n):
        at = T0 + i * DAY
        stub = Run(id=f"c{i}", started_at=at, as_of=at, trigger="cron", status="running")
        store.begin_run(stub, "cfg")
        made = [Finding(id=f"f{k}", rule="stale-personal-data", severity="high", source="db", vendor="v",
                        dataset=f"t{k}", title="t", first_seen=at) for k in range(per_run)]
        store.save_run(stub.model_copy(update={"status": "complete", "finished_at": at, "findings": tuple(made)}))


def test_whether_a_complete_run_left_unknowns_is_read_from_an_index_not_its_finding_rows(tmp_path):
    """The run list (``runs --list``, the metrics' last complete run) tells a run stored complete by an
    earlier version with a waived not-assessed finding from one that is complete; by
    ``ix_findings_run_id`` that read every finding row of every complete run (each row's JSON too:
    about 2 ms a run of 2,000 findings, a second and more for a year of nightly runs). Read from an
    index on (run_id, rule), only the not-assessed rows of a run are visited."""
    store = Store.open(f"sqlite:///{tmp_path}/state.db")
    try:
        _stored_complete(store, 3, 40)
        (listed, previous), plans = _plans_on_findings(
            store, lambda: (store.list_runs("cfg"), store.previous_run_id("cfg", complete_only=True)))
        assert [r["status"] for r in listed] == ["complete"] * 3 and previous == "c2"
        assert len(plans) == 2, plans
        for plan in plans:
            on_findings = [p for p in plan if " findings" in p]
            assert on_findings and all("ix_findings_run_id_rule (run_id=? AND rule=?)" in p for p in on_findings), plan
    finally:
        store.close()


def test_migration_0008_replaces_the_run_id_index_on_a_kept_history_and_its_downgrade_restores_it(tmp_path):
    url = f"sqlite:///{tmp_path}/state.db"
    store = Store.open(url)
    try:
        _stored_complete(store, 2, 5)
        assert {"ix_findings_run_id_rule"} <= _findings_indexes(store) and "ix_findings_run_id" not in _findings_indexes(store)
        _migrate(store, "downgrade", "0007")
        indexes = _findings_indexes(store)
        assert "ix_findings_run_id" in indexes and "ix_findings_run_id_rule" not in indexes
        with store.engine.begin() as conn:  # MySQL commits DDL as it goes: an upgrade stopped between its steps
            conn.exec_driver_sql("CREATE INDEX ix_findings_run_id_rule ON findings (run_id, rule)")
        store.close()
        store = Store.open(url)  # the next run upgrades it again
        indexes = _findings_indexes(store)
        assert "ix_findings_run_id_rule" in indexes and "ix_findings_run_id" not in indexes
        assert [r["status"] for r in store.list_runs("cfg")] == ["complete"] * 2
        assert len(store.load_run("c1").findings) == 5  # every row kept
    finally:
        store.close()


def test_a_finding_is_found_by_its_id_in_one_index_and_each_save_writes_one_entry_for_it(tmp_path):
    """Migration 0009: the index on ``id`` alone is gone (each save wrote every finding into it and into
    (id, run_id), at places its hashed id makes random: one index page more per finding, in a history
    that grows every night). Every read by id still finds its rows in ix_findings_id_run_id, never by
    scanning the findings, and the newest row of an id is found without sorting its rows; the downgrade
    restores the old index and the next start drops it again."""
    url = f"sqlite:///{tmp_path}/state.db"
    store = Store.open(url)
    try:
        _stored_complete(store, 3, 40)
        assert _findings_indexes(store) == {"ix_findings_id_run_id", "ix_findings_run_id_rule"}
        (latest, severity, seen), plans = _plans_on_findings(
            store, lambda: (store.latest_finding("f7"), store.latest_severity("f7"), store.first_seen(["f7", "f8"])))
        assert latest is not None and latest.dataset == "t7" and severity == "high"
        assert seen == {"f7": T0, "f8": T0}
        assert len(plans) == 3, plans
        for plan in plans:
            on_findings = [p for p in plan if " findings" in p]
            assert any("INDEX ix_findings_id_run_id (id=?)" in p for p in on_findings), plan
            # the rest, a row by its key (the newest row's data or severity)
            assert all("INDEX ix_findings_id_run_id (id=?)" in p or "INTEGER PRIMARY KEY (rowid=?)" in p
                       for p in on_findings), plan
            # the newest row of an id (latest_finding, latest_severity): its key read off the index, the
            # one row then fetched by it, never the id's rows of every run kept read and sorted
            assert not any("TEMP B-TREE" in p for p in plan), plan
        at = T0 + 9 * DAY  # a later run finds f7 again, worse and elsewhere: the newest row is that one
        stub = Run(id="c9", started_at=at, as_of=at, trigger="cron", status="running")
        store.begin_run(stub, "cfg")
        store.save_run(stub.model_copy(update={"status": "complete", "finished_at": at, "findings": (
            Finding(id="f7", rule="stale-personal-data", severity="critical", source="db", vendor="v",
                    dataset="t7-moved", title="t", first_seen=T0),)}))
        assert store.latest_severity("f7") == "critical" and store.latest_finding("f7").dataset == "t7-moved"
        _migrate(store, "downgrade", "0008")
        assert "ix_findings_id" in _findings_indexes(store)
        store.close()
        store = Store.open(url)  # the next run upgrades it again
        assert _findings_indexes(store) == {"ix_findings_id_run_id", "ix_findings_run_id_rule"}
        assert len(store.load_run("c2").findings) == 40  # every row kept
    finally:
        store.close()
