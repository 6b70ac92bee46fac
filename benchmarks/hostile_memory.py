"""Peak memory of each hostile input next to a normal one (issue 16).

    python benchmarks/hostile_memory.py            # every case
    python benchmarks/hostile_memory.py --quick    # a smaller zip bomb
    python benchmarks/hostile_memory.py --case hostile-parquet

Each case runs in a fresh child process so its peak RSS (``VmHWM``) is its own, under an
address-space limit (``RLIMIT_AS``, 2 GiB) so a case that would balloon fails fast instead of
taking the machine down; a child that dies is reported as such. Cases are a table: add a row
(name, what it is, a function that builds the input and runs the auditor's reader on it, the
baseline it is compared with). YAML "billion laughs" configs and policies are rows here (loaded
by the config loader and `policies validate`, refused before they expand); other hostile inputs
(SQL cells of 30 MB text) belong here as rows beside these.

Every case runs ``--repeats`` times (default 3, quick 1) in rounds: a round runs each case once, its
baseline in the same round. A hostile case's figure is the ratio of its median peak to its
baseline's median, printed with the min / median / max of both.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _result import median, peak_rss_mb, result, spread  # noqa: E402
from hostile_memory_sql import SQL_CASES  # noqa: E402
from hostile_memory_sql import scan as sql_scan  # noqa: E402

LIMIT_BYTES = 2 * 1024 ** 3
MAX_OBJECT_BYTES = 1024 * 1024  # the object-store default


def read_object(key: str, data: bytes) -> dict:
    """The object readers of the S3 and GCS connectors, on one object's bytes."""
    from connectors import readers

    r = readers.read_object(key, len(data), lambda s, e: data[s: e + 1], MAX_OBJECT_BYTES)
    return {"fields": len(r.fields), "values": sum(len(v) for v in r.fields.values()), "skips": r.skips}


def _parquet(table: object) -> bytes:
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


def normal_parquet() -> tuple[str, bytes]:
    import pyarrow as pa

    rows = 200
    return "normal.parquet", _parquet(pa.table({
        "email": [f"user{i}@example.com" for i in range(rows)], "note": [f"order {i} " * 8 for i in range(rows)]}))


def hostile_parquet() -> tuple[str, bytes]:
    """One 10 MB text value, dictionary-encoded, in every one of 200 rows (issue 16: 5.9 GB before)."""
    import pyarrow as pa

    rows = 200
    blob = pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), pa.array(["x" * 10_000_000]))
    return "hostile.parquet", _parquet(pa.table({"email": [f"user{i}@example.com" for i in range(rows)],
                                                 "blob": blob}))


def normal_zip() -> tuple[str, bytes]:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("customers.csv", "email\n" + "".join(f"user{i}@example.com\n" for i in range(5000)))
    return "normal.zip", buf.getvalue()


BOMB_MB = 1024  # 128 under --quick


