"""File-server connectors (SFTP, FTP/FTPS) on the object-store base: folders as the prefix tree.

Each configured root folder is a bucket (:class:`connectors.objectstore.ObjectStore`) and its
sub-folders are prefixes; a file's mtime is its age; picked files are read with ranged reads
through the base. A kind supplies a :class:`Server` (list a folder, read a byte range, name an
error); the listing here walks the root breadth-first through it, one session per source.
A folder that could not be listed, a symlink not followed or a file not read is named in
the dataset's ``facts["unsampled"]`` (a reader says how far it got).
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from pydantic import Field, SecretStr, model_validator

from auditor.models import CollectionError, Dataset, Observation
from connectors import objects
from connectors.base import Capabilities, CollectContext, SourceSpec, empty_selection, matches
from connectors.base import Options as BaseOptions
from connectors.objects import Deadline
from connectors.objectstore import Bucket, BucketSettings, ObjectInfo, ObjectStore


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
    max_workers: ClassVar[int] = 1  # one session per source: folders listed and files read one after the other

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
    unique: str | None = None  # the server's id of a folder (FTP MLSD 'unique': device and inode), when it gives one


class Server(Protocol):
    errors: tuple[type[BaseException], ...]  # what a refused or failed call raises

    def listdir(self, folder: str) -> list[Entry]: ...  # entries directly in an absolute folder

    def read(self, path: str, start: int, want: int, deadline: Deadline) -> bytes: ...

    def code(self, exc: BaseException) -> str: ...  # a short credential-free name of an error


@dataclass
class Walk:
    """What listing one root found besides its files (``Bucket.handle`` of a root)."""

    root: str  # the configured root folder
    unsampled: dict[str, str] = field(default_factory=dict)  # path below the root -> why
    refused: dict[str, str] = field(default_factory=dict)  # path below the root -> "<kind> list <folder>: <code>"
    files: int = 0  # files seen, selected or not
    matched: set[str] = field(default_factory=set)  # include globs that selected a file
    done: bool = False  # listed to the end (not refused, not cancelled)
    skipped: dict[str, dict[str, str]] = field(default_factory=dict)  # node path -> its unsampled entries
    denied: dict[str, list[str]] = field(default_factory=dict)  # node path -> the listings refused below it


def _may_select(path: str, include: list[str]) -> bool:
    """Whether a file at or under ``path`` (a folder or a link, which may be one) could be selected
    by ``include``: a pattern whose literal start (up to its first wildcard) and ``path`` are one a
    prefix of the other. Conservative: no include, or ``*``, may select anything; ``exports/*`` nothing
    under ``unlisted/``."""
    if not include:
        return True
    for pattern in include:
        literal = re.split(r"[*?\[]", pattern, maxsplit=1)[0]
        if path.startswith(literal) or literal.startswith(path):
            return True
    return False


def _owner(tree: objects.PrefixTree, rel: str) -> str:
    """The node (folder kept as a dataset) that holds ``rel``, a path below the root."""
    return max((p for p in tree.nodes if rel.startswith(p)), key=len)


class FileServerConnector(ObjectStore):
    """Base of the SFTP and FTP connectors: subclasses set ``kind``, ``scheme``, ``default_port``,
    ``errors``, ``read_call`` and implement :meth:`open` (a logged-in :class:`Server`),
    :meth:`settings` (facts common to every dataset of the source) and :meth:`anonymous`
    (root -> public, reasons)."""

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
    read_call: ClassVar[str] = "file server read"

    def __init__(self, source: SourceSpec, ctx: CollectContext) -> None:
        super().__init__(source, ctx)
        self.port = self.opts.port or self.default_port
        self.server: Any = None
        self._common: dict[str, Any] = {}
        self._public: dict[str, bool | None] = {}

    @property
    def where(self) -> str:
        return f"{self.scheme}://{self.opts.host}:{self.port}"

    def open(self) -> Any:  # pragma: no cover - per kind: a logged-in Server
        raise NotImplementedError

    def close(self, server: Any) -> None:  # pragma: no cover - per kind
        raise NotImplementedError

    def settings(self, server: Any) -> dict[str, Any]:  # pragma: no cover - per kind
        raise NotImplementedError

    def anonymous(self) -> tuple[dict[str, bool | None], dict[str, str]]:  # pragma: no cover - per kind
        raise NotImplementedError

    def error_code(self, exc: BaseException) -> str:
        return str(self.server.code(exc))

    # ------------------------------------------------------------------ the object store's surface

    def collect(self) -> Iterator[Observation | CollectionError]:
        """One session for the source; the configured roots one after the other."""
        self.server = self.open()  # raises ConnectorError when unreachable or the login is refused
        try:
            common = self.settings(self.server)
            public, facts = self.anonymous() if self.opts.probe_anonymous else ({}, {
                "anonymous_login": "not tried (probe_anonymous: false)"})
            common["facts"] = {**common.get("facts", {}), **facts}
            self._common, self._public = common, public
            files, matched = 0, set[str]()
            for bucket in self.list_buckets():
                if self.ctx.cancel.is_set():
                    return
                for item in self._bucket(bucket):
                    if isinstance(item, Observation) and item.dataset.status != "error":
                        self.ctx.progress(1)
                    yield item
                walk: Walk = bucket.handle
                if walk.done and not self.ctx.cancel.is_set():
                    files, matched = files + walk.files, matched | walk.matched
            globs = [p for p in dict.fromkeys(self.opts.include) if set("*?[") & set(p) and p not in matched]
            if globs:  # a selection that matched nothing is a finding, not a pass
                yield empty_selection(self.source.id, "file", globs, files)
        finally:
            self.close(self.server)

    def list_buckets(self) -> Iterator[Bucket]:
        return iter([Bucket(root.rstrip("/") or "/", None, Walk(root)) for root in dict.fromkeys(self.opts.paths)])

    def bucket_settings(self, bucket: Bucket) -> BucketSettings:
        public = self._public.get(bucket.handle.root)
        fields = {**self._common, "public": public}
        if public:
            fields["public_reasons"] = (f"anonymous {self.kind.upper()} login lists {bucket.name}",)
        return BucketSettings(fields, handle=bucket.handle)

    def listing_call(self, name: str) -> str:
        return f"{self.kind} list {name}"

    def list_fix(self, name: str) -> str:
        return f"let the user {self.opts.user} list and read {name} (read-only)"

    def bucket_uri(self, name: str) -> str:
        return self._uri(name, "")

    def iter_objects(self, bucket: Bucket, settings: BucketSettings, prefix: str = "") -> Iterator[ObjectInfo]:
        """The root walked breadth-first: a refused sub-folder, an unreadable entry or a link is
        named in the walk's unsampled; a refused root raises (the whole root is then not assessed)."""
        server, opts, cancel, root = self.server, self.opts, self.ctx.cancel, bucket.name
        out: Walk = settings.handle
        pending = [prefix]
        walked: set[str] = set()  # folders by the server's unique id: a link back to a parent is walked once
        listed: dict[str, int] = {}  # folder -> a hash of its listing: without ids, a loop lists as its parent
        while pending and not cancel.is_set():
            rel = pending.pop(0)
            try:
                entries = self.call(lambda: server.listdir(posixpath.join(root, rel) if rel else root))
            except server.errors as exc:
                if not rel:
                    raise
                if not _may_select(rel, opts.include):
                    continue  # nothing under it is selected: not listing it skips nothing the scan wanted
                out.unsampled[rel + "*"] = f"folder not listed ({server.code(exc)})"
                out.refused[rel + "*"] = f"{self.listing_call(posixpath.join(root, rel))}: {server.code(exc)}"
                continue
            sig = hash(frozenset((e.path, e.size, e.modified, e.is_dir, e.is_link) for e in entries))
            if rel and any(listed.get(rel[: i + 1]) == sig for i in range(-1, len(rel) - 1) if i < 0 or rel[i] == "/"):
                continue  # lists exactly as a parent folder: that folder again through a link; audited there
            listed[rel] = sig
            for e in sorted(entries, key=lambda e: e.path):
                path = f"{rel}{e.path}"
                why = None
                if e.is_link and not e.unreadable:
                    e, why = self._follow(posixpath.join(root, path), e)
                    if why == "":  # a folder inside a configured path: audited there
                        continue
                if e.unreadable or e.is_link:  # named where the scan may have wanted it (a file, or a folder's files)
                    if matches(path, opts.include, opts.exclude) or _may_select(path + "/", opts.include):
                        out.unsampled[path] = why or e.unreadable or "symbolic link not followed"
                elif e.is_dir:
                    if e.unique is not None:
                        if e.unique in walked:  # a server following links lists a link as the folder itself
                            continue  # listed already, its files audited where they were first listed
                        walked.add(e.unique)
                    pending.append(path + "/")
                else:
                    out.files += 1
                    if matches(path, opts.include, opts.exclude):
                        yield ObjectInfo(path, e.size, e.modified)
                        out.matched.update(p for p in opts.include if p not in out.matched
                                           and fnmatch.fnmatchcase(path, p))
        if cancel.is_set() and pending:
            out.unsampled[pending[0] + "*"] = "listing cancelled (source timeout)"
        out.done = not pending

    def _follow(self, link: str, e: Entry) -> tuple[Entry, str | None]:
        """A symbolic link (absolute ``link``) through the server's ``target`` (path -> (real path, Entry)):
        a link to a file or folder inside a configured path is audited there (``""``); a link to a file
        elsewhere is that file (read through the link: a file cannot loop); anything else is not
        followed, and why."""
        target = getattr(self.server, "target", None)
        if target is None:
            return e, None
        try:
            real, got = self.call(lambda: target(link))
        except (*self.server.errors, ValueError) as exc:
            return e, (f"symbolic link not followed: its target cannot be read ({self.server.code(exc)}: a loop, "
                       "a dangling link or a target the audit user may not see)")
        if any(real == r.rstrip("/") or real.startswith(r.rstrip("/") + "/") for r in self.opts.paths):
            return e, ""  # what it leads to is listed where it is (a 'latest.csv' link is not counted twice)
        if not got.is_dir:
            return Entry(e.path, got.size, got.modified), None
        return e, (f"symbolic link to the folder {real}, outside the configured paths: not followed (add {real} "
                   "to the source's paths to audit it there)")

    def list_tree(self, bucket: Bucket, settings: BucketSettings) -> objects.PrefixTree:
        tree = super().list_tree(bucket, settings)
        walk: Walk = settings.handle
        for path, why in walk.unsampled.items():
            walk.skipped.setdefault(_owner(tree, path), {})[path] = why
        for path, call in walk.refused.items():
            walk.denied.setdefault(_owner(tree, path), []).append(call)
        return tree

    def node_fields(self, bucket: Bucket, settings: BucketSettings, node: objects.Node,
                    dataset: Dataset) -> dict[str, Any]:
        # records stay None: rows are estimated by the judge from the files read (sample.rows ->
        # facts["rows_sampled"]), as for S3/GCS; ``objects`` counts the files
        fix: dict[str, Any] = {"name": _name(dataset.name), "uri": self._uri(bucket.name, node.path),
                               "last_modified_basis": "newest file mtime" if node.newest else None}
        if dataset.parent:
            fix["parent"] = _name(dataset.parent)
        skipped = settings.handle.skipped.get(node.path)
        if skipped:
            fix["facts"] = {**dataset.facts, "unsampled": {**dataset.facts.get("unsampled", {}), **skipped}}
        refused = settings.handle.denied.get(node.path)
        if refused:  # a sub-folder it could not list: the folder to grant
            fix["denied"] = (*dataset.denied, *refused)
        return fix

    def read_range(self, bucket: Bucket, settings: BucketSettings, key: str, start: int, end: int,
                   deadline: Deadline) -> bytes:
        path = posixpath.join(bucket.name, key)
        return self.call(lambda: self.server.read(path, start, end - start + 1, deadline))

    def _uri(self, label: str, path: str) -> str:
        base = label if label == "/" else label + "/"
        return f"{self.where}{base}{path}"


def _name(name: str) -> str:
    """``//exports/`` (a prefix of the root folder ``/``) as ``/exports/``."""
    return "/" + name[2:] if name.startswith("//") else name
