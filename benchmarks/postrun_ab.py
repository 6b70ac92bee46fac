"""A/B of what a run does after its sources are read: policies, history, state store, reports.

The sources of a run are read once (``capture``) and their outcomes pickled; each side then
replays them in fresh processes through the real ``run_audit`` (collection stubbed with the
pickled outcomes) and ``write_reports`` (JSON, HTML, CSV). A side is a code tree put first on
``sys.path`` (``--a /work/wt/reports_base``), as in ``overlap_ab.py``.

    # read the sources once (the issue-24 estate kept by sql_inventory.py --keep DB; or the demo estate)
    .venv/bin/python benchmarks/postrun_ab.py capture --db reports_bench --out /tmp/pg.pickle
    .venv/bin/python benchmarks/postrun_ab.py capture --demo /tmp/demo_cap --out /tmp/demo.pickle
    # time: A, B, A, B, ... fresh processes; medians, min/max and B/A
    .venv/bin/python benchmarks/postrun_ab.py ab --pickle /tmp/pg.pickle --a /work/wt/reports_base --b . --reps 7
    # outputs: both sides replay on a fixed clock and key into folders; every byte compared
    .venv/bin/python benchmarks/postrun_ab.py equiv --pickle /tmp/pg.pickle --a /work/wt/reports_base --b .

A timed side does one untimed warm-up run (imports, templates, the state store's migrations) and
then three timed runs on the same state store (each reads the runs' history before it, as a nightly
audit does), keeping per phase the least of the three (a shared machine: the least disturbed): ``run_audit`` with the collection stubbed (fingerprint keying, history, judge,
evaluate, diff, ``save_run``), then ``write_reports``; the phases are timed by wrapping
``policies.judge``, ``policies.evaluate``, ``engine.apply_history`` and ``Store.save_run``.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _result import same_extensions  # (run as a script from benchmarks/)

HERE = Path(__file__).resolve().parent
FIXED = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
KEY = "postrun-ab-fixed-key-0123456789abcdef"
INNER = 3  # timed runs per process (the least of them per phase)


# ---------------------------------------------------------------------------------- capture
def capture(args: argparse.Namespace) -> None:
    import yaml

    import auditor.executors as executors
    from auditor.plugins import load_connectors

    os.environ["AUDITOR_FINGERPRINT_KEY"] = KEY
    load_connectors()
    real = executors.collect
    got: dict = {}

    def recording(*a, **kw):
        out = real(*a, **kw)
        got["outcomes"] = out
        return out

    executors.collect = recording  # type: ignore[assignment]
    if args.db:
        from auditor.config import load_config
        from auditor.engine import RunOptions, run_audit

        folder = Path(tempfile.mkdtemp(prefix="postrun_cap_"))
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{args.db}"
        cfg = {"state": "sqlite:///state.db", "vendors": [{"id": "v"}],
               "sources": [{"id": "pg", "vendor": "v", "kind": "sql", "url": url}]}
        path = folder / "bench.yaml"
        path.write_text(yaml.safe_dump(cfg))
        run_audit(load_config(path), RunOptions(as_of=FIXED))
        config_text = path.read_text()
    else:
        from auditor.demo import DEMO_CONFIG, run_demo

        out = Path(args.demo)
        run_demo(out, quiet=True, as_of=FIXED)
        config_text = (out / DEMO_CONFIG).read_text()
    Path(args.out).write_bytes(pickle.dumps({"config": config_text, "outcomes": got["outcomes"]}))
    print(f"captured {sum(len(o.datasets) for o in got['outcomes'])} datasets into {args.out}")


# ---------------------------------------------------------------------------------- replay (one side)
class _Clock(datetime):
    """``datetime.now`` on a fixed clock that ticks one second a call (run ids, started/finished)."""
    tick = 0

    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        _Clock.tick += 1
        t = FIXED + timedelta(seconds=_Clock.tick)
        return t if tz is None else t.astimezone(tz)


def _setup(pickle_path: str, folder: Path, fixed: bool):
    os.environ["AUDITOR_FINGERPRINT_KEY"] = KEY
    os.environ.setdefault("AUDITOR_DEMO_FTP_PASSWORD", "not-used")
    import auditor.engine as engine
    import auditor.executors as executors
    from auditor.config import load_config
    from auditor.plugins import load_connectors

    load_connectors()
    data = pickle.loads(Path(pickle_path).read_bytes())
    executors.collect = lambda *a, **kw: data["outcomes"]  # type: ignore[assignment]
    if fixed:
        import reports.html

        engine.datetime = _Clock  # type: ignore[misc]
        reports.html.datetime = _Clock  # type: ignore[attr-defined]
        engine.new_run_id = lambda now: now.strftime("%Y%m%dT%H%M%SZ") + "-abcdef"  # type: ignore[assignment]
    path = folder / "config.yaml"
    path.write_text(data["config"])
    return load_config(path)


def _one(config, folder: Path, name: str, as_of: datetime) -> tuple[object, float, float]:
    from auditor.engine import RunOptions, run_audit
    from reports.write import write_reports

    run = run_audit(config, RunOptions(as_of=as_of))
    t1, c1 = time.perf_counter(), time.process_time()
    write_reports(run, folder / f"{name}.json", folder / f"{name}.html", folder / f"{name}.csv")
    return run, time.perf_counter() - t1, time.process_time() - c1


def replay_time(pickle_path: str, inner: int = INNER) -> dict:
    """Per phase, the least of ``inner`` timed runs in this process (each after the one before,
    on one state store): the least is the run least disturbed by the rest of the machine."""
    import auditor.engine as engine
    import policies
    from auditor.store import Store

    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = _setup(pickle_path, folder, fixed=False)
        _one(config, folder, "warm", FIXED)  # imports, templates, migrations; the history the timed run reads
        phases: dict[str, float] = {}

        def timed(owner, attr, label):
            fn = getattr(owner, attr)

            def wrapper(*a, **kw):
                t, c = time.perf_counter(), time.process_time()
                try:
                    return fn(*a, **kw)
                finally:
                    phases[label] = phases.get(label, 0.0) + time.perf_counter() - t
                    phases[label + "_cpu"] = phases.get(label + "_cpu", 0.0) + time.process_time() - c
            setattr(owner, attr, wrapper)

        timed(policies, "judge", "judge")
        timed(policies, "evaluate", "evaluate")
        timed(engine, "apply_history", "apply_history")
        timed(Store, "save_run", "save_run")
        for i in range(inner):
            phases.clear()
            c0, t0 = time.process_time(), time.perf_counter()
            _run, reports_s, reports_cpu = _one(config, folder, f"timed{i}", FIXED + timedelta(days=1 + i))
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            phases.update(write_reports=reports_s, write_reports_cpu=reports_cpu, total=wall, total_cpu=cpu)
            phases["run_audit_rest"] = wall - reports_s - sum(
                phases[k] for k in ("judge", "evaluate", "apply_history", "save_run"))
            for k, v in phases.items():
                best[k] = min(best.get(k, v), v)
    return best


def replay_equiv(pickle_path: str, out: Path) -> None:
    """Two runs on one fresh state store (the second reads the first's history), on a fixed clock and
    key; their reports and a dump of the state store written to ``out``."""
    import sqlite3

    out.mkdir(parents=True, exist_ok=True)
    config = _setup(pickle_path, out, fixed=True)
    config = config.model_copy(update={"state": f"sqlite:///{out}/state.db"})
    _one(config, out, "run1", FIXED)
    _one(config, out, "run2", FIXED + timedelta(days=3))
    con = sqlite3.connect(out / "state.db")
    with open(out / "store.txt", "w") as fh:
        for (table,) in con.execute("select name from sqlite_master where type='table' order by name"):
            if table in ("locks", "run_lock"):
                continue
            cols = [c[1] for c in con.execute(f"pragma table_info({table})")]
            hide = [i for i, c in enumerate(cols) if c in ("pid", "host")]  # the process's, not the run's
            rows = [repr(tuple(None if i in hide else v for i, v in enumerate(r)))
                    for r in con.execute(f"select * from {table}")]
            fh.write(f"== {table} {cols} ({len(rows)} rows)\n")
            fh.writelines(r + "\n" for r in sorted(rows))
    con.close()
    (out / "state.db").unlink()


# ---------------------------------------------------------------------------------- driver
def run_side(tree: str, mode: str, pickle_path: str, extra: str = "") -> dict:
    env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve()), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), mode, "--pickle", pickle_path,
                           *(["--out", extra] if extra else [])], env=env, capture_output=True, text=True, cwd="/tmp")
    line = next((x for x in proc.stdout.splitlines() if x.startswith("AB ")), None)
    if line is None:
        raise SystemExit(f"side {tree} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return json.loads(line[3:])


def ab(args: argparse.Namespace) -> None:
    same_extensions({"A": args.a, "B": args.b})
    sides: dict[str, list[dict]] = {"A": [], "B": []}
    for i in range(args.reps):
        order = ("A", "B") if i % 2 == 0 else ("B", "A")
        for s in order:
            sides[s].append(run_side(args.a if s == "A" else args.b, "child-time", args.pickle))
        print(f"rep {i + 1}: " + "  ".join(f"{s} total {sides[s][-1]['total']:.3f}s" for s in ("A", "B")), flush=True)
    print(f"A = {args.a} (tree {sides['A'][0]['tree']}), B = {args.b} (tree {sides['B'][0]['tree']}), "
          f"{args.reps} reps interleaved, fresh processes; load {os.getloadavg()[0]:.2f}")
    keys = ["judge", "evaluate", "apply_history", "save_run", "run_audit_rest", "write_reports", "total"]
    keys += [k + "_cpu" for k in keys if k != "run_audit_rest"]
    print(f"{'phase':16s} {'A median [min..max]':>26s} {'B median [min..max]':>26s}   B/A (medians; mins)")
    for k in keys:
        a = [r[k] for r in sides["A"]]
        b = [r[k] for r in sides["B"]]
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"{k:16s} {ma:8.3f}s [{min(a):.3f}..{max(a):.3f}] {mb:8.3f}s [{min(b):.3f}..{max(b):.3f}]   "
              f"{mb / ma if ma else float('nan'):.3f}; {min(b) / min(a) if min(a) else float('nan'):.3f}")


def equiv(args: argparse.Namespace) -> int:
    import filecmp

    base = Path(tempfile.mkdtemp(prefix="postrun_equiv_"))
    for s, tree in (("A", args.a), ("B", args.b)):
        run_side(tree, "child-equiv", args.pickle, str(base / "run"))  # one path: the config's path is in the outputs
        (base / "run").rename(base / s)
    names = sorted(p.name for p in (base / "A").iterdir())
    assert names == sorted(p.name for p in (base / "B").iterdir()), "different files written"
    bad = [n for n in names if not filecmp.cmp(base / "A" / n, base / "B" / n, shallow=False)]
    sizes = {n: (base / "A" / n).stat().st_size for n in names}
    print(f"compared {len(names)} files in {base}/A and {base}/B: {sizes}")
    print("IDENTICAL" if not bad else f"DIFFERENT: {bad}")
    return 1 if bad else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    g = c.add_mutually_exclusive_group(required=True)
    g.add_argument("--db", help="the PostgreSQL database kept by sql_inventory.py --keep")
    g.add_argument("--demo", help="a folder for the demo estate (auditor demo)")
    c.add_argument("--out", required=True)
    for name in ("ab", "equiv"):
        s = sub.add_parser(name)
        s.add_argument("--pickle", required=True)
        s.add_argument("--a", required=True)
        s.add_argument("--b", default=str(HERE.parent))
        s.add_argument("--reps", type=int, default=5)
    for name in ("child-time", "child-equiv"):
        s = sub.add_parser(name)
        s.add_argument("--pickle", required=True)
        s.add_argument("--out", default="")
    args = p.parse_args()
    if args.cmd == "capture":
        capture(args)
    elif args.cmd == "ab":
        ab(args)
    elif args.cmd == "equiv":
        return equiv(args)
    elif args.cmd == "child-time":
        import auditor

        r = replay_time(args.pickle)
        r["tree"] = str(Path(auditor.__file__).parents[1])
        print("AB " + json.dumps(r))
    else:
        import auditor

        replay_equiv(args.pickle, Path(args.out))
        print("AB " + json.dumps({"tree": str(Path(auditor.__file__).parents[1])}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
