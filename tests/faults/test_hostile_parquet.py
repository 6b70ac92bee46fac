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
    r = readers.read_object("exports/hostile.parquet", len(data), lambda s, e: data[s:e + 1], 1024 * 1024)
    print(json.dumps({"skips": r.skips, "fields": {k: len(v) for k, v in r.fields.items()},
                      "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
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
