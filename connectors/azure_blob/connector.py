"""Azure Blob Storage connector: containers, their settings, a prefix tree and content samples."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar, TypeVar

from azure.core import exceptions as aexc
from azure.storage.blob import BlobServiceClient, ExponentialRetry
from pydantic import BaseModel, Field, SecretStr, model_validator

from auditor.errors import ConnectorError
from auditor.models import CollectionError, Dataset, Observation
from connectors import objects, readers
from connectors.base import Capabilities, CollectContext, SourceSpec, empty_selection, matches, unmatched_patterns
from connectors.runtime import RateLimiter, fan_out

T = TypeVar("T")
CALL_ERRORS = (aexc.AzureError, ValueError)
ACCOUNT_KEY_SCOPE = "$account-encryption-key"
CHUNK = 64 * 1024  # the whole-blob deadline is checked between GETs of this size


class Options(objects.StoreOptions):
    buckets: list[str] = Field(default_factory=lambda: ["*"], alias="containers")  # names or globs
    account_url: str | None = None  # https://ACCOUNT.blob.core.windows.net (with account_key or sas_token)
    connection_string: SecretStr | None = None  # use ${VAR}
    account_key: SecretStr | None = None  # use ${VAR}
    sas_token: SecretStr | None = None  # use ${VAR}
    max_attempts: int = Field(3, ge=1, le=10)  # per call; backoff 1 s, 4 s, ... (the SDK's default starts at 15 s)

    @model_validator(mode="after")
    def _one_way_in(self) -> Options:
        if bool(self.account_url) == bool(self.connection_string):
            raise ValueError("an azure_blob source needs account_url or connection_string (one of them)")
        return self


def _code(exc: BaseException) -> str:
    if isinstance(exc, aexc.HttpResponseError):
        return str(getattr(exc, "error_code", None) or exc.status_code or type(exc).__name__)
    return type(exc).__name__


class Connector:
    kind: ClassVar[str] = "azure_blob"
    Options: ClassVar[type[BaseModel]] = Options
    capabilities: ClassVar[Capabilities] = Capabilities(
        knows=frozenset({"records", "bytes", "last_modified", "oldest_modified", "encryption_at_rest",
                         "encryption_in_transit", "public", "versioning", "logging", "object_lock", "columns",
                         "personal_data"}),
        never={"has_retention": "lifecycle management rules are a management-plane setting (attest them)",
               "retention_days": "lifecycle management rules are a management-plane setting (attest them)",
               "region": "the storage account's location is a management-plane setting",
               "created": "the blob API gives a container's last change, not its creation",
               "tags": "container metadata is not read as tags"})

    def __init__(self, source: SourceSpec, ctx: CollectContext) -> None:
        self.source, self.ctx = source, ctx
        self.opts: Options = source.options if isinstance(source.options, Options) else Options(**(source.options or {}))
        self._limiter = RateLimiter(self.opts.max_requests_per_second) if self.opts.max_requests_per_second else None
        self.client: Any = None

    @classmethod
    def permissions(cls) -> dict[str, Any]:
        return {"Name": "auditor-blob-reader", "IsCustom": True, "AssignableScopes": ["/subscriptions/<id>"],
                "Actions": ["Microsoft.Storage/storageAccounts/blobServices/read",
                            "Microsoft.Storage/storageAccounts/blobServices/containers/read"],
                "DataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
                "NotActions": [], "NotDataActions": []}

    def _call(self, fn: Callable[[], T]) -> T:
        if self._limiter:
            self._limiter.acquire()
        return fn()

    def _make_client(self) -> BlobServiceClient:
        o = self.opts
        retry = ExponentialRetry(initial_backoff=1, increment_base=3, retry_total=o.max_attempts - 1)
        kw: dict[str, Any] = {"connection_timeout": o.connect_timeout, "read_timeout": o.read_timeout, "retry_policy": retry,
              "max_single_get_size": CHUNK, "max_chunk_get_size": CHUNK}  # small GETs: the deadline is checked between
        if o.connection_string:
            return BlobServiceClient.from_connection_string(o.connection_string.get_secret_value(), **kw)
        secret = o.account_key or o.sas_token
        return BlobServiceClient(o.account_url or "", credential=secret.get_secret_value() if secret else None, **kw)

    def collect(self) -> Iterator[Observation | CollectionError]:
        try:
            self.client = self._make_client()
        except ValueError:
            raise ConnectorError(f"azure_blob source {self.source.id}: the connection string or account "
                                 "URL cannot be parsed") from None
        where = objects.safe_endpoint(self.client.url, "Azure Blob Storage")
        try:
            containers = self._call(lambda: list(self.client.list_containers(include_metadata=True)))
        except aexc.HttpResponseError as exc:
            raise ConnectorError(f"azure_blob source {self.source.id}: container listing refused at {where}: "
                                 f"{_code(exc)}") from None
        except CALL_ERRORS as exc:
            raise ConnectorError(f"azure_blob source {self.source.id}: cannot reach {where}: {_code(exc)}") from None
        service, denied = self._service_properties()
        chosen = [c for c in containers if matches(c.name, self.opts.buckets, self.opts.exclude)]
        listed = {c.name for c in containers}
        if unmatched := unmatched_patterns(listed, self.opts.buckets, self.opts.exclude):
            yield empty_selection(self.source.id, "container", unmatched, len(listed))
        for name in (n for n in objects.explicit_names(self.opts.buckets, self.opts.exclude) if n not in listed):
            yield CollectionError(source=self.source.id, dataset=name, kind="bucket",
                                  reason=f"container {name} not found or not visible to the audit identity",
                                  fix="check the container name, and grant the audit identity the role from "
                                      "`auditor permissions --kind azure_blob` on the storage account")
        tasks = [lambda c=c: self._container(c, service, denied) for c in chosen]
        for item in fan_out(tasks, self.opts.max_workers, self.ctx.cancel):
            if isinstance(item, Observation):
                self.ctx.progress(1)
            yield item

    def _service_properties(self) -> tuple[dict[str, Any], list[str]]:
        try:
            props = self._call(lambda: self.client.get_service_properties())
        except CALL_ERRORS as exc:
            return {}, [f"Get Blob Service Properties: {_code(exc)}"]
        soft = props.get("delete_retention_policy")
        log = props.get("analytics_logging")
        return {"soft_delete_days": soft.days if soft is not None and soft.enabled else 0,
                "logging": bool(log and (log.read or log.write or log.delete)) if log is not None else None}, []

    def _container(self, c: Any, service: dict[str, Any], denied: list[str]) -> Iterator[Observation | CollectionError]:
        name = c.name
        scope = getattr(c.encryption_scope, "default_encryption_scope", None) or ACCOUNT_KEY_SCOPE
        public = c.public_access in ("blob", "container")
        plain_http = self.client.url.startswith("http://")
        evidence = {
            "public_access": c.public_access or "off", "encryption_scope": scope,
            "encryption_at_rest_basis": "Azure Storage encrypts every blob service-side; a customer-managed key is "
                                        "known only through the management plane (attest it)",
            "immutability_policy": c.has_immutability_policy, "legal_hold": c.has_legal_hold,
            "soft_delete_days": service.get("soft_delete_days"),
            "retention_basis": "lifecycle management rules are management-plane only (attest them)",
            "transport": "HTTP (plain)" if plain_http else "HTTPS",
            "encryption_in_transit_basis": "the endpoint answered over plain HTTP" if plain_http else
            "'secure transfer required' is a management-plane setting (attest it)",
        }
        common: dict[str, Any] = {
            "public": public, "public_reasons": (f"container public access level: {c.public_access}",) if public else (),
            "encryption_at_rest": "provider", "encryption_in_transit": "optional" if plain_http else "unknown",
            "object_lock": bool(c.has_immutability_policy or c.has_legal_hold
                                or c.immutable_storage_with_versioning_enabled),
            "logging": service.get("logging"), "denied": tuple(denied), "facts": evidence,
        }
        container = self.client.get_container_client(name)
        tree = objects.PrefixTree(self.opts.depth, self.opts.sample_objects, seed=name)
        versions = False
        try:
            pages = iter(container.list_blobs(results_per_page=1000).by_page())
            while (page := self._call(lambda: next(pages, None))) is not None:
                for b in page:
                    versions = versions or bool(getattr(b, "version_id", None))
                    tree.add(b.name, int(b.size or 0), b.last_modified)
                if self.ctx.cancel.is_set():
                    return
        except CALL_ERRORS as exc:
            reason = f"List Blobs: {_code(exc)}"
            yield CollectionError(source=self.source.id, dataset=name, kind="bucket", reason=reason,
                                  fix=f"grant blobs/read (Storage Blob Data Reader) on the container {name}")
            yield Observation(dataset=Dataset(
                source=self.source.id, vendor=self.source.vendor.id, kind="bucket", name=name,
                uri=f"azure://{name}", status="error", error=reason, **{**common, "denied": (*denied, reason)}))
            return
        common["versioning"] = True if versions else None  # off is known only to the management plane
        for node, dataset in objects.prefix_datasets(
            tree, source=self.source.id, vendor=self.source.vendor.id, bucket=name, scheme="azure", common=common,
        ):
            if self.ctx.cancel.is_set():
                return
            update: dict[str, Any] = {"last_modified_basis": "newest blob Last-Modified" if node.newest else None}
            sample, fields, unsampled = self._sample(container, tree, node)
            for k, v in fields.items():
                update[k] = (*getattr(dataset, k), *v)
            dataset = dataset.model_copy(update=update)
            yield Observation(dataset=objects.with_unsampled(dataset, unsampled), sample=sample)

    def _sample(self, container: Any, tree: objects.PrefixTree,
                node: objects.Node) -> tuple[Any, dict[str, list[str]], dict[str, str]]:
        if not tree.sample_objects:
            return None, {}, {}
        max_bytes = self.opts.max_object_bytes

        def read(pick: objects.Pick) -> readers.ReadResult:
            deadline = objects.Deadline(self.opts.object_read_deadline_seconds)

            def fetch(start: int, end: int) -> bytes:
                end = min(end, start + max_bytes - 1)
                deadline.check()
                parts = []
                for part in self._call(lambda: container.download_blob(
                        pick.key, offset=start, length=end - start + 1, timeout=int(self.opts.read_timeout))).chunks():
                    parts.append(part)
                    deadline.got += len(part)
                    deadline.check()
                return b"".join(parts)
            return readers.read_object(pick.key, pick.size, fetch, max_bytes)

        return objects.sample_with_refusals(tree.picks(node), read, "Get Blob", CALL_ERRORS, _code)
