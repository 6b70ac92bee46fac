"""Parquet, bounded by what it decodes to, not by its size on disk.

A few KB of Parquet can decode to gigabytes (one 10 MB dictionary value repeated in every
row). Before any page is decoded the footer's metadata is checked: per leaf column of the
first row group that holds rows, the bytes to read (``total_compressed_size``) must fit the object's byte
budget and the bytes once decompressed (``total_uncompressed_size``, dictionary page
included) must fit the decode budget. Text columns are read as dictionaries where they are
dictionary-encoded, and each dictionary value is cut to :data:`MAX_CELL_CHARS` before
anything is expanded per row, so the decoded size stays that of the pages. Only the first
:data:`MAX_ROWS_PER_OBJECT` rows of that row group are read (a sample of rows).

Nested columns (struct, list, map) are flattened into ``a.b`` / ``l[]`` / ``m.<key>``
fields. What is not read is named: binary columns, columns over a budget,
delta-encoded byte arrays (whose decoded size the metadata cannot bound), and leaf columns
beyond :data:`MAX_FIELDS`.
"""

from __future__ import annotations

from typing import Any

from connectors.formats.common import (
    KEY_FIELD,
    MAX_CELL_CHARS,
    MAX_FIELDS,
    MAX_ROWS_PER_OBJECT,
    MAX_VALUES_PER_FIELD,
    VALUE_FIELD,
    BudgetExceeded,
    Fetch,
    RangedFile,
    ReadResult,
)

TEXT_LOGICAL = ("String", "JSON", "Enum")


def _leaf_kind(col: Any) -> str:
    """"text", "binary" or "value" for one leaf column of a Parquet schema."""
    physical = col.physical_type
    logical = str(col.logical_type)
    if physical in ("BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"):
        if logical.startswith(TEXT_LOGICAL) or str(getattr(col, "converted_type", "")) in ("UTF8", "ENUM", "JSON"):
            return "text"
        if logical.startswith("Decimal") or str(getattr(col, "converted_type", "")) == "DECIMAL":
            return "value"
        return "binary"
    return "value"


def read_parquet(key: str, size: int, fetch: Fetch, max_bytes: int, head: bytes | None = None,
                 decode_budget: int | None = None) -> ReadResult:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return ReadResult(note=f"parquet skipped (pyarrow not installed): {key}", read=False)
    decode_budget = decode_budget if decode_budget is not None else max_bytes * 4
    ranged: RangedFile | None = None
    try:
        if head is not None:
            source: Any = pa.BufferReader(head)
        elif size <= max_bytes:
            source = pa.BufferReader(fetch(0, size - 1))
        else:
            source = ranged = RangedFile(fetch, size, max_bytes)
        pf = pq.ParquetFile(source)
        meta, schema = pf.metadata, pf.schema
        names = list(pf.schema_arrow.names)
        result = ReadResult(fields={n: [] for n in names}, rows=meta.num_rows, whole=True)  # the footer counts every row
        if meta.num_row_groups == 0 or meta.num_rows == 0:
            return result
        # the first row group with rows (a writer may open with an empty one: a streaming job's first,
        # empty micro-batch); meta.num_rows > 0, so there is one
        group = next(g for g in range(meta.num_row_groups) if meta.row_group(g).num_rows > 0)
        rg = meta.row_group(group)
        read_left = ranged.budget if ranged is not None else max_bytes
        decode_left = decode_budget
        chosen: list[str] = []
        dictionary: list[str] = []
        for i in range(rg.num_columns):
            col, chunk = schema.column(i), rg.column(i)
            path = col.path
            kind = _leaf_kind(col)
            if kind == "binary":
                result.skip(f"parquet: column {path!r} (binary, {chunk.num_values} values) not sampled")
                continue
            if len(chosen) >= MAX_FIELDS:
                result.skip(f"parquet: leaf columns beyond the first {MAX_FIELDS} not sampled")
                continue
            encodings = set(chunk.encodings)
            if kind == "text" and encodings & {"DELTA_BYTE_ARRAY", "DELTA_LENGTH_BYTE_ARRAY"} and \
                    chunk.total_uncompressed_size * min(chunk.num_values, MAX_ROWS_PER_OBJECT) > decode_left:
                result.skip(f"parquet: column {path!r} is delta-encoded ({chunk.total_uncompressed_size} bytes "
                            "uncompressed): its decoded size cannot be bounded from the metadata; not sampled")
                continue
            if chunk.total_compressed_size > read_left:
                result.skip(f"parquet: column {path!r} needs {chunk.total_compressed_size} bytes read in its first "
                            f"row group, over the object byte budget left ({max(read_left, 0)}); not sampled")
                continue
            if chunk.total_uncompressed_size > decode_left:
                result.skip(f"parquet: column {path!r} decodes to {chunk.total_uncompressed_size} bytes in its first "
                            f"row group, over the decode budget left ({max(decode_left, 0)}); not sampled")
                continue
            read_left -= chunk.total_compressed_size
            decode_left -= chunk.total_uncompressed_size
            chosen.append(path)
            if kind == "text" and chunk.has_dictionary_page:
                dictionary.append(path)
        if not chosen:
            return result
        reader = pq.ParquetFile(source, metadata=meta, read_dictionary=dictionary or None)
        try:
            batch = next(reader.iter_batches(batch_size=MAX_ROWS_PER_OBJECT, row_groups=[group], columns=chosen,
                                             use_threads=False), None)
        except BudgetExceeded:
            return _names_only(result, key)
        if batch is not None:  # the other rows and row groups: a sample of rows, as for CSV and SQL
            flatten_batch(batch, result)
        return result
    except BudgetExceeded:
        return ReadResult(note=f"parquet footer over the byte limit: {key}", read=False)
    except (pa.ArrowException, OSError, ValueError):
        return ReadResult(note=f"corrupt parquet: {key}", failed=True)


