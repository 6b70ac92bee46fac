"""The JSON report keeps the indented layout of ``json.dumps(indent=2, ensure_ascii=False,
default=str)``, byte for byte, while orjson encodes it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from reports.json_report import dumps_indented


def stdlib(doc: object) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"


def test_a_report_shaped_document_is_written_as_json_dumps_writes_it():
    doc = {"schema_version": 1,
           "run": {"id": "r1", "started_at": "2026-01-01T00:00:00Z", "policy_limits": {}},
           "datasets": [{"name": "public.t_0001", "records": 200, "bytes": None, "public": False,
                         "personal_data": [{"type": "email", "count": 200, "where": ["email"], "confidence": 0.97,
                                            "examples": ["u***@e***.com"]}],
                         "tags": {"é": "ü – \u2028 \"quoted\" \\ </script>"}, "notes": [], "error": None}],
           "findings": [{"evidence": {"age_days": 365, "ratio": 0.125, "big": 10**18, "nested": [[], {}, [1, 2.5]],
                                      "when": datetime(2026, 1, 1, tzinfo=UTC), 3: "int key"}}],
           "resolved": []}
    assert dumps_indented(doc) == stdlib(doc)


def test_what_orjson_cannot_write_goes_through_json_dumps():
    for doc in ({"n": 2**70}, {"s": "\ud800 lone surrogate"}):
        assert dumps_indented(doc) == stdlib(doc)
