"""The classifier pool against workers that misbehave (garbage answers, output closed, a parent
killed), slow samples of one source amid another's, and interpreter state the worker must share
with this process (clock, recursion limit). Found by review (rpool); each test failed before its fix.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import fake_classify_worker
import pytest
from test_classify_pool import Slow
from test_classify_pool_engine import Counting, collect
from test_engine_overlap import (  # noqa: F401 - scripted: the fixture
    AS_OF,
    config,
    emails,
    observation,
    same_outcome,
    scripted,
)

from auditor import classify_pool, engine
from auditor.classify_pool import ClassifyPool, verdict_of
from auditor.models import Sample
from auditor.redact import Redactor

pytestmark = pytest.mark.filterwarnings("error::ResourceWarning", "error::pytest.PytestUnraisableExceptionWarning")

FAKE_BOOT = classify_pool._BOOT.replace("from auditor.classify_pool import serve; serve(parent)",
                                        "from fake_classify_worker import serve; serve()")


def fast_stream(n: int = 30):
    def script(connector):
        for i in range(n):
            yield observation(connector, f"t{i:03d}", emails(i))
    return script


# --------------------------------------------------------------------------- garbage answers


@pytest.mark.parametrize("mode", ["int", "strs", "ahead"])
def test_a_worker_answering_garbage_changes_no_outcome(scripted, tmp_path, monkeypatch, mode):
    """R1: only an answer for the oldest job written to the worker, of a verdict's shape, is taken;
    else the worker is killed and its samples classified here. Before: a verdict of no known shape
    ("int": noted "classifier failed: 42"; "strs": a tuple of str as personal_data, the source
    crashed) or an answer for a job not yet read ("ahead": sample k+1 got () - a silent pass)."""
    scripted["main"] = fast_stream()
    off = collect(tmp_path, monkeypatch)
    monkeypatch.setenv(fake_classify_worker.ENV, mode)
    monkeypatch.setattr(classify_pool, "_BOOT", FAKE_BOOT)
    scripted["main"] = fast_stream()
    with Counting(None, 1, start_after=0) as pool:
        try:
            on = collect(tmp_path, monkeypatch, pool=pool)
        except Exception as exc:  # noqa: BLE001 - a crash is a difference too
            pytest.fail(f"the engine raised {exc!r}")
        assert pool.jobs  # the samples went to the (fake) worker
    same_outcome(off, on)


def test_an_answer_that_comes_before_the_write_returns_is_taken(monkeypatch):
    """R1's check, honest worker: the answer can arrive before the writer thread, descheduled after
    the frame's last byte, records the write; it is the oldest job sent, not a breach (a loaded
    machine killed healthy workers so)."""
    real = classify_pool._write_frame

    def slow_return(out, data, job=None):
        real(out, data, job)
        if job is not None:
            time.sleep(0.5)  # the worker has the frame and answers meanwhile

    monkeypatch.setattr(classify_pool, "_write_frame", slow_return)
    with ClassifyPool(None, 1, start_after=0) as pool:
        for i in range(3):
            sample = Sample(fields={"email": emails(i)})
            assert pool.submit(sample).result(60) == verdict_of(sample, None)
        assert len(pool.processes) == 1 and pool.processes[0].poll() is None


# --------------------------------------------------------------------------- the worker's interpreter state


def nested(depth: int) -> list:
    value: list = ["lee.wei@example.com"]
    for _ in range(depth):
        value = [value]
    return value


def test_the_worker_has_this_process_s_recursion_limit():
    """R2 (low): like the int-digits limit, sys.getrecursionlimit() is forwarded: a process that
    raised it classifies a nested document (the classifier's json.dumps of a dict/list value)
    where the worker, at the default 1000, failed ("classifier failed: ClassifyError"). (At the
    default limit pickle.dumps fails first, at ~500 levels, so the sample stays here.)"""
    import sys

    sample = Sample(fields={"contact": [nested(1200)] * 3, "email": emails(1)})
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(4000)
    try:
        here = verdict_of(sample, None)
        with ClassifyPool(None, 1, start_after=0) as pool:
            job = pool.submit(sample)
            assert job is not None  # it pickles at this limit: it goes to the worker
            there = job.result(60)
    finally:
        sys.setrecursionlimit(before)
    assert isinstance(here, tuple)
    assert there == here


def test_the_worker_classifies_on_this_process_s_clock():
    """R3: dates of birth are judged against the classifier's today (auditor.classify.ids.today):
    each sample carries this process's, which may not be the kernel's (the suite's own
    AUDITOR_TEST_CLOCK_SHIFT_DAYS guard runs the engine under freezegun, ticking)."""
    import freezegun

    born = (dt.date.today() - dt.timedelta(days=100)).isoformat()  # born 100 days ago (real clock)
    sample = Sample(fields={"date_of_birth": [born] * 20, "email": emails(1)})
    with freezegun.freeze_time(dt.datetime.now() - dt.timedelta(days=365), tick=True):
        here = verdict_of(sample, None)  # a year ago: that birth date is in the future, not one
        with ClassifyPool(None, 1, start_after=0) as pool:
            there = pool.submit(sample).result(60)
    assert there == here


def test_a_replaced_classifier_function_keeps_the_samples_here(monkeypatch):
    """R3: a validator replaced in this process (a test's monkeypatch) is not the worker's: while
    any function of the classifier's modules differs from the one loaded, samples stay here."""
    from auditor.classify import validators

    with ClassifyPool(None, 1, start_after=0) as pool:
        assert classify_pool.classifier_as_loaded()
        assert pool.submit(Sample(fields={"email": emails(1)})) is not None
        monkeypatch.setattr(validators, "email", lambda value: None)
        assert not classify_pool.classifier_as_loaded()
        assert pool.submit(Sample(fields={"email": emails(1)})) is None
        monkeypatch.undo()
        assert pool.submit(Sample(fields={"email": emails(1)})) is not None


# --------------------------------------------------------------------------- one source's slow samples


def test_a_steady_but_slow_worker_does_not_hold_another_source_s_sample(monkeypatch):
    """R4: a sample still queued here LATE_SECONDS after queueing is withdrawn (classified here,
    never by the worker). Before, lateness was the worker's only (no answer for LATE_SECONDS): a
    source's sample queued behind another's slow ones waited for all of them, as long as each took
    less than LATE_SECONDS (here 8 x 0.8 s with LATE_SECONDS 1: ~6 s for a millisecond sample)."""
    monkeypatch.setattr(classify_pool, "LATE_SECONDS", 1.0)
    with ClassifyPool(None, 1, start_after=0) as pool:
        assert pool.submit(Sample(fields={"email": emails(0)})).result(60)  # ready
        a_jobs = [pool.submit(Sample(fields={"x": [Slow(0.8)]})) for _ in range(8)]  # source a
        assert all(a_jobs)
        b_job = pool.submit(Sample(fields={"email": emails(1)}))  # source b
        assert b_job is not None
        t0 = time.monotonic()
        verdict = engine._verdict(b_job, threading.Event())  # what b's thread does: wait unless late
        waited = time.monotonic() - t0
        assert verdict is None and b_job.result() is None  # withdrawn: classified here
    assert waited < 3.5, f"source b waited {waited:.1f}s for one sample (got {verdict!r})"


def two_sources(tmp_path, timeout: int):
    from auditor.config import parse_config
    return parse_config(f"""
state: sqlite:///{tmp_path / 'state.db'}
source_timeout_seconds: {timeout}
vendors: [{{id: v}}]
sources:
  - {{id: a, vendor: v, kind: scripted, script: a}}
  - {{id: b, vendor: v, kind: scripted, script: b}}
""", str(tmp_path / "auditor.yaml"))


@pytest.mark.parametrize("procs", ["0", "1"])
def test_one_source_s_many_slowish_samples_do_not_time_out_the_others(scripted, tmp_path, monkeypatch, procs):
    """R4 end to end: source a's samples take 2 s each (under LATE_SECONDS, so the worker is never
    late); source b's fast samples queued behind them are withdrawn (and then not queued there):
    only a times out, as in-process (before, b timed out too with the pool)."""
    monkeypatch.setenv(classify_pool.ENV, procs)

    def a(connector):
        for i in range(20):
            obs = observation(connector, f"a{i:03d}")
            obs.sample = Sample(fields={"email": [Slow(2.0)]})
            yield obs

    def b(connector):
        time.sleep(1.0)  # a's samples are queued first
        for i in range(40):
            yield observation(connector, f"t{i:03d}", emails(i))

    scripted["a"], scripted["b"] = a, b
    cfg = two_sources(tmp_path, 10)
    out = {o.result.id: o for o in engine.collect_all(cfg, cfg.sources, AS_OF, Redactor())}
    assert out["a"].result.status == "error"  # timed out, either way
    assert out["b"].result.status == "ok" and out["b"].result.datasets == 40


# --------------------------------------------------------------------------- huge, empty, many


def test_huge_and_empty_samples_give_the_in_process_outcome(scripted, tmp_path, monkeypatch):
    """a sample over QUEUE_BYTES and IN_FLIGHT_BYTES (~3 MB), empty samples, between
    ordinary ones: the in-process outcome."""
    def script(connector):
        for i in range(12):
            obs = observation(connector, f"t{i:03d}", emails(i))
            if i == 4:
                obs.sample = Sample(fields={"email": emails(i), "blob": [f"{k:05d}" + "q" * 3000 for k in range(1000)]})
            if i in (6, 7):
                obs.sample = Sample()
            yield obs

    scripted["main"] = script
    off = collect(tmp_path, monkeypatch)
    with Counting(None, 1, start_after=0) as pool:
        on = collect(tmp_path, monkeypatch, pool=pool)
        assert len(pool.jobs) >= 10
    same_outcome(off, on)


def test_many_sources_at_once(scripted, tmp_path, monkeypatch):
    """10 sources, 2 forced workers, small bounds: each outcome is the in-process one."""
    from auditor.config import parse_config

    monkeypatch.setattr(classify_pool, "QUEUE_BYTES", 4096)
    monkeypatch.setattr(engine, "IN_FLIGHT_BYTES", 2048)
    for k in range(10):
        scripted[f"s{k}"] = fast_stream(25 + k)
    srcs = "\n".join(f"  - {{id: s{k}, vendor: v, kind: scripted, script: s{k}}}" for k in range(10))
    cfg = parse_config(f"state: sqlite:///{tmp_path / 'state.db'}\nconcurrency: 10\nvendors: [{{id: v}}]\n"
                       f"sources:\n{srcs}\n", str(tmp_path / "auditor.yaml"))
    outs = []
    for procs in ("0", "2"):
        monkeypatch.setenv(classify_pool.ENV, procs)
        outs.append(engine.collect_all(cfg, cfg.sources, AS_OF, Redactor()))
    for a, b in zip(*outs):
        same_outcome(a, b)


# --------------------------------------------------------------------------- minor


def test_a_worker_whose_output_ends_fails_its_samples_at_once(monkeypatch):
    """R5 (low): the reader fails the samples with WorkerDied, then waits (up to
    CLOSE_WAIT_SECONDS) for the exit code for its log line; it waited first, and the sources with it."""
    monkeypatch.setenv(fake_classify_worker.ENV, "closeout")
    monkeypatch.setattr(classify_pool, "CLOSE_WAIT_SECONDS", 3.0)
    monkeypatch.setattr(classify_pool, "_BOOT", FAKE_BOOT)
    with ClassifyPool(None, 1, start_after=0) as pool:
        job = pool.submit(Sample(fields={"email": emails(1)}))
        assert job is not None
        t0 = time.monotonic()
        assert engine._verdict(job, threading.Event()) is None
        waited = time.monotonic() - t0
    assert waited < 1.5, f"{waited:.1f}s"  # it waited CLOSE_WAIT_SECONDS (3 s) for the exit code first


def test_a_busy_worker_does_not_outlive_a_killed_run(tmp_path):
    """R6: a worker stuck on a sample dies with its run's process (killed: OOM killer, a hard time
    limit); it ran on, orphaned, until that sample ended (here 60 s; a pathological one: for ever)."""
    import os
    import signal
    import subprocess
    import sys

    script = tmp_path / "run.py"
    script.write_text(
        "import sys, time\n"
        f"sys.path[:0] = [{os.path.dirname(__file__)!r}]\n"
        "from test_classify_pool import Slow\n"
        "from auditor.classify_pool import ClassifyPool\n"
        "from auditor.models import Sample\n"
        "pool = ClassifyPool(None, 1, start_after=0)\n"
        "job = pool.submit(Sample(fields={'x': [Slow(60)]}))\n"
        "print(pool.processes[0].pid, flush=True)\n"
        "time.sleep(120)\n")
    run = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(run.stdout.readline())
        time.sleep(0.5)
        run.kill()
        run.wait()
        time.sleep(2.0)
        try:
            os.kill(worker, 0)
            alive = True
            os.kill(worker, signal.SIGKILL)
        except ProcessLookupError:
            alive = False
    finally:
        run.stdout.close()
    assert not alive, "the worker outlived its run"


def test_a_worker_outlives_the_source_thread_that_started_it_and_writes_no_core():
    """R6: Linux's parent-death signal is the starting *thread's*: workers are started by the pool's
    own thread, so one started by a source that has since ended keeps serving; its core limit is 0."""
    with ClassifyPool(None, 1, start_after=0) as pool:
        first: list = []
        t = threading.Thread(target=lambda: first.append(pool.submit(Sample(fields={"email": emails(0)}))))
        t.start()
        t.join()
        assert first[0] is not None and first[0].result(60)
        time.sleep(0.3)
        assert pool.submit(Sample(fields={"email": emails(1)})).result(60)
        assert len(pool.processes) == 1 and pool.processes[0].poll() is None
        try:
            with open(f"/proc/{pool.processes[0].pid}/limits") as f:
                limits = f.read()
        except OSError:
            limits = None
    if limits is not None:
        (core,) = [line for line in limits.splitlines() if line.startswith("Max core file size")]
        assert core.split()[4:6] == ["0", "0"], core


def test_a_garbage_length_prefix_fails_the_worker_not_the_run(monkeypatch):
    """An answer declaring 2**62 bytes (over MAX_ANSWER_BYTES) is a broken worker: its
    sample is classified here, promptly."""
    monkeypatch.setenv(fake_classify_worker.ENV, "hugelen")
    monkeypatch.setattr(classify_pool, "_BOOT", FAKE_BOOT)
    with ClassifyPool(None, 1, start_after=0) as pool:
        job = pool.submit(Sample(fields={"email": emails(1)}))
        t0 = time.monotonic()
        assert engine._verdict(job, threading.Event()) is None
        assert time.monotonic() - t0 < 5
