"""Shared object-store logic: a streamed prefix tree and sample selection.

Listing pages feed :meth:`PrefixTree.add` one object at a time; the tree keeps only
per-prefix aggregates (objects, bytes, newest, oldest) down to ``depth`` levels and, per
node, an O(sample size) choice of objects to read (newest, oldest and a reservoir of the
rest) among the objects *directly* in that node (objects deeper than ``depth`` count as
direct objects of the deepest node). The object list itself is never held. What is read
of each picked object is the business of :mod:`connectors.readers`.
"""

from __future__ import annotations

import random
import time
from itertools import repeat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, PrivateAttr

from auditor.models import Dataset, DatasetKind, RowsSampled, Sample
from connectors.base import Capabilities, matches
from connectors.base import Options as BaseOptions
from connectors.readers import GZIP_OUTPUT_FACTOR, MAX_CELL_CHARS, MAX_TEXT_CHARS, ObjectBodyCut, ObjectReadDeadline, ReadResult, SampleBuilder

T = TypeVar("T")
MiB = 1024 * 1024
MAX_PREFIXES = 10_000  # prefix nodes kept per bucket; objects under further prefixes roll up into a parent


# --------------------------------------------------------------------------- listings that never end


class ListingLoop(Exception):
    """A paged listing whose continuation token repeats one it already gave: the endpoint ignores the
    token (or hands out a cycle), so listing on would never end. Not a refusal: no grant fixes it."""

    FIX = ("the endpoint's listing never ends (it repeats a continuation token): check the endpoint or the proxy "
           "in front of it (an S3-compatible store or gateway that ignores the token), then re-run")

    def __init__(self, pages: int) -> None:
        super().__init__(f"the listing never ends: a continuation token came back again after {pages} pages "
                         "(the endpoint ignores it)")


def unique_tokens(pages: Iterable[T], token: Callable[[T], str | None]) -> Iterator[T]:
    """``pages`` as they come, raising :class:`ListingLoop` once a page's next token (``token(page)``;
    None on the last page) is one an earlier page gave."""
    seen: set[str] = set()
    for n, page in enumerate(pages, 1):
        yield page
        nxt = token(page)
        if nxt is None:
            continue
        if nxt in seen:
            raise ListingLoop(n)
        seen.add(nxt)


# --------------------------------------------------------------------------- whole-object deadline

READ_CHUNK = 64 * 1024


