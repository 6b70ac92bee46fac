"""Sample fingerprints that cannot be reversed.

A table's fingerprint (row count plus a hash of the sampled rows) lets the next run say
"unchanged since first seen". Unkeyed, a one-row table's hash plus its masked example
(first 6 and last 4 digits of a card, Luhn) gives the card back by brute force, from the
state file alone. So what is kept (state store, reports) is an HMAC-SHA256 of it under a
per-store random key that is kept outside the store's tables:

- ``AUDITOR_FINGERPRINT_KEY`` in the environment, when set (any store; required to share
  history between hosts of one server store);
- else, for a SQLite store file, ``<file>.key`` next to it (created 0600, 32 random bytes);
- else (a server store), ``.auditor-fingerprint.key`` in the config's folder (0600);
- an in-memory store gets a key that lives as long as the process.

Losing the key only restarts "unchanged since first seen" (fingerprints stop matching);
it never makes a dataset look fresh. The key never reaches a log, a report or the store.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa

from auditor.errors import StoreError
from auditor.models import Dataset

KEY_ENV = "AUDITOR_FINGERPRINT_KEY"
PREFIX = "hmac1:"
log = logging.getLogger("auditor.fingerprint")
_PROCESS_KEY = secrets.token_bytes(32)


def key_path(state_url: str, config_dir: str) -> Path | None:
    """Where the key file of this store lives (None: an in-memory store)."""
    url = sa.engine.make_url(state_url)
    if url.get_backend_name() == "sqlite":
        db = url.database or ""
        if not db or db == ":memory:" or "mode=memory" in str(url):
            return None
        return Path(db.removeprefix("file:") + ".key")
    return Path(config_dir) / ".auditor-fingerprint.key"


def key_for(state_url: str, config_dir: str) -> bytes:
    env = os.environ.get(KEY_ENV)
    if env is not None:
        if len(env) < 16:
            raise StoreError(f"{KEY_ENV} is shorter than 16 characters: too weak to key fingerprints")
        return env.encode()
    path = key_path(state_url, config_dir)
    if path is None:
        return _PROCESS_KEY
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    except OSError as exc:
        raise StoreError(f"cannot create the fingerprint key file {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    log.info("created the fingerprint key %s (keep it with the state store)", path)
    return _read(path)


def _read(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            os.chmod(path, 0o600)
            log.warning("fingerprint key %s was readable by others (mode %o): set to 0600", path, mode)
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"cannot read the fingerprint key file {path}: {exc.__class__.__name__}") from None
    if len(key) < 32:
        raise StoreError(f"the fingerprint key file {path} is damaged (too short): remove it to start a new "
                         "one (\"unchanged since first seen\" then restarts)")
    return key.encode()


def keyed(fingerprint: str | None, key: bytes) -> str | None:
    """HMAC-SHA256 of a connector's fingerprint; deterministic per key, so runs still compare."""
    if not fingerprint or fingerprint.startswith(PREFIX):
        return fingerprint
    return PREFIX + hmac.new(key, fingerprint.encode(), hashlib.sha256).hexdigest()


def keyed_datasets(datasets: Iterable[Dataset], key: bytes) -> list[Dataset]:
    out = []
    for d in datasets:
        fp = d.facts.get("fingerprint")
        out.append(d.model_copy(update={"facts": {**d.facts, "fingerprint": keyed(fp, key)}}) if fp else d)
    return out
