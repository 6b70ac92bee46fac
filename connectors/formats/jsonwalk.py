"""JSON to any depth: an iterative walk over parse events (ijson) or Python values.

Values become fields keyed by their path (``a.b``, ``tags[].phone``). An object whose keys are
data, not names (a map keyed by e-mail, phone, id or a person's name: see :meth:`Walker._data_key`),
is one path segment: its keys go to the ``<key>`` field at its path, as values (classified and
counted like any other), and what they hold goes under ``<value>``; no such key is ever part of a
field's name. Schema-like keys (``address.city``) stay as they are. No recursion anywhere,
so a document nested 100,000 levels deep is walked like a flat one; only its byte budget
bounds it. Paths deeper than :data:`PATH_KEEP` * 2 segments are shortened in their middle.
"""

from __future__ import annotations

import io
import re
from collections import Counter
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
KEYS_KEPT = 65_536  # distinct keys counted over every path of a walk (past it, a key is judged each time it comes)
MAP_KEYS = 64  # distinct keys at one path that are no names (``_NAME_LIKE``), or field names holding records as
# often, or keys that vary from object to object there (twice the most one object had), past which the object
# there is a map keyed by data (ids: ``cust_35: {...}``, one id a row); field names holding values in objects that
# each have them all do not count: a wide export's record has hundreds, and is a record
Event = tuple[str, Any]
Segs = tuple[str, ...]
Shape = tuple[Segs, tuple[tuple[int, Segs], ...]]  # a path's segments; (index, map path) of its raw keys
# a schema-like key: a name as code and exports write it (``city``, ``order_id``, ``shippingAddress``,
# ``x-request-id``, ``@type``, ``$ref``); one with spaces or signs (``Tan Ah Kow``, ``+6591234567``) may be data
_NAME_LIKE = re.compile(r"[@$#]?[A-Za-z_][A-Za-z0-9_\-]*(?:[.:][A-Za-z_][A-Za-z0-9_\-]*)*")


def _hinted(key: str) -> bool:
    """Does ``key`` read as a field name the classifier knows (``Contact No``, ``Home Address``)?"""
    from auditor.classify.hints import field_hints

    return bool(field_hints(key))


class KeyMaps:
    """What a walk learnt of the objects at each path (:class:`_MapPath`) and the segments of each
    path it kept: one per walker, or shared by the walks of many documents that make one field (a
    SQL sample's JSON column, a document per row), so keys at one path count across them."""

    __slots__ = ("maps", "shapes", "kept")

    def __init__(self) -> None:
        self.maps: dict[Segs, _MapPath] = {}  # per path of an object: its keys, and whether they are data
        self.kept = 0  # keys counted in ``maps`` in all: at most KEYS_KEPT (memory bounded whatever the input)
        # each kept path: its segments, and which of them are keys of a map not (yet) known to be data
        # (segment index, that map's path), to move it under ``<value>`` once the map is
        self.shapes: dict[str, Shape] = {}

    def settle(self, out: dict[str, list[Any]]) -> None:
        """Move what ``out`` holds under the keys of maps found to be keyed by data (before the walk
        knew) under their ``<value>`` segment: no raw key stays in a field's name."""
        if not any(seen.data for seen in self.maps.values()):
            return
        maps = self.maps
        moved: dict[str, tuple[str, Shape]] = {}
        for path in out:
            shape = self.shapes.get(path)
            if shape is None:
                continue
            segs, raw = shape
            data = [(i, at) for i, at in raw if (seen := maps.get(at)) is not None and seen.data]
            if data:
                new = list(segs)
                for i, _ in data:
                    new[i] = VALUE_FIELD
                moved[path] = (Walker._join(new), (tuple(new), tuple(x for x in raw if x not in data)))
        for path, (new_path, new_shape) in moved.items():
            values = out.pop(path)
            bucket = out.setdefault(new_path, [])
            bucket.extend(values[: max(0, MAX_VALUES_PER_FIELD - len(bucket))])
            self.shapes.setdefault(new_path, new_shape)