class Deadline:
    """The wall-clock bound on reading one object, across all its ranged reads."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.at, self.got = seconds, time.monotonic() + seconds, 0

    def check(self) -> None:
        if time.monotonic() > self.at:
            raise ObjectReadDeadline(self.seconds, self.got)


def read_chunks(read: Callable[[int], bytes], want: int, deadline: Deadline, chunk: int) -> bytes:
    """At most ``want`` bytes from ``read`` (a socket's, a file's or a body's read of at most n
    bytes), ``chunk`` at a time, checking ``deadline`` before each read and counting what arrives
    in ``deadline.got``; stops early at end of data."""
    parts: list[bytes] = []
    n = 0
    while n < want:
        deadline.check()
        data = read(min(chunk, want - n))
        if not data:
            break
        parts.append(data)
        n += len(data)
        deadline.got += len(data)
    return b"".join(parts)


def read_body(body: Any, want: int, deadline: Deadline, declared: int | None = None) -> bytes:
    """At most ``want`` bytes of a streamed HTTP body, checking ``deadline`` between reads;
    ``declared``: the response's Content-Length, so a body that ends before it (the connection
    broke mid-body: urllib3's ``read1`` then returns b"" without complaint) raises
    :class:`ObjectBodyCut` instead of passing for a whole, shorter object.

    ``read1`` returns what one socket read brings (urllib3 2 responses have it), so an endpoint
    that trickles a few bytes at a time is stopped within one read timeout of the deadline;
    the body is closed either way (the connection is dropped, never drained)."""
    read = getattr(body, "read1", None) or body.read
    try:
        data = read_chunks(read, want, deadline, READ_CHUNK)
    finally:
        close = getattr(body, "close", None)
        if close:
            close()
    n = len(data)
    if declared is not None and n < min(want, declared):
        raise ObjectBodyCut(n, min(want, declared))
    return data


# --------------------------------------------------------------------------- prefix tree


class StoreOptions(BaseOptions):
    """The keys every object-store source has: which buckets, how deep, how much to read,
    how politely."""

    buckets: list[str] = Field(default_factory=lambda: ["*"])  # names or globs
    exclude: list[str] = Field(default_factory=list)
    depth: int = Field(3, ge=0)  # prefix levels inventoried as datasets
    sample_objects: int = Field(5, ge=0)  # objects read per prefix
    max_object_bytes: int = Field(MiB, gt=0)  # ranged reads, and the bound on decompression
    max_requests_per_second: float | None = Field(None, gt=0, allow_inf_nan=False)  # be polite to production before a sales event
    max_workers: int = Field(4, ge=1)  # buckets listed at once; also sampled reads and ACL checks in flight
    connect_timeout: float = Field(10.0, gt=0, allow_inf_nan=False)  # seconds, per connection attempt
    read_timeout: float = Field(60.0, gt=0, allow_inf_nan=False)  # seconds, per socket read
    # wall-clock bound on reading one sampled object (all its ranged reads): read_timeout bounds
    # each socket read only, so an endpoint trickling a few bytes at a time would never end
    object_read_deadline_seconds: float = Field(60.0, gt=0, allow_inf_nan=False)
    # Celery executor: a bucket whose top-level prefixes can be listed is sent as one unit per top-level
    # prefix plus one for its settings and root-level objects (see ObjectStore.units); a local run lists
    # it whole, with the same report
    prefix_units: bool = False
    _unit_prefix: str | None = PrivateAttr(None)  # set on a worker by ObjectStore.unit_options


@dataclass(slots=True)
class Pick:
    key: str
    size: int
    modified: datetime


class Node:
    """Aggregates of one prefix (``""`` is the bucket itself)."""

    __slots__ = ("bytes", "direct", "first", "last", "newest", "newest_noncurrent", "noncurrent", "noncurrent_bytes",
                 "objects", "oldest", "path", "reservoir")

    def __init__(self, path: str) -> None:
        self.path = path
        self.objects = 0
        self.bytes = 0
        self.newest: datetime | None = None
        self.oldest: datetime | None = None
        self.direct = 0  # readable-candidate objects directly in this node
        self.first: Pick | None = None  # newest direct object
        self.last: Pick | None = None  # oldest direct object
        self.reservoir: list[Pick] = []
        self.noncurrent = 0  # noncurrent object versions (versioned buckets): counted, never sampled
        self.noncurrent_bytes = 0
        self.newest_noncurrent: datetime | None = None


class PrefixTree:
    """Per-prefix aggregates, fed one listed object at a time."""

    def __init__(self, depth: int = 3, sample_objects: int = 5, seed: str = "", max_prefixes: int = MAX_PREFIXES) -> None:
        self.depth = max(0, depth)
        self.max_prefixes = max(0, max_prefixes)
        self.rolled_up = 0  # objects counted at their nearest kept prefix once the tree was full
        self.versions_listed = False  # every object version was listed (noncurrent ones counted per node)
        self.sample_objects = max(0, sample_objects)
        self.reservoir_size = max(0, self.sample_objects - 2)
        self.seed = seed
        # one random stream per top-level prefix (and one for the bucket's root-level objects), created
        # when a reservoir first fills: the picks under a top-level prefix depend only on the keys under
        # it, in key order, so a tree built per top-level prefix (a prefix unit, see merge_split) picks
        # what the tree of the whole bucket picks
        self._rngs: dict[str, random.Random] = {}
        self.root = Node("")
        self.nodes: dict[str, Node] = {"": self.root}
        self._last_dir: str | None = None
        self._last_chain: list[Node] = [self.root]
        self._last_full = False
        self._chains: dict[str, list[Node]] = {}  # deepest prefix -> its chain (at most one per node)

    def _chain(self, key: str) -> list[Node]:
        last = self._last_dir
        # the common case (keys arrive grouped by prefix): the previous key's prefix, without splitting
        if last is not None and key.startswith(last) and (self._last_full or key.find("/", len(last)) < 0):
            return self._last_chain
        parts = key.split("/", self.depth)
        dirs = parts[:-1] if len(parts) <= self.depth else parts[: self.depth]
        deepest = "".join(p + "/" for p in dirs)
        if deepest == self._last_dir:
            return self._last_chain
        known = self._chains.get(deepest)
        if known is not None:
            self._last_dir, self._last_chain, self._last_full = deepest, known, len(dirs) == self.depth
            return known
        chain = [self.root]
        path = ""
        for part in dirs:
            path = f"{path}{part}/"
            node = self.nodes.get(path)
            if node is None:
                if len(self.nodes) > self.max_prefixes:  # memory is bounded in breadth too
                    self.rolled_up += 1
                    return chain  # not cached: the next key may still belong to a kept prefix
                node = self.nodes[path] = Node(path)
            chain.append(node)
        self._last_dir, self._last_chain = deepest, chain
        self._chains[deepest] = chain
        self._last_full = len(dirs) == self.depth  # any key under it ends in this chain (deeper levels roll up)
        return chain

    @property
    def note(self) -> str | None:
        if not self.rolled_up:
            return None
        return (f"more than {self.max_prefixes} prefixes: {self.rolled_up} objects beyond them are counted "
                "in their nearest listed parent prefix")

    def add(self, key: str, size: int, modified: datetime, current: bool = True) -> None:
        """One listed object; ``current=False``: a noncurrent version (counted, never sampled)."""
        chain = self._chain(key)
        for node in chain:
            node.objects += 1
            node.bytes += size
            if node.newest is None or modified > node.newest:
                node.newest = modified
            if node.oldest is None or modified < node.oldest:
                node.oldest = modified
            if not current:
                node.noncurrent += 1
                node.noncurrent_bytes += size
                if node.newest_noncurrent is None or modified > node.newest_noncurrent:
                    node.newest_noncurrent = modified
        if current and self.sample_objects and size > 0:
            self._offer(chain, Pick(key, size, modified))

    def add_many(self, keys: Iterable[str], sizes: Iterable[int], modified: Iterable[datetime],
                 current: Iterable[bool] | None = None) -> None:
        """Many objects, as :meth:`add` one at a time (same aggregates, same picks), for a bulk source
        such as an inventory report: the aggregates of a run of keys in one prefix are applied to the
        prefix's chain once."""
        chain: list[Node] | None = None
        n = nbytes = nc = ncbytes = 0
        newest = oldest = nc_newest = None
        sample = bool(self.sample_objects)
        chain_of, offer = self._chain, self._offer
        for key, size, mod, cur in zip(keys, sizes, modified, repeat(True) if current is None else current):
            c = chain_of(key)
            if c is not chain:
                if chain is not None:
                    _apply(chain, n, nbytes, newest, oldest, nc, ncbytes, nc_newest)
                chain, n, nbytes, nc, ncbytes, newest, oldest, nc_newest = c, 0, 0, 0, 0, None, None, None
            n += 1
            nbytes += size
            if newest is None or mod > newest:
                newest = mod
            if oldest is None or mod < oldest:
                oldest = mod
            if not cur:
                nc += 1
                ncbytes += size
                if nc_newest is None or mod > nc_newest:
                    nc_newest = mod
            elif sample and size > 0:
                offer(c, Pick(key, size, mod))
        if chain is not None:
            _apply(chain, n, nbytes, newest, oldest, nc, ncbytes, nc_newest)

    def _offer(self, chain: list[Node], pick: Pick) -> None:
        node = chain[-1]
        node.direct += 1
        if node.first is None or pick.modified > node.first.modified:
            node.first = pick
        if node.last is None or pick.modified < node.last.modified:
            node.last = pick
        if self.reservoir_size:
            if len(node.reservoir) < self.reservoir_size:
                node.reservoir.append(pick)
            else:
                top = chain[1].path if len(chain) > 1 else ""
                rng = self._rngs.get(top)
                if rng is None:
                    rng = self._rngs[top] = random.Random(f"{self.seed}\0{top}")
                j = rng.randrange(node.direct)
                if j < self.reservoir_size:
                    node.reservoir[j] = pick

    def __iter__(self) -> Iterator[Node]:
        """Nodes, parents before children."""
        return iter(self.nodes[p] for p in sorted(self.nodes))

    def picks(self, node: Node) -> list[Pick]:
        """The objects to read for ``node``: newest, oldest, then random ones; unique."""
        chosen: list[Pick] = []
        seen: set[str] = set()
        for pick in (node.first, node.last, *node.reservoir):
            if pick is not None and pick.key not in seen and len(chosen) < self.sample_objects:
                seen.add(pick.key)
                chosen.append(pick)
        return chosen


