"""SQLite files: read without ever creating a file beside the vendor's database."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import URL

from auditor.errors import ConnectorError
from auditor.models import EncryptionAtRest

from . import permissions
from .dialects import LONG_CHARS, Dialect, Server, TableInfo, _run, register


WAL_COPY_MAX_BYTES = 256 * 1024 * 1024  # a WAL-mode file and its -wal are read from a copy at most this big


def _size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def _bounded_copy(src: str, dst: str, budget: list[int], dialect: SQLite) -> None:
    """Copy while it fits the remaining budget (the file may grow while it is copied)."""
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while chunk := fin.read(1024 * 1024):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise ConnectorError(f"{dialect.location()} grew past the {WAL_COPY_MAX_BYTES // 2**20} MiB copy "
                                     "budget while it was copied: not assessed")
            fout.write(chunk)


@register("sqlite")
class SQLite(Dialect):
    """A database file, read without ever creating a file beside it.

    A WAL-mode database opened read-only still creates ``-shm`` (and ``-wal``) files next to
    the vendor's file, and writes its ``-shm`` when it may. ``immutable=1`` writes nothing but
    ignores the ``-wal``, where the newest writes live. So: without a ``-wal`` file, or with an
    empty one, the database is opened ``immutable=1`` (no locks, no side files, nothing
    missed); with a non-empty one, the file and its ``-wal`` are copied, at most
    :data:`WAL_COPY_MAX_BYTES` together (bigger: the source is not assessed, never read in
    part), into a private folder (``auditor.tempdirs``: mode 0700, removed when the source is
    done and at exit, and by the next run if this process is killed) and the copy is read.
    A rollback-journal database opened ``mode=ro`` creates nothing and is opened that way
    (its locks keep a concurrent writer safe).
    """

    name = "sqlite"
    main = "main"
    loose_types = True  # dates in TEXT or INTEGER columns: the name alone decides
    grants = permissions.SQLITE
    autocommit_reads = True  # PRAGMA query_only = ON for the connection

    def __init__(self, url: URL) -> None:
        super().__init__(url)
        db = url.database or ""
        db = db.removeprefix("file:")
        self.path = os.path.abspath(db) if db and db != ":memory:" else None
        self.read_mode = "mode=ro"
        self._copy_dir: str | None = None

    def _wal_mode(self) -> bool:
        """The header says WAL (file format read/write versions 2), without opening the database."""
        try:
            with open(self.path or "", "rb") as fh:
                head = fh.read(20)
        except OSError:
            return False
        return head[:16] == b"SQLite format 3\x00" and head[18:20] == b"\x02\x02"

    def engine_url(self) -> URL:
        if not self.path:
            return self.url
        target, query = self.path, {"mode": "ro", "uri": "true"}
        if _size(self.path + "-wal"):  # a -wal with frames in it: the newest writes are there
            target = self._copy()
            self.read_mode = "a temporary copy of the file and its -wal (the original is never opened)"
        elif self._wal_mode():
            query = {"immutable": "1", "uri": "true"}
            self.read_mode = "immutable=1 (WAL mode, no -wal file or an empty one)"
        return self.url.set(database=f"file:{quote(target)}", query=query)

    def _copy(self) -> str:
        from auditor import tempdirs

        self.cleanup()
        tempdirs.sweep()  # folders of earlier runs that were killed
        src = self.path or ""
        need = (_size(src) or 0) + (_size(src + "-wal") or 0)
        if need > WAL_COPY_MAX_BYTES:
            raise ConnectorError(
                f"{self.location()} is a WAL-mode database whose file and -wal ({need / 2**20:.0f} MiB) exceed "
                f"the {WAL_COPY_MAX_BYTES // 2**20} MiB budget of the private copy it is read from (opening it in "
                "place would write its -shm): checkpoint it on the vendor side (PRAGMA wal_checkpoint(TRUNCATE)) "
                "and re-run")
        self._copy_dir = tempdirs.make()
        target = os.path.join(self._copy_dir, "db")
        budget = [WAL_COPY_MAX_BYTES]
        try:
            _bounded_copy(src, target, budget, self)  # the file, then its -wal: the newest writes are there
            with contextlib.suppress(FileNotFoundError):  # checkpointed and removed meanwhile: the file has it all
                _bounded_copy(src + "-wal", target + "-wal", budget, self)
        except BaseException:
            self.cleanup()
            raise
        return target

    def cleanup(self) -> None:
        if self._copy_dir:
            from auditor import tempdirs

            tempdirs.remove(self._copy_dir)
            self._copy_dir = None

    def connect_args(self, connect_timeout: float, statement_timeout: float) -> dict:
        return {"timeout": connect_timeout}

    def on_connect(self, dbapi_conn: Any, statement_timeout: float) -> None:
        dbapi_conn.execute("PRAGMA query_only = ON")

    def watch(self, dbapi_conn: Any, expired: Callable[[], bool]) -> None:
        """The statement timeout: the progress handler ends a statement past its deadline."""
        dbapi_conn.set_progress_handler(lambda: int(expired()), 20_000)

    def sample_key(self, cols: list[dict], pk: dict, info: TableInfo) -> str | None:
        return super().sample_key(cols, pk, info) or ("rowid" if info.rowid else None)

    def cut(self, column: Any, chars: int | None, structured: bool = False) -> Any:
        # any value in any column: cut text and blobs whatever the declared type
        n = (chars or LONG_CHARS) + 1
        return sa.case((sa.func.typeof(column).in_(["text", "blob"]), sa.func.substr(column, 1, n)),
                       else_=column).label(column.name)

    def location(self) -> str:
        """``sqlite:////abs/path.db`` (four slashes: SQLAlchemy reads three as a relative path)."""
        return f"sqlite:///{quote(self.path)}" if self.path else f"sqlite://{quote(':memory:')}"

    def schemas(self, inspector: sa.Inspector, wanted: list[str] | None) -> list[str | None]:
        return [None]

    def unknown_schemas(self, inspector: sa.Inspector, wanted: list[str] | None) -> list[str]:
        return [s for s in dict.fromkeys(wanted or ()) if s != self.main]

    def schema_fix(self, schema: str) -> str:
        return "a SQLite file has one schema, main (attached databases are not audited)"

    def server(self, conn: sa.Connection) -> Server:
        s = Server(engine=f"sqlite {sqlite3.sqlite_version}",
                   in_transit_basis="local file: no network transport (not applicable)")
        s.facts["file"] = os.path.basename(self.path) if self.path else ":memory:"
        s.facts["transport"] = "local file"
        s.facts["never_known"] = {"encryption_in_transit": "an embedded database read from a local file: "
                                                          "there is no connection to encrypt"}
        s.facts["read"] = self.read_mode
        return s

    def _file_write_time(self) -> datetime | None:
        """The newest modification time of the file and its -wal (where recent writes live)."""
        times = []
        for path in (self.path or "", (self.path or "") + "-wal"):
            with contextlib.suppress(OSError):
                times.append(os.stat(path).st_mtime)
        return datetime.fromtimestamp(max(times), tz=UTC) if times else None

    def tables(self, conn: sa.Connection, schemas: list[str | None]) -> dict[tuple[str | None, str], TableInfo]:
        master = _run(conn, "SELECT name, sql FROM sqlite_master WHERE type = 'table'") or []
        sizes = {r[0]: r[1] for r in (_run(conn, "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name") or [])}
        stats = {r[0]: r[1] for r in (_run(conn, "SELECT tbl, stat FROM sqlite_stat1 WHERE idx IS NULL") or [])}
        at_rest: tuple[EncryptionAtRest, str] = ("unknown", "database file not readable")
        mtime = None
        if self.path:
            try:
                mtime = self._file_write_time()
                with open(self.path, "rb") as fh:
                    plain = fh.read(16) == b"SQLite format 3\x00"
                at_rest = ("none", "the database file is plaintext SQLite (no SQLCipher/SEE)") if plain else (
                    "unknown", "the file header is not plaintext SQLite (encrypted or another format)")
            except OSError:
                pass
        shadows = _shadow_tables(conn, master)
        user_tables = [name for name, _ in master if not name.startswith("sqlite_") and name not in shadows]
        if mtime is None:
            file_time: tuple[str, datetime | None, Any] = ("sqlite file mtime", None, "in-memory or unreadable file")
        elif len(user_tables) == 1:  # the file's last write is this table's last write
            file_time = ("sqlite file mtime", mtime, None)
        else:  # any one table's write moves it: evidence, not the age of every table
            file_time = ("sqlite file mtime", None,
                         f"{mtime.isoformat()} (the file holds {len(user_tables)} tables: not the age of any one)")
        out: dict[tuple[str | None, str], TableInfo] = {}
        for name, ddl in master:
            info = TableInfo(bytes=sizes.get(name), encryption_at_rest=at_rest[0], encryption_basis=at_rest[1])
            stat = str(stats.get(name) or "").split()
            if stat and stat[0].isdigit():
                info.estimate, info.estimate_basis = int(stat[0]), "sqlite_stat1"
            info.rowid = "without rowid" not in re.sub(r"\s+", " ", (ddl or "").lower())
            info.engine_times.append(file_time)
            info.shadow_of = shadows.get(name)
            out[(None, name)] = info
        return out

    def grant_fix(self, schema: str, name: str) -> str:
        return "give the auditor read access to the database file"


_TABLE_LIST = sqlite3.sqlite_version_info >= (3, 37, 0)  # PRAGMA table_list names shadow tables
_SHADOW_SUFFIXES = ("content", "data", "idx", "docsize", "config")  # FTS5 (FTS3/4: content, segments...)


def _shadow_tables(conn: sa.Connection, master: Sequence[Any]) -> dict[str, str]:
    """The helper tables virtual tables keep their storage in (name -> virtual table): PRAGMA
    table_list's type 'shadow' where the engine has it (3.37+), else the FTS5 helper names of the
    virtual tables in the file."""
    virtual = [name for name, ddl in master if re.match(r"\s*create\s+virtual\s+table", ddl or "", re.I)]
    names = {name for name, _ in master}
    listed = _run(conn, "PRAGMA main.table_list") if _TABLE_LIST else None
    if listed is not None:
        shadow = {r[1] for r in listed if r[0] == "main" and r[2] == "shadow"}
    else:
        shadow = {f"{v}_{s}" for v in virtual for s in _SHADOW_SUFFIXES} & names
    out: dict[str, str] = {}
    for name in sorted(shadow):
        owner = max((v for v in virtual if name.startswith(f"{v}_")), key=len, default="a virtual table")
        out[name] = owner
    return out
