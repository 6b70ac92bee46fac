"""A source's samples classified in the run's worker processes (``pool``, auditor.classify_pool)
give the outcome classifying them in the source's thread gives: the same datasets in the
connector's order, progress calls and log lines; the samples a worker that dies
held are classified here (as are those it cannot read or answers late), never a silent pass;
cancel still ends the source; no process outlives the run.

The scripted connector and its streams are test_engine_overlap's.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import pytest
from test_classify_pool import FatalInWorker, Slow
from test_engine_overlap import (  # noqa: F401 - scripted: the fixture
    AS_OF,
    Trace,
    config,
    emails,
    observation,
    readers_left,
    same_outcome,
    scripted,
    stream,
)

from auditor import classify_pool, engine
from auditor.classify_pool import ClassifyPool
from auditor.models import CollectionError, Observation, Sample
from auditor.redact import Redactor

DIED = "classifier failed: worker process died"


# no pipe or process of a worker left unclosed (found by review): an unclosed file's ResourceWarning,
# reported as it is collected, fails the test that is running then
pytestmark = pytest.mark.filterwarnings("error::ResourceWarning", "error::pytest.PytestUnraisableExceptionWarning")

class Counting(ClassifyPool):
    """A forced pool that records how many of its samples were in flight at each submit."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.jobs: list = []
        self.most = 0
        self.most_bytes = 0  # pickled bytes of those

    def submit(self, sample, cancel=None):
        self.most = max(self.most, sum(1 for j in self.jobs if not j.done()))
        self.most_bytes = max(self.most_bytes, sum(j.size for j in self.jobs if not j.done()))
        job = super().submit(sample, cancel)
        if job is not None:
            self.jobs.append(job)
        return job


def collect(tmp_path, monkeypatch, pool=None, ahead: int = 4, cancel=None, progress=None):
    monkeypatch.setattr(engine, "COLLECT_AHEAD", ahead)
    cfg = config(tmp_path)
    return engine._collect_source(cfg.sources[0], cfg, AS_OF, cancel or threading.Event(), Redactor(), progress,
                                  pool=pool)


def both(tmp_path, monkeypatch, make_script, caplog, **kw):
    """(in-process outcome, its progress and engine log; the same with a forced pool; the pool)."""
    got = []
    pool = Counting(None, 1, start_after=0)
    try:
        for p in (None, pool):
            seen: list[tuple[str, int]] = []
            caplog.clear()
            with caplog.at_level(logging.DEBUG, logger="auditor.engine"):
                out = collect(tmp_path, monkeypatch, pool=p, progress=lambda s, n, seen=seen: seen.append((s, n)), **kw)
            logs = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "auditor.engine"
                    and not r.getMessage().startswith("source s (scripted): ")]  # its last line has the time taken
            got.append((out, seen, logs))
    finally:
        pool.close()
    assert all(p.poll() is not None for p in pool.processes)
    return got[0], got[1], pool


def test_a_stream_classified_in_a_worker_gives_the_in_process_outcome(scripted, tmp_path, monkeypatch, caplog):
    scripted["main"] = stream(Trace(), 40, errors_every=7)
    (a, a_seen, a_logs), (b, b_seen, b_logs), pool = both(tmp_path, monkeypatch, None, caplog)
    same_outcome(a, b)
    assert a_seen == b_seen == [("s", n) for n in range(1, 41)]
    assert a_logs == b_logs and len(a_logs) == 40  # one debug line per dataset, in order
    assert [d.name for d in b.datasets] == [f"t{i:03d}" for i in range(40)]
    assert all(d.personal_data[0].type == "email" and d.classified for d in b.datasets)
    assert len(pool.jobs) == 40  # every sample went to the worker
    assert 1 <= pool.most <= classify_pool.IN_FLIGHT  # bounded in flight for the source
    assert not readers_left()


def test_a_connector_raising_mid_stream_keeps_what_the_worker_classified(scripted, tmp_path, monkeypatch, caplog):
    scripted["main"] = stream(Trace(), 40, fail_at=13)
    (a, _, a_logs), (b, _, b_logs), pool = both(tmp_path, monkeypatch, None, caplog)
    same_outcome(a, b)
    assert b.result.status == "error" and b.result.datasets == 13
    assert [d.name for d in b.datasets] == [f"t{i:03d}" for i in range(13)]
    assert a_logs == b_logs


