"""S3 (and S3-compatible) connector: buckets, their settings, a prefix tree and content samples."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, Field

from auditor.errors import ConnectorError
from auditor.models import CollectionError, Dataset, Observation
from connectors import objects, readers
from connectors.base import Capabilities, CollectContext, SourceSpec, empty_selection, matches, unmatched_patterns
from connectors.s3 import acl_checks
from connectors.s3 import facts as s3facts
from connectors.s3.runtime import RateLimiter, fan_out, ordered_map, use_fast_timestamps

# One service-model loader for every source: parsing S3's model costs ~0.15 s per session.
# Credentials are still resolved per connector (a session each).
_LOADER = botocore.loaders.create_loader()


class Options(objects.StoreOptions):
    endpoint_url: str | None = None  # any S3-compatible endpoint
    region: str | None = None
    profile: str | None = None
    max_attempts: int = Field(5, ge=1)  # calls per request, the first one included (then not-assessed)


class Connector:
    kind: ClassVar[str] = "s3"
    Options: ClassVar[type[BaseModel]] = Options
    capabilities: ClassVar[Capabilities] = objects.STORE_CAPABILITIES

    def __init__(self, source: SourceSpec, ctx: CollectContext) -> None:
        self.source, self.ctx = source, ctx
        self.opts: Options = source.options if isinstance(source.options, Options) else Options(**(source.options or {}))
        self._limiter = RateLimiter(self.opts.max_requests_per_second) if self.opts.max_requests_per_second else None
        self._clients: dict[str | None, Any] = {}
        self._lock = threading.Lock()
        self._session: Any = None
        self._account_block: dict[str, Any] | str | None = None
        self._pool: ThreadPoolExecutor | None = None  # sampled reads and ACL checks, source-wide (max_workers)

    @classmethod
    def permissions(cls) -> dict[str, Any]:
        return s3facts.permissions()

    # ------------------------------------------------------------------ clients

    def _client(self, region: str | None = None) -> Any:
        """One client per region on AWS; a single client for a custom endpoint."""
        key = None if self.opts.endpoint_url else (region or self.opts.region)
        with self._lock:
            if key in self._clients:
                return self._clients[key]
            if self._session is None:
                core = botocore.session.get_session()
                core.register_component("data_loader", _LOADER)
                use_fast_timestamps(core)
                self._session = boto3.Session(botocore_session=core, profile_name=self.opts.profile,
                                              region_name=self.opts.region)
            config = Config(
                retries={"mode": "standard", "total_max_attempts": self.opts.max_attempts},
                connect_timeout=self.opts.connect_timeout, read_timeout=self.opts.read_timeout,
                max_pool_connections=max(10, self.opts.max_workers * 2),
                s3={"addressing_style": "path"} if self.opts.endpoint_url else None,
            )
            client = self._session.client(
                "s3", endpoint_url=self.opts.endpoint_url, region_name=key or self.opts.region or "us-east-1",
                config=config,
            )
            if self._limiter:
                client.meta.events.register("before-send.s3", self._limiter.acquire)
            self._clients[key] = client
            return client

    # ------------------------------------------------------------------ collect

    def collect(self) -> Iterator[Observation | CollectionError]:
        where = objects.safe_endpoint(self.opts.endpoint_url, "AWS S3")
        explicit = objects.explicit_names(self.opts.buckets, self.opts.exclude)
        listing_refused: str | None = None
        buckets: list[dict[str, Any]] = []
        try:
            client = self._client()
            if client.can_paginate("list_buckets"):
                for page in client.get_paginator("list_buckets").paginate():
                    buckets.extend(page.get("Buckets", []))
            else:
                buckets = client.list_buckets().get("Buckets", [])
        except ClientError as exc:
            listing_refused = f"s3:ListAllMyBuckets: {s3facts.error_code(exc)}"
            if not explicit or s3facts.error_code(exc) != "AccessDenied":  # bad keys fail the whole source
                raise ConnectorError(
                    f"s3 source {self.source.id}: ListBuckets refused at {where}: {s3facts.error_code(exc)}"
                ) from None
        except BotoCoreError as exc:
            raise ConnectorError(
                f"s3 source {self.source.id}: cannot reach {where}: {type(exc).__name__}"
            ) from None
        chosen = [b for b in buckets if matches(b["Name"], self.opts.buckets, self.opts.exclude)]
        if listing_refused:
            for pattern in (p for p in self.opts.buckets if p not in explicit):
                yield CollectionError(
                    source=self.source.id, dataset=pattern, kind="bucket",
                    reason=f"bucket pattern {pattern!r} not expanded: {listing_refused}",
                    fix="grant s3:ListAllMyBuckets, or list the bucket names explicitly")
        listed = {b["Name"] for b in buckets}
        if not listing_refused and (unmatched := unmatched_patterns(listed, self.opts.buckets, self.opts.exclude)):
            yield empty_selection(self.source.id, "bucket", unmatched, len(listed))
        for name in (n for n in explicit if n not in listed):
            # cross-account buckets are not in ListBuckets: ask the bucket itself
            found, error = self._head(name)
            if found:
                chosen.append({"Name": name})
            elif error is not None:
                yield error
        if chosen:
            self._account_block = self._read_account_block()
        tasks = [lambda b=b: self._bucket(b["Name"], b.get("CreationDate")) for b in chosen]
        # sampled reads and object ACL checks of every bucket share one pool of max_workers threads
        # (max_workers 1: one after the other in the bucket's thread, as before)
        if self.opts.max_workers > 1 and self.opts.sample_objects:
            self._pool = ThreadPoolExecutor(self.opts.max_workers, thread_name_prefix="auditor-s3-samples")
        try:
            for item in fan_out(tasks, self.opts.max_workers, self.ctx.cancel):
                if isinstance(item, Observation):
                    self.ctx.progress(1)
                yield item
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None

    def _read_account_block(self) -> dict[str, Any] | str:
        """The account's public access block, once per source (S3 Control, through STS's account id).

        On a custom endpoint botocore puts the account id into the host name
        (``123456789012.127.0.0.1``): a ``before-sign`` hook puts the endpoint's own host back."""
        from urllib.parse import urlsplit, urlunsplit

        self._client()  # the session
        region = self.opts.region or "us-east-1"
        config = Config(retries={"mode": "standard", "total_max_attempts": self.opts.max_attempts},
                        connect_timeout=self.opts.connect_timeout, read_timeout=self.opts.read_timeout)
        try:
            sts = self._session.client("sts", endpoint_url=self.opts.endpoint_url, region_name=region, config=config)
            control = self._session.client("s3control", endpoint_url=self.opts.endpoint_url, region_name=region,
                                           config=config)
        except BotoCoreError as exc:
            return f"unknown (no S3 Control client: {type(exc).__name__})"
        if self.opts.endpoint_url:
            host = urlsplit(self.opts.endpoint_url).netloc

            def endpoint_host(request: Any, **_: Any) -> None:
                parts = urlsplit(request.url)
                if parts.netloc != host:
                    request.url = urlunsplit(parts._replace(netloc=host))

            control.meta.events.register("before-sign.s3-control.*", endpoint_host)
        if self._limiter:
            control.meta.events.register("before-send.s3-control", self._limiter.acquire)
        return s3facts.read_account_block(sts, control)

    def _head(self, name: str) -> tuple[bool, CollectionError | None]:
        """HeadBucket on an explicitly named bucket that the listing did not show."""
        try:
            self._client().head_bucket(Bucket=name)
            return True, None
        except ClientError as exc:
            code = s3facts.error_code(exc)
            if code in ("301", "PermanentRedirect", "BadRequest", "AuthorizationHeaderMalformed",
                        "IllegalLocationConstraintException"):
                return True, None  # it exists in another region: the per-region client reads it
            why = f"{s3facts.CALLS['head_bucket']} (HeadBucket): {code}"
        except BotoCoreError as exc:
            why = f"{s3facts.CALLS['head_bucket']} (HeadBucket): {type(exc).__name__}"
        return False, CollectionError(
            source=self.source.id, dataset=name, kind="bucket",
            reason=f"bucket {name} not found or not visible to the audit identity ({why})",
            fix=f"check the bucket name, and grant the audit identity s3:ListBucket on arn:aws:s3:::{name} "
                "(for a bucket in another account, in that bucket's policy too)",
        )

    def _bucket(self, name: str, created: Any) -> Iterator[Observation | CollectionError]:
        reader = s3facts.Reader(self._client(), name)
        region = s3facts.region_of(reader)
        reader.client = self._client(region)
        fields, evidence, rules = s3facts.read_bucket(reader, self._account_block)
        common = {**fields, "region": region, "denied": tuple(reader.denied), "facts": evidence}

        try:
            tree = self._list(reader.client, name, s3facts.holds_versions(evidence), evidence, common)
        except (ClientError, BotoCoreError) as exc:
            code = s3facts.error_code(exc)
            reason = f"s3:ListBucket: {code}"
            yield CollectionError(
                source=self.source.id, dataset=name, kind="bucket", reason=reason,
                fix=f"grant s3:ListBucket on arn:aws:s3:::{name}",
            )
            yield Observation(dataset=Dataset(
                source=self.source.id, vendor=self.source.vendor.id, kind="bucket", name=name,
                uri=f"s3://{name}", created=created, status="error", error=reason,
                **{**common, **s3facts.retention_for(rules, ""), "denied": (*common["denied"], reason)},
            ))
            return
        if self.ctx.cancel.is_set():
            return
        pool, ahead = self._pool, 2 * self.opts.max_workers
        common.update(acl_checks.exposure(reader.client, name, tree, common, evidence, self.ctx.cancel,
                                          pool=pool, ahead=ahead))

        def sampled(item: tuple[objects.Node, Dataset]) -> tuple[objects.Node, Dataset, Any]:
            if self.ctx.cancel.is_set():
                return item[0], item[1], None
            return item[0], item[1], self._sample(reader.client, name, tree, item[0])

        nodes = objects.prefix_datasets(
            tree, source=self.source.id, vendor=self.source.vendor.id, bucket=name, scheme="s3",
            common=common, per_node=lambda path: s3facts.retention_for(rules, path),
        )
        for node, dataset, got in ordered_map(sampled, nodes, pool, ahead):
            if self.ctx.cancel.is_set():
                return
            if not node.path:
                dataset = dataset.model_copy(update={"created": created})
            sample, update, unsampled = got
            if update:
                dataset = dataset.model_copy(update={k: (*getattr(dataset, k), *v) for k, v in update.items()})
            yield Observation(dataset=objects.with_unsampled(dataset, unsampled), sample=sample)

    def _list(self, client: Any, bucket: str, versions: bool, evidence: dict[str, Any],
              common: dict[str, Any]) -> objects.PrefixTree:
        """List the bucket into a prefix tree: every version when versioning is (or was) on."""
        if versions:
            tree = objects.PrefixTree(self.opts.depth, self.opts.sample_objects, seed=bucket)
            try:
                self._list_versions(client, bucket, tree, evidence)
                return tree
            except ClientError as exc:  # s3:ListBucketVersions refused: current objects only, and say so
                entry = f"{s3facts.CALLS['list_object_versions']}: {s3facts.error_code(exc)}"
                common["denied"] = (*common["denied"], entry)
                evidence["noncurrent_objects"] = None
                evidence["unsampled"] = {"* (noncurrent versions)": (
                    f"versioning is {evidence.get('versioning_status')}: noncurrent versions and delete markers "
                    f"could not be listed ({entry})")}
        tree = objects.PrefixTree(self.opts.depth, self.opts.sample_objects, seed=bucket)
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1000})
        add = tree.add
        for page in pages:
            for obj in page.get("Contents", ()):
                add(obj["Key"], obj.get("Size", 0), obj["LastModified"])
            if self.ctx.cancel.is_set():
                break
        return tree

    def _list_versions(self, client: Any, bucket: str, tree: objects.PrefixTree, evidence: dict[str, Any]) -> None:
        pages = client.get_paginator("list_object_versions").paginate(
            Bucket=bucket, PaginationConfig={"PageSize": 1000})
        add = tree.add
        markers = 0
        for page in pages:
            for obj in page.get("Versions", ()):
                add(obj["Key"], obj.get("Size", 0), obj["LastModified"], current=bool(obj.get("IsLatest", True)))
            markers += len(page.get("DeleteMarkers", ()))
            if self.ctx.cancel.is_set():
                break
        tree.versions_listed = True
        evidence["bucket_delete_markers"] = markers

    def _sample(
        self, client: Any, bucket: str, tree: objects.PrefixTree, node: objects.Node,
    ) -> tuple[Any, dict[str, list[str]], dict[str, str]]:
        if not tree.sample_objects:
            return None, {}, {}
        max_bytes = self.opts.max_object_bytes

        def read(pick: objects.Pick) -> readers.ReadResult:
            deadline = objects.Deadline(self.opts.object_read_deadline_seconds)

            def fetch(start: int, end: int) -> bytes:
                deadline.check()
                end = min(end, start + max_bytes - 1)
                resp = client.get_object(Bucket=bucket, Key=pick.key, Range=f"bytes={start}-{end}")
                body = resp["Body"]
                # the urllib3 response under botocore's StreamingBody: read1 returns per socket read
                raw = getattr(body, "_raw_stream", body)
                try:
                    return objects.read_body(raw, end - start + 1, deadline)
                finally:
                    body.close()
            return readers.read_object(pick.key, pick.size, fetch, max_bytes)

        return objects.sample_with_refusals(tree.picks(node), read, s3facts.CALLS["get_object"], (ClientError, BotoCoreError), s3facts.error_code)
