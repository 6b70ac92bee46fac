"""A third-party connector, for the tests only: ``kind: folder``, the CSV files of a local folder.

It lives outside the four packages and reaches the auditor only through its packaging
metadata (``auditor_folder_connector-0.1.dist-info/entry_points.txt``, group
``auditor.connectors``), exactly as an installed plug-in would; ``tests/conftest.py`` puts
this folder on ``sys.path`` in place of a ``pip install``. It also ships the fixture the
connector contract suite runs it with (group ``auditor.connector_contract``).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel

from auditor.connector import Capabilities, CollectContext, Options, SourceSpec
from auditor.errors import ConnectorError
from auditor.models import CollectionError, Dataset, Observation, Sample

MAX_ROWS = 200


class FolderOptions(Options):
    path: str
    pattern: str = "*.csv"


class Connector:
    kind: ClassVar[str] = "folder"
    Options: ClassVar[type[BaseModel]] = FolderOptions
    capabilities: ClassVar[Capabilities] = Capabilities(
        knows=frozenset({"records", "bytes", "last_modified", "columns", "personal_data"}),
        never={"public": "a local folder has no network exposure the connector can read",
               "has_retention": "a folder has no retention setting", "retention_days": "a folder has no retention setting"},
    )

    def __init__(self, source: SourceSpec, ctx: CollectContext) -> None:
        self.source, self.ctx = source, ctx
        self.opts: FolderOptions = source.options

    @classmethod
    def permissions(cls) -> dict[str, Any]:
        return {"posix": "read (r) on the folder's CSV files and read+execute (r-x) on the folder; nothing else"}

    def collect(self) -> Iterator[Observation | CollectionError]:
        root = Path(self.opts.path)
        if not root.is_dir():
            raise ConnectorError(f"source {self.source.id}: folder not found or not a folder")
        for file in sorted(root.glob(self.opts.pattern)):
            try:
                text = file.read_text(encoding="utf-8")
                stat = file.stat()
            except OSError as exc:
                yield CollectionError(source=self.source.id, dataset=file.name, kind="table",
                                      reason=f"cannot read: {exc.strerror}", fix="grant read on the file")
                continue
            rows = list(csv.DictReader(io.StringIO(text)))
            fields: dict[str, list[Any]] = {}
            for row in rows[:MAX_ROWS]:
                for k, v in row.items():
                    fields.setdefault(k, []).append(v)
            ds = Dataset(source=self.source.id, vendor=self.source.vendor.id, kind="table", name=file.name,
                         uri=f"folder://{self.source.id}/{file.name}", records=len(rows), records_basis="exact",
                         bytes=stat.st_size, columns=tuple(fields),
                         last_modified=datetime.fromtimestamp(stat.st_mtime, timezone.utc),
                         last_modified_basis="file mtime",
                         facts={} if len(rows) <= MAX_ROWS else {"unsampled": {file.name: f"rows after {MAX_ROWS}"}})
            yield Observation(dataset=ds, sample=Sample(fields=fields))


def contract(folder: Path, csv_text: str, mtime: datetime) -> dict[str, dict[str, Any]]:
    """Options of a readable source holding ``csv_text`` (written at ``mtime``) and of an unreachable one."""
    data = folder / "folder-plugin"
    data.mkdir(exist_ok=True)
    file = data / "customers.csv"
    file.write_text(csv_text, encoding="utf-8")
    os.utime(file, (mtime.timestamp(), mtime.timestamp()))
    return {"reachable": {"path": str(data)}, "unreachable": {"path": str(folder / "no-such-folder")}}
