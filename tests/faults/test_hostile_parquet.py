"""A Parquet object a few KB on disk that decodes to gigabytes (issue 16): one 10 MB text value,
dictionary-encoded, in each of 200 rows. Before any page is decoded the reader checks the
footer's sizes; the column is named in ``unsampled`` and the process stays small.

Run in a subprocess under RLIMIT_AS = 1 GiB: on the old reader (every row expanded to a Python
string) it dies with MemoryError; now it finishes and names the column.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.hostile_inputs import hostile_parquet

ROOT = Path(__file__).resolve().parents[2]
LIMIT_MB = 1024


CHILD = textwrap.dedent("""
    import json, resource, sys
    limit = int(sys.argv[2]) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from connectors import readers
    data = open(sys.argv[1], "rb").read()
    max_bytes = int(sys.argv[3]) if len(sys.argv) > 3 else 1024 * 1024
    r = readers.read_object("exports/hostile.parquet", len(data), lambda s, e: data[s:e + 1], max_bytes)
    print(json.dumps({"skips": r.skips, "fields": {k: len(v) for k, v in r.fields.items()},
                      "longest": max((len(x) for v in r.fields.values() for x in v), default=0)}))
""")


def test_hostile_parquet_is_refused_before_decoding_under_1gib(tmp_path):
    data = hostile_parquet()
    assert len(data) < 8 * 1024, len(data)  # a few KB on disk
    path = tmp_path / "hostile.parquet"
    path.write_bytes(data)
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), str(LIMIT_MB)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["fields"]["email"] == 200  # the ordinary column is still sampled
    assert out["fields"]["blob"] == 0
    assert any("column 'blob' decodes to" in s and "decode budget" in s for s in out["skips"]), out



def test_dictionary_value_within_the_decode_budget_is_cut_before_rows_are_expanded(tmp_path):
    """6 MB in every one of 200 rows is 1.2 GB expanded: within a 2 MiB object budget (8 MiB decoded)
    the column is read as a dictionary and each value cut to 1,024 characters first."""
    path = tmp_path / "wide-dictionary.parquet"
    path.write_bytes(hostile_parquet(value_bytes=6_000_000))
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), str(LIMIT_MB), str(2 * 1024 * 1024)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["fields"] == {"email": 200, "blob": 200} and out["skips"] == [], out
    assert out["longest"] == 1024
