"""Azure Blob Storage connector: containers, their settings, a prefix tree and content samples."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from azure.core import exceptions as aexc
from azure.storage.blob import BlobPrefix, BlobServiceClient, ExponentialRetry
from pydantic import BaseModel, Field, SecretStr, model_validator

from auditor.errors import ConnectorError
from auditor.models import CollectionError, Dataset
from connectors import objects
from connectors.base import Capabilities, CollectContext, SourceSpec
from connectors.objectstore import Bucket, BucketSettings, ListingRefused, ObjectInfo, ObjectStore

CALL_ERRORS = (aexc.AzureError, ValueError)
ACCOUNT_KEY_SCOPE = "$account-encryption-key"
CHUNK = 64 * 1024  # the whole-blob deadline is checked between GETs of this size
LIST_INCLUDE = ("snapshots", "versions", "deleted")  # what a blob listing shows besides the current blobs


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


def _current(blob: Any) -> bool:
    """Whether a listed blob is the blob itself, not a snapshot, a previous version or a soft-deleted copy."""
    return not (getattr(blob, "snapshot", None) or getattr(blob, "deleted", False)
                or getattr(blob, "is_current_version", None) is False)


def _code(exc: BaseException) -> str:
    if isinstance(exc, aexc.HttpResponseError):
        code = getattr(exc, "error_code", None)
        return str(getattr(code, "value", code) or exc.status_code or type(exc).__name__)  # not "StorageErrorCode.X"
    return type(exc).__name__


_Options = Options  # the class attribute Options shadows it in the class body

# a 403 that is the credential itself failing (a wrong key, a bad or expired SAS signature), not its scope
BAD_CREDENTIAL = frozenset({"AuthenticationFailed", "InvalidAuthenticationInfo"})
LIST_FIX = ("grant List Containers on the storage account (Storage Blob Data Reader at account scope, or an "
            "account SAS with srt=sco and sp=rl), or name the containers explicitly")


@dataclass(frozen=True)
class Unread:
    """``Bucket.handle`` of a named container whose properties were refused (a container SAS)."""

    call: str  # "Get Container Properties: <code>"


class Connector(ObjectStore):
    kind: ClassVar[str] = "azure_blob"
    Options: ClassVar[type[BaseModel]] = Options
    scheme: ClassVar[str] = "azure"
    bucket_word: ClassVar[str] = "container"
    errors: ClassVar[tuple[type[BaseException], ...]] = CALL_ERRORS
    list_call: ClassVar[str] = "List Blobs"
    read_call: ClassVar[str] = "Get Blob"
    opts: _Options
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
        super().__init__(source, ctx)
        self.client: Any = None
        self._service: dict[str, Any] = {}
        self._denied: list[str] = []

    @classmethod
    def permissions(cls) -> dict[str, Any]:
        return {"Name": "auditor-blob-reader", "IsCustom": True, "AssignableScopes": ["/subscriptions/<id>"],
                "Actions": ["Microsoft.Storage/storageAccounts/blobServices/read",
                            "Microsoft.Storage/storageAccounts/blobServices/containers/read"],
                "DataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
                "NotActions": [], "NotDataActions": []}

    def error_code(self, exc: BaseException) -> str:
        return _code(exc)

    def _make_client(self) -> BlobServiceClient:
        o = self.opts
        retry = ExponentialRetry(initial_backoff=1, increment_base=3, retry_total=o.max_attempts - 1)
        kw: dict[str, Any] = {"connection_timeout": o.connect_timeout, "read_timeout": o.read_timeout, "retry_policy": retry,
              "max_single_get_size": CHUNK, "max_chunk_get_size": CHUNK}  # small GETs: the deadline is checked between
        if o.connection_string:
            return BlobServiceClient.from_connection_string(o.connection_string.get_secret_value(), **kw)
        secret = o.account_key or o.sas_token
        return BlobServiceClient(o.account_url or "", credential=secret.get_secret_value() if secret else None, **kw)

    def list_buckets(self) -> Iterator[Bucket]:
        try:
            self.client = self._make_client()
        except ValueError:
            raise ConnectorError(f"azure_blob source {self.source.id}: the connection string or account "
                                 "URL cannot be parsed") from None
        where = objects.safe_endpoint(self.client.url, "Azure Blob Storage")
        try:
            containers = self.call(lambda: list(self.client.list_containers(include_metadata=True)))
        except aexc.HttpResponseError as exc:
            scoped = exc.status_code == 403 and _code(exc) not in BAD_CREDENTIAL
            if scoped and objects.explicit_names(self.opts.buckets, self.opts.exclude):
                # a SAS scoped to a container (how a vendor hands one over) reads it but lists no containers
                raise ListingRefused(f"List Containers: {_code(exc)}", LIST_FIX) from None
            hint = (" (a SAS scoped to one container cannot list containers: name the container under "
                    f"containers, or {LIST_FIX})") if scoped else ""
            raise ConnectorError(f"azure_blob source {self.source.id}: container listing refused at {where}: "
                                 f"{_code(exc)}{hint}") from None
        except CALL_ERRORS as exc:
            raise ConnectorError(f"azure_blob source {self.source.id}: cannot reach {where}: {_code(exc)}") from None
        return iter([Bucket(c.name, None, c) for c in containers])

    def find_bucket(self, name: str) -> Bucket | CollectionError | None:
        """A named container the listing did not show (or could not: a container SAS): its properties, or
        when those are refused too, the container with its settings unknown (its blobs may still be read)."""
        client = self.client.get_container_client(name)
        try:
            return Bucket(name, None, self.call(lambda: client.get_container_properties()))
        except aexc.HttpResponseError as exc:
            if exc.status_code == 403 and _code(exc) not in BAD_CREDENTIAL:
                return Bucket(name, None, Unread(f"Get Container Properties: {_code(exc)}"))
            if exc.status_code != 404:
                return CollectionError(source=self.source.id, dataset=name, kind="bucket",
                                       reason=f"Get Container Properties: {_code(exc)}", fix=self.list_fix(name))
        except CALL_ERRORS as exc:
            return CollectionError(source=self.source.id, dataset=name, kind="bucket",
                                   reason=f"Get Container Properties: {_code(exc)}", fix=self.list_fix(name))
        return CollectionError(source=self.source.id, dataset=name, kind="bucket",
                               reason=f"container {name} not found or not visible to the audit identity",
                               fix="check the container name, and grant the audit identity the role from "
                                   "`auditor permissions --kind azure_blob` on the storage account")

    def prepare(self, chosen: list[Bucket]) -> None:
        self._service, self._denied = self._service_properties()

    def list_fix(self, name: str) -> str:
        return f"grant blobs/read (Storage Blob Data Reader) on the container {name}"

    def _service_properties(self) -> tuple[dict[str, Any], list[str]]:
        try:
            props = self.call(lambda: self.client.get_service_properties())
        except CALL_ERRORS as exc:
            return {}, [f"Get Blob Service Properties: {_code(exc)}"]
        soft = props.get("delete_retention_policy")
        log = props.get("analytics_logging")
        return {"soft_delete_days": soft.days if soft is not None and soft.enabled else 0,
                "logging": bool(log and (log.read or log.write or log.delete)) if log is not None else None}, []

    def bucket_settings(self, bucket: Bucket) -> BucketSettings:
        c, service, denied = bucket.handle, self._service, self._denied
        if isinstance(c, Unread):  # a container SAS: the container's settings are not readable
            plain_http = self.client.url.startswith("http://")
            return BucketSettings({
                "public": None, "encryption_at_rest": "provider",
                "encryption_in_transit": "optional" if plain_http else "unknown",
                "object_lock": None, "logging": service.get("logging"), "denied": (*denied, c.call),
                "facts": {"public_access": f"unknown ({c.call})", "transport": "HTTP (plain)" if plain_http else "HTTPS",
                          "soft_delete_days": service.get("soft_delete_days"),
                          "encryption_at_rest_basis": "Azure Storage encrypts every blob service-side",
                          "retention_basis": "lifecycle management rules are management-plane only (attest them)"}},
                handle=self.client.get_container_client(bucket.name))
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
        return BucketSettings(common, handle=self.client.get_container_client(bucket.name))

    def iter_objects(self, bucket: Bucket, settings: BucketSettings, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every blob, with its snapshots, previous versions and soft-deleted copies: each keeps the
        content the blob had (an overwritten customer export), so it is counted and named as a
        noncurrent version (never sampled), as S3's and GCS's are."""
        versions = False
        pages = iter(settings.handle.list_blobs(name_starts_with=prefix or None, results_per_page=1000,
                                                include=list(LIST_INCLUDE)).by_page())
        while (page := self.call(lambda: next(pages, None))) is not None:
            for b in page:
                versions = versions or bool(getattr(b, "version_id", None))
                yield ObjectInfo(b.name, int(b.size or 0), b.last_modified, _current(b))
            if self.ctx.cancel.is_set():
                return
        settings.versions_listed = True
        # off is known only to the management plane
        settings.fields["versioning"] = True if versions or settings.fields.get("versioning") else None

    def list_prefixes(self, bucket: Bucket, settings: BucketSettings, prefix: str) -> list[str]:
        pages = iter(settings.handle.walk_blobs(name_starts_with=prefix or None, delimiter="/").by_page())
        out: list[str] = []
        while (page := self.call(lambda: next(pages, None))) is not None:
            out.extend(b.name for b in page if isinstance(b, BlobPrefix))
        return out

    def node_fields(self, bucket: Bucket, settings: BucketSettings, node: objects.Node,
                    dataset: Dataset) -> dict[str, Any]:
        return {"last_modified_basis": "newest blob Last-Modified" if node.newest else None}

    def read_range(self, bucket: Bucket, settings: BucketSettings, key: str, start: int, end: int,
                   deadline: objects.Deadline) -> bytes:
        parts = []
        for part in self.call(lambda: settings.handle.download_blob(
                key, offset=start, length=end - start + 1, timeout=int(self.opts.read_timeout))).chunks():
            parts.append(part)
            deadline.got += len(part)
            deadline.check()
        return b"".join(parts)
