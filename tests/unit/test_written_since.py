"""The engine's write-counter step of the age ladder (``auditor.engine.age_from_history``), against
a real (SQLite) state store: a counter higher than the previous run's in the same epoch is a write
since that run; a reset, a counter that went down, a standby's missing counter or a previous run
as of a later instant fall back to the fingerprint, and the basis says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from auditor.engine import age_from_history
from auditor.models import Dataset, Run
from auditor.store import Store

T0 = datetime(2025, 3, 1, tzinfo=UTC)
EPOCH = "stats_reset=never; relid=16384"


def _ds(value: int | None, epoch: str = EPOCH, fingerprint: str = "hmac1:aa") -> Dataset:
    facts: dict = {"fingerprint": fingerprint}
    if value is not None:
        facts["write_counter"] = {"value": value, "epoch": epoch, "by": "PostgreSQL statistics"}
    return Dataset(source="db", vendor="v", kind="table", name="public.customers", uri="postgresql://h/db/x",
                   facts=facts)


@pytest.fixture
def store(tmp_path):
    s = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    yield s
    s.close()


def _save(store: Store, as_of: datetime, ds: Dataset) -> None:
    """A run as the engine stores it: its datasets through the age step (which adds to the counter
    what the history knows)."""
    [ds] = age_from_history([ds], store, as_of)
    run = Run(id=f"r{as_of:%Y%m%d}", started_at=as_of, finished_at=as_of, as_of=as_of, trigger="manual",
              status="complete", datasets=(ds,))
    store.begin_run(run, "cfg")
    store.save_run(run)


def _age(store: Store, as_of: datetime, ds: Dataset) -> Dataset:
    [out] = age_from_history([ds], store, as_of)
    return out


def test_a_higher_counter_is_a_write_since_the_previous_run(store):
    _save(store, T0, _ds(100))
    got = _age(store, T0 + timedelta(days=1), _ds(130))
    assert got.last_modified == T0 and got.known.last_modified_bound == "at_least"
    assert got.last_modified_basis == ("written since the run of 2025-03-01 (PostgreSQL statistics: 30 rows inserted, "
                                       "updated or deleted since)")


def test_a_write_once_counted_bounds_the_age_on_both_sides_while_nothing_more_is_counted(store):
    _save(store, T0, _ds(100))
    _save(store, T0 + timedelta(days=1), _ds(130))  # replaces the first: written since T0
    for day in (2, 3):
        got = _age(store, T0 + timedelta(days=day), _ds(130))
        assert got.last_modified_basis == ("written between the runs of 2025-03-01 and 2025-03-02 (PostgreSQL "
                                           "statistics: no write counted since the run of 2025-03-02)")
        assert got.last_modified == T0 and got.known.last_modified_bound == "at_least"
        assert got.known.written_before == T0 + timedelta(days=1)
        _save(store, T0 + timedelta(days=day), _ds(130))


def test_a_never_written_table_stays_unchanged_since_first_seen(store):
    for day in (0, 1, 2):
        _save(store, T0 + timedelta(days=day), _ds(100))
    got = _age(store, T0 + timedelta(days=3), _ds(100))
    assert got.last_modified_basis == ("unchanged since first seen 2025-03-01 (same row count and sample fingerprint "
                                       "in the run history; PostgreSQL statistics: no write counted since the run of "
                                       "2025-03-01)")
    assert got.last_modified == T0 and got.known.last_modified_bound == "at_most"


def test_a_write_once_counted_is_not_forgotten_after_a_reset(store):
    _save(store, T0, _ds(100))
    _save(store, T0 + timedelta(days=1), _ds(130))  # written since T0
    got = _age(store, T0 + timedelta(days=2), _ds(5, epoch="stats_reset=2025-03-02T12:00:00+00:00; relid=16384"))
    # the fingerprint alone would say "unchanged since first seen 2025-03-01": before the write
    assert got.last_modified_basis.startswith("written since the run of 2025-03-01 (shown by PostgreSQL statistics "
                                              "then; the sample fingerprint did not change; PostgreSQL statistics: "
                                              "statistics reset since the previous run"), got.last_modified_basis
    assert got.last_modified == T0 and got.known.last_modified_bound == "at_least"


@pytest.mark.parametrize(("now", "why"), [
    (_ds(500, epoch="stats_reset=2025-03-01T12:00:00+00:00; relid=16384"), "statistics reset since the previous run"),
    (_ds(500, epoch="stats_reset=never; relid=17000"), "counted relations changed"),
    (_ds(40), "write count went down since the previous run"),
])
def test_no_comparison_across_epochs_or_a_counter_that_went_down(store, now, why):
    _save(store, T0, _ds(100))
    got = _age(store, T0 + timedelta(days=1), now)
    assert got.last_modified_basis.startswith("unchanged since first seen 2025-03-01"), got.last_modified_basis
    assert why in got.last_modified_basis


def test_a_standby_has_no_counter_and_degrades_to_the_fingerprint(store):
    _save(store, T0, _ds(100))
    got = _age(store, T0 + timedelta(days=1), _ds(None))  # the dialect gives no counter on a standby
    assert got.last_modified_basis == ("unchanged since first seen 2025-03-01 (same row count and sample fingerprint "
                                       "in the run history)")


def test_a_previous_run_as_of_a_later_instant_is_not_compared(store):
    _save(store, T0 + timedelta(days=30), _ds(100))  # a run "as of" next month, then a re-judgement of today
    got = _age(store, T0, _ds(130))
    assert got.last_modified is None


def test_the_reason_is_kept_when_there_is_no_history_of_the_fingerprint(store):
    _save(store, T0, _ds(100, fingerprint="hmac1:aa"))
    got = _age(store, T0 + timedelta(days=1), _ds(100, fingerprint="hmac1:bb"))
    assert got.last_modified is None
    assert got.facts["age_signals"]["write_counter"] == "PostgreSQL statistics: no write counted since the run of 2025-03-01"
