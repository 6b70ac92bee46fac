"""Private temporary folders for the one case where audited data must touch the disk (a
WAL-mode SQLite file is read from a bounded copy): nothing of it may outlive the run.

Each folder is ``<tmp>/auditor-tmp-<pid>-<random>``, mode 0700 (``mkdtemp``); it is removed
when its reader is done, again at exit, and a folder left by a process that is gone
(SIGKILL, OOM, a power cut) is removed by the next auditor run that starts on this host.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import threading
from pathlib import Path

PREFIX = "auditor-tmp-"
_lock = threading.Lock()
_mine: set[str] = set()


def make() -> str:
    """A new private folder (0700) of this process, removed at exit at the latest."""
    path = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")
    with _lock:
        _mine.add(path)
    return path


def remove(path: str | None) -> None:
    if not path:
        return
    shutil.rmtree(path, ignore_errors=True)
    with _lock:
        _mine.discard(path)


@atexit.register
def _remove_all() -> None:
    with _lock:
        paths = list(_mine)
    for p in paths:
        remove(p)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def sweep(root: str | None = None) -> list[str]:
    """Remove the folders of auditor processes that are gone; returns what was removed."""
    removed = []
    base = Path(root or tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for entry in base.iterdir():
            if not entry.name.startswith(PREFIX):
                continue
            pid = entry.name[len(PREFIX):].split("-", 1)[0]
            try:
                st = entry.lstat()
            except OSError:
                continue
            if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
                continue
            if st.st_uid != os.geteuid() or not entry.is_dir() or entry.is_symlink():
                continue
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(str(entry))
    return removed
