"""Benchmark 5: four sources, each slowed by a known latency, audited in one run.

Measures the engine's wall time for all four against the slowest source alone (the floor), in
the same process, in interleaved repetitions (ratio of medians, min / median / max of each).
Target: <= 1.3x. The sources are a benchmark-only connector kind that
sleeps its latency (spread over its datasets, as network round trips are) and yields
datasets with small samples, so classification and policy evaluation run for real.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml
from _result import interleaved, median, result, spread  # noqa: E402 (run as a script from benchmarks/)

from auditor import registry
from auditor.config import load_config
from auditor.engine import RunOptions, run_audit
from auditor.models import Dataset, Observation, Sample
from connectors import load_builtin
from connectors.base import Options


class SlowConnector:
    kind = "bench-slow"

    class Options(Options):
        latency: float
        datasets: int = 20

    def __init__(self, source, ctx):
        self.source = source

    def collect(self):
        o = self.source.options
        for i in range(o.datasets):
            time.sleep(o.latency / o.datasets)
            ds = Dataset(source=self.source.id, vendor=self.source.vendor.id, kind="table", name=f"s.t{i}",
                         uri=f"bench://{self.source.id}/t{i}", public=False, encryption_at_rest="provider",
                         encryption_in_transit="enforced", has_retention=True)
            yield Observation(dataset=ds, sample=Sample(fields={"email": [f"user{j}@example.com" for j in range(50)],
                                                                 "qty": list(range(50))}))


def run(latencies: list[float], datasets: int, folder: Path) -> float:
    cfg = {"state": f"sqlite:///{folder}/state-{len(latencies)}-{time.monotonic_ns()}.db", "concurrency": 4,
           "vendors": [{"id": "v"}],
           "sources": [{"id": f"s{i}", "vendor": "v", "kind": "bench-slow", "latency": lat, "datasets": datasets}
                       for i, lat in enumerate(latencies)]}
    path = folder / f"bench-{time.monotonic_ns()}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    config = load_config(path)
    started = time.perf_counter()
    run_ = run_audit(config, RunOptions())
    wall = time.perf_counter() - started
    assert all(s.status == "ok" for s in run_.sources), run_.sources
    return wall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short latencies (seconds, not tens of seconds)")
    ap.add_argument("--repeats", type=int, default=None, help="interleaved repetitions (default 2 quick, 3)")
    args = ap.parse_args(argv)
    load_builtin()
    if "bench-slow" not in registry.connectors:
        registry.connectors.add("bench-slow", SlowConnector)
    latencies = [0.25, 0.5, 0.75, 1.0] if args.quick else [1.0, 2.0, 3.0, 4.0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run([0.01], 2, folder)  # warm imports, the store's migrations, the classifier
        walls, _, _ = interleaved({"slowest": lambda: run([max(latencies)], 20, folder),
                                   "together": lambda: run(latencies, 20, folder)},
                                  args.repeats or (2 if args.quick else 3))
    ratio = median(walls["together"]) / median(walls["slowest"])
    print(f"slowest source alone (floor): {spread(walls['slowest'])}")
    print(f"four sources together (latencies {latencies}): {spread(walls['together'])}")
    print(f"ratio of medians: {ratio:.2f}x (target <= 1.3x)")
    result("parallel sources", "wall(all four) / wall(slowest alone) (medians)", ratio, "x", "<= 1.3", ratio <= 1.3,
           floor=f"slowest source alone {spread(walls['slowest'])}", spread=spread(walls["together"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
