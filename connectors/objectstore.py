"""One object-store base: bucket selection, listing, prefix tree, datasets, samples.

The model is OpenMetadata's ``StorageServiceSource``: the base owns the flow every object
store shares and a store (S3, GCS, Azure Blob, a plug-in) implements a small typed surface:

- :meth:`ObjectStore.list_buckets`: the buckets the audit identity can list (raise
  :class:`~auditor.errors.ConnectorError` when the source is unreachable, or
  :class:`ListingRefused` when named buckets can still be read without the listing);
- :meth:`ObjectStore.bucket_settings`: one bucket's settings as Dataset fields and evidence;
- :meth:`ObjectStore.iter_objects`: the objects under a prefix (key, size, modified, current);
- :meth:`ObjectStore.read_range`: bytes ``start..end`` of one object, under a deadline;
- :meth:`ObjectStore.error_code` with ``errors``: the store's one error map (what a refused
  or failed call raises, and its short credential-free name).

A store with scheduled inventory reports (S3 Inventory, GCS Storage Insights) says where they are
(:meth:`~ObjectStore.inventory_source`): a fresh report is read instead of listing the bucket
(:mod:`connectors.inventory`; ``inventory: auto|off``, ``inventory_max_age_days``).

Optional hooks have defaults: :meth:`~ObjectStore.find_bucket` (a named bucket the listing did
not show), :meth:`~ObjectStore.prepare` (account-level reads, once), :meth:`~ObjectStore.object_acls`
(sampled objects' ACLs), :meth:`~ObjectStore.node_fields`, :meth:`~ObjectStore.list_prefixes`.

The base does the rest: names and globs (a pattern that matched nothing is a finding),
buckets listed ``max_workers`` at a time (:func:`connectors.runtime.fan_out`), each listing
streamed into a :class:`~connectors.objects.PrefixTree` through the overridable step
:meth:`~ObjectStore.listing`, one dataset per prefix, sampled reads on a source-wide pool
(``max_workers``, in order) through :mod:`connectors.readers`, a refused read recorded as a
denied call and the object named in ``facts["unsampled"]``, a refused listing as a
:class:`~auditor.models.CollectionError` next to the bucket's error dataset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, NamedTuple, TypeVar

from pydantic import BaseModel

from auditor.models import CollectionError, Dataset, Observation
from connectors import inventory, objects, readers
from connectors.base import Capabilities, CollectContext, SourceSpec, empty_selection, matches, unmatched_patterns
from connectors.objects import Deadline, Node, PrefixTree, StoreOptions
from connectors.runtime import RateLimiter, fan_out, ordered_map

T = TypeVar("T")
# the way out of a listing the store failed (not refused): the permission is there, the answer was not
LISTING_FAILED = ("the store failed the listing part-way (a server error, a broken connection or an unreadable "
                  "answer, on every retry): nothing to grant; re-run, and if it recurs raise the source's "
                  "max_attempts or read_timeout, or check the endpoint")
ARCHIVED = "object in an archive storage class: not readable until restored"  # policies.causes reads it
CUSTOMER_KEY = "object encrypted with a customer-supplied key: not readable without it"  # likewise


class ObjectInfo(NamedTuple):
    """One listed object (or object version)."""

    key: str
    size: int
    modified: datetime
    current: bool = True  # False: a noncurrent version kept by versioning (counted, never sampled)


@dataclass
class Bucket:
    """A bucket (container, root folder) as listed."""

    name: str
    created: datetime | None = None
    handle: Any = None  # the store's own object for it (a GCS Bucket, Azure ContainerProperties)


@dataclass
class BucketSettings:
    """What :meth:`ObjectStore.bucket_settings` read: the Dataset fields common to every dataset
    of the bucket (``denied``, a tuple of refused calls, and ``facts``, the evidence dict,
    included) and what listing and reads need."""

    fields: dict[str, Any]
    handle: Any = None  # the client for this bucket's listing and reads (S3: its region's client)
    retention: Callable[[str], dict[str, Any]] | None = None  # prefix path -> retention fields
    versions: bool = False  # list every object version (versioning is or was on)
    versions_listed: bool = False  # set by the listing once every version was listed
    inventory: inventory.Used | None = None  # the inventory report read instead of a listing, if one was

    def __post_init__(self) -> None:
        self.fields.setdefault("denied", ())
        self.fields.setdefault("facts", {})

    @property
    def evidence(self) -> dict[str, Any]:
        return self.fields["facts"]

    def deny(self, entry: str) -> None:
        self.fields["denied"] = (*self.fields["denied"], entry)


class ListingRefused(Exception):
    """Raised by :meth:`ObjectStore.list_buckets` when the listing is refused but the buckets named
    in the config can still be read: each glob is reported as not expanded (``entry``: the
    refused call, ``fix``: what to grant)."""

    def __init__(self, entry: str, fix: str) -> None:
        super().__init__(entry)
        self.entry, self.fix = entry, fix


Sampled = tuple[Any, dict[str, list[str]], dict[str, str]]


class ObjectStore:
    """Base of the object-store connectors. A store sets ``kind``, ``Options`` (a
    :class:`~connectors.objects.StoreOptions`), ``scheme``, ``errors``, ``list_call`` and
    ``read_call``, and implements the five methods of its surface."""

    kind: ClassVar[str] = "object store"
    Options: ClassVar[type[BaseModel]] = StoreOptions
    capabilities: ClassVar[Capabilities] = objects.STORE_CAPABILITIES
    scheme: ClassVar[str] = "store"  # dataset URIs: <scheme>://<bucket>/<prefix>
    bucket_word: ClassVar[str] = "bucket"  # as the config and messages name a bucket ("container")
    errors: ClassVar[tuple[type[BaseException], ...]] = (OSError,)  # what a refused or failed call raises
    list_call: ClassVar[str] = "list objects"  # the call (permission) a refused listing names
    read_call: ClassVar[str] = "get object"  # the call (permission) a refused read names
    # error codes of a read that found the object deleted since it was listed (or since the inventory
    # report): the object is named in the notes, not taken for a refused read
    gone_codes: ClassVar[frozenset[str]] = frozenset({"NoSuchKey", "NotFound", "BlobNotFound"})
    # error codes of a read of an object in an archive storage class (S3 GLACIER / DEEP_ARCHIVE, Azure's
    # Archive tier): not readable until restored; named with that way out, not taken for a refused read
    archived_codes: ClassVar[frozenset[str]] = frozenset({"InvalidObjectState", "BlobArchived"})
    # error codes of a read of an object encrypted with a key its owner supplies on each request (Azure's
    # customer-provided keys); S3 SSE-C and GCS CSEK answer a generic 400: see :meth:`customer_key`
    customer_key_codes: ClassVar[frozenset[str]] = frozenset({"BlobUsesCustomerSpecifiedEncryption"})
    opts: Any  # the store's Options instance

    def __init__(self, source: SourceSpec, ctx: CollectContext) -> None:
        self.source, self.ctx = source, ctx
        options = type(self).Options
        self.opts = source.options if isinstance(source.options, options) else options(**(source.options or {}))
        self.limiter = RateLimiter(self.opts.max_requests_per_second) if self.opts.max_requests_per_second else None
        self._pool: ThreadPoolExecutor | None = None  # sampled reads and ACL checks, source-wide (max_workers)

    @classmethod
    def permissions(cls) -> dict[str, Any]:  # pragma: no cover - per store
        raise NotImplementedError

    # ------------------------------------------------------------------ the store's surface

    def list_buckets(self) -> Iterable[Bucket]:  # pragma: no cover - per store
        raise NotImplementedError

    def bucket_settings(self, bucket: Bucket) -> BucketSettings:  # pragma: no cover - per store
        raise NotImplementedError

    def iter_objects(self, bucket: Bucket, settings: BucketSettings, prefix: str = "") -> Iterator[ObjectInfo]:
        """The objects whose key starts with ``prefix`` (every version when ``settings.versions``);
        stops early once ``self.ctx.cancel`` is set (checked per page)."""
        raise NotImplementedError  # pragma: no cover - per store

    def read_range(self, bucket: Bucket, settings: BucketSettings, key: str, start: int, end: int,
                   deadline: Deadline) -> bytes:  # pragma: no cover - per store
        """Bytes ``start..end`` (inclusive) of one object; count what arrives in ``deadline.got``
        and call ``deadline.check()`` between socket reads."""
        raise NotImplementedError

    def error_code(self, exc: BaseException) -> str:
        """A short, credential-free name of one of ``errors`` (an HTTP status, an error code)."""
        return type(exc).__name__

    def customer_key(self, exc: BaseException) -> bool:
        """Whether a failed read is the store saying the object is encrypted with a key the caller
        must supply (S3 SSE-C, GCS customer-supplied keys): no grant or retry reads it."""
        return self.error_code(exc) in self.customer_key_codes

    def refused_call(self, exc: BaseException) -> str:
        """The call (permission) a refused object read names: ``read_call``, unless the error says
        another one was refused behind it (S3: kms:Decrypt on the object's key)."""
        return self.read_call

    def refusal(self, exc: BaseException) -> bool:
        """Whether one of ``errors`` is the store refusing the call (a grant would fix it) rather
        than the network failing under it (a broken connection, retries exhausted on one)."""
        return True

    # ------------------------------------------------------------------ optional hooks

    def list_prefixes(self, bucket: Bucket, settings: BucketSettings, prefix: str) -> list[str]:
        """The common prefixes directly under ``prefix`` (a delimiter listing), for a listing
        that fans out per prefix. Default: not supported (NotImplementedError)."""
        raise NotImplementedError(f"{self.kind}: no delimiter listing")

    def find_bucket(self, name: str) -> Bucket | CollectionError | None:
        """A bucket named in the config that the listing did not show (another account's)."""
        return CollectionError(
            source=self.source.id, dataset=name, kind="bucket",
            reason=f"{self.bucket_word} {name} not found or not visible to the audit identity",
            fix=f"check the {self.bucket_word} name, and grant the audit identity the role from "
                f"`auditor permissions --kind {self.kind}`")

    def prepare(self, chosen: list[Bucket]) -> None:
        """Account-level reads, once per source, before the buckets are read."""

    def object_acls(self, bucket: Bucket, settings: BucketSettings, tree: PrefixTree,
                    pool: ThreadPoolExecutor | None, ahead: int) -> dict[str, Any]:
        """Updates of the bucket's Dataset fields from the sampled objects' ACLs (default: none)."""
        return {}

    def inventory_source(self, bucket: Bucket, settings: BucketSettings) -> inventory.Where | None:
        """Where the bucket's inventory reports are (how to find the newest, the client to read it), for
        a store that has them (S3 Inventory, GCS Storage Insights). Default: None, the bucket is listed."""
        return None

    def inventory_used(self, bucket: Bucket, settings: BucketSettings, used: inventory.Used) -> None:
        """Evidence a store adds once a report replaced the listing (default: none)."""

    def node_fields(self, bucket: Bucket, settings: BucketSettings, node: Node, dataset: Dataset) -> dict[str, Any]:
        """Dataset field updates for one prefix's dataset (default: none)."""
        return {}

    def listing_call(self, name: str) -> str:
        """The call a refused listing of bucket ``name`` names (default: ``list_call``)."""
        return self.list_call

    def list_fix(self, name: str) -> str:
        return f"grant {self.list_call} on {self.bucket_uri(name)}"

    def bucket_uri(self, name: str) -> str:
        return f"{self.scheme}://{name}"

    # ------------------------------------------------------------------ units (Celery)

    def units(self) -> list[str] | None:
        """The buckets this source reads, in name order, one unit each (the Celery executor sends
        each to a worker); None when the selection needs the whole source's view (a refused
        listing, a glob that matched nothing, a named bucket the listing does not show) or the
        store selects no buckets by name: then the source is one unit.

        ``prefix_units``: a bucket is split further into ``"<bucket>/"`` (its settings and root-level
        objects: the bucket's own dataset) and one ``"<bucket>/<prefix>"`` per top-level prefix (that
        prefix's datasets), when :meth:`prefix_split` allows it and a delimiter listing
        (:meth:`list_prefixes`, run here, on the coordinator) finds prefixes; otherwise the bucket
        stays one unit. :func:`auditor.executors.units.merge` puts the bucket back together."""
        if "buckets" not in type(self.opts).model_fields:
            return None
        opts = self.opts
        try:
            listed = list(self.list_buckets())
        except ListingRefused:
            return None
        names = [b.name for b in listed]
        explicit = objects.explicit_names(opts.buckets, opts.exclude)
        if unmatched_patterns(names, opts.buckets, opts.exclude) or any(n not in names for n in explicit):
            return None
        chosen = sorted((b for b in listed if matches(b.name, opts.buckets, opts.exclude)), key=lambda b: b.name)
        if not getattr(opts, "prefix_units", False):
            return [b.name for b in chosen]
        if chosen:
            self.prepare(chosen)
        out: list[str] = []
        for bucket in chosen:
            out.extend(self._prefix_units(bucket) or [bucket.name])
        return out

    def _prefix_units(self, bucket: Bucket) -> list[str] | None:
        """``bucket`` as prefix units, or None (the bucket is one unit; the log says why)."""
        settings = self.bucket_settings(bucket)
        why = self.prefix_split(bucket, settings)
        if why is None:
            try:
                prefixes = self.list_prefixes(bucket, settings, "")
            except NotImplementedError as exc:
                why = str(exc)
            except self.errors + (objects.ListingLoop,) as exc:
                why = f"{self.listing_call(bucket.name)}: {self.error_code(exc)}"
            else:
                if not prefixes:
                    why = "no top-level prefix"
        if why is not None:
            self.ctx.log.info("%s %s sent as one unit: %s", self.bucket_word, bucket.name, why)
            return None
        return [f"{bucket.name}/", *(f"{bucket.name}/{p}" for p in prefixes)]

    def prefix_split(self, bucket: Bucket, settings: BucketSettings) -> str | None:
        """Why ``bucket`` cannot be split into prefix units whose merge is exact, or None (it can).

        Not split: ``depth`` 0 (every object is a direct object of the bucket, sampled from one
        stream); a versioned bucket (noncurrent versions and delete markers are tallied over the whole
        listing); ``inventory: auto`` with a report found, or a lookup that failed or is named in the
        facts (a report covers the whole bucket; with no report the units list what the whole listing
        would, and the lookup is made here, on the coordinator, not again by the units); a store whose
        object ACLs are checked over the whole bucket's sampled objects (:meth:`acls_span_bucket`).

        Every unit reads the bucket's settings again (the fields common to all its datasets): the same
        reads of the same bucket, as one listing would make them once."""
        if self.opts.depth < 1:
            return "depth 0"
        if settings.versions:
            return "versioned: noncurrent versions are tallied over the whole listing"
        if getattr(self.opts, "inventory", "off") == "auto" and (where := self.inventory_source(bucket, settings)):
            try:
                report = where.find()
            except Exception as exc:  # noqa: BLE001 - the listing's facts will say why; the bucket stays whole
                return f"inventory reports could not be looked up ({exc.__class__.__name__})"
            if report is not None or not where.quiet_if_none:
                return "an inventory report may replace the listing (a report covers the whole bucket)"
        if self.acls_span_bucket(settings):
            return "object ACLs may apply: their exposure is tallied over the whole bucket's sampled objects"
        return None

    def acls_span_bucket(self, settings: BucketSettings) -> bool:
        """Whether :meth:`object_acls` tallies the bucket's sampled objects (a bucket-wide field no prefix
        unit can compute). Default: whenever the store overrides it."""
        return type(self).object_acls is not ObjectStore.object_acls

    @classmethod
    def unit_options(cls, options: Any, unit: str) -> Any:
        """The options that read one bucket, or one part of it (``"<bucket>/"``: its settings and
        root-level objects; ``"<bucket>/<prefix>"``: one top-level prefix), a unit of :meth:`units`."""
        name, cut, prefix = unit.partition("/")
        narrowed = options.model_copy(update={"buckets": [name], "exclude": []})
        if cut:
            narrowed._unit_prefix = prefix
        return narrowed

    # ------------------------------------------------------------------ the flow

    def call(self, fn: Callable[[], T]) -> T:
        """One request of this source, spaced by ``max_requests_per_second``."""
        if self.limiter:
            self.limiter.acquire()
        return fn()

    def listing(self, bucket: Bucket, settings: BucketSettings) -> Iterator[ObjectInfo]:
        """Every object of the bucket, in any order: the step a sharded listing or an inventory
        report replaces. Default: one listing from the bucket's root."""
        return self.iter_objects(bucket, settings, prefix="")

    def from_inventory(self, bucket: Bucket, settings: BucketSettings) -> PrefixTree | None:
        """The bucket's newest inventory report read into a prefix tree, when the source allows it
        (``inventory: auto``), the store has one and it is fresh (``inventory_max_age_days``); None: list
        the bucket (``facts["listing"]`` says why when there was a report or a refused call)."""
        if getattr(self.opts, "inventory", "off") != "auto":
            return None
        where = self.inventory_source(bucket, settings)
        if where is None:
            return None
        used = inventory.instead_of_listing(
            where.find, where.store, bucket.name, depth=self.opts.depth, sample_objects=self.opts.sample_objects,
            as_of=self.ctx.as_of, max_age_days=self.opts.inventory_max_age_days, facts=settings.evidence,
            describe=where.describe, cancel=self.ctx.cancel.is_set, quiet_if_none=where.quiet_if_none)
        if used is None:
            return None
        settings.inventory, settings.versions_listed = used, used.tree.versions_listed
        self.inventory_used(bucket, settings, used)
        return used.tree

    def root_objects(self, bucket: Bucket, settings: BucketSettings) -> Iterator[ObjectInfo]:
        """The objects at the bucket's root (keys without a ``/``), in key order: a prefix unit's
        ``"<bucket>/"``. Default: the whole listing, filtered (a store with a delimiter listing of
        objects overrides it)."""
        return (o for o in self.iter_objects(bucket, settings, prefix="") if "/" not in o.key)

    def part_tree(self, bucket: Bucket, settings: BucketSettings, part: str) -> PrefixTree:
        """One prefix unit's tree (:func:`connectors.objects.merge_split`): the root-level objects
        (``part`` ``""``) or the objects under one top-level prefix, in key order."""
        tree = PrefixTree(self.opts.depth, self.opts.sample_objects, seed=bucket.name)
        listed = self.root_objects(bucket, settings) if not part else self.iter_objects(bucket, settings, prefix=part)
        add = tree.add
        for key, size, modified, current in listed:
            add(key, size, modified, current)
        tree.versions_listed = settings.versions_listed
        return tree

    def list_tree(self, bucket: Bucket, settings: BucketSettings) -> PrefixTree:
        """The bucket's listing, streamed into a fresh prefix tree."""
        tree = PrefixTree(self.opts.depth, self.opts.sample_objects, seed=bucket.name)
        add = tree.add
        for key, size, modified, current in self.listing(bucket, settings):
            add(key, size, modified, current)
        tree.versions_listed = settings.versions_listed
        return tree

    def collect(self) -> Iterator[Observation | CollectionError]:
        opts = self.opts
        explicit = objects.explicit_names(opts.buckets, opts.exclude)
        refused: ListingRefused | None = None
        try:
            buckets = list(self.list_buckets())
        except ListingRefused as exc:
            buckets, refused = [], exc
        chosen = [b for b in buckets if matches(b.name, opts.buckets, opts.exclude)]
        if refused:
            for pattern in (p for p in opts.buckets if p not in explicit):
                yield CollectionError(
                    source=self.source.id, dataset=pattern, kind="bucket",
                    reason=f"{self.bucket_word} pattern {pattern!r} not expanded: {refused.entry}", fix=refused.fix)
        listed = {b.name for b in buckets}
        if not refused and (unmatched := unmatched_patterns(listed, opts.buckets, opts.exclude)):
            yield empty_selection(self.source.id, self.bucket_word, unmatched, len(listed))
        for name in (n for n in explicit if n not in listed):
            found = self.find_bucket(name)
            if isinstance(found, Bucket):
                chosen.append(found)
            elif found is not None:
                yield found
        if chosen:
            self.prepare(chosen)
        tasks = [lambda b=b: self._bucket(b) for b in chosen]
        # sampled reads and object ACL checks of every bucket share one pool of max_workers threads
        # (max_workers 1: one after the other in the bucket's thread)
        if opts.max_workers > 1 and opts.sample_objects:
            self._pool = ThreadPoolExecutor(opts.max_workers, thread_name_prefix=f"auditor-{self.kind}-samples")
        try:
            for item in fan_out(tasks, opts.max_workers, self.ctx.cancel):
                if isinstance(item, Observation):
                    self.ctx.progress(1)
                yield item
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None

    def _bucket(self, bucket: Bucket) -> Iterator[Observation | CollectionError]:
        name, cancel = bucket.name, self.ctx.cancel
        settings = self.bucket_settings(bucket)
        common = settings.fields
        part = getattr(self.opts, "_unit_prefix", None)  # a prefix unit (Celery), see units()
        try:
            if part is None:
                tree = self.from_inventory(bucket, settings) or self.list_tree(bucket, settings)
            else:
                tree = self.part_tree(bucket, settings, part)
        except self.errors + (objects.ListingLoop,) as exc:
            if isinstance(exc, objects.ListingLoop):  # not refused: no grant ends it
                reason, fix = f"{self.listing_call(name)}: {exc}", objects.ListingLoop.FIX
            else:
                reason = f"{self.listing_call(name)}: {self.error_code(exc)}"
                fix = self.list_fix(name) if self.refusal(exc) else LISTING_FAILED
            self.ctx.log.warning("%s source %s: %s %r not assessed: %s", self.kind, self.source.id,
                                 "prefix" if part else self.bucket_word, f"{name}/{part}" if part else name, reason)
            if part:  # one top-level prefix: the merge names it not assessed
                yield CollectionError(source=self.source.id, dataset=f"{name}/{part}", kind="prefix",
                                      reason=f"prefix {name}/{part} not assessed: {reason}", fix=fix)
                return
            yield CollectionError(source=self.source.id, dataset=name, kind="bucket", reason=reason, fix=fix)
            retention = settings.retention("") if settings.retention else {}
            yield Observation(dataset=Dataset(
                source=self.source.id, vendor=self.source.vendor.id, kind="bucket", name=name,
                uri=self.bucket_uri(name), created=bucket.created, status="error", error=reason,
                **{**common, **retention, "denied": (*common["denied"], reason)}))
            return
        if cancel.is_set():
            return
        pool, ahead = self._pool, 2 * self.opts.max_workers
        common.update(self.object_acls(bucket, settings, tree, pool, ahead))

        def sampled(item: tuple[Node, Dataset]) -> tuple[Node, Dataset, Sampled | None]:
            if cancel.is_set():
                return item[0], item[1], None
            return item[0], item[1], self._sample(bucket, settings, tree, item[0])

        nodes: Iterable[tuple[Node, Dataset]] = objects.prefix_datasets(
            tree, source=self.source.id, vendor=self.source.vendor.id, bucket=name, scheme=self.scheme,
            common=common, per_node=settings.retention)
        if part:  # a top-level prefix's datasets; the bucket's own is the "<bucket>/" unit's
            nodes = ((n, d) for n, d in nodes if n.path)
        for node, dataset, got in ordered_map(sampled, nodes, pool, ahead):
            if cancel.is_set() or got is None:
                return
            update = self.node_fields(bucket, settings, node, dataset)
            if settings.inventory is not None and dataset.last_modified_basis:
                update["last_modified_basis"] = settings.inventory.basis(dataset.last_modified_basis)
            if not node.path and bucket.created is not None:
                update["created"] = bucket.created
            sample, fields, unsampled = got
            for k, v in fields.items():  # after what node_fields added (a file server's refused listings)
                update[k] = (*update.get(k, getattr(dataset, k)), *v)
            if update:
                dataset = dataset.model_copy(update=update)
            yield Observation(dataset=objects.with_unsampled(dataset, unsampled), sample=sample)

    def _sample(self, bucket: Bucket, settings: BucketSettings, tree: PrefixTree, node: Node) -> Sampled:
        if not tree.sample_objects:
            return None, {}, {}
        max_bytes, seconds = self.opts.max_object_bytes, self.opts.object_read_deadline_seconds

        def read(pick: objects.Pick) -> readers.ReadResult:
            deadline = Deadline(seconds)

            def fetch(start: int, end: int) -> bytes:
                deadline.check()
                last = min(end, start + max_bytes - 1)
                data = self.read_range(bucket, settings, pick.key, start, last, deadline)
                if len(data) < last - start + 1 and start + len(data) < pick.size:
                    # shorter than listed: cut mid-transfer (and called complete), or changed since listed
                    raise readers.ObjectBodyCut(len(data), min(last + 1, pick.size) - start)
                return data
            try:
                return readers.read_object(pick.key, pick.size, fetch, max_bytes)
            except self.errors as exc:  # gone since it was listed (or since the inventory report): not a refusal
                code = self.error_code(exc)
                if code in self.archived_codes:
                    return readers.ReadResult(read=False, note=f"{ARCHIVED} ({code}): {pick.key}")
                if self.customer_key(exc):
                    return readers.ReadResult(read=False, note=f"{CUSTOMER_KEY} ({code}): {pick.key}")
                if code not in self.gone_codes:
                    raise
                return readers.ReadResult(read=False, note=f"object deleted since it was listed: {pick.key}")

        return objects.sample_with_refusals(tree.picks(node), read, self.refused_call, self.errors, self.error_code,
                                            self.refusal)
