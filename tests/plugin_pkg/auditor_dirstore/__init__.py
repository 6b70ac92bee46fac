"""A third-party object store, for the tests only: ``kind: dirstore``, a local folder whose
sub-folders are its buckets, built on :class:`connectors.objectstore.ObjectStore`.

It is what a new object store needs: this one file (the store's surface: list the buckets,
read their settings, list the objects, read a byte range, name an error) and its packaging
metadata (``auditor_dirstore-0.1.dist-info``: the ``auditor.connectors`` entry point and the
``auditor.connector_contract`` fixture). Bucket and glob selection, the prefix tree, datasets,
concurrent sampling, content readers, refusals and deadlines come from the base.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel

from auditor.connector import Capabilities
from auditor.errors import ConnectorError
from connectors.objects import Deadline, StoreOptions
from connectors.objectstore import Bucket, BucketSettings, ObjectInfo, ObjectStore

CHUNK = 64 * 1024
NOT_A_SETTING = "a local folder has no such setting (attest it)"


class DirOptions(StoreOptions):
    root: str  # a folder; each sub-folder is a bucket


class Connector(ObjectStore):
    kind: ClassVar[str] = "dirstore"
    Options: ClassVar[type[BaseModel]] = DirOptions
    scheme: ClassVar[str] = "dir"
    errors: ClassVar[tuple[type[BaseException], ...]] = (OSError,)
    list_call: ClassVar[str] = "list folder (r-x)"
    read_call: ClassVar[str] = "read file (r)"
    capabilities: ClassVar[Capabilities] = Capabilities(
        knows=frozenset({"records", "bytes", "last_modified", "oldest_modified", "columns", "personal_data"}),
        never={fact: NOT_A_SETTING for fact in ("created", "region", "encryption_at_rest", "encryption_in_transit",
                                                "public", "has_retention", "retention_days", "versioning",
                                                "logging", "object_lock", "tags")})
    opts: DirOptions

    @classmethod
    def permissions(cls) -> dict[str, Any]:
        return {"posix": "read (r) on the files and read+execute (r-x) on the folders under root; nothing writable"}

    def error_code(self, exc: BaseException) -> str:
        number = getattr(exc, "errno", None)
        return errno.errorcode.get(number, type(exc).__name__) if number else type(exc).__name__

    def list_buckets(self) -> Iterator[Bucket]:
        root = Path(self.opts.root)
        try:
            folders = sorted(p for p in root.iterdir() if p.is_dir())
        except OSError as exc:
            raise ConnectorError(f"dirstore source {self.source.id}: cannot list the root folder: "
                                 f"{self.error_code(exc)}") from None
        return iter([Bucket(p.name, None, p) for p in folders])

    def bucket_settings(self, bucket: Bucket) -> BucketSettings:
        mode = bucket.handle.stat().st_mode
        return BucketSettings({"facts": {"folder_mode": stat.filemode(mode)}},
                              handle=bucket.handle)

    def iter_objects(self, bucket: Bucket, settings: BucketSettings, prefix: str = "") -> Iterator[ObjectInfo]:
        top: Path = settings.handle

        def refused(exc: OSError) -> None:
            raise exc

        for folder, dirs, files in os.walk(top / prefix, onerror=refused):
            dirs.sort()
            rel = Path(folder).relative_to(top).as_posix()
            for name in sorted(files):
                st = os.stat(os.path.join(folder, name))
                key = name if rel == "." else f"{rel}/{name}"
                yield ObjectInfo(key, st.st_size, datetime.fromtimestamp(st.st_mtime, timezone.utc))
            if self.ctx.cancel.is_set():
                return

    def list_prefixes(self, bucket: Bucket, settings: BucketSettings, prefix: str) -> list[str]:
        return sorted(f"{prefix}{p.name}/" for p in (settings.handle / prefix).iterdir() if p.is_dir())

    def read_range(self, bucket: Bucket, settings: BucketSettings, key: str, start: int, end: int,
                   deadline: Deadline) -> bytes:
        parts, want = [], end - start + 1
        with open(settings.handle / key, "rb") as f:
            f.seek(start)
            while want > 0 and (data := f.read(min(CHUNK, want))):
                parts.append(data)
                want -= len(data)
                deadline.got += len(data)
                deadline.check()
        return b"".join(parts)


def contract(folder: Path, csv_text: str, mtime: datetime) -> dict[str, dict[str, Any]]:
    """Options of a readable source holding ``csv_text`` (written at ``mtime``) and of an unreachable one."""
    file = folder / "dirstore" / "vendor-bucket" / "exports" / "customers.csv"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(csv_text, encoding="utf-8")
    os.utime(file, (mtime.timestamp(), mtime.timestamp()))
    return {"reachable": {"root": str(folder / "dirstore")}, "unreachable": {"root": str(folder / "no-such-folder")}}
