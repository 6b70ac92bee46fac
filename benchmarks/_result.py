"""The one line format benchmarks/run_all.py tabulates into RESULTS.md, and the timing helpers
every benchmark shares: interleaved repetitions, reported as min / median / max; and a process's
peak RSS for the memory benchmarks."""

import hashlib
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def result(benchmark: str, figure: str, value: float, unit: str, target: str, met: bool | None,
           floor: str | None = None, spread: str | None = None) -> None:
    """One figure. ``floor``: the floor it is measured against in the same run (with its spread);
    ``spread``: min / median / max of the figure's own repetitions."""
    line: dict[str, Any] = {"benchmark": benchmark, "figure": figure, "value": round(value, 3), "unit": unit,
                            "target": target, "met": met}
    if floor is not None:
        line["floor"] = floor
    if spread is not None:
        line["spread"] = spread
    print("RESULT " + json.dumps(line), flush=True)


def spread(samples: list[float], unit: str = "s", digits: int = 3) -> str:
    """``min / median / max unit (n runs)`` of repeated measurements."""
    lo, mid, hi = min(samples), statistics.median(samples), max(samples)
    return f"{lo:.{digits}f} / {mid:.{digits}f} / {hi:.{digits}f} {unit} (n={len(samples)})"


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def cpu_seconds() -> float:
    """This process's CPU seconds, and those of its children reaped so far (a child a run forks and
    waits for, such as ``auditor scan``'s HTML report renderer, is part of that run's CPU)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def interleaved(runs: dict[str, Callable[[], Any]], repeats: int,
                probes: dict[str, Callable[[], float | None]] | None = None,
                probed: dict[str, dict[str, list[float]]] | None = None,
                ) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, Any]]:
    """Run each callable once per round, ``repeats`` rounds, in rotating order (so no variant is
    always first after a pause). Returns (wall seconds per name, this process's CPU seconds per
    name (with its children's reaped during the run: :func:`cpu_seconds`), the last result per name). ``probes``: counters read before and after each run (a
    server's CPU seconds, say); their differences go to ``probed[probe][name]``, one per run (a
    probe that reads None, unreadable, records nothing)."""
    walls: dict[str, list[float]] = {k: [] for k in runs}
    cpus: dict[str, list[float]] = {k: [] for k in runs}
    last: dict[str, Any] = {}
    names = list(runs)
    for r in range(repeats):
        for name in names[r % len(names):] + names[: r % len(names)]:
            before = {p: read() for p, read in (probes or {}).items()}
            c0, t0 = cpu_seconds(), time.perf_counter()
            last[name] = runs[name]()
            walls[name].append(time.perf_counter() - t0)
            cpus[name].append(cpu_seconds() - c0)
            for p, read in (probes or {}).items():
                after, start = read(), before[p]
                if after is not None and start is not None and probed is not None:
                    probed.setdefault(p, {}).setdefault(name, []).append(after - start)
    return walls, cpus, last


def machine_busy_seconds() -> float | None:
    """Core-seconds this machine's CPUs have been busy since boot (``/proc/stat``: all but idle and
    iowait), every process's; None where there is no such file."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    return (sum(fields) - fields[3] - fields[4]) / _TICKS


def machine_steal_seconds() -> float | None:
    """Core-seconds the hypervisor has given this machine's CPUs to others since boot (``/proc/stat``'s
    steal: part of what :func:`machine_busy_seconds` counts, time no process here ran); None where
    not known."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    return fields[7] / _TICKS if len(fields) > 7 else None


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def peak_rss_mb() -> float:
    """This process's peak RSS in MB: VmHWM, not ru_maxrss (on Linux ru_maxrss survives fork and exec,
    so a child started by a large parent, moto's for one, would report the parent's high-water mark)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _extensions(tree: str) -> dict[str, str]:
    """The C kernels built in place in a code tree (``setup.py``'s, by an editable install: a ``.so``
    beside its ``.c``), by module, with the digest of the ``.c`` each was built from."""
    from importlib.machinery import EXTENSION_SUFFIXES  # this interpreter's: a .so built for another is not run

    root = Path(tree).resolve()
    if not (root / "auditor").is_dir():
        return {"(no auditor package here: the side imports whatever is installed)": str(root)}
    out = {}
    for pkg in ("auditor", "connectors"):
        for c in sorted((root / pkg).rglob("_*.c")):
            built = [so for so in (c.with_name(c.stem + suffix) for suffix in EXTENSION_SUFFIXES) if so.exists()]
            state = hashlib.sha256(c.read_bytes()).hexdigest()[:12] if built else "not built"
            if built and built[0].stat().st_mtime < c.stat().st_mtime:
                state += " (built before its .c last changed)"
            out[str(c.relative_to(root))] = state
    return out


def same_extensions(trees: dict[str, str]) -> bool:
    """Whether the A/B sides run the same C kernels; a warning on stderr when they do not. A side whose
    tree has none built (a ``git worktree`` has none: they are not in git) runs the pure-Python
    fallback (the SQL connector used 7% more CPU so, on the twenty-first session's machine), and its
    difference is the build's, not the change's. Where the ``.c`` is the same, copy the ``.so`` over
    (``cp connectors/sql/_digest.*.so <tree>/connectors/sql/``, the same for ``auditor/classify``)."""
    got = {name: _extensions(tree) for name, tree in trees.items()}
    if len({tuple(sorted(v.items())) for v in got.values()}) <= 1:
        return True
    print("WARNING: the sides do not run the same C kernels, so their timings differ by more than the change:",
          file=sys.stderr)
    for name, ext in got.items():
        print(f"  {name} ({trees[name]}): " + ", ".join(f"{k} {v}" for k, v in ext.items()), file=sys.stderr)
    return False
