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
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError
from pydantic import BaseModel, Field

from auditor.errors import ConnectorError
from auditor.models import CollectionError
from connectors import inventory, objects
from connectors.base import CollectContext, SourceSpec
from connectors.objectstore import Bucket, BucketSettings, ListingRefused, ObjectInfo, ObjectStore
from connectors.s3 import acl_checks
from connectors.s3 import facts as s3facts
from connectors.s3 import sharded as s3sharded
from connectors.s3.runtime import use_fast_timestamps

# One service-model loader for every source: parsing S3's model costs ~0.15 s per session.
# Credentials are still resolved per connector (a session each).
_LOADER = botocore.loaders.create_loader()


class Options(objects.StoreOptions, inventory.InventoryOptions):
    endpoint_url: str | None = None  # any S3-compatible endpoint
    region: str | None = None
    profile: str | None = None
    max_attempts: int = Field(5, ge=1)  # calls per request, the first one included (then not-assessed)
    # list a bucket one top-level prefix at a time, max_workers prefixes at once (a delimiter listing
    # first): the same objects in the same order, in less wall time behind a distant endpoint
    # (versioned buckets are listed in one stream)
    shard_listing: bool = False


def _prefix(prefix: str) -> dict[str, str]:
    return {"Prefix": prefix} if prefix else {}


def _version_token(page: dict[str, Any]) -> str | None:
    """A ListObjectVersions page's key and version-id markers (None on the last page)."""
    if not page.get("IsTruncated"):
        return None
    return f"{page.get('NextKeyMarker')}\0{page.get('NextVersionIdMarker')}"


_Options = Options  # the class attribute Options shadows it in the class body


