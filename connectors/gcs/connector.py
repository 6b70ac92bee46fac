"""Google Cloud Storage connector: buckets, their settings, a prefix tree and content samples."""

from __future__ import annotations

import http.client
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import Any, ClassVar, TypeVar

import requests
import urllib3
from pydantic import BaseModel, Field
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from google.cloud.storage.retry import DEFAULT_RETRY

from auditor.errors import ConnectorError
from auditor.models import CollectionError
from connectors import inventory, objects
from connectors.base import CollectContext, SourceSpec
from connectors.gcs import acl_checks as gcs_acl
from connectors.gcs import facts as gcsfacts
from connectors.gcs import sharded as gcs_sharded
from connectors.objectstore import Bucket, BucketSettings, ObjectInfo, ObjectStore
from connectors.runtime import iso_timestamp

T = TypeVar("T")
# What a refused, unsupported or unreachable call raises.
CALL_ERRORS = (gexc.GoogleAPIError, requests.RequestException, auth_exc.GoogleAuthError)


class Options(objects.StoreOptions, inventory.InventoryOptions):
    project: str | None = None
    endpoint: str | None = None  # an emulator or a private endpoint (anonymous credentials there)
    retry_timeout: float = Field(60.0, gt=0, allow_inf_nan=False)  # give up retrying one call after this many seconds
    shard_listing: bool = False  # a bucket listed one top-level prefix at a time, max_workers at once (as s3)


def updated(blob: Any) -> datetime:
    """A listed blob's ``updated`` time: ``datetime.fromisoformat`` on the RFC 3339 value of the
    listing (``...Z``, fractions to nanoseconds truncated to microseconds, as the library does)
    rather than the library's regular expression and ``strptime``; anything else through
    ``blob.updated``."""
    fast = iso_timestamp(blob._properties.get("updated"), zulu_only=True)
    return fast if fast is not None else blob.updated


def _code(exc: BaseException) -> str:
    if isinstance(exc, gexc.RetryError) and exc.cause is not None:  # name what kept failing
        return f"{_code(exc.cause)} (retries exhausted)"
    if isinstance(exc, gexc.GoogleAPICallError):
        return type(exc).__name__ if type(exc) is not gexc.GoogleAPICallError else str(exc.code)
    return type(exc).__name__


def _network(exc: BaseException) -> bool:
    """A transport failure (a broken or refused connection, retried until exhausted), not an answer."""
    if isinstance(exc, gexc.RetryError) and exc.cause is not None:
        return _network(exc.cause)
    return isinstance(exc, (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                            urllib3.exceptions.HTTPError, http.client.HTTPException, ConnectionError, TimeoutError))


_Options = Options  # the class attribute Options shadows it in the class body


