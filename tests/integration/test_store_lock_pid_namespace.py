"""Two containers on one machine may share its hostname (host networking) while each has pids of its
own. A contender judged the holder's pid in its own pid namespace: not there, so "process gone",
and it took over a live run's lock and marked that run failed; the two runs overlapped on one
store. A holder in another pid namespace is another host to the lock (the stale_after rule)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

HOLD = ("import sys, time; from auditor.store import Store; s = Store.open(sys.argv[1]); s.acquire_lock('holder'); "
        "print('held', flush=True); time.sleep(60)")
CONTEND = ("import sys; from auditor.errors import LockedError; from auditor.store import Store; "
           "s = Store.open(sys.argv[1])\n"
           "try:\n    s.acquire_lock('contender')\nexcept LockedError:\n    print('locked')\nelse:\n    print('taken')")


def _unshare_works() -> bool:
    try:
        return subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "true"], capture_output=True,
                              timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.skipif(not _unshare_works(), reason="needs unshare --pid (root or user namespaces)")
def test_a_live_holder_in_another_pid_namespace_on_the_same_hostname_keeps_the_lock(tmp_path):
    url = f"sqlite:///{tmp_path}/state.db"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, url], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        time.sleep(0.5)
        contender = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", CONTEND, url],
                                   capture_output=True, text=True, timeout=60)
        assert contender.stdout.strip() == "locked", (contender.stdout, contender.stderr)
    finally:
        holder.kill()
        holder.wait()
