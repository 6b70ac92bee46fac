"""A wide record (an export of a table of many columns as JSON Lines or a JSON array) is a record,
not a map keyed by data: its field names stay fields, and the personal data in them is found. The
keys-as-data walk took any object with more than 64 distinct keys at one path for a map, merged
every column's values into one ``<value>`` field, and the column classifier then found nothing in
it (200 e-mails, phones and names among 20,600 values): a silent pass on the commonest export."""

from __future__ import annotations

import json

from auditor.classify import ClassifyOptions, classify
from auditor.models import Sample
from connectors.formats.common import KEY_FIELD, VALUE_FIELD
from connectors.formats.jsonwalk import read_json, read_jsonl


def _records(columns: int) -> list[dict]:
    out = []
    for i in range(200):
        r: dict = {f"field_{k:03d}": f"v{k}-{i}" for k in range(columns)}
        r["email"] = f"user{i}@example.com"
        r["phone"] = f"+65 9{i % 1000:03d} {i:04d}"
        r["Full Name"] = ["Tan Ah Kow", "Siti Nur Aisyah", "Lee Wei Ming"][i % 3]
        out.append(r)
    return out


def _found(fields: dict) -> dict[str, tuple[str, ...]]:
    return {h.type: tuple(h.where) for h in classify(Sample(fields=fields), ClassifyOptions())}


def test_a_wide_export_keeps_its_columns_and_its_personal_data_is_found() -> None:
    for columns in (10, 100, 300):
        for read, text in ((read_jsonl, "\n".join(json.dumps(r) for r in _records(columns))),
                           (lambda t: read_json(t, False), json.dumps(_records(columns)))):
            fields = read(text).fields
            assert VALUE_FIELD not in fields and KEY_FIELD not in fields, (columns, sorted(fields)[:5])
            assert {"email", "phone", "Full Name", "field_000"} <= set(fields), (columns, sorted(fields)[:5])
            found = _found(fields)
            assert found.get("email") == ("email",) and found.get("phone") == ("phone",), (columns, found)


def test_a_map_keyed_by_names_or_ids_is_still_one_segment() -> None:
    """What the walk is for: keys that are not names (people, numeric ids) past the bound."""
    by_name = {"customers": {f"Customer Number {i} Of Ours": {"email": f"c{i}@example.com"} for i in range(100)}}
    by_id = {"orders": {str(10_000 + i): {"note": "paid"} for i in range(100)}}
    for doc, where in ((by_name, "customers"), (by_id, "orders")):
        fields = read_json(json.dumps(doc), False).fields
        assert f"{where}.{KEY_FIELD}" in fields, sorted(fields)[:5]
        assert not any(k.startswith(f"{where}.Customer") or k.startswith(f"{where}.100") for k in fields)
