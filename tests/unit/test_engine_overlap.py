"""The connector's generator runs in a thread of its own, a few observations ahead of their
classification (auditor.overlap, ``engine.COLLECT_AHEAD``): whatever happens, a source's outcome
is the one it had when both ran one after the other in the source's thread.

Faults are injected through an in-process connector kind whose ``collect`` is a script the
test writes; every script records the thread it ran in and how many times its ``finally`` ran.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from auditor import engine, overlap, registry
from auditor.config import parse_config
from auditor.models import CollectionError, Dataset, Observation, Sample
from auditor.overlap import Overlapped
from auditor.redact import Redactor
from connectors.base import Options as BaseOptions

AS_OF = datetime(2026, 1, 15, tzinfo=UTC)
SCRIPTS: dict[str, Callable[[Any], Iterator[Observation | CollectionError]]] = {}


class ScriptedConnector:
    """``collect`` runs ``SCRIPTS[options.script]``: the test's generator."""

    kind = "scripted"

    class Options(BaseOptions):
        script: str

    def __init__(self, source, ctx):
        self.source, self.ctx = source, ctx

    def collect(self):
        return SCRIPTS[self.source.options.script](self)


@pytest.fixture
def scripted():
    from connectors import load_builtin

    load_builtin()
    registry.connectors.add("scripted", ScriptedConnector)
    yield SCRIPTS
    registry.connectors.remove("scripted")
    SCRIPTS.clear()


class Trace:
    """What a script's generator did: the threads it ran in, items yielded, finally blocks run."""

    def __init__(self) -> None:
        self.threads: set[int] = set()
        self.yielded = 0
        self.finallies = 0
        self.closed_in: int | None = None
        self.lock = threading.Lock()

    def ran(self) -> None:
        self.threads.add(threading.get_ident())

    def closing(self) -> None:
        self.finallies += 1
        self.closed_in = threading.get_ident()


def observation(connector, name: str, values: list[str] | None = None) -> Observation:
    ds = Dataset(source=connector.source.id, vendor=connector.source.vendor.id, kind="table", name=name,
                 uri=f"scripted://{name}", records=len(values or ()), columns=("email",))
    return Observation(dataset=ds, sample=Sample(fields={"email": values}) if values is not None else None)


def emails(i: int) -> list[str]:
    return [f"user{i}.{j}@example.com" for j in range(5)] + ["n/a"] * (i % 3)


def config(tmp_path):
    text = f"""
state: sqlite:///{tmp_path / 'state.db'}
vendors: [{{id: v}}]
sources:
  - {{id: s, vendor: v, kind: scripted, script: main}}
"""
    return parse_config(text, str(tmp_path / "auditor.yaml"))


def collect(tmp_path, ahead: int, monkeypatch, cancel: threading.Event | None = None,
            progress: Callable[[str, int], None] | None = None):
    monkeypatch.setattr(engine, "COLLECT_AHEAD", ahead)
    cfg = config(tmp_path)
    return engine._collect_source(cfg.sources[0], cfg, AS_OF, cancel or threading.Event(), Redactor(), progress)


def readers_left() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.endswith("-collect") and t.is_alive()]


def same_outcome(a, b) -> None:
    assert a.result == b.result
    assert a.datasets == b.datasets
    assert a.errors == b.errors


# --------------------------------------------------------------------------- the engine


def stream(trace: Trace, n: int, fail_at: int | None = None, errors_every: int = 0):
    def script(connector):
        trace.ran()
        try:
            for i in range(n):
                if fail_at is not None and i == fail_at:
                    raise RuntimeError("lost the connection to db.internal mid-stream")
                if errors_every and i % errors_every == 0:
                    yield CollectionError(source=connector.source.id, dataset=f"t{i}", kind="table",
                                          reason="permission denied for table alice@example.com", fix="grant SELECT")
                trace.ran()
                trace.yielded += 1
                yield observation(connector, f"t{i:03d}", emails(i))
        finally:
            trace.closing()
    return script


