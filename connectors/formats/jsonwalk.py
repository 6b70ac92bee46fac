"""JSON to any depth: an iterative walk over parse events (ijson) or Python values.

Values become fields keyed by their path (``a.b``, ``tags[].phone``); object keys that are
themselves values (an e-mail used as a key) go to ``<key>`` fields. No recursion anywhere,
so a document nested 100,000 levels deep is walked like a flat one; only its byte budget
bounds it. Paths deeper than :data:`PATH_KEEP` * 2 segments are shortened in their middle.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from connectors.formats.common import (
    KEY_FIELD,
    MAX_CELL_CHARS,
    MAX_FIELDS,
    MAX_ROWS_PER_OBJECT,
    MAX_VALUES_PER_FIELD,
    VALUE_FIELD,
    ReadResult,
    chunks,
    looks_like_value,
    split_long,
)

PATH_KEEP = 16  # segments kept at each end of a very deep path
Event = tuple[str, Any]


class Walker:
    """Feeds on (event, value) pairs as ijson's ``basic_parse`` yields them."""

    def __init__(self, out: dict[str, list[Any]], root: str = "", records: bool = False) -> None:
        self.out = out
        self.segs: list[str] = [root] if root else []  # non-empty path segments of the open containers
        self.base = len(self.segs)
        self.kinds: list[str] = []  # "map" / "array" of each open container
        self.pushed: list[bool] = []  # whether each open container added a segment
        self.key: str | None = None  # the pending key segment inside a map
        self.records = records  # a top-level array holds records: its items add no "[]"
        self.dropped = 0  # values under key paths beyond MAX_FIELDS
        self.values = 0
        self.items = 0  # items of a top-level array (records), counted while walking
        self.top: str | None = None  # the kind of the top-level value
        self.rests: list[str] = []  # what came after the cut of each long value (read as text by the readers)

    def _path(self, last: str | None) -> str:
        """The joined path of the open containers (and ``last``): O(PATH_KEEP), never O(depth)."""
        segs = self.segs
        if last:
            segs = segs[-2 * PATH_KEEP:] + [last] if len(segs) > 2 * PATH_KEEP else [*segs, last]
            depth = len(self.segs) + 1
        else:
            depth = len(segs)
            segs = segs[-2 * PATH_KEEP:] if depth > 2 * PATH_KEEP else segs
        if depth > 2 * PATH_KEEP:
            segs = [*self.segs[:PATH_KEEP], f"…{depth - 2 * PATH_KEEP} levels…", *segs[-PATH_KEEP:]]
        path = ""
        for s in segs:
            path = s if not path else (f"{path}{s}" if s == "[]" else f"{path}.{s}")
        return path

    def _child(self) -> str | None:
        if not self.kinds:
            return None
        if self.kinds[-1] == "map":
            return self.key if self.key is not None else ""
        if self.records and len(self.kinds) == 1:
            return None
        return "[]"

    def _keep(self, path: str, value: Any) -> None:
        self.values += 1
        bucket = self.out.get(path)
        if bucket is None:
            if len(self.out) >= MAX_FIELDS:
                self.dropped += 1
                return
            bucket = self.out[path] = []
        if len(bucket) < MAX_VALUES_PER_FIELD:
            if not isinstance(value, str):
                value = str(value)
            if len(value) > MAX_CELL_CHARS:
                value, rest = split_long(value)
                self.rests.append(rest)
            bucket.append(value)

    def feed(self, event: str, value: Any) -> None:
        if self.top is None and not self.kinds:
            self.top = "array" if event == "start_array" else "map" if event == "start_map" else "scalar"
        elif len(self.kinds) == 1 and self.kinds[0] == "array" and event not in ("end_array", "end_map", "map_key"):
            self.items += 1
        if event == "map_key":
            key = str(value)
            if looks_like_value(key):  # an object keyed by e-mail, phone, id: the key is a value, not a name
                self._keep(self._path(KEY_FIELD), key)
                key = VALUE_FIELD
            self.key = key
        elif event in ("start_map", "start_array"):
            child = self._child()
            if child:
                self.segs.append(child)
            self.pushed.append(bool(child))
            self.kinds.append("map" if event == "start_map" else "array")
            self.key = None
        elif event in ("end_map", "end_array"):
            self.kinds.pop()
            if self.pushed.pop():
                self.segs.pop()
            self.key = None
        elif event in ("null", "boolean"):
            return
        else:
            self._keep(self._path(self._child()) or "$", value)

    def feed_all(self, events: Iterable[Event]) -> None:
        for event, value in events:
            self.feed(event, value)

    def note_dropped(self, result: ReadResult, fmt: str) -> None:
        """Into ``result``: the rests of long values (as text) and the values not kept (named)."""
        for rest in self.rests:
            result.add_rest(rest)
        if self.dropped:
            result.skip(f"{fmt}: {self.dropped} values under key paths beyond the first {MAX_FIELDS} not sampled")


