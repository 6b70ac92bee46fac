"""Hostile content built in memory, shared by the fault suite and the integration tests."""

from __future__ import annotations

import io


def hostile_parquet(value_bytes: int = 10_000_000, rows: int = 200) -> bytes:
    """Issue 16's Parquet: one ``value_bytes`` text value referenced by every row through the
    dictionary, zstd-compressed (~2 KB on disk, gigabytes once every row is expanded), beside an
    ordinary e-mail column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    blob = pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), pa.array(["x" * value_bytes]))
    table = pa.table({"email": [f"user{i}@example.com" for i in range(rows)], "blob": blob})
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()
