"""The HTML report rendered in a child process while the run is stored (reports.prerender,
auditor.publish.Prerender): the very file rendering it here writes, written after the others;
rendered here instead whenever the child cannot give it (it failed, it was not forked, the run
is another object by then); and never a child left behind."""

from __future__ import annotations

import os
import threading

import pytest

import reports.html
from auditor.publish import Prerender, Targets, write_targets
from reports import prerender
from tests.unit.reports.report_runs import sample_run

REAL_FORKABLE = prerender.forkable  # the autouse fixture stands it in for most tests


@pytest.fixture(autouse=True)
def same_clock(monkeypatch):
    monkeypatch.setattr(reports.html, "when", lambda _at: "2 Dec 2026 08:00 UTC")  # the "generated" line
    monkeypatch.setattr(prerender, "forkable", lambda: True)  # whatever threads the test runner keeps


def written(tmp_path, name: str, run, rendering: Prerender | None = None) -> dict[str, bytes]:
    folder = tmp_path / name
    targets = Targets(json=folder / "r.json", html=folder / "r.html", csv=folder / "r.csv")
    paths = write_targets(run, None, targets, "high", rendered=rendering.rendered if rendering else None)
    return {p.name: p.read_bytes() for p in paths}


def test_the_report_rendered_in_a_child_is_the_one_rendered_here(tmp_path, monkeypatch):
    calls: list[int] = []  # renders in this process (the child's own are counted in its copy)
    render = reports.html.render_html

    def counted(run):
        calls.append(os.getpid())
        return render(run)

    monkeypatch.setattr(reports.html, "render_html", counted)
    run = sample_run(hostile=True)  # names that must be escaped: escaped the same way there
    rendering = Prerender(Targets(html=tmp_path / "x.html"))
    rendering(run)
    child = rendering.rendered
    assert child is not None and child.run is run
    pid = child._child[0]
    there = written(tmp_path, "child", run, rendering)
    assert calls == []  # the child's text was written
    here = written(tmp_path, "here", run)
    assert calls == [os.getpid()]
    assert there == here and b"<html" in there["r.html"]
    with pytest.raises(ChildProcessError):  # reaped
        os.waitpid(pid, os.WNOHANG)


def test_a_child_that_fails_leaves_the_report_to_this_process(tmp_path, monkeypatch):
    parent = os.getpid()
    render = reports.html.render_html

    def only_here(run):
        if os.getpid() != parent:
            raise MemoryError("the child ran out of memory")
        return render(run)

    monkeypatch.setattr(reports.html, "render_html", only_here)
    run = sample_run()
    rendering = Prerender(Targets(html=tmp_path / "x.html"))
    rendering(run)
    assert rendering.rendered is not None
    assert rendering.rendered.html(run) is None  # the child gave nothing
    rendering(run)
    assert written(tmp_path, "child", run, rendering) == written(tmp_path, "here", run)


def test_a_run_that_is_another_object_by_then_is_rendered_here(tmp_path):
    # a run that could not be stored is a copy marked failed (RunNotSaved.run): its own report
    run = sample_run()
    failed = run.model_copy(update={"status": "failed"})
    rendering = Prerender(Targets(html=tmp_path / "x.html"))
    rendering(run)
    assert written(tmp_path, "child", failed, rendering) == written(tmp_path, "here", failed)


def test_not_forked_where_it_is_not_safe_or_of_no_use(monkeypatch):
    monkeypatch.setattr(prerender, "forkable", REAL_FORKABLE)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        assert prerender.forkable() is False  # another thread: a child could inherit a lock it holds
        assert prerender.start(sample_run()) is None
    finally:
        stop.set()
        other.join()
    monkeypatch.setattr(prerender, "_cores", lambda: 1)
    assert prerender.forkable() is False  # one core: nothing to gain
    monkeypatch.setattr(prerender, "_cores", lambda: 2)
    monkeypatch.setattr(prerender, "_room_for_a_copy", lambda: False)
    assert prerender.forkable() is False  # no room for a copy of this process


def test_a_child_not_taken_is_stopped_and_reaped(tmp_path):
    rendering = Prerender(Targets(html=tmp_path / "x.html"))
    rendering(sample_run())
    pid = rendering.rendered._child[0]
    rendering.close()
    assert rendering.rendered is None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_no_child_without_an_html_report(tmp_path):
    rendering = Prerender(Targets(json=tmp_path / "r.json"))
    rendering(sample_run())
    assert rendering.rendered is None


def test_child_exits_reaped_by_the_system_leave_the_report_to_this_process(tmp_path, monkeypatch):
    # SIGCHLD ignored (inherited from a launcher): the kernel reaps the child, waitpid has nothing to wait for
    import signal

    old = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        run = sample_run()
        rendering = Prerender(Targets(html=tmp_path / "x.html"))
        rendering(run)
        got = written(tmp_path, "child", run, rendering)
    finally:
        signal.signal(signal.SIGCHLD, old)
    assert got == written(tmp_path, "here", run)


def test_no_pipe_is_no_child_and_the_run_goes_on(tmp_path, monkeypatch):
    def no_descriptors():
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(prerender.os, "pipe", no_descriptors)
    rendering = Prerender(Targets(html=tmp_path / "x.html"))
    rendering(sample_run())
    assert rendering.rendered is None


def test_the_child_leaves_stop_signals_to_the_parents_handlers(tmp_path, monkeypatch):
    # a stop sent to the process group ends the child at once; the CLI's handler (which says the run
    # is marked failed) runs in the parent only
    import signal

    parent = os.getpid()
    render = reports.html.render_html

    def checked(run):
        if os.getpid() != parent and (signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
                                      or signal.getsignal(signal.SIGINT) is not signal.SIG_DFL):
            raise AssertionError("the parent's handler in the child")
        return render(run)

    monkeypatch.setattr(reports.html, "render_html", checked)
    old_term = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        run = sample_run()
        rendering = Prerender(Targets(html=tmp_path / "x.html"))
        rendering(run)
        assert rendering.rendered is not None and rendering.rendered.html(run) is not None
    finally:
        signal.signal(signal.SIGTERM, old_term)


def test_a_child_that_gives_nothing_in_time_is_stopped_and_the_report_rendered_here(tmp_path, monkeypatch):
    import time

    parent = os.getpid()
    render = reports.html.render_html

    def stuck(run):
        if os.getpid() != parent:
            time.sleep(60)  # a lock it inherited that nobody will release
        return render(run)

    monkeypatch.setattr(reports.html, "render_html", stuck)
    monkeypatch.setattr(prerender, "WAIT_SECONDS", 1)
    run = sample_run()
    rendering = Prerender(Targets(html=tmp_path / "x.html"))
    rendering(run)
    pid = rendering.rendered._child[0]
    started = time.monotonic()
    got = written(tmp_path, "child", run, rendering)
    assert time.monotonic() - started < 30
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    assert got == written(tmp_path, "here", run)


def test_a_pipe_past_descriptor_1023_is_read(tmp_path, monkeypatch):
    # select() refuses a descriptor past FD_SETSIZE; a scan with many files open still gets the child's text
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1100:
        pytest.skip("cannot open 1,100 descriptors here")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1100), hard))
    spare = [os.open(os.devnull, os.O_RDONLY) for _ in range(1050)]  # the pipe's descriptors come after these
    try:
        run = sample_run()
        rendering = Prerender(Targets(html=tmp_path / "x.html"))
        rendering(run)
        assert rendering.rendered is not None and rendering.rendered._child[1] > 1023
        assert rendering.rendered.html(run) is not None
    finally:
        for fd in spare:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
