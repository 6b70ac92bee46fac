"""The HTML report of a run rendered in a child process while this process stores the run.

Once a run is built, what is left is this process's alone and one core's: storing the run
(~0.08 s for 1,001 tables), then rendering the reports (the HTML ~0.12 s, the JSON and CSV ~0.1 s).
So :func:`start` forks a child that renders the HTML from the run it inherited (copy-on-write:
nothing serialised on the way there) and sends the text back on a pipe, while this process stores
the run and writes the other reports. The writer then takes the text (:meth:`Prerendered.html`)
and writes it exactly as one it rendered itself: the same atomic write and folder index, after
the run is stored. (Only the HTML: a child copies every page of the run it reads, ~70% more CPU
than rendering here, which pays for the biggest report only; measured.)

An accelerator, never a second path: whatever goes wrong in the child (an exception, a signal,
a short read) gives no text, and the report is rendered here as it always was, raising here what
it raises. The child is forked only where that is safe and of use: POSIX ``fork``, more than one
core to run on, no other thread in this process (a child of a threaded process can inherit a lock
another thread held: the scheduler's threads, a source thread that never finished), and room in
memory for a copy of this process (``MemAvailable`` above its resident size). A text is used only
for the very run object it was rendered from (a run that could not be stored is another object).
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading

from auditor.models import Run

log = logging.getLogger(__name__)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _room_for_a_copy() -> bool:
    """Whether the machine has memory available for a second copy of this process (Linux)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            resident = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        with open("/proc/meminfo", encoding="ascii") as f:
            available = next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:"))
    except (OSError, ValueError, IndexError, StopIteration):
        return False
    return available > resident


def forkable() -> bool:
    """Whether a child forked now is safe (no other thread), of use (another core) and fits."""
    return hasattr(os, "fork") and threading.active_count() == 1 and _cores() > 1 and _room_for_a_copy()


class Prerendered:
    """The child rendering one run's HTML report; :meth:`html` takes its text."""

    def __init__(self, run: Run, pid: int, read: int) -> None:
        self.run = run
        self._child: tuple[int, int] | None = (pid, read)

    def html(self, run: Run) -> str | None:
        """The HTML rendered from ``run`` (this very object), once the child is done; None when
        there is none (taken already, another run object, or the child failed)."""
        child, self._child = self._child, None
        if child is None:
            return None
        try:
            return self._take(run, *child)
        except Exception:  # noqa: BLE001 - an accelerator: whatever fails here, the report is rendered in the process
            log.debug("reports: the HTML report's child gave no text", exc_info=True)
            _stop(child[0])
            return None

    def _take(self, run: Run, pid: int, read: int) -> str | None:
        data = _read_within(read, WAIT_SECONDS)
        if data is None:  # no end of the text in time (a child stuck on a lock it inherited), or a failed read
            log.warning("reports: the child rendering the HTML report gave no text within %ds: rendered here",
                        WAIT_SECONDS)
            _stop(pid)
            return None
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:  # reaped already (SIGCHLD ignored): its exit status is not known
            return None
        if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
            log.debug("reports: the child rendering the HTML report ended with status %d: rendered here", status)
            return None
        if run is not self.run:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def close(self) -> None:
        """Stop and reap the child if its text was not taken (a run that ended in an error)."""
        child, self._child = self._child, None
        if child is None:
            return
        pid, read = child
        os.close(read)
        _stop(pid)

    def __del__(self) -> None:
        self.close()


# how long the writer waits for the child's text before it stops the child and renders the report
# itself (a child is never waited on for ever: one stuck on a lock it inherited from a thread the
# interpreter does not know of, started by a C library, would hold the scan)
WAIT_SECONDS = 300


def _read_within(fd: int, seconds: float) -> bytes | None:
    """Everything up to the end of the pipe ``fd`` (closed here), or None past ``seconds`` (or
    on a failed read). ``poll``, not ``select``: a descriptor past 1,023 is fine."""
    import select
    import time

    deadline = time.monotonic() + seconds
    chunks: list[bytes] = []
    try:
        waiting = select.poll()
        waiting.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not waiting.poll(max(1, int(left * 1000))):
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)


def _stop(pid: int) -> None:
    """Kill and reap the child ``pid`` (gone already: nothing to do)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def start(run: Run) -> Prerendered | None:
    """Fork a child rendering ``run``'s HTML report; None when that is not safe or of no use
    here, or cannot be done (the writer then renders it, as always)."""
    if not forkable():
        return None
    try:
        read, write = os.pipe()
    except OSError as exc:  # out of file descriptors: rendered here, as before
        log.debug("reports: no pipe for a child rendering the HTML report (%s): rendered in this one", exc)
        return None
    try:
        pid = os.fork()
    except OSError as exc:  # no memory or process slots for a child: rendered here, as before
        os.close(read)
        os.close(write)
        log.debug("reports: no child process for the HTML report (%s): rendered in this one", exc)
        return None
    if pid == 0:  # the child: render, send, leave without running anything of the parent's
        code = 1
        try:
            # a stop signal to the process group ends the child at once: the parent's handlers (the
            # CLI's "interrupted ... the run is marked failed") are the parent's to run, once
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.close(read)
            gc.freeze()  # the parent's objects are never walked here (each walk copies their pages)
            from reports.html import render_html

            data = render_html(run).encode("utf-8")
            with os.fdopen(write, "wb") as out:
                out.write(data)
            code = 0
        except BaseException:  # noqa: BLE001 - no text: the parent renders it and raises what it raises
            pass
        finally:
            os._exit(code)
    os.close(write)
    return Prerendered(run, pid, read)
