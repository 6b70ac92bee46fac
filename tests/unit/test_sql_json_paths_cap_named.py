"""A SQL sample keeps at most MAX_FIELDS distinct JSON key paths; values under the paths past
that bound were dropped without a word (the object readers name them): a jsonb column keyed by
customer ids ({"cust_1001": {"email": ...}}) after enough other keys lost its e-mail addresses
and the table came out clean. The column is now named in ``unsampled`` with the count."""

from __future__ import annotations

import json

from connectors.formats.common import MAX_FIELDS
from connectors.sql.sampling import read_rows


def _rows() -> list[tuple]:
    rows = [(json.dumps({f"metric_{i}_{j}": j for j in range(60)}),) for i in range(60)]  # 3,600 paths
    rows += [(json.dumps({f"cust_{i}": {"email": f"c{i}@example.com"}}),) for i in range(40)]
    return rows


def test_values_past_the_key_path_bound_are_named():
    got = read_rows(["doc"], _rows(), structured={"doc"})
    assert len(got.fields) == MAX_FIELDS
    assert not any("cust_" in k for k in got.fields)  # the addresses were not kept ...
    assert "doc" in got.unsampled, got.unsampled  # ... and that is said
    assert f"beyond the first {MAX_FIELDS}" in got.unsampled["doc"]


def test_json_in_a_text_column_past_the_bound_is_named_too():
    got = read_rows(["doc"], _rows())  # MariaDB's JSON is LONGTEXT: JSON kept in a text column
    assert "doc" in got.unsampled and f"beyond the first {MAX_FIELDS}" in got.unsampled["doc"]


def test_one_document_with_more_paths_than_the_bound_is_named():
    # MAX_FIELDS + 5 schema-like paths (one object of thousands of keys would be a map keyed by data: one path)
    groups = {f"g{g}": {f"k{i}": i for i in range(40)} for g in range(50)}
    groups["g50"] = {f"k{i}": i for i in range(5)}
    doc = json.dumps(groups)
    got = read_rows(["doc"], [(doc,)], structured={"doc"})
    assert "doc" in got.unsampled and "5 value(s)" in got.unsampled["doc"], got.unsampled


def test_within_the_bound_nothing_is_named():
    got = read_rows(["doc"], _rows()[:20], structured={"doc"})
    assert got.unsampled == {}