def _apply(chain: list[Node], n: int, nbytes: int, newest: datetime | None, oldest: datetime | None, nc: int,
           ncbytes: int, nc_newest: datetime | None) -> None:
    """The aggregates of a run of objects onto every node of their chain (:meth:`PrefixTree.add_many`)."""
    for node in chain:
        node.objects += n
        node.bytes += nbytes
        if newest is not None and (node.newest is None or newest > node.newest):
            node.newest = newest
        if oldest is not None and (node.oldest is None or oldest < node.oldest):
            node.oldest = oldest
        if nc:
            node.noncurrent += nc
            node.noncurrent_bytes += ncbytes
            if nc_newest is not None and (node.newest_noncurrent is None or nc_newest > node.newest_noncurrent):
                node.newest_noncurrent = nc_newest


def prefix_datasets(
    tree: PrefixTree, *, source: str, vendor: str, bucket: str, scheme: str, common: dict[str, Any],
    per_node: Callable[[str], dict[str, Any]] | None = None,
) -> Iterator[tuple[Node, Dataset]]:
    """One Dataset per node: the bucket (path ``""``) and each prefix, with ``common`` facts."""
    for node in tree:
        extra = per_node(node.path) if per_node else {}
        fields = {**common, **extra}
        if not node.path and tree.note:
            fields["notes"] = (*fields.get("notes", ()), tree.note)
        kind: DatasetKind
        if node.path:
            parent_path = node.path[: node.path[:-1].rfind("/") + 1]
            name, kind = f"{bucket}/{node.path}", "prefix"
            parent = f"{bucket}/{parent_path}" if parent_path else bucket
        else:
            name, kind, parent = bucket, "bucket", None
        modified_basis = "newest object LastModified"
        if tree.versions_listed:
            fields["facts"] = {
                **fields.get("facts", {}), "noncurrent_objects": node.noncurrent,
                "noncurrent_bytes": node.noncurrent_bytes,
                "newest_noncurrent": node.newest_noncurrent.isoformat() if node.newest_noncurrent else None,
            }
        if node.noncurrent:
            fields["facts"]["unsampled"] = {**fields["facts"].get("unsampled", {}), **noncurrent_unsampled(node)}
            fields["facts"]["objects_basis"] = f"objects, including {node.noncurrent} noncurrent versions"
            modified_basis = "newest object or noncurrent version LastModified"
        yield node, Dataset(
            source=source, vendor=vendor, kind=kind, name=name, parent=parent,
            uri=f"{scheme}://{bucket}/{node.path}" if node.path else f"{scheme}://{bucket}",
            objects=node.objects, records=None, records_basis=None, bytes=node.bytes,  # records: rows, judged later
            last_modified=node.newest, last_modified_basis=modified_basis if node.newest else None,
            oldest_modified=node.oldest, **fields,
        )


