"""The cyclic garbage collector, quieter while a run or its reports are built.

A run builds a few hundred thousand long-lived objects (datasets, findings, the rows of each
sample while it is classified), and its reports as many again; at the default thresholds the
collector walks them again and again, and each full collection also walks everything the
process held before (modules, compiled patterns, drivers). Measured at 15-20% of the CPU of an
end-to-end SQL inventory (``benchmarks/sql_inventory.py``).

So, while any such block runs, what existed before it is frozen (``gc.freeze``: never garbage
of the run, never walked) and young collections happen every ``THRESHOLD`` container
allocations instead of the default 700. Garbage without cycles is freed by reference counting
as always; cycles are still collected, a little later. The thresholds are restored and the
frozen objects released when the last of several concurrent blocks ends. A host process that froze
its own objects before (``gc.freeze`` before forking) is left frozen: nothing is frozen or
unfrozen then (``gc.unfreeze`` cannot tell the host's objects from the run's).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

THRESHOLD = 50_000

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] | None = None
_froze = False  # this module froze (nothing was frozen before): it unfreezes; else it leaves the host's freeze alone


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    global _depth, _saved, _froze
    with _lock:
        _depth += 1
        if _depth == 1:
            _saved = gc.get_threshold()
            _froze = gc.get_freeze_count() == 0  # gc.unfreeze releases all: never undo a host's freeze
            if _froze:
                gc.freeze()
            gc.set_threshold(max(THRESHOLD, _saved[0]), _saved[1], _saved[2])
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                if _froze:
                    gc.unfreeze()
                    _froze = False
