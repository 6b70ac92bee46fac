"""The classifier in worker processes, so a second core classifies while this process reads.

A run's sources are threads of one process, and the interpreter lock lets one of them use the
CPU at a time: the classifier's work (about a third of a SQL scan's CPU) and the connectors',
policies' and reports' followed each other on one core. Here, once a run has produced
``START_AFTER`` samples (the many small runs stay in-process), its samples are classified in
``workers`` child processes, a few per source in flight, and the engine takes their verdicts back
in the connector's order (:func:`auditor.engine._collect_source`). Only where it pays: at least
two usable CPUs, one of them spare when the pool would start (the load average);
``AUDITOR_CLASSIFY_PROCESSES=0`` turns it off, ``=N`` starts N workers at the first sample,
whatever the load (tests).

The workers are started as fresh interpreters (``subprocess``: fork and exec at once, like
multiprocessing's "spawn", never a plain fork of this threaded process, and without re-importing
the caller's ``__main__``), on this process's ``sys.path``. They talk over their standard input
and output: length-prefixed pickles, the sample's fields and text in, a verdict out (the
``PersonalData`` found, or the name of the exception the classifier raised); each sample carries
this process's date as the classifier reads it (``ids.today()``, which a test's clock may shift),
and the worker classifies as of it; while a function of the classifier's modules is replaced here
(a test's monkeypatch, which a worker would not see) samples are classified here. A writer thread per
worker feeds its input from a queue of at most ``QUEUE_BYTES``, so a source's thread never waits
on a pipe (a sample that would pass the bound is classified in that thread). Raw values cross
only that local pipe to our own child; the child writes nothing to disk, and its stderr and
stray stdout go to /dev/null.

A worker that dies (killed, out of memory, a crash in a native library) fails the samples it
held with :class:`WorkerDied`, and a sample it cannot read (a value whose class it cannot
rebuild) is answered None: the engine, which keeps each sample until its verdict, classifies
those in-process, as it does the samples of a worker that owes verdicts and has not answered for
``LATE_SECONDS`` (stuck on some source's slow sample: the late verdicts are dropped when they come,
and the worker is given no more samples until it answers), and a sample still queued here (not
written to the worker, which holds at most ``WRITE_AHEAD``) ``LATE_SECONDS`` after queueing: it is
withdrawn, the worker never sees it. Whatever a worker answers, only an answer for the oldest
sample written to it, of a verdict's shape, is taken; else it is killed as broken. So the
outcomes are the in-process ones. The pool starts another worker, at most ``MAX_RESTARTS`` times a run, and until one is ready the samples
are classified in-process. Waiting for a worker to be ready or for a verdict never blocks for
long without looking at the source's ``cancel``.
"""

from __future__ import annotations

import collections
import datetime as _dt
import logging
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import time
import types
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any

import auditor.classify
from auditor.classify import ids
from auditor.models import PersonalData, Sample

log = logging.getLogger("auditor.classify_pool")

ENV = "AUDITOR_CLASSIFY_PROCESSES"  # unset: automatic; "0": never; "N": N workers from the first sample
START_AFTER = 32  # samples a run produces before its pool starts (automatic mode)
MAX_WORKERS = 4  # automatic mode: usable CPUs - 1, at most this many
# a source's samples sent and not yet kept: enough that the answers' latency (a worker's wake-up, then
# this process's reader thread waiting its turn for the interpreter lock behind a busy connector, up to a
# switch interval each) is hidden; the engine keeps each until its verdict (to classify it itself if none
# comes), so they are bounded in number and in bytes (pickled; a single larger sample goes alone)
IN_FLIGHT = 16
IN_FLIGHT_BYTES = 1 << 19  # half a worker's queue: a source alone stays below that bound
# a worker's samples waiting for its writer thread (pickled bytes, the one being written included): a
# sample that would pass this is classified in the caller's thread instead of waiting (unless the queue
# is empty), so no source waits on another's samples
QUEUE_BYTES = 1 << 20
MAX_RESTARTS = 2  # workers started again after one died, per run; then the run classifies in-process
# a worker that owes verdicts and has not answered for this long (since its last answer, or since it was
# given work while idle) is late: the engine classifies its samples itself; it gets no more until it answers
LATE_SECONDS = 3.0
# a job still in this process's queue (not written to the worker) this long after it was queued is
# withdrawn: classified here, never by the worker; a worker whose oldest queued job waited half of it
# gets no more. At most WRITE_AHEAD jobs are written and unanswered (the worker never waits for the
# next; the rest stay withdrawable), so a sample of one source waits behind at most that many of another's.
WRITE_AHEAD = 4
READY_WAIT_SECONDS = 60.0  # forced mode: how long the first sample waits for a worker to be ready
POLL_SECONDS = 0.1  # how often a wait for a worker to be ready looks at the source's cancel
CLOSE_WAIT_SECONDS = 2.0  # a worker told to stop: for its last frame, then to end; then it is killed
# an answer declaring more is a broken worker (a verdict is a few PersonalData: kilobytes)
MAX_ANSWER_BYTES = 64 << 20
MAX_NAME = 200  # an exception's name as a verdict: longer is a broken worker
DIED = "worker process died"