def test_an_exception_while_keeping_a_dataset_is_the_source_error_as_in_process(scripted, tmp_path, monkeypatch,
                                                                               caplog):
    real = engine._with_capabilities

    def fails_at_t005(ds, cls):
        if ds.name == "t005":
            raise ValueError("a dataset the engine cannot take")
        return real(ds, cls)

    monkeypatch.setattr(engine, "_with_capabilities", fails_at_t005)
    scripted["main"] = stream(Trace(), 40, errors_every=3)
    (a, _, _), (b, _, _), _ = both(tmp_path, monkeypatch, None, caplog)
    same_outcome(a, b)
    assert b.result.error == "ValueError: a dataset the engine cannot take"
    assert [d.name for d in b.datasets] == [f"t{i:03d}" for i in range(5)]
    # the not-readable items read before the failure and after it: only those before, as in-process
    # (they were all kept, read ahead of the datasets in flight; found by review)
    assert [e.dataset for e in b.errors] == ["t0", "t3"]


def test_samples_queued_behind_a_healthy_worker_are_classified_once(scripted, tmp_path, monkeypatch):
    """Each sample is classified once: by the worker, or here when withdrawn from the queue before
    it was sent (LATE_SECONDS after queueing); a worker answering steadily is not late, so none
    that was sent is classified here too (they were, once LATE_SECONDS had passed since queueing)."""
    monkeypatch.setattr(classify_pool, "LATE_SECONDS", 1.0)
    here: list = []
    real = engine.verdict_of
    monkeypatch.setattr(engine, "verdict_of", lambda s, o: here.append(s) or real(s, o))

    def script(connector):
        for i in range(12):
            obs = observation(connector, f"t{i:03d}")
            obs.sample = Sample(fields={"email": [*emails(i), Slow(0.3)]})  # 3.6 s of work, read at once
            yield obs

    scripted["main"] = script
    with Counting(None, 1, start_after=0) as pool:
        out = collect(tmp_path, monkeypatch, pool=pool)
    answered = [j for j in pool.jobs if j.result() is not None]  # the rest: withdrawn unsent (None) or never sent
    assert len(answered) + len(here) == 12 and len(answered) >= classify_pool.WRITE_AHEAD
    assert all(not j.sent for j in pool.jobs if j.result() is None)
    assert [d.name for d in out.datasets] == [f"t{i:03d}" for i in range(12)]
    assert all(d.personal_data[0].type == "email" for d in out.datasets)


def test_samples_in_flight_are_bounded_by_their_bytes(scripted, tmp_path, monkeypatch, caplog):
    """At most IN_FLIGHT_BYTES of a source's samples (pickled) are in flight (up to IN_FLIGHT of
    any size were; found by review)."""
    def script(connector):
        for i in range(24):
            obs = observation(connector, f"t{i:03d}")
            obs.sample = Sample(fields={"email": [*emails(i), Slow(0.05)],  # a worker slower than the connector
                                        "blob": [f"{i:04d}{k:03d}" + "z" * 2000 for k in range(100)]})  # ~200 KB
            yield obs

    scripted["main"] = script
    (a, _, _), (b, _, _), pool = both(tmp_path, monkeypatch, None, caplog)
    same_outcome(a, b)
    assert len(pool.jobs) == 24
    assert 0 < pool.most_bytes <= engine.IN_FLIGHT_BYTES < 16 * 200_000


def mixed(fatal_at: int | None):
    """Datasets with samples, without, not assessed; ``fatal_at``: that one's sample ends the worker."""
    def script(connector):
        for i in range(30):
            obs = observation(connector, f"t{i:03d}", emails(i) if i % 5 != 4 else None)
            if i % 9 == 8:
                obs = Observation(dataset=obs.dataset.model_copy(update={"status": "error", "error": "gone"}),
                                  sample=obs.sample)
            if i == fatal_at:
                obs.sample = Sample(fields={"email": [*emails(i), FatalInWorker()]})
            yield obs
    return script


def test_datasets_without_samples_or_not_assessed_keep_their_place(scripted, tmp_path, monkeypatch, caplog):
    scripted["main"] = mixed(None)
    (a, a_seen, _), (b, b_seen, _), pool = both(tmp_path, monkeypatch, None, caplog)
    same_outcome(a, b)
    assert a_seen == b_seen
    assert len(pool.jobs) == 30 - 6 - 3  # samples of assessed datasets only