def zip_bomb() -> tuple[str, bytes]:
    """A member declaring 1 GiB of zeros (~1 MB on disk; 128 MiB under --quick)."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("customers.csv", "w", force_zip64=True) as m:
            block = b"\x00" * (1024 * 1024)
            for _ in range(BOMB_MB):
                m.write(block)
    return "bomb.zip", buf.getvalue()


def deep_json() -> tuple[str, bytes]:
    """1 MB of nested arrays (500,000 levels): no recursion, the path shortened."""
    depth = 500_000
    return "deep.json", b"[" * depth + b'"a@example.com"' + b"]" * depth


def normal_config() -> tuple[str, bytes]:
    """A realistic config: 40 vendors, 80 SQL sources, a schedule, one anchor used 79 times."""
    out = ["state: sqlite:///state.db", "policies: [builtin:baseline]", "vendors:"]
    out += [f"  - {{id: vendor-{i}, name: Vendor {i}, contract_end: 2027-03-31, "
            f"allowed_personal_data: [email, phone]}}" for i in range(40)]
    out.append("sources:")
    out += [f"  - {{id: db-{i}, vendor: vendor-{i % 40}, kind: sql, url: \"sqlite:///db{i}.sqlite\", "
            f"include: {'&include [public.*]' if i == 0 else '*include'}}}" for i in range(80)]
    out += ["schedule:", "  nightly: \"0 2 * * *\"", "  timezone: Asia/Singapore"]
    return "config", ("\n".join(out) + "\n").encode()


def _laughs(head: list[str], key: str) -> bytes:
    """The classic: 9 levels of 10 aliases (90 aliases), 10^9 strings once expanded."""
    out = [*head, f"{key}:", "  l0: &l0 [lol]"]
    out += [f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    return ("\n".join(out) + "\n").encode()


def yaml_bomb_config() -> tuple[str, bytes]:
    """Before the bounds: past 2 GiB after 96 s (MemoryError under this benchmark's limit)."""
    return "config", _laughs(["state: sqlite:///state.db", "vendors: [{id: v}]",
                              "sources: [{id: s, vendor: v, kind: sql, url: \"sqlite:///x.db\"}]"], "bomb")


def normal_policy() -> tuple[str, bytes]:
    return "policy", (b"name: acme\nextends: builtin:baseline\noverrides:\n"
                      b"  - rule: stale-personal-data\n    params: {max_age: 180d}\n"
                      b"  - rule: stale-personal-data\n    vendors: [acme]\n    datasets: [\"*/legacy/*\"]\n"
                      b"    params: {max_age: 90d}\n    severity: critical\n")


def yaml_bomb_policy() -> tuple[str, bytes]:
    return "policy", _laughs(["name: bomb", "extends: builtin:baseline"], "description")


def load_yaml(kind: str, data: bytes) -> dict:
    """The config loader or `policies validate`, on a file: a refusal is the expected outcome."""
    import policies
    from auditor.config import load_config
    from auditor.errors import ConfigError
    from auditor.plugins import load_connectors

    load_connectors()  # as the CLI does: the config names kind: sql (else the normal config is refused)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{kind}.yaml"
        path.write_bytes(data)
        try:
            if kind == "config":
                outcome = f"loaded: {len(load_config(path).sources)} sources"
            else:
                policies.validate_paths([str(path)])
                outcome = "loaded"
        except ConfigError as exc:  # PolicyError too
            outcome = "refused: " + str(exc).replace(str(path), f"{kind}.yaml").splitlines()[0]
    return {"skips": [outcome]}


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    build: Callable[[], tuple[str, bytes]]  # (name, input bytes), built in the parent process
    run: Callable[[str, bytes], dict]  # what the auditor does with it, measured in a child process
    baseline: str | None  # the normal case it is compared with


CASES = [
    Case("normal-parquet", "200 rows, e-mail and text columns", normal_parquet, read_object, None),
    Case("hostile-parquet", "2 KB Parquet: one 10 MB dictionary value in 200 rows", hostile_parquet, read_object,
         "normal-parquet"),
    Case("normal-zip", "a ZIP with one 120 KB CSV", normal_zip, read_object, None),
    Case("zip-bomb", "a ZIP member declaring 1 GiB of zeros", zip_bomb, read_object, "normal-zip"),
    Case("deep-json", "500,000 nested JSON arrays", deep_json, read_object, "normal-zip"),
    Case("normal-config", "40 vendors, 80 sources, one anchor", normal_config, load_yaml, None),
    Case("yaml-bomb-config", "config: 9 levels of 10 aliases (10^9 strings)", yaml_bomb_config, load_yaml,
         "normal-config"),
    Case("normal-policy", "a pack extension with two overrides", normal_policy, load_yaml, None),
    Case("yaml-bomb-policy", "policy: 9 levels of 10 aliases", yaml_bomb_policy, load_yaml, "normal-policy"),
]
# the SQL connector on tables of huge cells (issue 16: values cut on the server): hostile_memory_sql.py
CASES += [Case(name, what, build, sql_scan, base) for name, what, build, base in SQL_CASES]


def child(name: str, path: str, key: str) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))
    case = next(c for c in CASES if c.name == name)
    data = Path(path).read_bytes()
    out = case.run(key, data)
    out["on_disk"] = len(data)
    out["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a smaller zip bomb (128 MiB declared)")
    ap.add_argument("--repeats", type=int, help="rounds of every case (default 3; quick 1)")
    ap.add_argument("--case", nargs=3, metavar=("NAME", "INPUT", "KEY"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case:
        child(*args.case)
        return
    if args.quick:
        global BOMB_MB
        BOMB_MB = 128
    repeats = args.repeats or (1 if args.quick else 3)
    peaks: dict[str, list[float]] = {}
    died: set[str] = set()
    print(f"{'case':<18} {'on disk':>10} {'peak RSS':>10}  skipped parts")
    tmp = Path(tempfile.mkdtemp(prefix="hostile-"))
    for _ in range(repeats):
        for case in CASES:
            if case.name in died:
                continue
            key, data = case.build()
            (tmp / case.name).write_bytes(data)
            del data
            proc = subprocess.run([sys.executable, __file__, "--case", case.name, str(tmp / case.name), key],
                                  capture_output=True, text=True, timeout=600)
            (tmp / case.name).unlink()
            if proc.returncode != 0:
                print(f"{case.name:<18} {'-':>10} {'died':>10}  {proc.stderr.strip().splitlines()[-1:]}")
                died.add(case.name)
                continue
            out = json.loads(proc.stdout.strip().splitlines()[-1])
            peaks.setdefault(case.name, []).append(out["peak_rss_mb"])
            print(f"{case.name:<18} {out['on_disk']:>10} {out['peak_rss_mb']:>8.0f}MB  {'; '.join(out['skips'])[:120]}")
    for case in CASES:
        if case.name in died:
            result("hostile memory", f"{case.name} peak RSS", -1, "MB", "finishes under 2 GiB", False)
            continue
        mine = peaks[case.name]
        base = peaks.get(case.baseline or "")
        if base:
            ratio = median(mine) / median(base)
            result("hostile memory", f"{case.name} peak RSS vs {case.baseline}", ratio, "x",
                   "<= 2x the normal input", ratio <= 2, floor=f"{case.baseline} {spread(base, 'MB', 1)}",
                   spread=spread(mine, "MB", 1))
        else:
            result("hostile memory", f"{case.name} peak RSS", median(mine), "MB", "baseline", None,
                   spread=spread(mine, "MB", 1))
    tmp.rmdir()


if __name__ == "__main__":
    main()
