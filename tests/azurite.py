"""Azurite (Microsoft's Azure Storage emulator, npm package ``azurite``) on a free loopback port.

``.ci/run`` installs a pinned version (``.ci/azurite/package-lock.json``) into a cache folder
(``AUDITOR_AZURITE_DIR``, default ``~/.cache/auditor-ci/azurite-<hash>``); found there, through
``AZURITE_BLOB``, or on ``PATH``. Where it is missing the tests skip; under CI they fail instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import free_port, server_process
from tests.file_servers import need

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="  # Azurite's well-known
BIN = Path("node_modules") / ".bin" / "azurite-blob"


def azurite_blob() -> str | None:
    """AZURITE_BLOB, else the folder .ci/run installed into (AUDITOR_AZURITE_DIR, or its default
    under ~/.cache/auditor-ci), else PATH."""
    installed = sorted((Path.home() / ".cache" / "auditor-ci").glob(f"azurite-*/{BIN}"))
    for candidate in (os.environ.get("AZURITE_BLOB"),
                      str(Path(os.environ["AUDITOR_AZURITE_DIR"]) / BIN) if os.environ.get("AUDITOR_AZURITE_DIR") else None,
                      *map(str, installed), shutil.which("azurite-blob")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@contextmanager
def azurite_server() -> Iterator[str]:
    """Yields a connection string to a fresh Azurite blob service (plain HTTP on loopback)."""
    exe = azurite_blob()
    need(exe is not None, "azurite-blob is missing (npm package azurite; .ci/run installs it)")
    folder = Path(tempfile.mkdtemp(prefix="auditor-azurite-"))
    port = free_port()
    try:
        with server_process([str(exe), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(folder),
                             "--skipApiVersionCheck", "--loose", "--silent"], "azurite", port,
                            start_within=30, stop_within=2):
            yield (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
                   f"BlobEndpoint=http://127.0.0.1:{port}/{ACCOUNT};")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