@pytest.mark.parametrize("ahead", [1, 2, 4])
def test_a_full_stream_gives_the_same_outcome_with_or_without_reading_ahead(scripted, tmp_path, monkeypatch, ahead):
    outcomes, traces = [], []
    for depth in (0, ahead):
        trace = Trace()
        scripted["main"] = stream(trace, 40, errors_every=7)
        outcomes.append(collect(tmp_path, depth, monkeypatch))
        traces.append(trace)
    same_outcome(*outcomes)
    out = outcomes[1]
    assert out.result.status == "ok" and out.result.datasets == 40
    assert [d.name for d in out.datasets] == [f"t{i:03d}" for i in range(40)]  # the connector's order
    assert [d.personal_data[0].type for d in out.datasets] == ["email"] * 40  # classified
    assert len(out.errors) == 6 and all("alice@example.com" not in e.reason for e in out.errors)  # scrubbed as before
    inline, ahead_trace = traces
    assert inline.threads == {threading.get_ident()} and inline.finallies == 1
    # made, iterated and closed in one thread, not the source's, and closed once
    assert len(ahead_trace.threads) == 1 and threading.get_ident() not in ahead_trace.threads
    assert ahead_trace.finallies == 1 and ahead_trace.closed_in in ahead_trace.threads
    assert not readers_left()


def test_a_connector_that_overlaps_its_own_waits_is_read_in_the_source_thread(scripted, tmp_path, monkeypatch):
    # a connector that sends its next request before it hands an observation over (the SQL connector
    # over psycopg) says so: the engine reads it inline, whatever COLLECT_AHEAD is; one that does not
    # say so (or says False) is read ahead in a thread of its own
    outcomes, traces = [], []
    for overlaps in (True, False, None):
        if overlaps is None:
            monkeypatch.delattr(ScriptedConnector, "overlaps_its_waits", raising=False)
        else:
            monkeypatch.setattr(ScriptedConnector, "overlaps_its_waits", overlaps, raising=False)
        trace = Trace()
        scripted["main"] = stream(trace, 12, errors_every=5)
        outcomes.append(collect(tmp_path, 4, monkeypatch))
        traces.append(trace)
    inline, ahead, undeclared = traces
    assert inline.threads == {threading.get_ident()} and inline.finallies == 1
    for trace in (ahead, undeclared):
        assert len(trace.threads) == 1 and threading.get_ident() not in trace.threads and trace.finallies == 1
    same_outcome(outcomes[0], outcomes[1])
    same_outcome(outcomes[0], outcomes[2])
    assert outcomes[0].result.datasets == 12 and not readers_left()


def test_a_connector_raising_mid_stream_is_the_source_error_and_keeps_what_it_found(scripted, tmp_path, monkeypatch):
    outcomes, traces = [], []
    for depth in (0, 4):
        trace = Trace()
        scripted["main"] = stream(trace, 40, fail_at=13)
        outcomes.append(collect(tmp_path, depth, monkeypatch))
        traces.append(trace)
    same_outcome(*outcomes)
    out, trace = outcomes[1], traces[1]
    assert out.result.status == "error"
    assert out.result.error == "RuntimeError: lost the connection to db.internal mid-stream"
    assert out.result.datasets == 13 and [d.name for d in out.datasets] == [f"t{i:03d}" for i in range(13)]
    assert trace.finallies == 1 and len(trace.threads) == 1 and threading.get_ident() not in trace.threads
    assert not readers_left()


def test_a_connector_raising_before_its_first_item_is_the_source_error(scripted, tmp_path, monkeypatch):
    def script(connector):
        raise PermissionError("cannot connect to db.internal: password authentication failed")
        yield  # a generator

    scripted["main"] = script
    inline = collect(tmp_path, 0, monkeypatch)
    ahead = collect(tmp_path, 4, monkeypatch)
    same_outcome(inline, ahead)
    assert ahead.result.status == "error" and ahead.result.error.startswith("PermissionError: cannot connect")
    assert not readers_left()


