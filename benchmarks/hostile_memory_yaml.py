"""Peak memory of loading a hostile YAML config or policy next to a normal one (issue 16).

    python benchmarks/hostile_memory_yaml.py            # every case
    python benchmarks/hostile_memory_yaml.py --quick    # the same cases (each is a few KB on disk)

Each case is loaded in a fresh child process under an address-space limit (``RLIMIT_AS``,
2 GiB: before the bounds, the "billion laughs" grew past 2.5 GB and ran for minutes; with the
limit it dies fast instead of taking the machine down). Peak RSS is read two ways: the child's
own ``VmHWM`` and, in the parent, ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` (the peak
of the children waited for so far; cases run normal first, so a rise there is the hostile
case's). The rows are shaped like those of ``benchmarks/hostile_memory.py``'s table.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _result import result  # noqa: E402

LIMIT_BYTES = 2 * 1024 ** 3


def normal_config() -> str:
    """A realistic config: 40 vendors, 80 SQL sources, a schedule, a few anchors."""
    out = ["state: sqlite:///state.db", "policies: [builtin:baseline]", "vendors:"]
    out += [f"  - {{id: vendor-{i}, name: Vendor {i}, contract_end: 2027-03-31, "
            f"allowed_personal_data: [email, phone]}}" for i in range(40)]
    out.append("sources:")
    out += [f"  - {{id: db-{i}, vendor: vendor-{i % 40}, kind: sql, url: \"sqlite:///db{i}.sqlite\", "
            f"include: {'&include [public.*]' if i == 0 else '*include'}}}" for i in range(80)]
    out += ["schedule:", "  nightly: \"0 2 * * *\"", "  timezone: Asia/Singapore"]
    return "\n".join(out) + "\n"


def laughs(head: list[str], key: str = "lol") -> str:
    """The classic: 9 levels of 10 aliases, 10^9 strings once expanded (90 aliases)."""
    out = [*head, f"{key}:", "  l0: &l0 [lol]"]
    out += [f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    return "\n".join(out) + "\n"


def hostile_config() -> str:
    return laughs(["state: sqlite:///state.db", "vendors: [{id: v}]",
                   "sources: [{id: s, vendor: v, kind: sql, url: \"sqlite:///x.db\"}]"], key="bomb")


def normal_policy() -> str:
    return ("name: acme\nextends: builtin:baseline\noverrides:\n"
            "  - rule: stale-personal-data\n    params: {max_age: 180d}\n"
            "  - rule: stale-personal-data\n    vendors: [acme]\n    datasets: [\"*/legacy/*\"]\n"
            "    params: {max_age: 90d}\n    severity: critical\n")


def hostile_policy() -> str:
    return laughs(["name: bomb", "extends: builtin:baseline"], key="description")


def load_config(path: str) -> str:
    from auditor.config import load_config

    cfg = load_config(path)
    return f"loaded: {len(cfg.sources)} sources"


def load_policy(path: str) -> str:
    import policies

    policies.validate_paths([path])
    return "loaded"


# (name, what, build, load, baseline)
CASES = [
    ("normal-config", "40 vendors, 80 sources, anchors", normal_config, load_config, None),
    ("yaml-billion-laughs", "config: 9 levels of 10 aliases (10^9 strings)", hostile_config, load_config,
     "normal-config"),
    ("normal-policy", "a pack extension with two overrides", normal_policy, load_policy, None),
    ("policy-billion-laughs", "policy: 9 levels of 10 aliases", hostile_policy, load_policy, "normal-policy"),
]


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(name: str, path: str) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))
    load = next(c[3] for c in CASES if c[0] == name)
    started = time.perf_counter()
    try:
        outcome = load(path)
    except Exception as exc:  # noqa: BLE001 - a refusal is the expected outcome of a hostile case
        outcome = f"refused: {str(exc).splitlines()[0][:110]}"
    print(json.dumps({"outcome": outcome, "seconds": time.perf_counter() - started, "peak_rss_mb": peak_rss_mb()}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="same cases (they are small on disk already)")
    ap.add_argument("--case", nargs=2, metavar=("NAME", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case:
        child(*args.case)
        return
    peaks: dict[str, float] = {}
    tmp = Path(tempfile.mkdtemp(prefix="hostile-yaml-"))
    print(f"{'case':<22} {'on disk':>8} {'VmHWM':>8} {'children':>9} {'time':>7}  outcome")
    for name, _what, build, _load, baseline in CASES:
        path = tmp / f"{name}.yaml"
        path.write_text(build())
        proc = subprocess.run([sys.executable, __file__, "--case", name, str(path)], capture_output=True, text=True,
                              timeout=600, cwd=HERE.parent)
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        size = path.stat().st_size
        path.unlink()
        if proc.returncode != 0:
            print(f"{name:<22} {size:>8} {'died':>8} {children:>7.0f}MB  {proc.stderr.strip().splitlines()[-1:]}")
            result("hostile memory", f"{name} peak RSS", -1, "MB", "finishes under 2 GiB", False)
            continue
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        peaks[name] = out["peak_rss_mb"]
        print(f"{name:<22} {size:>8} {out['peak_rss_mb']:>6.0f}MB {children:>7.0f}MB {out['seconds']:>6.2f}s  "
              f"{out['outcome']}")
        base = peaks.get(baseline or "")
        if base:
            ratio = out["peak_rss_mb"] / base
            result("hostile memory", f"{name} peak RSS vs {baseline}", ratio, "x", "<= 2x the normal input", ratio <= 2)
        else:
            result("hostile memory", f"{name} peak RSS", out["peak_rss_mb"], "MB", "baseline", None)
    tmp.rmdir()


if __name__ == "__main__":
    main()
