"""The CSV report's own row writer writes exactly what ``csv.writer`` writes."""

from __future__ import annotations

import csv
import io
import random

from reports.csv_report import _csv_line, _csv_text

ODD = ["", " ", "a", 'say "hi"', '"', '""', "a,b", "line\nbreak", "cr\ronly", "crlf\r\n", "\t tab", "'=1+1",
       "nul\0byte", "\u2028sep", "é ü 中", "trailing ", ",", "\\", "x\\\"y", 0, -1, 10**30, True, False, None, 1.5,
       float("1e-7")]


def _reference(cells: tuple) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(cells)
    return buf.getvalue()


def test_each_odd_cell_alone_and_among_others() -> None:
    for v in ODD:
        for cells in ((v,), (v, "x"), ("x", v), (v, v, v)):
            assert _csv_line(cells) == _reference(cells), cells


def test_random_rows_match_csv_writer() -> None:
    rnd = random.Random(24)
    alphabet = ['a', 'b', ' ', ',', '"', '\r', '\n', '\0', 'é', '=', '\t', "'"]
    for _ in range(3000):
        cells = tuple(rnd.choice([rnd.randint(-5, 5), "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 6))),
                                  rnd.choice(ODD)]) for _ in range(rnd.randint(1, 5)))
        assert _csv_line(cells) == _reference(cells), cells


def test_text_is_bom_header_and_rows() -> None:
    rows = [{"a": 'x "y"', "b": 1}, {"a": "", "b": "z,w"}]
    expected = "\ufeff" + _reference(("a", "b")) + _reference(('x "y"', 1)) + _reference(("", "z,w"))
    assert _csv_text(("a", "b"), rows) == expected


def test_mapping_cell_is_sorted_json_as_json_dumps_writes_it() -> None:
    import json
    from datetime import datetime, timezone

    from reports.csv_report import _cell

    value = {"z": "é", "a": [1, None, datetime(2026, 1, 2, tzinfo=timezone.utc)], "m": {"y": True, "b": 1.5}}
    assert _cell(value) == json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