_LEN = struct.Struct(">Q")
# The child: this process's sys.path first (the same code), its limit on int-to-text digits (``-I``
# ignores PYTHONINTMAXSTRDIGITS) and its recursion limit (a nested value the classifier serialises),
# then serve, tied to this process (its pid). Run isolated (-I): without
# it ``-c`` puts the current directory first on the path, and a struct.py there would run as it boots.
_BOOT = ("import pickle, struct, sys; f = sys.stdin.buffer; n = struct.unpack('>Q', f.read(8))[0]; "
         "sys.path[:], digits, depth, parent = pickle.loads(f.read(n)); sys.set_int_max_str_digits(digits); "
         "sys.setrecursionlimit(depth); "
         "from auditor.classify_pool import serve; serve(parent)")
PR_SET_PDEATHSIG = 1  # linux/prctl.h

Verdict = tuple[PersonalData, ...] | str  # what the classifier found, or the name of what it raised
Answer = Verdict | None  # a worker's: None, it could not read the sample (classify it here)


class WorkerDied(RuntimeError):
    """The worker classifying a sample ended before it answered."""

    def __init__(self) -> None:
        super().__init__(DIED)


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def spare_cpu() -> bool:
    """A core to spare now: the 1-minute load average (this process's own busy thread counts about 1)
    below the usable CPUs less a half. On a machine busy with other work a worker only takes its
    share from this process (measured: 1.38x the wall time at a load of 8 on 2 cores)."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return True
    return load < usable_cpus() - 0.5


def configured() -> tuple[int, int]:
    """(workers, start_after) from the environment and the machine; workers 0: classify in-process."""
    raw = os.environ.get(ENV, "").strip()
    if raw:
        try:
            n = int(raw)
        except ValueError:
            log.warning("%s=%r is not a number of processes; deciding automatically", ENV, raw)
        else:
            return (max(0, n), 0)
    return (max(0, min(usable_cpus() - 1, MAX_WORKERS)), START_AFTER)


# The classifier's functions as its modules define them, which is what a worker runs: a process that
# replaced one (a test's monkeypatch of a validator) classifies in-process while it differs.
_AS_LOADED = [(vars(m), name, fn) for mod_name, m in sorted(sys.modules.items())
              if mod_name == auditor.classify.__name__ or mod_name.startswith(auditor.classify.__name__ + ".")
              for name, fn in vars(m).items() if callable(fn) and not isinstance(fn, type | types.ModuleType)]


def classifier_as_loaded() -> bool:
    """No function of the classifier's modules replaced since they were loaded (see ``_AS_LOADED``)."""
    return all(ns.get(name) is fn for ns, name, fn in _AS_LOADED)


# --------------------------------------------------------------------------- the wire


def _write_frame(out: IO[bytes], data: bytes, job: int | None = None) -> None:
    """A frame: its length, then (a sample's) the job's number, then the pickle."""
    if job is None:
        out.write(_LEN.pack(len(data)))
    else:
        out.write(_LEN.pack(len(data) + _LEN.size) + _LEN.pack(job))
    out.write(data)
    out.flush()


class _Breach(Exception):
    """A worker's answer this process cannot take: the worker is broken (killed, classified here)."""


