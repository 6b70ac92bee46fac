"""auditor.gcpause: fewer collections while a run or its reports are built, and everything as it
was afterwards (thresholds, nothing left frozen), however the blocks nest or overlap."""

from __future__ import annotations

import gc
import threading
import weakref

from auditor.gcpause import THRESHOLD, fewer_collections


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_thresholds_and_frozen_objects_restored_after_nested_and_concurrent_blocks() -> None:
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    inside = threading.Event()
    leave = threading.Event()

    def other_run() -> None:
        with fewer_collections():
            inside.set()
            leave.wait(10)

    t = threading.Thread(target=other_run)
    with fewer_collections():
        assert gc.get_threshold()[0] == max(THRESHOLD, before[0])
        assert gc.get_freeze_count() > frozen_before  # what existed before is not walked
        t.start()
        assert inside.wait(10)
        with fewer_collections():
            pass
        assert gc.get_threshold()[0] == max(THRESHOLD, before[0])  # the inner block leaves it quiet
    assert gc.get_threshold()[0] == max(THRESHOLD, before[0])  # the other run is still going
    leave.set()
    t.join(10)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen_before


def test_cycles_made_inside_are_still_collected() -> None:
    with fewer_collections():
        ref = weakref.ref(Node())
        gc.collect()
        assert ref() is None


def test_an_exception_restores_the_collector() -> None:
    before, frozen_before = gc.get_threshold(), gc.get_freeze_count()
    try:
        with fewer_collections():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen_before


def test_what_the_host_froze_stays_frozen() -> None:
    """A host process that froze its objects (gc.freeze before forking workers, so pages stay
    shared) keeps them frozen: a run does not unfreeze what it did not freeze."""
    gc.freeze()
    try:
        frozen_before = gc.get_freeze_count()
        assert frozen_before > 0
        with fewer_collections():
            pass
        assert gc.get_freeze_count() > frozen_before // 2  # (a few frozen objects may die by refcount)
    finally:
        gc.unfreeze()