def events_of(value: Any) -> Iterator[Event]:
    """Python values (decoded JSON, Arrow rows) as parse events, iteratively."""
    todo: list[tuple[str, Any]] = [("v", value)]
    while todo:
        tag, v = todo.pop()
        if tag == "end":
            yield v, None
        elif tag == "key":
            yield "map_key", v
        elif isinstance(v, dict):
            yield "start_map", None
            todo.append(("end", "end_map"))
            for k, x in reversed(list(v.items())):
                todo.append(("v", x))
                todo.append(("key", k))
        elif isinstance(v, (list, tuple)):
            yield "start_array", None
            todo.append(("end", "end_array"))
            todo.extend(("v", x) for x in reversed(v))
        elif v is None:
            yield "null", None
        elif isinstance(v, bool):
            yield "boolean", v
        elif isinstance(v, (int, float, Decimal)):
            yield "number", v
        else:
            yield "string", v if isinstance(v, str) else str(v)


def flatten(value: Any, path: str, out: dict[str, list[Any]]) -> int:
    """Python JSON values into ``path.key.path`` fields (``[]`` for list items), to any depth;
    returns how many values were dropped for the MAX_FIELDS bound."""
    walker = Walker(out, root=path)
    walker.feed_all(events_of(value))
    return walker.dropped


def _parse(data: bytes, walker: Walker) -> None:
    import ijson

    walker.feed_all(ijson.basic_parse(io.BytesIO(data), use_float=True))


def _one_per_line(text: str) -> bool:
    """Is this JSON Lines: a first line that is a whole JSON object, and more lines after it?"""
    import ijson

    stripped = text.lstrip()
    first, sep, rest = stripped.partition("\n")
    if not stripped.startswith("{") or not sep or not rest.strip():
        return False
    try:
        for _ in ijson.basic_parse(io.BytesIO(first.encode("utf-8"))):
            pass
    except ijson.JSONError:
        return False
    return True


def read_json(text: str, truncated: bool) -> ReadResult:
    """One JSON document (a top-level array is a list of records)."""
    import ijson

    out: dict[str, list[Any]] = {}
    walker = Walker(out, records=True)
    data = text.encode("utf-8")
    try:
        _parse(data, walker)
    except ijson.JSONError as exc:
        if _one_per_line(text):
            return read_jsonl(text)  # one document per line, without the .jsonl name
        if walker.values and truncated:
            pass  # cut at the byte limit: what was read before the cut is the sample
        elif truncated:
            return ReadResult(text=chunks(text))  # not JSON after all: the text is still classified
        elif walker.values:
            result = ReadResult(fields=out)
            walker.note_dropped(result, "json")
            return result.skip(f"json: invalid after {walker.values} values ({type(exc).__name__}): the rest not read")
        else:
            raise ValueError("unparseable JSON") from None
    result = ReadResult(fields=out)
    result.rows = walker.items if walker.top == "array" else 1
    walker.note_dropped(result, "json")
    return result


def read_jsonl(text: str) -> ReadResult:
    import ijson

    out: dict[str, list[Any]] = {}
    walker = Walker(out)
    loose: list[str] = []
    rows = 0
    lines = text.splitlines()
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if rows >= MAX_ROWS_PER_OBJECT:
            break  # a sample of rows, as for CSV and SQL
        rows += 1
        try:
            _parse(line.encode("utf-8"), walker)
        except ijson.JSONError:
            walker.kinds.clear()
            walker.pushed.clear()
            del walker.segs[walker.base:]
            # invalid mid-line (a NaN that Python's json.dumps writes): what came after the error is only
            # read as text, so the whole line is (what came before it is then counted twice, never lost)
            loose.append(line)
    result = ReadResult(fields=out, text=chunks("\n".join(loose)) if loose else [])
    result.rows = sum(1 for line in lines if line.strip())  # counted, not sampled
    walker.note_dropped(result, "jsonl")
    return result
