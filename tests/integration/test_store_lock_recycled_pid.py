"""A run killed hard (SIGKILL, the OOM killer, a container stopped) leaves its run lock. On the same
host the lock was taken over only when its pid was dead; a pid in use again by another process (a
reboot, a busy host, or every night in a container with a fixed hostname, where the auditor gets
the same small pid) kept the store locked for good: exit 2 every night, stale_after never applied
on the same host. A process that started after the lock was taken cannot be its holder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from auditor.errors import LockedError
from auditor.store import Store, run_lock, runs


def _held_by(store: Store, pid: int, at: datetime) -> None:
    with store.engine.begin() as c:
        c.execute(runs.insert().values(id="old", config="c", started_at=at, as_of=at, trigger="schedule:nightly",
                                       status="running", pid=pid, host=socket.gethostname(), extra="{}"))
        c.execute(run_lock.insert().values(name="run", run_id="old", pid=pid, host=socket.gethostname(),
                                           acquired_at=at))


@pytest.fixture
def other_process():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc
    proc.kill()
    proc.wait()


def test_a_lock_whose_pid_now_belongs_to_a_newer_process_is_taken_over(tmp_path, other_process):
    store = Store.open(f"sqlite:///{tmp_path}/state.db")
    _held_by(store, other_process.pid, datetime.now(timezone.utc) - timedelta(hours=8))  # killed last night
    store.acquire_lock("new")
    with store.engine.connect() as c:
        assert c.execute(sa.select(run_lock.c.run_id)).scalar() == "new"
        assert c.execute(sa.select(runs.c.status).where(runs.c.id == "old")).scalar() == "failed"
    store.close()


def test_a_lock_left_under_this_very_pid_by_an_earlier_process_is_taken_over(tmp_path):
    """The container case: last night's auditor had the pid this one has now."""
    store = Store.open(f"sqlite:///{tmp_path}/state.db")
    _held_by(store, os.getpid(), datetime.now(timezone.utc) - timedelta(days=1))
    store.acquire_lock("new")
    store.close()


def test_a_lock_of_a_live_process_that_took_it_is_still_respected(tmp_path, other_process):
    store = Store.open(f"sqlite:///{tmp_path}/state.db")
    _held_by(store, other_process.pid, datetime.now(timezone.utc) + timedelta(seconds=5))  # taken after it started
    with pytest.raises(LockedError):
        store.acquire_lock("new")
    store.close()


def test_this_process_holding_a_lock_for_another_run_is_still_respected(tmp_path):
    """One process (the scheduler) never overlaps two runs on one store."""
    store = Store.open(f"sqlite:///{tmp_path}/state.db")
    store.acquire_lock("first")
    with pytest.raises(LockedError):
        store.acquire_lock("second")
    store.close()


def test_a_run_left_running_under_a_pid_used_again_is_shown_failed(tmp_path, other_process):
    url = f"sqlite:///{tmp_path}/state.db"
    store = Store.open(url)
    _held_by(store, other_process.pid, datetime.now(timezone.utc) - timedelta(hours=1))
    assert [r["status"] for r in store.list_runs()] == ["failed"]
    store.close()
    store = Store.open(url)  # the next start marks it in the store
    with store.engine.connect() as c:
        assert c.execute(sa.select(runs.c.status)).scalar() == "failed"
    store.close()


def test_a_live_holder_after_a_small_forward_clock_step_keeps_its_lock(tmp_path, other_process):
    """Its lock looks a minute older than the process (the wall clock stepped forward since): still its own."""
    store = Store.open(f"sqlite:///{tmp_path}/state.db")
    _held_by(store, other_process.pid, datetime.now(timezone.utc) - timedelta(minutes=1))
    with pytest.raises(LockedError):
        store.acquire_lock("new")
    store.close()


HOLDER = """
import sys, time
from auditor.store import Store
store = Store.open(sys.argv[1])
store.acquire_lock("live")
print("held", flush=True)
time.sleep(120)
"""


@pytest.mark.parametrize("step", [timedelta(hours=2), timedelta(days=400)])
def test_a_live_holder_keeps_its_lock_after_the_wall_clock_steps_forward(tmp_path, step):
    """A host whose clock was wrong at boot is corrected by NTP while a run holds the lock: the lock
    looks hours older than its process. The holder is known by its process (boot and start ticks,
    recorded with the lock), not by comparing the two ages, so the second run does not overlap it."""
    from freezegun import freeze_time

    url = f"sqlite:///{tmp_path}/state.db"
    Store.open(url).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        store = Store.open(url)
        with freeze_time(datetime.now(timezone.utc) + step, tick=True), pytest.raises(LockedError):
            store.acquire_lock("new")
        assert [r["status"] for r in store.list_runs()] == []  # no run of its own: the lock only
        with store.engine.connect() as c:
            assert c.execute(sa.select(run_lock.c.run_id)).scalar() == "live"
        store.close()
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_recorded_by_a_process_that_is_gone_is_taken_over_whatever_the_clock(tmp_path, other_process):
    """The recorded process (its boot and start ticks) no longer holds the pid: taken over even
    when the lock looks younger than the process now using the pid (a clock stepped back)."""
    from auditor.store import _process_mark

    store = Store.open(f"sqlite:///{tmp_path}/state.db")
    at = datetime.now(timezone.utc) + timedelta(hours=3)  # the lock looks younger than anything
    mark = _process_mark(other_process.pid)
    assert mark is not None
    boot, ticks = mark.rsplit(":", 1)
    with store.engine.begin() as c:
        c.execute(run_lock.insert().values(name="run", run_id="old", pid=other_process.pid,
                                           host=socket.gethostname(), acquired_at=at,
                                           process=f"{boot}:{int(ticks) - 1}"))
    store.acquire_lock("new")
    store.close()
