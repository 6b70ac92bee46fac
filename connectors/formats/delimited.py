"""CSV, TSV and other delimited text: the dialect is sniffed, preamble lines are skipped.

The delimiter is not taken from the name alone: a ``.csv`` written by a spreadsheet set to
a European locale is ``;``-separated. :func:`sniff` asks :class:`csv.Sniffer` and checks its
answer (and every other candidate) by how many of the first lines parse to one width of two
or more columns. An Excel ``sep=;`` line names the delimiter itself. Lines before the header
(a title, an export note) are kept as text, so nothing given is left unread.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections import Counter
from typing import Any

from connectors.formats.common import MAX_ROWS_PER_OBJECT, ReadResult, chunks, header_is_data

CANDIDATES = (",", ";", "\t", "|")
SNIFF_LINES = 50  # lines of the head looked at to choose the dialect and find the header
SNIFF_CHARS = 64 * 1024  # of which csv.Sniffer sees at most this much
_SEP_LINE = re.compile(r'^\s*"?sep=(.)"?\s*$', re.IGNORECASE)


def _rows(text: str, delimiter: str, limit: int = SNIFF_LINES) -> list[list[str]]:
    try:
        return list(itertools.islice(csv.reader(io.StringIO(text), delimiter=delimiter), limit))
    except csv.Error:
        return []


def _score(rows: list[list[str]]) -> tuple[int, int]:
    """(rows of the most common width, that width), among widths of two or more columns."""
    widths = Counter(len(r) for r in rows if len(r) >= 2)
    if not widths:
        return 0, 0
    width, count = max(widths.items(), key=lambda wc: (wc[1], wc[0]))
    return count, width


def sniff(text: str, default: str = ",") -> tuple[str, int]:
    """(delimiter, number of lines before the header) of a delimited text's head."""
    lines = text.splitlines(keepends=True)
    skip = 0
    if lines and (m := _SEP_LINE.match(lines[0])):
        return m.group(1), 1
    head = "".join(lines[:SNIFF_LINES])
    try:
        sniffed: str | None = csv.Sniffer().sniff(head[:SNIFF_CHARS], delimiters="".join(CANDIDATES)).delimiter
    except csv.Error:
        sniffed = None
    best, best_score = default, (0, 0)
    for cand in dict.fromkeys([c for c in (sniffed, default) if c] + list(CANDIDATES)):
        score = _score(_rows(head, cand))
        if score > best_score:
            best, best_score = cand, score
    if best_score[0] == 0:
        return default, 0
    width = best_score[1]
    # the header is the first line of the table's width; what comes before it is a preamble
    rows = _rows(head, best)
    for i, row in enumerate(rows):
        if len(row) == width:
            skip = i
            break
    # csv rows and text lines differ when a quoted cell holds a newline: count lines of the preamble
    if skip:
        reader = csv.reader(io.StringIO(head), delimiter=best)
        for _ in range(skip):
            next(reader, None)
        skip = reader.line_num
    return best, skip


def read_delimited(text: str, default: str, key: str = "", truncated: bool = False) -> ReadResult:
    delimiter, skip = sniff(text, default)
    preamble = ""
    if skip:
        lines = text.splitlines(keepends=True)
        preamble, text = "".join(lines[:skip]), "".join(lines[skip:])
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None)
    result = ReadResult(text=chunks(preamble) if preamble.strip() else [])
    if not header:
        return result
    pending: list[list[str]] = []
    if header_is_data(header):  # a headerless export: the first row is values, never field names
        names = [f"column_{i + 1}" for i in range(len(header))]
        pending.append(header)
    else:
        names = [h.strip() or f"column_{i + 1}" for i, h in enumerate(header)]
    fields: dict[str, list[Any]] = {n: [] for n in names}
    rows = 0
    for i, row in enumerate(itertools.chain(pending, reader)):
        if i >= MAX_ROWS_PER_OBJECT:
            rows += 1 + sum(1 for r in reader if r)  # counted, not sampled: the rows the part read holds
            break  # a sample of rows, as for SQL
        rows += 1
        while len(row) > len(names):  # a row wider than its header: the extra cells are read too
            names.append(f"column_{len(names) + 1}")
            fields[names[-1]] = []
        for name, value in zip(names, row):
            if value.strip():
                fields[name].append(result.cell(value))
    result.fields = fields
    result.rows = rows
    if truncated and not rows:  # only the header fits in the byte limit: the values are unknown, not absent
        result.note, result.failed = f"no complete row within the read limit: {key}", True
    return result
