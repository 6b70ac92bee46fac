""".ci/run's provisioning on a fresh machine, with apt-get and the tools stubbed: what is missing is
installed from Debian's packages, what is there is left alone, and what cannot be installed stops
the run with one line naming it. (The real servers' paths run on every CI run itself.)"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def machine(tmp_path: Path):
    """A PATH holding only stubs: `id` says root, `apt-get` records its calls and, on install,
    puts a stub of each package's command in place (or fails, with APT_FAILS=1)."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    calls = tmp_path / "apt.log"
    stub(bin_, "id", "echo 0")
    (bin_ / "dirname").symlink_to("/usr/bin/dirname")
    stub(bin_, "apt-get", f"""echo "$*" >> {calls}
[ -n "$APT_FAILS" ] && exit 100
case "$1" in install) for p in "$@"; do case "$p" in -*|install) ;; *)
  printf '#!/bin/sh\\n' > {bin_}/$p; chmod +x {bin_}/$p;; esac; done;; esac
exit 0""")

    def run(function: str, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
        proc = subprocess.run(["/bin/bash", "-c", f"source .ci/run && {function}"], cwd=ROOT, capture_output=True,
                              text=True, timeout=30, env={"PATH": str(bin_), "HOME": str(tmp_path), **env})
        return proc, calls.read_text().splitlines() if calls.exists() else []

    run.bin = bin_  # type: ignore[attr-defined]
    return run


def test_missing_node_is_installed_from_debian_packages(machine):
    proc, calls = machine("provision_node")
    assert proc.returncode == 0, proc.stderr
    assert calls == ["update -qq", "install -y -qq nodejs npm"]
    assert "[ci] installing Debian packages: nodejs npm" in proc.stdout


def test_what_is_there_is_left_alone(machine):
    for tool in ("node", "npm"):
        stub(machine.bin, tool, "exit 0")
    proc, calls = machine("provision_node")
    assert proc.returncode == 0 and calls == [] and proc.stdout == ""


def test_what_cannot_be_installed_stops_the_run_with_one_line(machine):
    proc, calls = machine("provision_chromium", APT_FAILS="1")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == ["[ci] cannot go on: apt-get update failed (needed to install chromium)"]
    assert calls == ["update -qq"]


def test_apt_is_updated_once_for_several_installs(machine):
    proc, calls = machine("provision_node && provision_chromium")
    assert calls == ["update -qq", "install -y -qq nodejs npm", "install -y -qq chromium"]
    # chromium must be where the browser tests look for it; the stub put it elsewhere: one clear line
    if not os.access("/usr/bin/chromium", os.X_OK):
        assert proc.returncode == 1 and "/usr/bin/chromium" in proc.stderr
    else:
        assert proc.returncode == 0, proc.stderr


def test_sftp_test_tools_are_installed_from_debian_packages(machine):
    (machine.bin / "mkdir").symlink_to("/bin/mkdir")
    proc, calls = machine("provision_openssh")
    assert proc.returncode == 0, proc.stderr
    installs = [c for c in calls if c.startswith("install")]
    assert installs[-3:] == ["install -y -qq openssh-client", "install -y -qq openssl", "install -y -qq passwd"]
    if not os.access("/usr/sbin/sshd", os.X_OK):  # this machine's own sshd is left alone
        assert installs[0] == "install -y -qq openssh-server"