def test_an_exception_while_classifying_is_the_source_error_and_the_reader_closes(scripted, tmp_path, monkeypatch):
    real = engine._with_capabilities

    def fails_at_t005(ds, cls):
        if ds.name == "t005":
            raise ValueError("a dataset the engine cannot take")
        return real(ds, cls)

    monkeypatch.setattr(engine, "_with_capabilities", fails_at_t005)
    outcomes, traces = [], []
    for depth in (0, 4):
        trace = Trace()
        scripted["main"] = stream(trace, 40)
        outcomes.append(collect(tmp_path, depth, monkeypatch))
        traces.append(trace)
    same_outcome(*outcomes)
    out, trace = outcomes[1], traces[1]
    assert out.result.status == "error" and out.result.error == "ValueError: a dataset the engine cannot take"
    assert [d.name for d in out.datasets] == [f"t{i:03d}" for i in range(5)]
    # the reader was told to stop: it closed its generator (in its own thread, once) and ended
    assert trace.finallies == 1 and trace.closed_in in trace.threads and threading.get_ident() not in trace.threads
    assert trace.yielded < 40  # it stopped reading ahead, bounded by the queue
    assert not readers_left()


def test_cancel_mid_stream_stops_the_reader_and_keeps_what_was_classified(scripted, tmp_path, monkeypatch):
    for depth in (0, 4):
        trace = Trace()
        scripted["main"] = stream(trace, 1000)
        cancel = threading.Event()
        seen: list[int] = []

        def progress(source: str, n: int, cancel=cancel, seen=seen) -> None:
            seen.append(n)
            if n == 3:
                cancel.set()

        out = collect(tmp_path, depth, monkeypatch, cancel=cancel, progress=progress)
        assert out.result.status == "ok" and out.result.datasets == 3, depth
        assert [d.name for d in out.datasets] == ["t000", "t001", "t002"] and seen == [1, 2, 3]
        assert trace.finallies == 1 and trace.yielded <= 3 + depth + 1
        assert not readers_left()


def test_cancel_while_the_connector_is_stuck_in_a_read_returns_without_waiting_for_it(scripted, tmp_path, monkeypatch):
    """Reading inline, the source's thread would wait in the stuck read; reading ahead, it
    returns on ``cancel`` and the reader closes its generator itself once the read returns."""
    monkeypatch.setattr(overlap, "CANCEL_POLL_SECONDS", 0.01)
    monkeypatch.setattr(overlap, "CANCELLED_CLOSE_WAIT_SECONDS", 0.01)
    trace = Trace()
    stuck, reading = threading.Event(), threading.Event()

    def script(connector):
        trace.ran()
        try:
            yield observation(connector, "t000", emails(0))
            reading.set()
            stuck.wait()  # a read that does not return until the test lets it
            trace.yielded += 1
            yield observation(connector, "t001", emails(1))
        finally:
            trace.closing()

    scripted["main"] = script
    cancel = threading.Event()

    def progress(source: str, n: int) -> None:
        reading.wait()
        cancel.set()

    try:
        out = collect(tmp_path, 4, monkeypatch, cancel=cancel, progress=progress)
        assert out.result.status == "ok" and [d.name for d in out.datasets] == ["t000"]
        [reader] = readers_left()  # still in its read: a daemon, told to stop
        assert reader.daemon
    finally:
        stuck.set()
    reader.join(10)
    assert not reader.is_alive()
    assert trace.finallies == 1 and trace.closed_in == reader.ident  # closed by the reader, after the read


def test_progress_is_reported_from_the_source_thread_in_order(scripted, tmp_path, monkeypatch):
    calls: list[tuple[str, int, int]] = []
    scripted["main"] = stream(Trace(), 25)
    collect(tmp_path, 4, monkeypatch, progress=lambda s, n: calls.append((s, n, threading.get_ident())))
    assert calls == [("s", n, threading.get_ident()) for n in range(1, 26)]