def _read_frame(inp: IO[bytes], limit: int | None = None) -> bytes | None:
    """The next frame; None at the end of the stream (or a partial frame). ``_Breach`` when its
    declared length passes ``limit``."""
    head = inp.read(_LEN.size)
    if len(head) < _LEN.size:
        return None
    (n,) = _LEN.unpack(head)
    if limit is not None and n > limit:
        raise _Breach(f"a frame of {n} bytes")
    data = inp.read(n)
    return data if len(data) == n else None


def _valid(verdict: object) -> bool:
    """An answer of a shape a worker gives: None, an exception's name, or the PersonalData found."""
    if verdict is None:
        return True
    if type(verdict) is str:
        return 0 < len(verdict) <= MAX_NAME
    return type(verdict) is tuple and all(type(p) is PersonalData for p in verdict)


def verdict_of(sample: Sample, options: Any) -> Verdict:
    """The classifier's answer on one sample, as the engine records it: found, or the exception's name."""
    from auditor.classify import classify

    try:
        return tuple(classify(sample, options))
    except Exception as exc:  # noqa: BLE001 - bad data in one dataset: a note, not a crash
        return exc.__class__.__name__


# --------------------------------------------------------------------------- the child


def _fixed_day(day: _dt.date) -> Any:
    """A stand-in for ``ids._today`` (which ``ids.today()`` calls with the second): always ``day``."""
    return lambda second: day