def _names_only(result: ReadResult, key: str) -> ReadResult:
    result.note = f"parquet row group over the byte limit, column names only: {key}"
    return result.skip("parquet: row group over the byte limit: column names read, values not sampled")


def flatten_batch(batch: Any, result: ReadResult) -> None:
    """Leaf values of a record batch into ``result.fields``, nested types flattened, iteratively."""
    import pyarrow as pa
    import pyarrow.compute as pc

    todo: list[tuple[Any, str]] = [(col, name) for name, col in reversed(list(zip(batch.schema.names, batch.columns)))]
    while todo:
        arr, path = todo.pop()
        t = arr.type
        if pa.types.is_struct(t):
            todo.extend((arr.field(i), f"{path}.{t.field(i).name}") for i in reversed(range(t.num_fields)))
        elif pa.types.is_map(t):
            todo.append((arr.items, f"{path}.{VALUE_FIELD}"))
            todo.append((arr.keys, f"{path}.{KEY_FIELD}"))
        elif pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t) \
                or getattr(pa.types, "is_list_view", lambda _: False)(t):
            todo.append((arr.flatten(), f"{path}[]"))
        elif pa.types.is_dictionary(t):
            values = arr.dictionary
            if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
                values = pc.utf8_slice_codeunits(values, 0, MAX_CELL_CHARS)
            arr = pa.DictionaryArray.from_arrays(arr.indices, values)
            todo.append((arr.dictionary_decode(), path))
        elif pa.types.is_boolean(t) or pa.types.is_null(t):
            continue
        elif pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
            result.skip(f"parquet: field {path!r} (binary) not sampled")
        else:
            if pa.types.is_string(t) or pa.types.is_large_string(t):
                arr = pc.utf8_slice_codeunits(arr, 0, MAX_CELL_CHARS)
            values = arr.drop_null()[:MAX_VALUES_PER_FIELD].to_pylist()
            bucket = result.fields.setdefault(path, [])
            room = MAX_VALUES_PER_FIELD - len(bucket)
            bucket.extend(v if isinstance(v, str) else str(v) for v in values[:max(room, 0)])
