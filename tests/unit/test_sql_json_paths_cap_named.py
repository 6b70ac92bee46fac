"""A SQL sample keeps at most MAX_FIELDS distinct JSON key paths; values under the paths past
that bound were dropped without a word (the object readers name them): a jsonb column keyed by
customer ids ({"cust_1001": {"email": ...}}) after enough other keys lost its e-mail addresses
and the table came out clean. The column is now named in ``unsampled`` with the count."""

from __future__ import annotations

import json

from connectors.formats.common import MAX_FIELDS
from connectors.sql.sampling import read_rows


def _rows() -> list[tuple]:
    # 60 x 60 = 3,600 schema-like paths (no path with more than MAP_KEYS distinct keys: not a map keyed by
    # data), then the e-mails under a path of their own (ids as keys would be a map: counted across rows)
    rows = [(json.dumps({f"metric_{i}": {f"m{j}": j for j in range(60)}}),) for i in range(60)]
    rows += [(json.dumps({"vip": {"email": f"c{i}@example.com"}}),) for i in range(40)]
    return rows


def test_values_past_the_key_path_bound_are_named():
    got = read_rows(["doc"], _rows(), structured={"doc"})
    assert len(got.fields) == MAX_FIELDS
    assert "doc.vip.email" not in got.fields  # the addresses were not kept ...
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


def test_keys_at_one_path_count_across_the_rows_of_a_column():
    # a jsonb column holding one customer per row, keyed by the customer's id: across the sample its
    # root has hundreds of distinct keys, a map keyed by data: one path, the ids are values of <key>
    from connectors.formats.jsonwalk import MAP_KEYS

    rows = [(json.dumps({f"cust_{i}": {"email": f"c{i}@example.com"}}),) for i in range(MAP_KEYS + 36)]
    for structured in ({"doc"}, set()):  # a JSON column, and JSON kept in a text column (MariaDB)
        got = read_rows(["doc"], rows, structured=structured)
        assert {k for k, v in got.fields.items() if v} == {"doc.<key>", "doc.<value>.email"}, sorted(got.fields)[:5]
        assert len(got.fields["doc.<value>.email"]) == MAP_KEYS + 36 and got.unsampled == {}