class _MapPath:
    """What the walk saw of the objects at one path: their keys so far (counted; KEYS_KEPT over all
    paths), and whether they are data (then every key there goes to ``<key>``)."""

    __slots__ = ("keys", "data", "loose", "holders", "width")

    def __init__(self) -> None:
        self.keys: Counter[str] = Counter()
        self.data = False
        self.loose: set[str] = set()  # keys seen here that are neither schema-like nor a known field name
        self.holders = 0  # times a name-like key here held an object or an array (``cust_35: {...}``)
        self.width = 0  # the most keys one object here had (a record's width; a map's keys vary across objects)


class Walker:
    """Feeds on (event, value) pairs as ijson's ``basic_parse`` yields them."""

    def __init__(self, out: dict[str, list[Any]], root: str = "", records: bool = False,
                 keys: KeyMaps | None = None) -> None:
        self.out = out
        self.segs: list[str] = [root] if root else []  # non-empty path segments of the open containers
        # for each of segs: the path of the map whose raw key it is (None: "[]", <value>, the root)
        self.ids: list[Segs | None] = [None] * len(self.segs)
        self.key_at: Segs | None = None  # the map path of the pending key, while that key is raw
        self.raw_key: str = ""  # the pending key itself while ``raw`` is set
        self.base = len(self.segs)
        self.kinds: list[str] = []  # "map" / "array" of each open container
        self.ats: list[Segs] = []  # the path of each open container (as _segs gives it), taken when it opens
        self.pushed: list[bool] = []  # whether each open container added a segment
        self.key: str | None = None  # the pending key segment inside a map
        self.records = records  # a top-level array holds records: its items add no "[]"
        self.dropped = 0  # values under key paths beyond MAX_FIELDS
        self.values = 0
        self.items = 0  # items of a top-level array (records), counted while walking
        self.top: str | None = None  # the kind of the top-level value
        self.rests: list[str] = []  # what came after the cut of each long value (read as text by the readers)
        self.keys = keys if keys is not None else KeyMaps()
        self.maps, self.shapes = self.keys.maps, self.keys.shapes
        self.raw: Segs | None = None  # the open map's path, while its pending key is a raw (name-like) key
        self.name_at: Segs | None = None  # the open map's path, while its pending key is a field name
        self.widths: list[int] = []  # keys so far of each open container (0 for an array)

    def _segs(self, last: str | None) -> list[str]:
        """The segments of the open containers (and ``last``), a very deep path shortened in its
        middle: O(PATH_KEEP), never O(depth)."""
        extra = [last] if last else []
        return self._cut(self.segs, extra, f"…{len(self.segs) + len(extra) - 2 * PATH_KEEP} levels…")

    def _shape(self, segs: list[str], last_id: Segs | None, has_last: bool) -> Shape:
        """``segs`` (from ``_segs``) and the (index, map path) of the raw keys among them: what
        :meth:`KeyMaps.settle` moves under ``<value>`` if their map turns out to be keyed by data."""
        ids = self._cut(self.ids, [last_id] if has_last else [], None)
        return tuple(segs), tuple((i, at) for i, at in enumerate(ids) if at is not None)

    def _child_id(self) -> Segs | None:
        """The map path of the pending key when it is raw (a name, not ``<value>``), else None."""
        if self.kinds and self.kinds[-1] == "map" and self.key and self.key != VALUE_FIELD:
            return self.key_at
        return None

    @staticmethod
    def _cut(stack: list[Any], extra: list[Any], marker: Any) -> list[Any]:
        depth = len(stack) + len(extra)
        if depth <= 2 * PATH_KEEP:
            return [*stack, *extra]
        return [*stack[:PATH_KEEP], marker, *(stack[-2 * PATH_KEEP:] + extra)[-PATH_KEEP:]]

    @staticmethod
    def _join(segs: Iterable[str]) -> str:
        path = ""
        for s in segs:
            path = s if not path else (f"{path}{s}" if s == "[]" else f"{path}.{s}")
        return path

    def _path(self, last: str | None) -> str:
        """The joined path of the open containers (and ``last``)."""
        return self._join(self._segs(last))

    def _child(self) -> str | None:
        if not self.kinds:
            return None
        if self.kinds[-1] == "map":
            return self.key if self.key is not None else ""
        if self.records and len(self.kinds) == 1:
            return None
        return "[]"

    def _keep(self, path: str, value: Any, shape: Shape | None = None) -> None:
        self.values += 1
        bucket = self.out.get(path)
        if bucket is None:
            if len(self.out) >= MAX_FIELDS:
                self.dropped += 1
                return
            bucket = self.out[path] = []
        if shape is not None and path not in self.shapes:
            self.shapes[path] = shape
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
            if self.widths:
                self.widths[-1] += 1
            self.key = self._map_key(str(value))
        elif event in ("start_map", "start_array"):
            if self.raw is not None:  # a name-like key holding a record: ``{"Tan Ah Kow": {...}}``
                self._data_map(self.raw, self.raw_key)
                self.key, self.raw = VALUE_FIELD, None
            elif self.name_at is not None:  # a field name holding a record: ids (``cust_35: {...}``) when many
                seen = self.maps.get(self.name_at)
                if seen is not None and not seen.data:
                    seen.holders += 1
                    if seen.holders >= MAP_KEYS and len(seen.keys) >= MAP_KEYS:
                        self._data_map(self.name_at, self.key or "")
                        self.key = VALUE_FIELD
            self.name_at = None
            child = self._child()
            if child:
                self.segs.append(child)
                self.ids.append(self._child_id())
            self.pushed.append(bool(child))
            self.kinds.append("map" if event == "start_map" else "array")
            self.ats.append(tuple(self._segs(None)) if event == "start_map" else ())
            self.widths.append(0)
            self.key = None
        elif event in ("end_map", "end_array"):
            self.kinds.pop()
            at, width = self.ats.pop(), self.widths.pop()
            if width and (seen := self.maps.get(at)) is not None and width > seen.width:
                seen.width = width
            if self.pushed.pop():
                self.segs.pop()
                self.ids.pop()
            self.key = None
            self.raw = self.name_at = None
        elif event in ("null", "boolean"):
            self.raw = self.name_at = None
            return
        else:
            raw, self.raw, self.name_at = self.raw, None, None
            if raw is not None and looks_like_value(str(value)):  # ``{"Tan Ah Kow": "+65 9123 4567"}``
                self._data_map(raw, self.raw_key)
                self.key = VALUE_FIELD
            last = self._child()
            segs = self._segs(last)
            path = self._join(segs) or "$"
            self._keep(path, value, None if path in self.shapes else self._shape(segs, self._child_id(), bool(last)))

    def _map_key(self, key: str) -> str:
        """The path segment of ``key`` in the open map: ``<value>`` when the map's keys are data (the
        key then goes to the ``<key>`` field as a value), else the key itself."""
        self.raw = self.key_at = self.name_at = None
        at = self.ats[-1]  # O(PATH_KEEP) however deep: a very deep path is shortened in its middle
        seen = self.maps.get(at)
        if seen is None:
            if len(self.maps) >= MAX_FIELDS:  # bounded: past it, each key is judged alone (not counted)
                if looks_like_value(key):
                    self._keep_key(at, key)
                    return VALUE_FIELD
                if not _NAME_LIKE.fullmatch(key) and not _hinted(key):
                    self.raw, self.raw_key = at, key
                self.key_at = at
                return key
            seen = self.maps[at] = _MapPath()
        if seen.data:
            self._keep_key(at, key)
            return VALUE_FIELD
        if key in seen.keys:  # judged when first seen here (a value-like key would have made the map data)
            seen.keys[key] += 1
            if key in seen.loose:
                self.raw, self.raw_key = at, key
            self.key_at = at
            return key
        name = _NAME_LIKE.fullmatch(key) is not None or _hinted(key)
        varying = len(seen.keys) >= MAP_KEYS and len(seen.keys) >= 2 * max(seen.width, self.widths[-1] if self.widths else 0)
        if (not name and len(seen.loose) >= MAP_KEYS) or varying:  # many distinct keys that are no names, or
            # that vary from object to object at one path (a record's keys recur in each): a map keyed by data
            self._data_map(at, key)
            self._keep_key(at, key)
            return VALUE_FIELD
        if self.keys.kept < KEYS_KEPT:  # bounded: a key past it is judged again when it comes again
            seen.keys[key] += 1
            self.keys.kept += 1
        if looks_like_value(key):  # an object keyed by e-mail, phone, card, id, IP, date
            self._data_map(at, key)
            return VALUE_FIELD
        if not name:
            self.raw, self.raw_key = at, key  # data if it holds a record, or a value that validates: decided then
            seen.loose.add(key)
        else:  # a field name: the map's keys are ids when many of them hold records (``feed``)
            self.name_at = at
        # a field name, however many (a wide export's columns: its values stay in their fields, where the
        # classifier reads them column by column; past MAX_FIELDS the reader names what it dropped)
        self.key_at = at  # a raw key: what is kept under it moves if its map is found to be data later
        return key

    def _data_map(self, at: Segs, key: str) -> None:
        """The objects at ``at`` are keyed by data: the keys seen there so far go to its ``<key>``
        field (each as often as it came), and from now on every key there does (:meth:`settle` moves
        what was kept under those keys so far under ``<value>``). A map past the bound on those
        followed (not counted): its current ``key`` alone."""
        seen = self.maps.get(at)
        if seen is None:
            self._keep_key(at, key)
            return
        if seen.data:
            return
        seen.data = True
        for key, n in seen.keys.items():
            for _ in range(min(n, MAX_VALUES_PER_FIELD)):
                self._keep_key(at, key)
        seen.keys.clear()
        seen.loose.clear()

    def _keep_key(self, at: Segs, key: str) -> None:
        """``key``, a key of the open map (at ``at``, its path) that is data, kept as a value of its
        ``<key>`` field."""
        segs = self._segs(KEY_FIELD)
        path = self._join(segs)
        self._keep(path, key, None if path in self.shapes else self._shape(segs, None, True))

    def settle(self) -> None:
        """Move what was kept under the keys of maps found to be keyed by data (before the walk knew)
        under their ``<value>`` segment (:meth:`KeyMaps.settle`). Call once the walk ends."""
        self.keys.settle(self.out)

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
    walker.settle()
    return walker.dropped