class Connector(ObjectStore):
    kind: ClassVar[str] = "gcs"
    Options: ClassVar[type[BaseModel]] = Options
    scheme: ClassVar[str] = "gs"
    errors: ClassVar[tuple[type[BaseException], ...]] = CALL_ERRORS
    list_call: ClassVar[str] = gcsfacts.CALLS["list_objects"]
    read_call: ClassVar[str] = gcsfacts.CALLS["get_object"]
    opts: _Options

    def __init__(self, source: SourceSpec, ctx: CollectContext) -> None:
        super().__init__(source, ctx)
        self._timeout = (self.opts.connect_timeout, self.opts.read_timeout)
        self._retry = DEFAULT_RETRY.with_timeout(self.opts.retry_timeout)
        self.client: Any = None

    @classmethod
    def permissions(cls) -> dict[str, Any]:
        return gcsfacts.permissions()

    def refusal(self, exc: BaseException) -> bool:
        """Refused (a 4xx: a grant would fix it), not failed (the network, or a 5xx after the retries)."""
        cause = exc.cause if isinstance(exc, gexc.RetryError) and exc.cause is not None else exc
        return not _network(exc) and not isinstance(cause, gexc.ServerError)

    def error_code(self, exc: BaseException) -> str:
        return _code(exc)

    def customer_key(self, exc: BaseException) -> bool:
        """A customer-supplied encryption key (CSEK): a read without it answers 400 with the reason
        resourceIsEncryptedWithCustomerEncryptionKey."""
        if not isinstance(exc, gexc.BadRequest):
            return False
        return any(isinstance(e, dict) and e.get("reason") == "resourceIsEncryptedWithCustomerEncryptionKey"
                   for e in (exc.errors or ())) or "customer-supplied encryption key" in str(exc.message)

    def _make_client(self) -> Any:
        if self.opts.endpoint:
            return storage.Client(
                project=self.opts.project or "auditor-anonymous", credentials=AnonymousCredentials(),
                client_options={"api_endpoint": self.opts.endpoint},
            )
        return storage.Client(project=self.opts.project)

    def list_buckets(self) -> Iterator[Bucket]:
        where = objects.safe_endpoint(self.opts.endpoint, "Google Cloud Storage")
        try:
            self.client = self._make_client()
            buckets = []
            listed = self.client.list_buckets(page_size=1000, timeout=self._timeout, retry=self._retry)
            pages = objects.unique_tokens(listed.pages, lambda _: listed.next_page_token)
            while (page := self.call(lambda: next(pages, None))) is not None:
                buckets.extend(page)
        except objects.ListingLoop as exc:
            raise ConnectorError(f"gcs source {self.source.id}: bucket listing at {where}: {exc}") from None
        except gexc.GoogleAPICallError as exc:
            raise ConnectorError(f"gcs source {self.source.id}: bucket listing refused at {where}: {_code(exc)}") from None
        except (requests.RequestException, auth_exc.GoogleAuthError, gexc.GoogleAPIError) as exc:
            raise ConnectorError(f"gcs source {self.source.id}: cannot reach {where}: {type(exc).__name__}") from None
        return iter([Bucket(b.name, b.time_created, b) for b in buckets])

    def find_bucket(self, name: str) -> Bucket | CollectionError | None:
        """A bucket of another project is not in this project's listing: ask the bucket itself."""
        try:
            b = self.call(partial(self.client.get_bucket, name, timeout=self._timeout, retry=self._retry))
            return Bucket(b.name, b.time_created, b)
        except CALL_ERRORS as exc:
            return CollectionError(
                source=self.source.id, dataset=name, kind="bucket",
                reason=f"bucket {name} not found or not visible to the audit identity "
                       f"({gcsfacts.CALLS['get_bucket']}: {_code(exc)})",
                fix=f"check the bucket name, and grant the audit identity storage.buckets.get and "
                    f"storage.objects.list on gs://{name} (a custom role from `auditor permissions --kind gcs`)")

    def _try(self, op: str, fn: Callable[[], T], denied: list[str]) -> T | None:
        try:
            return self.call(fn)
        except CALL_ERRORS as exc:
            denied.append(f"{gcsfacts.CALLS[op]}: {_code(exc)}")
            return None

    def bucket_settings(self, b: Bucket) -> BucketSettings:
        bucket = b.handle
        props = dict(bucket._properties)
        denied: list[str] = []
        iam = self._try("get_iam_policy", lambda: bucket.get_iam_policy(
            requested_policy_version=3, timeout=self._timeout, retry=self._retry).to_api_repr(), denied)
        ubla = bool(((props.get("iamConfiguration") or {}).get("uniformBucketLevelAccess") or {}).get("enabled"))
        acl = default_acl = None
        if not ubla:
            def read_acl(which: Any) -> list[dict[str, Any]]:
                which.reload(timeout=self._timeout, retry=self._retry)
                return list(which)
            acl = self._try("get_bucket_acl", lambda: read_acl(bucket.acl), denied)
            default_acl = self._try("get_default_object_acl", lambda: read_acl(bucket.default_object_acl), denied)
        fields, evidence = gcsfacts.read_bucket(props, iam, acl, default_acl)
        rules = gcsfacts.delete_rules(props)
        # every generation is listed (noncurrent ones counted and named, never sampled), whatever the bucket's
        # versioning says now: GCS keeps the noncurrent generations made while it was on after it is turned
        # off (they still hold the data and are billed), and its metadata then reads {"enabled": false}, as
        # for a bucket never versioned (S3 tells "Suspended" from never; GCS does not). Where no noncurrent
        # generation exists, the versions listing gives the same items in the same requests.
        return BucketSettings({**fields, "denied": tuple(denied), "facts": evidence}, handle=bucket,
                              retention=lambda path: gcsfacts.retention_for(rules, path), versions=True)

    def iter_objects(self, bucket: Bucket, settings: BucketSettings, prefix: str = "") -> Iterator[ObjectInfo]:
        versions = settings.versions  # every generation: a noncurrent one has a timeDeleted
        blobs = self.client.list_blobs(bucket.name, prefix=prefix or None, page_size=1000, versions=versions,
                                       fields=f"items(name,size,updated{',timeDeleted' if versions else ''}),"
                                              "nextPageToken",
                                       timeout=self._timeout, retry=self._retry)
        pages = objects.unique_tokens(blobs.pages, lambda _: blobs.next_page_token)
        while (page := self.call(lambda: next(pages, None))) is not None:
            for blob in page:
                yield ObjectInfo(blob.name, int(blob.size or 0), updated(blob),
                                 not blob._properties.get("timeDeleted"))
            if self.ctx.cancel.is_set():
                return
        settings.versions_listed = versions

    def listing(self, bucket: Bucket, settings: BucketSettings) -> Iterator[ObjectInfo]:
        """``shard_listing``: one listing per top-level prefix, ``max_workers`` at once
        (:mod:`connectors.sharding`), the same blobs in the same order, every page spaced by
        ``max_requests_per_second``; every generation, as the single listing."""
        if not self.opts.shard_listing:
            return super().listing(bucket, settings)
        return self._sharded(bucket, settings)

    def _sharded(self, bucket: Bucket, settings: BucketSettings) -> Iterator[ObjectInfo]:
        """The sharded listing, of every generation when ``settings.versions`` (GCS lists a name's
        generations together, so they stay within one shard and in order)."""
        versions = settings.versions
        blobs = gcs_sharded.objects(self.client, bucket.name, workers=self.opts.max_workers, cancel=self.ctx.cancel,
                                    acquire=self.limiter.acquire if self.limiter else None, versions=versions,
                                    timeout=self._timeout, retry=self._retry)
        for b in blobs:
            yield ObjectInfo(b.name, int(b.size or 0), updated(b), not b._properties.get("timeDeleted"))
        if not self.ctx.cancel.is_set():
            settings.versions_listed = versions

    def prefix_split(self, bucket: Bucket, settings: BucketSettings) -> str | None:
        """As every store's, except that listing every generation does not keep a bucket whole: GCS has
        no delete markers to tally over the bucket, and each unit counts its own noncurrent generations
        (merged per node like every other count)."""
        versions, settings.versions = settings.versions, False
        try:
            return super().prefix_split(bucket, settings)
        finally:
            settings.versions = versions

    def list_prefixes(self, bucket: Bucket, settings: BucketSettings, prefix: str) -> list[str]:
        blobs = self.client.list_blobs(bucket.name, prefix=prefix or None, delimiter="/", page_size=1000,
                                       fields="prefixes,nextPageToken", timeout=self._timeout, retry=self._retry)
        pages = objects.unique_tokens(blobs.pages, lambda _: blobs.next_page_token)
        while self.call(lambda: next(pages, None)) is not None:
            pass
        return sorted(blobs.prefixes)

    def inventory_source(self, bucket: Bucket, settings: BucketSettings) -> inventory.Where:
        """The bucket's Storage Insights inventory reports, under ``inventory_location`` (default: the
        configurations' default destination, ``gs://<bucket>/inventory_reports/``)."""
        store = inventory.GCSStore(self.client, timeout=self._timeout, retry=self._retry, call=self.call)
        dest, prefix = inventory.split_location(self.opts.inventory_location or "gs://{bucket}/inventory_reports/",
                                                bucket.name, "gs")
        return inventory.Where(
            lambda: inventory.find_gcs_report(store, dest, prefix), store,
            lambda exc: f"{gcsfacts.CALLS['list_objects']} / {gcsfacts.CALLS['get_object']}: {_code(exc)}",
            quiet_if_none=not self.opts.inventory_location)

    def object_acls(self, bucket: Bucket, settings: BucketSettings, tree: objects.PrefixTree,
                    pool: ThreadPoolExecutor | None, ahead: int) -> dict[str, Any]:
        def object_acl(blob: Any) -> list[dict[str, Any]]:
            return self.call(lambda: (blob.acl.reload(timeout=self._timeout, retry=self._retry), list(blob.acl))[1])
        return gcs_acl.exposure(bucket.handle, tree, settings.fields, settings.evidence, object_acl, CALL_ERRORS,
                                _code, self.ctx.cancel, pool=pool, ahead=ahead)

    def read_range(self, bucket: Bucket, settings: BucketSettings, key: str, start: int, end: int,
                   deadline: objects.Deadline) -> bytes:
        blob = self.client.bucket(bucket.name).blob(key)

        def get(start: int, end: int) -> bytes:
            deadline.check()
            # a streamed ranged GET of the stored bytes, read under the deadline; "gzip" as the
            # library's raw_download sends it, so a gzip-encoded object is not transcoded (its Range
            # would be ignored) and arrives as stored (undecoded: urllib3 leaves raw bytes alone)
            resp = self.client._http.request(
                "GET", blob._get_download_url(self.client), headers={"Range": f"bytes={start}-{end}",
                                                                      "Accept-Encoding": "gzip"},
                stream=True, timeout=self._timeout)
            try:
                if resp.status_code >= 400:
                    raise gexc.from_http_response(resp)
                length = resp.headers.get("Content-Length")
                return objects.read_body(resp.raw, end - start + 1, deadline,
                                         int(length) if length and length.isdigit() else None)
            finally:
                resp.close()

        return self.call(lambda: self._retry(get)(start, end))