def test_a_worker_that_dies_changes_no_outcome(scripted, tmp_path, monkeypatch):
    """The samples a dead worker held are classified here: the outcome is the in-process one (they
    were noted "classifier failed: worker process died"; found by review)."""
    scripted["main"] = mixed(None)
    expected = collect(tmp_path, monkeypatch)
    scripted["main"] = mixed(10)
    with Counting(None, 1, start_after=0) as pool:
        out = collect(tmp_path, monkeypatch, pool=pool)
    scripted["main"] = mixed(10)
    fatal_here = collect(tmp_path, monkeypatch)  # in-process: the same samples, t010's FatalInWorker as text
    assert out.result == expected.result and out.errors == expected.errors
    assert [d.name for d in out.datasets] == [d.name for d in expected.datasets]
    assert out.datasets == fatal_here.datasets
    assert not any(DIED in d.notes for d in out.datasets)
    assert len(pool.processes) == 2 and all(p.poll() is not None for p in pool.processes)


def test_cancel_while_a_worker_is_busy_returns_without_waiting_for_it(scripted, tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "CANCEL_POLL_SECONDS", 0.01)

    def script(connector):
        yield observation(connector, "t000", emails(0))
        obs = observation(connector, "t001")
        obs.sample = Sample(fields={"email": [Slow(120)]})
        yield obs
        yield observation(connector, "t002", emails(2))

    scripted["main"] = script
    cancel = threading.Event()

    def progress(source: str, n: int) -> None:  # t000 kept: cancel while t001 is in the worker
        threading.Timer(0.5, cancel.set).start()

    t0 = time.monotonic()
    with ClassifyPool(None, 1, start_after=0) as pool:
        out = collect(tmp_path, monkeypatch, pool=pool, cancel=cancel, progress=progress)
    assert time.monotonic() - t0 < 30
    assert out.result.status == "ok" and [d.name for d in out.datasets] == ["t000"]
    assert all(p.poll() is not None for p in pool.processes)


def test_a_celery_unit_classifies_inline_whatever_the_pool(scripted, tmp_path, monkeypatch):
    scripted["main"] = stream(Trace(), 10)
    with Counting(None, 1, start_after=0) as pool:
        out = collect(tmp_path, monkeypatch, pool=pool, ahead=0)
        assert pool.processes == [] and pool.jobs == []
    assert out.result.datasets == 10 and all(d.classified for d in out.datasets)


@pytest.mark.parametrize("n, started", [(5, False), (40, True)])
def test_a_run_starts_its_pool_after_many_samples_and_ends_it(scripted, tmp_path, monkeypatch, n, started):
    monkeypatch.delenv(classify_pool.ENV, raising=False)
    monkeypatch.setattr(classify_pool, "usable_cpus", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.0, 1.0, 1.0))  # a core to spare, whatever runs now
    monkeypatch.setattr(classify_pool, "START_AFTER", 8)
    pools: list[ClassifyPool] = []
    real = ClassifyPool.for_run.__func__

    def for_run(cls, options):
        pool = real(cls, options)
        pools.append(pool)
        return pool

    monkeypatch.setattr(ClassifyPool, "for_run", classmethod(for_run))

    def script(connector):  # a slow store: the worker is ready before the stream ends
        for i in range(n):
            time.sleep(0.1 if i >= 8 else 0)
            yield observation(connector, f"t{i:03d}", emails(i))

    scripted["main"] = script
    cfg = config(tmp_path)
    [out] = engine.collect_all(cfg, cfg.sources, AS_OF, Redactor())
    assert out.result.datasets == n
    [pool] = pools
    assert bool(pool.processes) is started
    assert all(p.poll() is not None for p in pool.processes)  # ended with the run


def test_a_run_turned_off_has_no_pool(scripted, tmp_path, monkeypatch):
    monkeypatch.setenv(classify_pool.ENV, "0")
    monkeypatch.setattr(ClassifyPool, "submit", lambda self, s: pytest.fail("no pool when turned off"))
    scripted["main"] = stream(Trace(), 40)
    cfg = config(tmp_path)
    [out] = engine.collect_all(cfg, cfg.sources, AS_OF, Redactor())
    assert out.result.datasets == 40