def noncurrent_unsampled(node: Node) -> dict[str, str]:
    """The ``facts["unsampled"]`` entry for a node's noncurrent versions."""
    return {f"{node.path}* (noncurrent versions)": (
        f"{node.noncurrent} noncurrent object versions ({node.noncurrent_bytes} bytes) are kept by versioning "
        "(or as snapshots or soft-deleted copies) after an overwrite or delete and are not sampled")}


def with_unsampled(dataset: Dataset, unsampled: dict[str, str]) -> Dataset:
    """The dataset with ``unsampled`` merged into its ``facts["unsampled"]`` (a new facts dict)."""
    if not unsampled:
        return dataset
    facts = dict(dataset.facts)
    facts["unsampled"] = {**facts.get("unsampled", {}), **unsampled}
    return dataset.model_copy(update={"facts": facts})


# in an unsampled reason: the read failed (a 5xx, a reset or cut connection, on every retry), nothing refused
# it and nothing is wrong with the object (policies.causes names the way out from it)
STORE_FAILED_READ = "the store failed the read, not refused"


def sample_with_refusals(
    picks: Iterable[Pick], read: Callable[[Pick], ReadResult], call: str | Callable[[BaseException], str],
    errors: tuple[type[BaseException], ...], code: Callable[[BaseException], str],
    refused: Callable[[BaseException], bool] = lambda exc: True,
) -> tuple[Sample | None, dict[str, list[str]], dict[str, str]]:
    """:func:`sample_node` for a store: a read that fails with one of the store's ``errors`` is
    recorded as ``"<call>: <code>"`` in ``denied`` (what to grant; ``call`` may name it from the error:
    a key's decrypt refused behind the read) when ``refused(exc)`` says the
    store refused it (a broken connection is not a refusal: it is named in the notes only),
    anything else propagates. Returns (sample, Dataset field updates: notes and denied, unsampled)."""
    denied: list[str] = []

    def on_error(pick: Pick, exc: Exception) -> str | None:
        if isinstance(exc, ObjectReadDeadline):  # slow, not refused: nothing to grant
            return f"object not read ({exc}): {pick.key}"
        if not isinstance(exc, errors):
            raise exc
        if not refused(exc):  # the network, not the store: nothing to grant
            return f"object not read ({code(exc)}; {STORE_FAILED_READ}): {pick.key}"
        entry = f"{call(exc) if callable(call) else call}: {code(exc)}"
        if entry not in denied:
            denied.append(entry)
        return f"object not read ({code(exc)}): {pick.key}"

    sample, notes, unsampled = sample_node(picks, read, on_error)
    update: dict[str, list[str]] = {}
    if notes:
        update["notes"] = list(dict.fromkeys(notes))  # one note per reason, not one per object read
    if denied:
        update["denied"] = denied
    return sample, update, unsampled