def test_the_same_log_records_with_or_without_reading_ahead(scripted, tmp_path, monkeypatch, caplog):
    records = []
    for depth in (0, 4):
        scripted["main"] = stream(Trace(), 12, fail_at=9, errors_every=5)
        caplog.clear()
        with caplog.at_level("DEBUG", logger="auditor.engine"):
            collect(tmp_path, depth, monkeypatch)
        records.append([(r.levelname, r.getMessage()) for r in caplog.records if r.name == "auditor.engine"])
    assert records[0] == records[1] and records[0]


def test_order_is_kept_whatever_the_pace_of_either_side(scripted, tmp_path, monkeypatch):
    rng = random.Random(24)
    pauses = [rng.choice([0, 0, 0, 0.001]) for _ in range(200)]

    def script(connector):
        import time

        for i, p in enumerate(pauses):
            time.sleep(p)  # the store's pace varies; so does the classifier's (the samples differ)
            yield observation(connector, f"t{i:03d}", emails(i) * (1 + i % 4))

    scripted["main"] = script
    out = collect(tmp_path, 2, monkeypatch)
    assert [d.name for d in out.datasets] == [f"t{i:03d}" for i in range(200)]
    same_outcome(out, collect(tmp_path, 0, monkeypatch))


# --------------------------------------------------------------------------- Overlapped itself


class Parking(threading.Condition):
    """The reader's condition, counting the reader parked for room (its waits have no timeout;
    the consumer's have one: it looks at ``cancel`` in between)."""

    def __init__(self) -> None:
        super().__init__()
        self.parked = 0

    def wait(self, timeout: float | None = None) -> bool:
        if timeout is not None:
            return super().wait(timeout)
        self.parked += 1
        self.notify_all()
        try:
            return super().wait(timeout)
        finally:
            self.parked -= 1


@pytest.mark.parametrize("depth", [1, 3, 8])
def test_the_reader_is_at_most_depth_items_ahead(depth):
    """While the consumer holds item k and the reader waits for room, the generator has yielded
    exactly k + depth + 1 items: ``depth`` in the queue and one in the reader's hand."""
    n = 60
    yielded = 0

    def gen():
        nonlocal yielded
        for i in range(n):
            yielded += 1
            yield i

    reader = Overlapped(gen, cancel=threading.Event(), depth=depth)
    cond = reader._cond = Parking()
    checked = 0
    with reader as items:
        for k, item in enumerate(items, start=1):
            assert item == k - 1
            if k + depth + 1 > n:
                continue  # the reader has run out of items: it does not wait for room any more
            with cond:  # wait until the reader has filled the queue and parks
                assert cond.wait_for(lambda: cond.parked and len(reader._buffer) >= depth, timeout=30)
                assert len(reader._buffer) == depth and yielded == k + depth + 1
                checked += 1
    assert checked == n - depth - 1


def test_leaving_early_closes_the_generator_in_its_own_thread_once():
    closed: list[int] = []
    made_in: list[int] = []

    def gen():
        made_in.append(threading.get_ident())
        try:
            yield from range(1000)
        finally:
            closed.append(threading.get_ident())

    reader = Overlapped(gen, cancel=threading.Event(), depth=2)
    with reader as items:
        for item in items:
            if item == 5:
                break
    assert not reader.alive
    assert closed == made_in and made_in != [threading.get_ident()]


def test_an_item_iterator_without_close_is_fine_and_exceptions_pass_unchanged():
    class Boom(Exception):
        pass

    error = Boom("the very object")

    class Items:
        def __init__(self) -> None:
            self.i = 0

        def __iter__(self):
            return self

        def __next__(self):
            self.i += 1
            if self.i > 3:
                raise error
            return self.i

    got: list[int] = []
    with pytest.raises(Boom) as raised, Overlapped(Items, cancel=threading.Event(), depth=2) as items:
        got.extend(items)
    assert raised.value is error and got == [1, 2, 3]


def test_depth_must_be_positive():
    with pytest.raises(ValueError):
        Overlapped(lambda: iter(()), cancel=threading.Event(), depth=0)