@pytest.mark.parametrize("where", ["error item", "send"])
def test_an_exception_after_reading_keeps_the_datasets_in_flight_before_it(scripted, tmp_path, monkeypatch, where):
    """An exception while taking a not-readable item, or while sending a sample, is the source's
    error; the datasets in flight before it are kept, as in-process (they were dropped; found by review)."""
    real_scrub, real_sent = engine.scrub_text, engine._sent

    def scrub(text):
        if "boom" in text:
            raise ValueError("cannot scrub")
        return real_scrub(text)

    def sent(pool, obs, cancel):
        if obs.dataset.name == "t010":
            raise ValueError("cannot send")
        return real_sent(pool, obs, cancel)

    if where == "error item":
        monkeypatch.setattr(engine, "scrub_text", scrub)
    else:
        monkeypatch.setattr(engine, "_sent", sent)

    def script(connector):
        for i in range(10):
            yield observation(connector, f"t{i:03d}", emails(i))
        if where == "error item":
            yield CollectionError(source=connector.source.id, dataset="x", kind="table", reason="boom")
        else:
            yield observation(connector, "t010", emails(10))

    scripted["main"] = script
    monkeypatch.setattr(engine, "_sent", real_sent)
    off = collect(tmp_path, monkeypatch)
    if where == "send":
        monkeypatch.setattr(engine, "_sent", sent)
    with Counting(None, 1, start_after=0) as pool:
        on = collect(tmp_path, monkeypatch, pool=pool)
    assert on.result.status == "error" and on.result.datasets == 10
    assert [d.name for d in on.datasets] == [f"t{i:03d}" for i in range(10)]
    assert on.datasets == off.datasets[:10]  # (in-process, nothing is sent: only the error item fails there)
    if where == "error item":
        assert off.result == on.result


class UnreadableEmail(str):
    """An address (a plugin's typed value) that pickles here and cannot be unpickled in the worker."""

    def __reduce__(self):
        return (_email_here_only, (str(self),))


def _email_here_only(text):
    if os.environ.get("CLASSPROC_IN_WORKER") == "1":
        raise RuntimeError("cannot be rebuilt here")
    return UnreadableEmail(text)


def test_a_sample_the_worker_cannot_read_is_classified_here(scripted, tmp_path, monkeypatch):
    """Not "classifier failed: RuntimeError": classified in this process, as with no pool (found by review)."""
    monkeypatch.setenv("CLASSPROC_IN_WORKER", "1")  # the worker inherits it; this process does not unpickle

    def script(connector):
        for i in range(6):
            obs = observation(connector, f"t{i:03d}", emails(i + 1))
            if i % 2:
                obs.sample = Sample(fields={"email": [UnreadableEmail(v) for v in emails(i + 1)]})
            yield obs

    scripted["main"] = script
    off = collect(tmp_path, monkeypatch)
    with Counting(None, 1, start_after=0) as pool:
        on = collect(tmp_path, monkeypatch, pool=pool)
        assert len(pool.jobs) == 6
    assert on.datasets == off.datasets
    assert all(d.classified and d.personal_data[0].type == "email" and not d.notes for d in on.datasets)


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
def test_one_source_s_slow_sample_does_not_time_out_the_others(scripted, tmp_path, monkeypatch, procs):
    """One worker serves every source: a late verdict (a sample stuck there) is not waited for, the
    sample is classified here and the busy worker is given no more; in-process, only the slow source
    times out (found by review)."""
    monkeypatch.setenv(classify_pool.ENV, procs)

    def a(connector):
        obs = observation(connector, "big")
        obs.sample = Sample(fields={"email": [Slow(30)]})
        yield obs

    def b(connector):
        time.sleep(1.5)  # the worker is already busy with a's sample
        for i in range(40):
            yield observation(connector, f"t{i:03d}", emails(i))

    scripted["a"], scripted["b"] = a, b
    cfg = two_sources(tmp_path, 8)
    out = {o.result.id: o for o in engine.collect_all(cfg, cfg.sources, AS_OF, Redactor())}
    assert out["a"].result.status == "error"  # timed out, either way
    assert out["b"].result.status == "ok" and out["b"].result.datasets == 40
    assert all(d.classified and d.personal_data for d in out["b"].datasets[1:])
