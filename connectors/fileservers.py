"""Shared flow of file-server connectors (SFTP, FTP/FTPS): folders as the prefix tree.

Each configured root folder is a bucket-like dataset and its sub-folders are prefixes
(:class:`connectors.objects.PrefixTree`); a file's mtime is its age; picked files are read
with ranged reads through :func:`connectors.readers.read_object`. A kind supplies a
:class:`Server` (walk a root, read a byte range, name an error); this module does the rest.
A folder that could not be listed, a symlink not followed or a file not read is named in
the dataset's ``facts["unsampled"]`` (a reader says how far it got).
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from pydantic import Field, SecretStr, model_validator

from auditor.models import CollectionError, Dataset, Observation
from connectors import objects, readers
from connectors.base import Capabilities, CollectContext, SourceSpec, empty_selection, matches
from connectors.base import Options as BaseOptions
from connectors.objects import Deadline


class ServerOptions(BaseOptions):
    """The keys of a file-server source (the object-store sampling keys where they apply)."""

    host: str
    port: int | None = Field(None, ge=1, le=65535)
    user: str = Field(min_length=1)
    password: SecretStr | None = None  # use ${VAR}
    paths: list[str] = Field(default_factory=lambda: ["/"], min_length=1)  # root folders, absolute
    include: list[str] = Field(default_factory=list)  # globs over a file's path below its root
    exclude: list[str] = Field(default_factory=list)
    depth: int = Field(3, ge=0)  # folder levels inventoried as datasets
    sample_objects: int = Field(5, ge=0)  # files read per folder
    max_object_bytes: int = Field(objects.MiB, gt=0)  # ranged reads, and the bound on decompression
    max_requests_per_second: float | None = Field(None, gt=0, allow_inf_nan=False)
    connect_timeout: float = Field(10.0, gt=0, allow_inf_nan=False)
    read_timeout: float = Field(60.0, gt=0, allow_inf_nan=False)
    object_read_deadline_seconds: float = Field(60.0, gt=0, allow_inf_nan=False)  # one file, all its reads
    probe_anonymous: bool = True  # try an anonymous login (public exposure); off: public is unknown

    @model_validator(mode="after")
    def _absolute(self) -> ServerOptions:
        for p in self.paths:
            if not p.startswith("/"):
                raise ValueError(f"paths: {p!r} is not an absolute folder (start it with /)")
        return self


@dataclass(slots=True)
class Entry:
    path: str  # below the root, "/"-separated, no leading slash
    size: int
    modified: datetime
    is_dir: bool = False
    is_link: bool = False
    unreadable: str | None = None  # listed, but neither its size nor its kind could be read (why)


class Server(Protocol):
    errors: tuple[type[BaseException], ...]  # what a refused or failed call raises

    def listdir(self, folder: str) -> list[Entry]: ...  # entries directly in an absolute folder

    def read(self, path: str, start: int, want: int, deadline: Deadline) -> bytes: ...

    def code(self, exc: BaseException) -> str: ...  # a short credential-free name of an error


@dataclass
class Walk:
    tree: objects.PrefixTree
    unsampled: dict[str, str] = field(default_factory=dict)  # path below the root -> why
    files: int = 0  # files seen, selected or not
    matched: set[str] = field(default_factory=set)  # include globs that selected a file


def walk(server: Server, root: str, opts: ServerOptions, ctx: CollectContext, call: Callable[[], None]) -> Walk:
    """List ``root`` breadth-first into a prefix tree; a refused sub-folder is named, a refused
    root raises (the whole root is then not assessed)."""
    out = Walk(objects.PrefixTree(opts.depth, opts.sample_objects, seed=root))
    pending = [""]
    while pending and not ctx.cancel.is_set():
        rel = pending.pop(0)
        call()
        try:
            entries = server.listdir(posixpath.join(root, rel) if rel else root)
        except server.errors as exc:
            if not rel:
                raise
            out.unsampled[rel + "*"] = f"folder not listed ({server.code(exc)})"
            continue
        for e in sorted(entries, key=lambda e: e.path):
            path = f"{rel}{e.path}"
            if e.unreadable:
                out.unsampled[path] = e.unreadable
            elif e.is_link:
                out.unsampled[path] = "symbolic link not followed"
            elif e.is_dir:
                pending.append(path + "/")
            else:
                out.files += 1
                if matches(path, opts.include, opts.exclude):
                    out.tree.add(path, e.size, e.modified)
                    out.matched.update(p for p in opts.include if p not in out.matched
                                       and fnmatch.fnmatchcase(path, p))
    if ctx.cancel.is_set() and pending:
        out.unsampled[pending[0] + "*"] = "listing cancelled (source timeout)"
    return out


def _owner(tree: objects.PrefixTree, rel: str) -> str:
    """The node (folder kept as a dataset) that holds ``rel``, a path below the root."""
    return max((p for p in tree.nodes if rel.startswith(p)), key=len)


class FileServerConnector:
    """Base of the SFTP and FTP connectors: subclasses set ``kind``, ``scheme``, ``default_port``
    and implement :meth:`open` (a logged-in :class:`Server`), :meth:`settings` (facts common to
    every dataset of the source) and :meth:`anonymous` (root -> public, reasons)."""

    kind: ClassVar[str] = "file server"
    capabilities: ClassVar[Capabilities] = Capabilities(
        knows=frozenset({"records", "bytes", "last_modified", "oldest_modified", "encryption_in_transit", "public",
                         "columns", "personal_data"}),
        never={"encryption_at_rest": "a file server does not say how its disks are encrypted (attest it)",
               "has_retention": "a file server has no retention setting to read (attest it)",
               "retention_days": "a file server has no retention setting to read (attest it)",
               "region": "a file server does not say where it runs", "versioning": "not a setting of a file server",
               "object_lock": "not a setting of a file server", "logging": "a file server's logs are not visible to a login",
               "created": "SFTP and FTP give no creation time", "tags": "files have no tags"})
    scheme: ClassVar[str] = "file"
    default_port: ClassVar[int] = 0
    read_call: ClassVar[str] = "read"

    def __init__(self, source: SourceSpec, ctx: CollectContext) -> None:
        self.source, self.ctx = source, ctx
        self.opts: Any = source.options if isinstance(source.options, self.Options) else self.Options(  # type: ignore[attr-defined]
            **(source.options or {}))
        self.port = self.opts.port or self.default_port
        self._limiter = None
        if self.opts.max_requests_per_second:
            from connectors.runtime import RateLimiter

            self._limiter = RateLimiter(self.opts.max_requests_per_second)

    @property
    def where(self) -> str:
        return f"{self.scheme}://{self.opts.host}:{self.port}"

    def call(self) -> None:
        if self._limiter:
            self._limiter.acquire()

    def open(self) -> Any:  # pragma: no cover - per kind: a logged-in Server
        raise NotImplementedError

    def close(self, server: Any) -> None:  # pragma: no cover - per kind
        raise NotImplementedError

    def settings(self, server: Any) -> dict[str, Any]:  # pragma: no cover - per kind
        raise NotImplementedError

    def anonymous(self) -> tuple[dict[str, bool | None], dict[str, str]]:  # pragma: no cover - per kind
        raise NotImplementedError

    def collect(self) -> Iterator[Observation | CollectionError]:
        server = self.open()  # raises ConnectorError when unreachable or the login is refused
        try:
            common = self.settings(server)
            public, facts = self.anonymous() if self.opts.probe_anonymous else ({}, {
                "anonymous_login": "not tried (probe_anonymous: false)"})
            common["facts"] = {**common.get("facts", {}), **facts}
            files, matched = 0, set[str]()
            for root in dict.fromkeys(self.opts.paths):
                if self.ctx.cancel.is_set():
                    return
                for item in self._root(server, root, common, public.get(root)):
                    if isinstance(item, Walk):
                        files, matched = files + item.files, matched | item.matched
                    else:
                        yield item
            globs = [p for p in dict.fromkeys(self.opts.include) if set("*?[") & set(p) and p not in matched]
            if globs:  # a selection that matched nothing is a finding, not a pass
                yield empty_selection(self.source.id, "file", globs, files)
        finally:
            self.close(server)

    def _root(self, server: Server, root: str, common: dict[str, Any],
              public: bool | None) -> Iterator[Observation | CollectionError | Walk]:
        label = root.rstrip("/") or "/"
        fields = {**common, "public": public}
        if public:
            fields["public_reasons"] = (f"anonymous {self.kind.upper()} login lists {label}",)
        try:
            found = walk(server, label, self.opts, self.ctx, self.call)
        except server.errors as exc:
            reason = f"{self.kind} list {label}: {server.code(exc)}"
            yield CollectionError(source=self.source.id, dataset=label, kind="bucket", reason=reason,
                                  fix=f"let the user {self.opts.user} list and read {label} (read-only)")
            yield Observation(dataset=Dataset(
                source=self.source.id, vendor=self.source.vendor.id, kind="bucket", name=label,
                uri=self._uri(label, ""), status="error", error=reason, **{**fields, "denied": (reason,)}))
            return
        for node, dataset in objects.prefix_datasets(
            found.tree, source=self.source.id, vendor=self.source.vendor.id, bucket=label, scheme=self.scheme,
            common=fields,
        ):
            if self.ctx.cancel.is_set():
                return
            self.ctx.progress(1)
            sample, update, unsampled = self._sample(server, label, found.tree, node)
            skipped = {k: v for k, v in found.unsampled.items() if _owner(found.tree, k) == node.path}
            # records stay None: rows are estimated by the judge from the files read (sample.rows ->
            # facts["rows_sampled"]), as for S3/GCS; ``objects`` counts the files
            fix: dict[str, Any] = {"name": _name(dataset.name), "uri": self._uri(label, node.path),
                   "last_modified_basis": "newest file mtime" if node.newest else None}
            if dataset.parent:
                fix["parent"] = _name(dataset.parent)
            for k, v in update.items():
                fix[k] = (*getattr(dataset, k), *v)
            dataset = dataset.model_copy(update=fix)
            yield Observation(dataset=objects.with_unsampled(dataset, {**skipped, **unsampled}), sample=sample)
        yield found

    def _uri(self, label: str, path: str) -> str:
        base = label if label == "/" else label + "/"
        return f"{self.where}{base}{path}"

    def _sample(self, server: Server, label: str, tree: objects.PrefixTree,
                node: objects.Node) -> tuple[Any, dict[str, list[str]], dict[str, str]]:
        if not tree.sample_objects:
            return None, {}, {}
        max_bytes = self.opts.max_object_bytes

        def read(pick: objects.Pick) -> readers.ReadResult:
            path = posixpath.join(label, pick.key)
            deadline = Deadline(self.opts.object_read_deadline_seconds)

            def fetch(start: int, end: int) -> bytes:
                self.call()
                return server.read(path, start, min(end, start + max_bytes - 1) - start + 1, deadline)
            return readers.read_object(pick.key, pick.size, fetch, max_bytes)

        return objects.sample_with_refusals(tree.picks(node), read, f"{self.kind} {self.read_call}", server.errors,
                                            server.code)


def _name(name: str) -> str:
    """``//exports/`` (a prefix of the root folder ``/``) as ``/exports/``."""
    return "/" + name[2:] if name.startswith("//") else name