def keyed_note(fmt: str, out: dict[str, list[Any]]) -> str | None:
    """The note naming the maps keyed by data that the walk made one path (their ``<key>`` fields:
    no raw key is in them), or None when there were none."""
    maps = [p for p in out if p == KEY_FIELD or p.endswith("." + KEY_FIELD)]
    if not maps:
        return None
    named = ", ".join(maps[:5]) + (f" and {len(maps) - 5} more" if len(maps) > 5 else "")
    return (f"{fmt}: objects keyed by data (e-mails, phones, ids, names; or many distinct keys at one path) "
            f"read as maps: their keys are classified as the values of {named}, never used as field names")


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
        walker.settle()
        if _one_per_line(text):
            return read_jsonl(text)  # one document per line, without the .jsonl name
        if walker.values and truncated:
            pass  # cut at the byte limit: what was read before the cut is the sample
        elif truncated:
            return ReadResult(text=chunks(text))  # not JSON after all: the text is still classified
        elif walker.values:
            result = ReadResult(fields=out, note=keyed_note("json", out))
            walker.note_dropped(result, "json")
            return result.skip(f"json: invalid after {walker.values} values ({type(exc).__name__}): the rest not read")
        else:
            raise ValueError("unparseable JSON") from None
    walker.settle()
    result = ReadResult(fields=out, note=keyed_note("json", out))
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
            walker.ats.clear()
            walker.pushed.clear()
            del walker.segs[walker.base:]
            del walker.ids[walker.base:]
            walker.key = walker.raw = walker.key_at = None
            # invalid mid-line (a NaN that Python's json.dumps writes): what came after the error is only
            # read as text, so the whole line is (what came before it is then counted twice, never lost)
            loose.append(line)
    walker.settle()
    result = ReadResult(fields=out, text=chunks("\n".join(loose)) if loose else [], note=keyed_note("jsonl", out))
    result.rows = sum(1 for line in lines if line.strip())  # counted, not sampled
    walker.note_dropped(result, "jsonl")
    return result