def sample_node(
    picks: Iterable[Pick], read: Callable[[Pick], ReadResult], on_error: Callable[[Pick, Exception], str | None],
) -> tuple[Sample | None, list[str], dict[str, str]]:
    """Read the picked objects of one node: (sample, notes, unsampled).

    ``read`` raises for a failed GET; ``on_error`` turns that into a note (or None). An object
    whose content could not be read (corrupt, unparseable) or was skipped (binary: a SQLite
    backup, a spreadsheet, a PDF) tells nothing about the personal data it holds: when no
    picked object was parsed the node's personal data is unknown (sample None), never "none";
    when some were, the sample stays and ``unsampled`` names the others (key -> why), which
    the connector puts in the dataset's ``facts["unsampled"]``.
    """
    builder, notes = SampleBuilder(), []
    unsampled: dict[str, str] = {}
    tried = parsed = 0
    counted, rows, exact = 0, 0.0, True  # rows in the objects read: records are rows, not objects
    for pick in picks:
        tried += 1
        try:
            result = read(pick)
        except Exception as exc:  # noqa: BLE001 - each store's SDK errors; on_error classifies them
            note = on_error(pick, exc)
            if note:
                notes.append(note)
            unsampled[pick.key] = _why(note, pick.key, "object could not be read")
            continue
        if result.note:
            notes.append(result.note)
        if result.failed or not result.read:  # tells nothing: must not read as "no personal data"
            unsampled[pick.key] = _why(result.note, pick.key, "content not parsed")
            continue
        if result.partial:
            unsampled[pick.key] = result.partial
        elif result.bytes_read and not result.whole:  # its head is the sample (as rows are for SQL): say so
            notes.append(f"read the first {result.bytes_read} of {pick.size} bytes (max_object_bytes): {pick.key}"
                         if result.bytes_read < pick.size else "decompressed output cut at the decode budget "
                         f"({GZIP_OUTPUT_FACTOR} x max_object_bytes): {pick.key}")
        if result.cut_cells:  # long values past the object's text budget: their first characters were read
            notes.append(f"{result.cut_cells} long value(s) read to their first {MAX_CELL_CHARS} characters only "
                         f"(the object's text budget of {MAX_TEXT_CHARS} characters was spent): {pick.key}")
        parsed += 1
        builder.add(result)
        counted += 1  # free text (a README) holds no records: it counts as an object of 0 rows
        if result.rows and (result.whole or not result.bytes_read):
            rows += result.rows
        elif result.rows:  # read in part: scale by the share of the object read
            rows += result.rows * pick.size / result.bytes_read
            exact = False
    if tried and not parsed:
        return None, notes, unsampled
    sample = builder.sample
    if counted:
        sample.rows = RowsSampled(objects=counted, rows=rows, exact=exact)
    return sample, notes, unsampled


def _why(note: str | None, key: str, default: str) -> str:
    """A note ("binary object skipped: <key>") without its key: the reason alone."""
    if not note:
        return default
    return note.removesuffix(f": {key}").strip() or default


def safe_endpoint(url: str | None, default: str) -> str:
    """An endpoint as it may appear in a message: scheme, host and port; never a user,
    password, path or query string."""
    if not url:
        return default
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}"


GLOB_CHARS = frozenset("*?[")