class Connector(ObjectStore):
    kind: ClassVar[str] = "s3"
    Options: ClassVar[type[BaseModel]] = Options
    scheme: ClassVar[str] = "s3"
    errors: ClassVar[tuple[type[BaseException], ...]] = (ClientError, BotoCoreError)
    list_call: ClassVar[str] = "s3:ListBucket"
    read_call: ClassVar[str] = s3facts.CALLS["get_object"]
    opts: _Options

    def __init__(self, source: SourceSpec, ctx: CollectContext) -> None:
        super().__init__(source, ctx)
        self._clients: dict[str | None, Any] = {}
        self._lock = threading.Lock()
        self._session: Any = None
        self._account_block: dict[str, Any] | str | None = None

    @classmethod
    def permissions(cls) -> dict[str, Any]:
        return s3facts.permissions()

    def error_code(self, exc: BaseException) -> str:
        return s3facts.error_code(exc)

    def refused_call(self, exc: BaseException) -> str:
        """SSE-KMS under a key the audit identity may not use: GetObject answers 403 AccessDenied naming
        kms:Decrypt (or "The ciphertext refers to a customer master key ..."): that is the grant."""
        if isinstance(exc, ClientError):
            message = str(exc.response.get("Error", {}).get("Message", "")).lower()
            if "kms:decrypt" in message or "ciphertext refers to a customer master key" in message:
                return s3facts.KMS_DECRYPT
        return self.read_call

    def refusal(self, exc: BaseException) -> bool:
        """S3 refused the call (a 4xx answer: a grant, a key, a setting) rather than failing it: a 5xx
        (InternalError, SlowDown after the retries) or a transport error (a reset, a cut or unreadable
        answer) is the endpoint's failure, with nothing to grant."""
        if not isinstance(exc, ClientError):
            return False
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return not (isinstance(status, int) and status >= 500)

    def customer_key(self, exc: BaseException) -> bool:
        """SSE-C: GetObject without the object's key answers 400 InvalidRequest, "The object was stored
        using a form of Server Side Encryption. The correct parameters must be provided ..."."""
        if not isinstance(exc, ClientError) or s3facts.error_code(exc) != "InvalidRequest":
            return False
        return "server side encryption" in str(exc.response.get("Error", {}).get("Message", "")).lower()

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
            if self.limiter:
                client.meta.events.register("before-send.s3", self.limiter.acquire)
            self._clients[key] = client
            return client

    # ------------------------------------------------------------------ the store's surface

    def list_buckets(self) -> Iterator[Bucket]:
        where = objects.safe_endpoint(self.opts.endpoint_url, "AWS S3")
        buckets: list[dict[str, Any]] = []
        try:
            client = self._client()
            if client.can_paginate("list_buckets"):
                for page in client.get_paginator("list_buckets").paginate():
                    buckets.extend(page.get("Buckets", []))
            else:
                buckets = client.list_buckets().get("Buckets", [])
        except ClientError as exc:
            code = s3facts.error_code(exc)
            if not objects.explicit_names(self.opts.buckets, self.opts.exclude) or code != "AccessDenied":
                # bad keys fail the whole source
                raise ConnectorError(f"s3 source {self.source.id}: ListBuckets refused at {where}: {code}") from None
            raise ListingRefused(f"s3:ListAllMyBuckets: {code}",
                                 "grant s3:ListAllMyBuckets, or list the bucket names explicitly") from None
        except (NoCredentialsError, PartialCredentialsError) as exc:  # cron's bare environment, most often
            raise ConnectorError(
                f"s3 source {self.source.id}: no AWS credentials found ({type(exc).__name__}): set "
                "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE in the job's environment, or give the "
                "host a role (cron starts jobs without your shell's environment or HOME)"
            ) from None
        except BotoCoreError as exc:
            raise ConnectorError(
                f"s3 source {self.source.id}: cannot reach {where}: {type(exc).__name__}"
            ) from None
        return iter([Bucket(b["Name"], b.get("CreationDate")) for b in buckets])

    def find_bucket(self, name: str) -> Bucket | CollectionError | None:
        """HeadBucket on an explicitly named bucket that the listing did not show (cross-account
        buckets are not in ListBuckets: ask the bucket itself)."""
        try:
            self._client().head_bucket(Bucket=name)
            return Bucket(name)
        except ClientError as exc:
            code = s3facts.error_code(exc)
            if code in ("301", "PermanentRedirect", "BadRequest", "AuthorizationHeaderMalformed",
                        "IllegalLocationConstraintException"):
                return Bucket(name)  # it exists in another region: the per-region client reads it
            why = f"{s3facts.CALLS['head_bucket']} (HeadBucket): {code}"
        except BotoCoreError as exc:
            why = f"{s3facts.CALLS['head_bucket']} (HeadBucket): {type(exc).__name__}"
        return CollectionError(
            source=self.source.id, dataset=name, kind="bucket",
            reason=f"bucket {name} not found or not visible to the audit identity ({why})",
            fix=f"check the bucket name, and grant the audit identity s3:ListBucket on arn:aws:s3:::{name} "
                "(for a bucket in another account, in that bucket's policy too)",
        )

    def prepare(self, chosen: list[Bucket]) -> None:
        self._account_block = self._read_account_block()

    def list_fix(self, name: str) -> str:
        return f"grant s3:ListBucket on arn:aws:s3:::{name}"

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
        if self.limiter:
            control.meta.events.register("before-send.s3-control", self.limiter.acquire)
        return s3facts.read_account_block(sts, control)

    def bucket_settings(self, bucket: Bucket) -> BucketSettings:
        reader = s3facts.Reader(self._client(), bucket.name)
        region = s3facts.region_of(reader)
        reader.client = self._client(region)
        fields, evidence, rules = s3facts.read_bucket(reader, self._account_block)
        return BucketSettings(
            {**fields, "region": region, "denied": tuple(reader.denied), "facts": evidence}, handle=reader.client,
            retention=lambda path: s3facts.retention_for(rules, path), versions=s3facts.holds_versions(evidence))

    def list_tree(self, bucket: Bucket, settings: BucketSettings) -> objects.PrefixTree:
        """Every version when versioning is (or was) on; when s3:ListBucketVersions is refused,
        the current objects only, and say so."""
        if settings.versions:
            try:
                return super().list_tree(bucket, settings)
            except ClientError as exc:
                entry = f"{s3facts.CALLS['list_object_versions']}: {s3facts.error_code(exc)}"
                settings.deny(entry)
                evidence = settings.evidence
                evidence["noncurrent_objects"] = None
                evidence["unsampled"] = {"* (noncurrent versions)": (
                    f"versioning is {evidence.get('versioning_status')}: noncurrent versions and delete markers "
                    f"could not be listed ({entry})")}
                settings.versions = False
        return super().list_tree(bucket, settings)

    def iter_objects(self, bucket: Bucket, settings: BucketSettings, prefix: str = "") -> Iterator[ObjectInfo]:
        client, cancel = settings.handle, self.ctx.cancel
        if settings.versions:
            pages = objects.unique_tokens(client.get_paginator("list_object_versions").paginate(
                Bucket=bucket.name, **_prefix(prefix), PaginationConfig={"PageSize": 1000}), _version_token)
            markers = 0
            for page in pages:
                for obj in page.get("Versions", ()):
                    yield ObjectInfo(obj["Key"], obj.get("Size", 0), obj["LastModified"], bool(obj.get("IsLatest", True)))
                markers += len(page.get("DeleteMarkers", ()))
                if cancel.is_set():
                    break
            settings.versions_listed = True
            settings.evidence["bucket_delete_markers"] = settings.evidence.get("bucket_delete_markers", 0) + markers
            return
        pages = objects.unique_tokens(client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket.name, **_prefix(prefix), PaginationConfig={"PageSize": 1000}), s3sharded.next_token)
        for page in pages:
            for obj in page.get("Contents", ()):
                yield ObjectInfo(obj["Key"], obj.get("Size", 0), obj["LastModified"])
            if cancel.is_set():
                break

    def listing(self, bucket: Bucket, settings: BucketSettings) -> Iterator[ObjectInfo]:
        """``shard_listing``: one listing per top-level prefix, ``max_workers`` at once
        (:mod:`connectors.sharding`), the same objects in the same order; the client's own hook
        spaces the requests (``max_requests_per_second``). Versioned buckets: one stream."""
        if not self.opts.shard_listing or settings.versions:
            return super().listing(bucket, settings)
        listed = s3sharded.objects(settings.handle, bucket.name, workers=self.opts.max_workers, cancel=self.ctx.cancel)
        return (ObjectInfo(o["Key"], o.get("Size", 0), o["LastModified"]) for o in listed)

    def list_prefixes(self, bucket: Bucket, settings: BucketSettings, prefix: str) -> list[str]:
        pages = objects.unique_tokens(settings.handle.get_paginator("list_objects_v2").paginate(
            Bucket=bucket.name, Prefix=prefix, Delimiter="/", PaginationConfig={"PageSize": 1000}),
            s3sharded.next_token)
        return [p["Prefix"] for page in pages for p in page.get("CommonPrefixes", ())]

    def root_objects(self, bucket: Bucket, settings: BucketSettings) -> Iterator[ObjectInfo]:
        """The objects at the bucket's root: a delimiter listing (``Contents`` without the prefixes)."""
        pages = objects.unique_tokens(settings.handle.get_paginator("list_objects_v2").paginate(
            Bucket=bucket.name, Delimiter="/", PaginationConfig={"PageSize": 1000}), s3sharded.next_token)
        for page in pages:
            for obj in page.get("Contents", ()):
                yield ObjectInfo(obj["Key"], obj.get("Size", 0), obj["LastModified"])
            if self.ctx.cancel.is_set():
                break

    def acls_span_bucket(self, settings: BucketSettings) -> bool:
        """Object ACLs are checked only where they apply (Object Ownership not BucketOwnerEnforced, or
        unknown): then their exposure is a tally over every sampled object of the bucket."""
        return settings.evidence.get("object_acls_apply") is not False

    def inventory_source(self, bucket: Bucket, settings: BucketSettings) -> inventory.Where:
        """The bucket's S3 Inventory reports: at its configurations' destinations (ListBucketInventoryConfigurations),
        or under ``inventory_location``; the destination is in the source bucket's region."""
        client, name = settings.handle, bucket.name
        store = inventory.S3Store(client)
        location = self.opts.inventory_location

        def find() -> inventory.Report | None:
            if location:
                locations = inventory.s3_location_configs(store, location, name)
            else:
                locations, passed = inventory.s3_locations(inventory.s3_configurations(client, name), name)
                if passed and not locations:
                    raise inventory.ReportError("no inventory configuration of the whole bucket: " + "; ".join(passed))
            return inventory.find_s3_report(store, name, locations)

        def describe(exc: BaseException) -> str:
            op = getattr(exc, "operation_name", None) or type(exc).__name__
            return f"{op}: {s3facts.error_code(exc)}"

        return inventory.Where(find, store, describe, quiet_if_none=not location)

    def inventory_used(self, bucket: Bucket, settings: BucketSettings, used: inventory.Used) -> None:
        evidence = settings.evidence
        if used.tree.versions_listed:
            evidence["bucket_delete_markers"] = used.tally.delete_markers
        elif settings.versions:  # a report of current versions only: say what it leaves out
            evidence["noncurrent_objects"] = None
            evidence["unsampled"] = {"* (noncurrent versions)": (
                f"versioning is {evidence.get('versioning_status')}: the inventory report lists current versions "
                "only; noncurrent versions and delete markers are not counted")}

    def object_acls(self, bucket: Bucket, settings: BucketSettings, tree: objects.PrefixTree,
                    pool: ThreadPoolExecutor | None, ahead: int) -> dict[str, Any]:
        used = settings.inventory
        if used is not None and used.tally.has_acl:  # every object's ACL is in the report: no GetObjectAcl sampling
            return acl_checks.from_inventory(used.tally, tree.root.objects - tree.root.noncurrent, settings.fields,
                                             settings.evidence, f"S3 Inventory report of {used.report.date.isoformat()}")
        return acl_checks.exposure(settings.handle, bucket.name, tree, settings.fields, settings.evidence,
                                   self.ctx.cancel, pool=pool, ahead=ahead)

    def read_range(self, bucket: Bucket, settings: BucketSettings, key: str, start: int, end: int,
                   deadline: objects.Deadline) -> bytes:
        resp = settings.handle.get_object(Bucket=bucket.name, Key=key, Range=f"bytes={start}-{end}")
        body = resp["Body"]
        # the urllib3 response under botocore's StreamingBody: read1 returns per socket read
        # (and b"" when the connection breaks mid-body: the ContentLength tells)
        raw = getattr(body, "_raw_stream", body)
        try:
            return objects.read_body(raw, end - start + 1, deadline, resp.get("ContentLength"))
        finally:
            body.close()
