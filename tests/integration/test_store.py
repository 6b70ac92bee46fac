"""The state store on SQLite and on the real PostgreSQL: round trip, one transaction per run."""

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from auditor.errors import StoreError
from auditor.models import Dataset, Finding, PersonalData, Run, SourceResult, Vendor, Waiver, finding_id
from auditor.store import Store, runs

T0 = datetime(2026, 11, 28, tzinfo=timezone.utc)


def make_run(run_id: str, as_of: datetime) -> Run:
    pd = PersonalData(type="email", count=12, where=("email",), examples=("j***@e***.com",))
    ds = Dataset(source="db", vendor="v", kind="table", name='public."x"><img>', uri="postgresql://h/db/t",
                 records=120, last_modified=as_of - timedelta(days=600), last_modified_basis="max(updated_at)",
                 personal_data=(pd,), classified=True, facts={"fingerprint": "120:abc"})
    f = Finding(id=finding_id("stale-personal-data", "db", ds.name), rule="stale-personal-data", severity="high",
                source="db", vendor="v", dataset=ds.name, title="stale", evidence={"age_days": 600},
                first_seen=as_of)
    return Run(id=run_id, started_at=as_of, finished_at=as_of, as_of=as_of, status="complete",
               sources=(SourceResult(id="db", kind="sql", vendor="v", datasets=1),), datasets=(ds,),
               findings=(f,), vendors=(Vendor(id="v"),), policy_limits={"max_age_days": 365})


def test_round_trip(store):
    run = make_run("r1", T0)
    store.begin_run(run.model_copy(update={"status": "running"}), "cfg")
    store.save_run(run)
    loaded = store.load_run("r1")
    assert loaded.datasets == run.datasets
    assert loaded.findings == run.findings
    assert loaded.sources == run.sources and loaded.status == "complete"
    assert store.latest_run_id("cfg") == "r1"
    assert store.first_seen([run.findings[0].id]) == {run.findings[0].id: T0}
    assert store.fingerprint_since("db", run.datasets[0].name, "120:abc") == T0


def test_a_dataset_given_twice_keeps_its_assessed_copys_fingerprint(store):
    """A table read and then lost (its error copy after it): each stored row has its own fingerprint,
    so the assessed one is found by the next night's "unchanged since" (it was stored without one)."""
    run = make_run("r1", T0)
    read = run.datasets[0]
    lost = read.model_copy(update={"status": "error", "error": "connection reset", "facts": {}, "personal_data": ()})
    run = run.model_copy(update={"datasets": (read, lost), "status": "partial"})
    store.begin_run(run.model_copy(update={"status": "running"}), "cfg")
    store.save_run(run)
    assert store.fingerprint_since("db", read.name, "120:abc") == T0



def test_the_previous_run_for_a_diff_leaves_out_its_inventory_and_the_findings_found_again(store):
    run = make_run("r1", T0)
    other = run.findings[0].model_copy(update={"id": finding_id("stale-personal-data", "db", "y"), "dataset": "y"})
    run = run.model_copy(update={"findings": (run.findings[0], other)})
    store.begin_run(run, "cfg")
    store.save_run(run)
    light = store.load_run("r1", with_datasets=False, findings_except={run.findings[0].id})
    assert light.datasets == () and light.findings == (other,)
    assert light.sources == run.sources and light.status == "complete" and light.policy_limits == run.policy_limits
    assert store.load_run("r1").findings == run.findings and store.load_run("r1").datasets == run.datasets

def test_a_failed_save_leaves_earlier_runs_intact(store):
    good = make_run("r1", T0)
    store.begin_run(good, "cfg")
    store.save_run(good)
    bad = make_run("r2", T0 + timedelta(days=1))
    # a second dataset row and a finding that cannot be inserted: the whole run must roll back
    broken = bad.model_copy(update={"sources": bad.sources + bad.sources})  # duplicate primary key
    store.begin_run(bad, "cfg")
    with pytest.raises(StoreError):
        store.save_run(broken)
    assert store.load_run("r1").findings == good.findings
    r2 = store.load_run("r2")
    assert r2.status == "failed" and r2.datasets == () and r2.findings == ()  # marked failed, not left running
    with store.engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(runs)).scalar() == 2


def test_waivers_round_trip(store):
    w = Waiver(finding_id="x:1", reason="booked", until=T0 + timedelta(days=3), by="dpo", created_at=T0)
    store.add_waiver(w)
    store.add_waiver(w.model_copy(update={"reason": "re-booked"}))
    assert store.waivers() == {"x:1": w.model_copy(update={"reason": "re-booked"})}


def test_unreachable_store_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError) as e:
        Store.open(f"sqlite:///{tmp_path}/missing-folder/state.db")
    assert "does not exist" in str(e.value)
    with pytest.raises(StoreError) as e:
        Store.open("postgresql+psycopg://auditor:pw-secret@127.0.0.1:1/nope")
    assert "pw-secret" not in str(e.value)


def test_a_store_of_the_first_schema_is_upgraded_in_place(tmp_path):
    from pathlib import Path

    from alembic import command
    from alembic.config import Config as AlembicConfig

    import auditor.store

    url = f"sqlite:///{tmp_path}/old.db"
    engine = sa.create_engine(url)
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(Path(auditor.store.__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(sa.text("INSERT INTO waivers (finding_id, reason, until, created_at) "
                             "VALUES ('x:1', 'kept', '2030-01-01 00:00:00', '2026-01-01 00:00:00')"))
    engine.dispose()
    store = Store.open(url)
    [w] = store.waivers().values()
    assert (w.finding_id, w.reason, w.severity) == ("x:1", "kept", None)
    with store.engine.connect() as c:
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(cfg).get_current_head()
        assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == head


def test_schema_head_is_the_newest_migration_and_a_current_store_is_not_migrated_again(tmp_path, monkeypatch) -> None:
    """Store.open skips alembic for a store already at SCHEMA_HEAD: the constant must name the
    newest migration, or a store one migration behind would never be upgraded."""
    from pathlib import Path

    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    from auditor import store as store_module

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(Path(store_module.__file__).parent / "migrations"))
    assert ScriptDirectory.from_config(cfg).get_current_head() == store_module.SCHEMA_HEAD
    url = f"sqlite:///{tmp_path}/state.db"
    Store.open(url).close()  # created and migrated
    import alembic.command

    def refuse(*_a, **_k):
        raise AssertionError("a store at the newest schema was migrated again")

    monkeypatch.setattr(alembic.command, "upgrade", refuse)
    store = Store.open(url)
    assert store.waivers() == {}
    store.close()


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://postgres@127.0.0.1:5432/auditor_no_such_db?password=St0reQuerySecret",
    "postgresql+psycopg://postgres:St0reQuerySecret@127.0.0.1:5432/auditor_no_such_db?sslpassword=St0reQuerySecret",
])
def test_a_state_url_password_in_its_query_never_reaches_the_error(url):
    """The state store's URL in "cannot open the state store <URL>" hid only the user-info password:
    one given as a query parameter (?password=, libpq's sslpassword=) was printed on exit 2."""
    with pytest.raises(StoreError) as e:
        Store.open(url)
    assert "St0reQuerySecret" not in str(e.value) and "cannot open the state store" in str(e.value), str(e.value)
    assert "auditor_no_such_db" in str(e.value)  # the rest of the URL still says which store