def explicit_names(include: list[str] | tuple[str, ...], exclude: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The entries of ``include`` that name one thing (no glob), minus the excluded ones: each
    must be found, or reported as not found (never silently skipped)."""
    return [n for n in dict.fromkeys(include) if not GLOB_CHARS & set(n) and matches(n, [n], exclude)]


# --------------------------------------------------------------------------- capabilities

STORE_CAPABILITIES = Capabilities(
    knows=frozenset({"records", "bytes", "created", "last_modified", "oldest_modified", "region", "encryption_at_rest",
                     "encryption_in_transit", "public", "has_retention", "retention_days", "versioning", "logging",
                     "object_lock", "tags", "columns", "personal_data"}),
)
"""What an object store's bucket settings and listing can tell (each may still be refused)."""


@dataclass
class AclTally:
    """What the sampled objects' ACLs showed: how many were read, how many are public (with up to
    ``max_reasons`` grants named), and the refused calls (``"call: code"``, each once)."""

    checked: int = 0
    public: int = 0
    reasons: list[str] = field(default_factory=list)
    denied: list[str] = field(default_factory=list)


GONE: Any = object()
"""An object ACL read that found the object deleted since it was listed (or since the inventory report):
neither checked nor refused (:func:`without_gone`)."""


def without_gone(picks: list[Pick], results: Iterable[Any]) -> tuple[list[Pick], list[Any]]:
    """The picks and their ACL read results, less the objects found deleted (:data:`GONE`)."""
    pairs = [(p, r) for p, r in zip(picks, results) if r is not GONE]
    return [p for p, _ in pairs], [r for _, r in pairs]


def tally_acls(picks: Iterable[Pick], results: Iterable[Any], public_grants: Callable[[Pick, Any], list[str]],
               max_reasons: int) -> AclTally:
    """Tally object ACL reads, one result per pick in order: the ACL, a ``"call: code"`` string when the
    read was refused or failed, or None when the run was cancelled (the tally stops there)."""
    tally = AclTally()
    for pick, acl in zip(picks, results):
        if acl is None:
            break
        if isinstance(acl, str):
            if acl not in tally.denied:
                tally.denied.append(acl)
            continue
        tally.checked += 1
        found = public_grants(pick, acl)
        if found:
            tally.public += 1
            if len(tally.reasons) < max_reasons:
                tally.reasons.extend(found)
    return tally


# --------------------------------------------------------------------------- prefix units


def top_level(key: str) -> str:
    """The top-level prefix a key belongs to (``"a/"`` for ``"a/b/c.csv"``), ``""`` for a root-level key."""
    cut = key.find("/")
    return "" if cut < 0 else key[: cut + 1]


def merge_split(root: PrefixTree, parts: Iterable[PrefixTree]) -> PrefixTree | None:
    """The tree of a whole bucket from the trees of its parts: ``root`` fed the root-level objects only
    (keys without a ``/``), each of ``parts`` the objects under one top-level prefix, each in key order
    (a prefix unit of a huge bucket, listed by whichever worker took it).

    Exact: every node, aggregate and sampled pick is what one tree fed the whole listing holds, because
    a prefix node's aggregates and picks only depend on the keys under its top-level prefix (one random
    stream per top-level prefix, see :class:`PrefixTree`), and the bucket node's aggregates are sums,
    minima and maxima of its parts' while its picks come from the root-level objects alone (``depth`` >= 1).

    Not exact, so None (collect the bucket as one unit instead): ``depth`` 0 (every object is a direct
    object of the bucket node, picked from one stream), or any roll-up (more than ``max_prefixes``
    prefixes in all: which prefixes one tree keeps depends on the order of the whole listing, and the
    objects rolled up into the bucket node share the root-level objects' stream)."""
    trees = [root, *parts]
    if root.depth < 1 or any(t.rolled_up for t in trees) or any(
            (t.depth, t.sample_objects, t.max_prefixes, t.seed) != (root.depth, root.sample_objects,
                                                                   root.max_prefixes, root.seed) for t in trees):
        return None
    if len(root.nodes) != 1 or any(t.root.direct for t in trees[1:]):
        raise ValueError("merge_split: the root tree holds root-level objects only, the parts none")
    merged = PrefixTree(root.depth, root.sample_objects, seed=root.seed, max_prefixes=root.max_prefixes)
    if 1 + sum(len(t.nodes) - 1 for t in trees[1:]) > root.max_prefixes + 1:
        return None
    merged.versions_listed = all(t.versions_listed for t in trees)
    top = merged.root
    src = root.root
    top.direct, top.first, top.last, top.reservoir = src.direct, src.first, src.last, list(src.reservoir)
    for tree in trees:
        node = tree.root
        _apply([top], node.objects, node.bytes, node.newest, node.oldest, node.noncurrent, node.noncurrent_bytes,
               node.newest_noncurrent)
        for path, child in tree.nodes.items():
            if path:
                if path in merged.nodes:
                    raise ValueError(f"merge_split: prefix {path} in two parts")
                merged.nodes[path] = child
    return merged
