"""Google Cloud Storage connector: buckets, their settings, a prefix tree and content samples."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import Any, ClassVar, TypeVar

import requests
from pydantic import BaseModel, Field
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from google.cloud.storage.retry import DEFAULT_RETRY

from auditor.errors import ConnectorError
from auditor.models import CollectionError, Dataset, Observation
from connectors import objects, readers
from connectors.base import Capabilities, CollectContext, SourceSpec, empty_selection, matches, unmatched_patterns
from connectors.gcs import acl_checks as gcs_acl
from connectors.gcs import facts as gcsfacts
from connectors.s3.runtime import RateLimiter, fan_out, ordered_map

T = TypeVar("T")
# What a refused, unsupported or unreachable call raises.
CALL_ERRORS = (gexc.GoogleAPIError, requests.RequestException, auth_exc.GoogleAuthError)


class Options(objects.StoreOptions):
    project: str | None = None
    endpoint: str | None = None  # an emulator or a private endpoint (anonymous credentials there)
    retry_timeout: float = Field(60.0, gt=0, allow_inf_nan=False)  # give up retrying one call after this many seconds


def updated(blob: Any) -> datetime:
    """A listed blob's ``updated`` time: ``datetime.fromisoformat`` on the RFC 3339 value of the
    listing (``...Z``, fractions to nanoseconds truncated to microseconds, as the library does)
    rather than the library's regular expression and ``strptime``; anything else through
    ``blob.updated``."""
    value = blob._properties.get("updated")
    if type(value) is str and len(value) >= 20 and value[10] == "T" and value[-1] == "Z":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    return blob.updated


def _code(exc: BaseException) -> str:
    if isinstance(exc, gexc.RetryError) and exc.cause is not None:  # name what kept failing
        return f"{_code(exc.cause)} (retries exhausted)"
    if isinstance(exc, gexc.GoogleAPICallError):
        return type(exc).__name__ if type(exc) is not gexc.GoogleAPICallError else str(exc.code)
    return type(exc).__name__


class Connector:
    kind: ClassVar[str] = "gcs"
    Options: ClassVar[type[BaseModel]] = Options
    capabilities: ClassVar[Capabilities] = objects.STORE_CAPABILITIES

    def __init__(self, source: SourceSpec, ctx: CollectContext) -> None:
        self.source, self.ctx = source, ctx
        self.opts: Options = source.options if isinstance(source.options, Options) else Options(**(source.options or {}))
        self._limiter = RateLimiter(self.opts.max_requests_per_second) if self.opts.max_requests_per_second else None
        self._timeout = (self.opts.connect_timeout, self.opts.read_timeout)
        self._retry = DEFAULT_RETRY.with_timeout(self.opts.retry_timeout)
        self.client: Any = None
        self._pool: ThreadPoolExecutor | None = None  # sampled reads and ACL checks, source-wide (max_workers)

    @classmethod
    def permissions(cls) -> dict[str, Any]:
        return gcsfacts.permissions()

    def _call(self, fn: Callable[[], T]) -> T:
        if self._limiter:
            self._limiter.acquire()
        return fn()

    def _make_client(self) -> Any:
        if self.opts.endpoint:
            return storage.Client(
                project=self.opts.project or "auditor-anonymous", credentials=AnonymousCredentials(),
                client_options={"api_endpoint": self.opts.endpoint},
            )
        return storage.Client(project=self.opts.project)

    def collect(self) -> Iterator[Observation | CollectionError]:
        where = objects.safe_endpoint(self.opts.endpoint, "Google Cloud Storage")
        try:
            self.client = self._make_client()
            buckets = []
            pages = iter(self.client.list_buckets(page_size=1000, timeout=self._timeout, retry=self._retry).pages)
            while (page := self._call(lambda: next(pages, None))) is not None:
                buckets.extend(page)
        except gexc.GoogleAPICallError as exc:
            raise ConnectorError(f"gcs source {self.source.id}: bucket listing refused at {where}: {_code(exc)}") from None
        except (requests.RequestException, auth_exc.GoogleAuthError, gexc.GoogleAPIError) as exc:
            raise ConnectorError(f"gcs source {self.source.id}: cannot reach {where}: {type(exc).__name__}") from None
        chosen = [b for b in buckets if matches(b.name, self.opts.buckets, self.opts.exclude)]
        listed = {b.name for b in buckets}
        if unmatched := unmatched_patterns(listed, self.opts.buckets, self.opts.exclude):
            yield empty_selection(self.source.id, "bucket", unmatched, len(listed))
        for name in (n for n in objects.explicit_names(self.opts.buckets, self.opts.exclude) if n not in listed):
            # a bucket of another project is not in this project's listing: ask the bucket itself
            try:
                chosen.append(self._call(partial(self.client.get_bucket, name, timeout=self._timeout,
                                                 retry=self._retry)))
            except CALL_ERRORS as exc:
                yield CollectionError(
                    source=self.source.id, dataset=name, kind="bucket",
                    reason=f"bucket {name} not found or not visible to the audit identity "
                           f"({gcsfacts.CALLS['get_bucket']}: {_code(exc)})",
                    fix=f"check the bucket name, and grant the audit identity storage.buckets.get and "
                        f"storage.objects.list on gs://{name} (a custom role from `auditor permissions --kind gcs`)")
        tasks = [lambda b=b: self._bucket(b) for b in chosen]
        # sampled reads and object ACL checks of every bucket share one pool of max_workers threads
        # (max_workers 1: one after the other in the bucket's thread, as before)
        if self.opts.max_workers > 1 and self.opts.sample_objects:
            self._pool = ThreadPoolExecutor(self.opts.max_workers, thread_name_prefix="auditor-gcs-samples")
        try:
            for item in fan_out(tasks, self.opts.max_workers, self.ctx.cancel):
                if isinstance(item, Observation):
                    self.ctx.progress(1)
                yield item
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None

    def _try(self, op: str, fn: Callable[[], T], denied: list[str]) -> T | None:
        try:
            return self._call(fn)
        except CALL_ERRORS as exc:
            denied.append(f"{gcsfacts.CALLS[op]}: {_code(exc)}")
            return None

    def _bucket(self, bucket: Any) -> Iterator[Observation | CollectionError]:
        name, props = bucket.name, dict(bucket._properties)
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
        common = {**fields, "denied": tuple(denied), "facts": evidence}

        tree = objects.PrefixTree(self.opts.depth, self.opts.sample_objects, seed=name)
        try:
            self._list(name, tree)
        except CALL_ERRORS as exc:
            reason = f"{gcsfacts.CALLS['list_objects']}: {_code(exc)}"
            yield CollectionError(source=self.source.id, dataset=name, kind="bucket", reason=reason,
                                  fix=f"grant storage.objects.list on gs://{name}")
            yield Observation(dataset=Dataset(
                source=self.source.id, vendor=self.source.vendor.id, kind="bucket", name=name, uri=f"gs://{name}",
                created=bucket.time_created, status="error", error=reason,
                **{**common, **gcsfacts.retention_for(rules, ""), "denied": (*denied, reason)},
            ))
            return
        if self.ctx.cancel.is_set():
            return

        def object_acl(blob: Any) -> list[dict[str, Any]]:
            return self._call(lambda: (blob.acl.reload(timeout=self._timeout, retry=self._retry), list(blob.acl))[1])
        pool, ahead = self._pool, 2 * self.opts.max_workers
        common.update(gcs_acl.exposure(bucket, tree, common, evidence, object_acl, CALL_ERRORS, _code,
                                       self.ctx.cancel, pool=pool, ahead=ahead))

        def sampled(item: tuple[objects.Node, Dataset]) -> tuple[objects.Node, Dataset, Any]:
            if self.ctx.cancel.is_set():
                return item[0], item[1], None
            return item[0], item[1], self._sample(name, tree, item[0])

        nodes = objects.prefix_datasets(
            tree, source=self.source.id, vendor=self.source.vendor.id, bucket=name, scheme="gs", common=common,
            per_node=lambda path: gcsfacts.retention_for(rules, path),
        )
        for node, dataset, got in ordered_map(sampled, nodes, pool, ahead):
            if self.ctx.cancel.is_set():
                return
            if not node.path:
                dataset = dataset.model_copy(update={"created": bucket.time_created})
            sample, update, unsampled = got
            if update:
                dataset = dataset.model_copy(update={k: (*getattr(dataset, k), *v) for k, v in update.items()})
            yield Observation(dataset=objects.with_unsampled(dataset, unsampled), sample=sample)

    def _list(self, name: str, tree: objects.PrefixTree) -> None:
        blobs = self.client.list_blobs(name, page_size=1000, fields="items(name,size,updated),nextPageToken",
                                       timeout=self._timeout, retry=self._retry)
        pages = iter(blobs.pages)
        add = tree.add
        while (page := self._call(lambda: next(pages, None))) is not None:
            for blob in page:
                add(blob.name, int(blob.size or 0), updated(blob))
            if self.ctx.cancel.is_set():
                return

    def _sample(self, name: str, tree: objects.PrefixTree,
                node: objects.Node) -> tuple[Any, dict[str, list[str]], dict[str, str]]:
        if not tree.sample_objects:
            return None, {}, {}
        max_bytes = self.opts.max_object_bytes
        bucket = self.client.bucket(name)

        def read(pick: objects.Pick) -> readers.ReadResult:
            blob = bucket.blob(pick.key)
            deadline = objects.Deadline(self.opts.object_read_deadline_seconds)

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
                    return objects.read_body(resp.raw, end - start + 1, deadline)
                finally:
                    resp.close()

            def fetch(start: int, end: int) -> bytes:
                end = min(end, start + max_bytes - 1)
                return self._call(lambda: self._retry(get)(start, end))
            return readers.read_object(pick.key, pick.size, fetch, max_bytes)

        return objects.sample_with_refusals(tree.picks(node), read, gcsfacts.CALLS["get_object"], CALL_ERRORS, _code)