def _tie_to(parent: int) -> None:
    """The worker ends with ``parent`` even mid-sample (a run killed: OOM killer, a time limit): on
    Linux the kernel kills it (parent-death signal; the parent started it from a thread that lives
    as long as the pool), elsewhere a thread looks every second; and it writes no core file (a
    crash's core would hold the sample's values)."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    tied = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            tied = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # it died before it could be asked
        os._exit(0)
    if not tied:
        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(1.0)
            os._exit(0)

        threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def serve(parent: int | None = None) -> None:
    """The worker's loop (run by ``_BOOT`` in the child): options, then one verdict per sample."""
    if parent is not None:
        _tie_to(parent)
    # Ctrl-C reaches the terminal's whole process group: the run decides, its workers go on until
    # their input ends (this process's exit, however it exits, closes it)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    inp = sys.stdin.buffer
    out = os.fdopen(os.dup(1), "wb")  # the protocol's; fd 1 (stray prints) and 2 go nowhere
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    frame = _read_frame(inp)
    if frame is None:
        return
    options = pickle.loads(frame)
    verdict_of(Sample(fields={"email": ["a@example.com"]}), options)  # imports, patterns compiled: then ready
    _write_frame(out, pickle.dumps((0, "ready")))
    day: int | None = None
    while (frame := _read_frame(inp)) is not None:
        (job,) = _LEN.unpack_from(frame)  # the job's number, outside the pickle: answered whatever it holds
        try:
            fields, text, ordinal = pickle.loads(memoryview(frame)[_LEN.size:])
            del frame
            if ordinal != day:  # the sender's today (its clock may be shifted, a test's): the classifier's
                day = ordinal
                setattr(ids, "_today", _fixed_day(_dt.date.fromordinal(ordinal)))  # noqa: B010 - mypy
            verdict: Answer = verdict_of(Sample.model_construct(fields=fields, text=text, rows=None), options)
            del fields, text
        except Exception:  # noqa: BLE001 - a sample that cannot be read here: the engine classifies it
            verdict = None
        try:
            data = pickle.dumps((job, verdict), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001
            data = pickle.dumps((job, exc.__class__.__name__))
        _write_frame(out, data)


# --------------------------------------------------------------------------- this process


class Job(Future[Answer]):
    """A sample's verdict to come from ``worker``; ``size``: the sample's pickled bytes. Its result
    None: classify the sample here (the worker could not read it, or it was withdrawn unsent)."""

    def __init__(self, worker: _Worker, number: int, size: int) -> None:
        super().__init__()
        self.worker, self.number, self.size = worker, number, size
        self.queued_at = time.monotonic()
        self.sent = False  # taken by the writer (under the worker's lock): no longer withdrawable

    def late(self) -> bool:
        """Not answered, and either still queued ``LATE_SECONDS`` after queueing (then withdrawn:
        the worker never sees it) or its worker late (see ``LATE_SECONDS``): classify it here."""
        return not self.done() and self.worker.late_job(self)


class _Worker:
    """One worker process: a writer thread feeds its input from a bounded queue, a reader thread
    takes its answers."""

    def __init__(self, options_frame: bytes, name: str) -> None:
        self.ready = threading.Event()
        self.dead = False
        self._stopping = False
        self._pending: dict[int, Job] = {}  # job: its future, sent or queued
        # the jobs written (or being written) to the worker and not answered, in order: it answers the oldest next
        self._sent: collections.deque[int] = collections.deque()
        # the pending map, the job counter, ``dead``, the queue and its bytes, the last answer's time
        self._state = threading.Lock()
        self._wake = threading.Condition(self._state)  # the writer: a frame queued, or stop
        self._queue: collections.deque[tuple[Job | None, bytes]] = collections.deque()
        self.queued = 0  # bytes queued, the frame being written included
        self._answered = time.monotonic()
        self._next = 1
        # the import system reads only str and bytes entries of sys.path: the worker gets those (any other
        # would not pickle); a path that still does not pickle fails here, before any process
        boot = pickle.dumps(([p for p in sys.path if isinstance(p, str | bytes)], sys.get_int_max_str_digits(),
                             sys.getrecursionlimit(), os.getpid()))
        self._queue.extend([(None, boot), (None, options_frame)])
        self.proc = subprocess.Popen([sys.executable, "-I", "-c", _BOOT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, close_fds=True)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in, self._out = self.proc.stdin, self.proc.stdout
        self._reader = threading.Thread(target=self._read, name=name, daemon=True)
        self._writer = threading.Thread(target=self._write, name=f"{name}-in", daemon=True)
        try:
            self._reader.start()
            self._writer.start()
        except BaseException:  # no worker after all: its process must not run on
            self.proc.kill()
            self.proc.wait()
            self._in.close()
            if self._reader.is_alive():
                self._reader.join()  # it closes the output as it ends
            else:
                self._out.close()
            raise

    @property
    def load(self) -> int:
        return len(self._pending)

    def late(self) -> bool:
        """It owes verdicts and has not answered for ``LATE_SECONDS`` (some source's slow sample)."""
        with self._state:
            return self._late()

    def _late(self) -> bool:  # under self._state
        return bool(self._pending) and time.monotonic() - self._answered > LATE_SECONDS

    def late_job(self, job: Job) -> bool:
        """``job`` is late (see ``Job.late``); withdrawn from the queue if it was not sent yet."""
        with self._state:
            if job.sent or job.number not in self._pending:
                return self._late()
            if time.monotonic() - job.queued_at <= LATE_SECONDS and not self._late():
                return False
            for i, (queued, _) in enumerate(self._queue):
                if queued is job:
                    del self._queue[i]
                    break
            del self._pending[job.number]
            self.queued -= job.size
        job.set_result(None)  # nobody else sets it now: classified here
        return True

    def submit(self, data: bytes) -> Job | None:
        """Queues one sample (pickled fields and text) for the writer; None when the worker is gone
        or its queue would pass ``QUEUE_BYTES``: the caller classifies it in-process."""
        with self._state:
            if self.dead or (self.queued and self.queued + len(data) > QUEUE_BYTES):
                return None
            oldest = next((j for j, _ in self._queue if j is not None), None)
            if oldest is not None and time.monotonic() - oldest.queued_at > LATE_SECONDS / 2:
                return None  # a backlog that old: this one would be withdrawn too
            job, self._next = self._next, self._next + 1
            fut = Job(self, job, len(data))
            if not self._pending:  # idle until now: lateness counts from here
                self._answered = time.monotonic()
            self._pending[job] = fut
            self._queue.append((fut, data))
            self.queued += len(data)
            self._wake.notify()
        return fut

    def _write(self) -> None:
        """The writer thread: the queued frames in order (blocking on a full pipe, nobody else), then,
        at stop, the worker's input closed after the frame being written: the worker ends by itself."""
        try:
            while True:
                with self._wake:
                    # the boot frames at once; a job when fewer than WRITE_AHEAD are written and unanswered
                    while not self._stopping and (not self._queue or (
                            self._queue[0][0] is not None and len(self._sent) >= WRITE_AHEAD)):
                        self._wake.wait()
                    if not self._queue:
                        break
                    job, data = self._queue.popleft()
                    if job is not None:
                        # sent from now: its answer may come before the write returns (and an answer
                        # for a later job before this one's is still a broken worker)
                        job.sent = True
                        self._sent.append(job.number)
                _write_frame(self._in, data, None if job is None else job.number)
                with self._state:
                    self.queued -= len(data)
                del data
        except (OSError, ValueError):  # the worker is gone: the reader fails what it held
            with self._state:
                self.dead = True
        finally:
            try:
                self._in.close()
            except OSError:
                pass

    def _read(self) -> None:
        """The reader thread: takes the worker's answers, each for the oldest job written to it and
        of a verdict's shape; anything else (or a frame over ``MAX_ANSWER_BYTES``) is a broken worker:
        killed, its samples failed (classified here)."""
        broken = False
        try:
            while (frame := _read_frame(self._out, MAX_ANSWER_BYTES)) is not None:
                answer = pickle.loads(frame)
                del frame
                if type(answer) is not tuple or len(answer) != 2:
                    raise _Breach("not a (job, verdict) pair")
                job, verdict = answer
                if not self.ready.is_set():
                    if job != 0 or verdict != "ready":
                        raise _Breach("not ready")
                    self.ready.set()
                    continue
                if not _valid(verdict):
                    raise _Breach("a verdict of no known shape")
                with self._state:
                    if type(job) is not int or not self._sent or self._sent[0] != job:
                        raise _Breach("an answer for a job not the next written")
                    self._sent.popleft()
                    held = self._pending.pop(job, None)
                    self._answered = time.monotonic()
                    self._wake.notify()  # room to write ahead
                if held is not None:
                    held.set_result(verdict)
        except Exception as exc:  # noqa: BLE001 - a broken stream or a broken worker: dead
            broken = not isinstance(exc, OSError)  # a pipe's error: it died; else it said something wrong
            if broken:
                log.warning("classifier worker %s broke the protocol (%s): stopped, its samples classified here",
                            self.proc.pid, exc.__class__.__name__)
        finally:
            self._out.close()
        if broken:
            try:
                self.proc.kill()
            except OSError:
                pass
        with self._state:
            self.dead = True
            pending, self._pending = self._pending, {}
        was_ready = self.ready.is_set()
        self.ready.set()  # nobody waits for a worker that will never be ready
        for fut in pending.values():  # first: the sources classify these here now, not after the wait below
            fut.set_exception(WorkerDied())
        if pending or (not was_ready and not self._stopping):
            try:  # its output ended: it has exited, or is about to (read the code once it has)
                code: int | None = self.proc.wait(CLOSE_WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                code = None
            if pending:
                log.warning("classifier worker %s ended (exit code %s) with %d samples unanswered",
                            self.proc.pid, code, len(pending))
            else:
                log.warning("classifier worker %s ended before it was ready (exit code %s)", self.proc.pid, code)

    def stop(self) -> None:
        """No more samples (those queued are dropped): the writer finishes the frame it is writing
        and closes the worker's input, the worker returns; killed if it has not within
        ``CLOSE_WAIT_SECONDS`` of its last frame (or of this call, whichever is later)."""
        with self._wake:
            self.dead = self._stopping = True
            self._queue.clear()
            self._wake.notify()
        self._writer.join(CLOSE_WAIT_SECONDS)
        try:
            self.proc.wait(CLOSE_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # a writer blocked on its full input gets EPIPE
            self.proc.wait()
        self._writer.join(CLOSE_WAIT_SECONDS)
        self._reader.join(CLOSE_WAIT_SECONDS)


class ClassifyPool:
    """One run's workers, shared by its sources' threads; ``close`` at the end of the run."""

    def __init__(self, options: Any, workers: int, start_after: int = START_AFTER) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._options_frame = pickle.dumps(options)  # fails here, before any process, if it cannot cross
        self._n, self._start_after = workers, start_after
        self._lock = threading.Lock()
        self._seen = 0
        self._workers: list[_Worker] = []
        self._procs: list[subprocess.Popen] = []  # every worker started, dead or alive
        self._started = 0
        self._closed = False
        self._ready_by: float | None = None  # forced mode: until when samples wait for a worker to be ready
        # starts the workers, and lives until close: a worker dies with the thread that started it
        # (Linux's parent-death signal is the thread's), never with a source's thread that ends
        self._spawner: ThreadPoolExecutor | None = None

    @classmethod
    def for_run(cls, options: Any) -> ClassifyPool | None:
        """The pool a run uses, or None when it classifies in-process (one CPU, turned off, options that do not pickle)."""
        workers, start_after = configured()
        if workers < 1:
            return None
        try:
            return cls(options, workers, start_after)
        except Exception as exc:  # noqa: BLE001 - in-process, as before
            log.debug("classifying in-process: the classifier's options do not pickle (%s)", exc.__class__.__name__)
            return None

    def __enter__(self) -> ClassifyPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def processes(self) -> list[subprocess.Popen]:
        """The worker processes started so far (tests: none is left running)."""
        with self._lock:
            return list(self._procs)

    def _start(self) -> None:  # under self._lock
        live = [w for w in self._workers if not w.dead]
        while len(live) < self._n and self._started < self._n + MAX_RESTARTS:
            self._started += 1
            try:
                if self._spawner is None:
                    self._spawner = ThreadPoolExecutor(1, thread_name_prefix="classify-spawner")
                w = self._spawner.submit(_Worker, self._options_frame, name=f"classify-worker-{self._started}").result()
            except Exception as exc:  # noqa: BLE001 - no process (limits, no interpreter): in-process
                log.debug("classifier worker could not start (%s): classifying in-process", exc.__class__.__name__)
                self._started = self._n + MAX_RESTARTS
                return
            self._workers.append(w)
            self._procs.append(w.proc)
            live.append(w)
            log.debug("classifier worker %d started (pid %s)", self._started, w.proc.pid)

    def submit(self, sample: Sample, cancel: threading.Event | None = None) -> Job | None:
        """The future verdict on ``sample`` from a worker, or None: classify it in this process
        (too few samples yet, no worker ready or all late or their queues full, the pool closed, a
        sample that does not pickle, ``cancel`` set while waiting for a worker to be ready). The
        future's None, or its WorkerDied: classify it here too."""
        with self._lock:
            if self._closed:
                return None
            self._seen += 1
            if self._seen <= self._start_after:
                return None
            if self._start_after and not self._started and not spare_cpu():
                self._closed = True  # automatic mode on a busy machine: this run stays in-process
                log.debug("classifying in-process: no core to spare (load average %.1f)", os.getloadavg()[0])
                return None
            self._start()
            live = [w for w in self._workers if not w.dead]
        if not live:
            return None
        if self._start_after == 0 and not any(w.ready.is_set() for w in live):
            # forced on: the worker's path from the first sample; a pool waits READY_WAIT_SECONDS in
            # all (not at every sample: a worker never ready would hold each for as long)
            with self._lock:
                if self._ready_by is None:
                    self._ready_by = time.monotonic() + READY_WAIT_SECONDS
                ready_by = self._ready_by
            while (left := ready_by - time.monotonic()) > 0 and not live[0].ready.wait(min(left, POLL_SECONDS)):
                if cancel is not None and cancel.is_set():
                    return None
        ready = [w for w in live if w.ready.is_set() and not w.dead and not w.late()]
        if not ready or not classifier_as_loaded():
            return None
        try:
            # with this process's today: the worker classifies as of it (dates of birth, ID numbers' years)
            data = pickle.dumps((sample.fields, sample.text, ids.today().toordinal()), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - a value of a type that cannot cross: this one in-process
            return None
        for w in sorted(ready, key=lambda w: w.load):
            if (job := w.submit(data)) is not None:
                return job
        return None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._workers = self._workers, []
            spawner, self._spawner = self._spawner, None
        for w in workers:
            w.stop()
        if spawner is not None:
            spawner.shutdown()
