"""The SFTP fixture's system users do not outlive the test process that made them: one pair
per process (concurrent sessions never share a password or delete each other's login),
removed at its exit, and what a killed process left behind is removed by the next one."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from pathlib import Path

from tests.file_servers import SSHD, need

REPO = Path(__file__).resolve().parents[3]
CHILD = """
import pwd
from tests.file_servers import sshd_server
with sshd_server(empty_password_user=True) as s:
    for name in (s["user"], s["anon_user"]):
        pwd.getpwnam(name)  # exists while the server runs
        print(name)
"""


def exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def child(code: str = CHILD) -> list[str]:
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout.split()


def test_the_users_a_test_process_made_are_gone_when_it_exits():
    need(os.path.exists(SSHD) and os.geteuid() == 0, "starting sshd with a test user needs root and sshd")
    users = child()
    assert len(users) == 2 and all(u.startswith("auditor-sftp-") for u in users), users
    assert not any(exists(u) for u in users), users
    again = child()  # a rerun makes its own pair, and removes it too
    assert len(again) == 2 and not any(exists(u) for u in again), again


def test_users_left_by_a_killed_test_process_are_removed_by_the_next_one():
    need(os.path.exists(SSHD) and os.geteuid() == 0, "starting sshd with a test user needs root and sshd")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = f"auditor-sftp-t{dead.pid}"
    subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell",
                    "/usr/sbin/nologin", stale], check=True, capture_output=True)
    try:
        child()
        assert not exists(stale)
    finally:
        subprocess.run(["userdel", stale], capture_output=True)
