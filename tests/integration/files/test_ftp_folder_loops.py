"""An FTP server that follows symbolic links lists a link to a parent folder as a folder
(pyftpdlib; MLSD type=dir): walking it walked the tree again under every such link, level after
level, until the source timed out. A folder whose MLSD 'unique' fact (device and inode) was
already listed is not walked again: its files are audited where they were first listed."""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timezone

from auditor import registry
from auditor.models import Observation, Vendor
from connectors import load_builtin
from connectors.base import CollectContext, SourceSpec
from tests.file_servers import estate, ftp_server

OLD = datetime(2019, 3, 14, tzinfo=timezone.utc)


def test_a_link_back_to_a_parent_folder_is_walked_once():
    with estate({"a/x.csv": (b"email\nq.r@example.com\n", OLD), "b/y.csv": (b"email\ns.t@example.com\n", OLD)}) as root:
        os.symlink(root, root / "a" / "up")
        os.symlink(root, root / "b" / "up")
        with ftp_server(root) as f:
            load_builtin()
            cls = registry.connectors.get("ftp")
            opts = cls.Options(host=f["host"], port=f["port"], user=f["user"], password=f["password"], paths=["/"],
                               tls="none", depth=2)
            ctx = CollectContext(as_of=OLD)
            stop = threading.Timer(20, ctx.cancel.set)  # what a source timeout does; the walk must end before
            stop.start()
            started = time.monotonic()
            try:
                items = list(cls(SourceSpec("drop", "ftp", Vendor(id="v"), opts), ctx).collect())
            finally:
                stop.cancel()
            took = time.monotonic() - started
    assert not ctx.cancel.is_set(), f"the walk was still going after {took:.0f}s"
    obs = {o.dataset.name: o for o in items if isinstance(o, Observation)}
    assert obs["/"].dataset.objects <= 4, obs["/"].dataset.objects  # x.csv and y.csv, at most once more each
    values = {v for o in obs.values() if o.sample for vs in o.sample.fields.values() for v in vs}
    assert {"q.r@example.com", "s.t@example.com"} <= values


def test_a_loop_on_a_server_without_mlsd_ends_too():
    """NLST gives no folder ids: a folder that lists exactly as one of its parents (names, sizes,
    dates) is that parent again through a link, and is not walked again."""
    from pyftpdlib.handlers import FTPHandler

    with estate({"a/x.csv": (b"email\nq.r@example.com\n", OLD), "b/y.csv": (b"email\ns.t@example.com\n", OLD)}) as root:
        os.symlink(root, root / "a" / "up")
        os.symlink(root, root / "b" / "up")
        with ftp_server(root) as f:
            handler = f["server"].handler
            handler.proto_cmds = {k: v for k, v in FTPHandler.proto_cmds.items() if k not in ("MLSD", "MLST")}
            load_builtin()
            cls = registry.connectors.get("ftp")
            opts = cls.Options(host=f["host"], port=f["port"], user=f["user"], password=f["password"], paths=["/"],
                               tls="none", depth=2)
            ctx = CollectContext(as_of=OLD)
            stop = threading.Timer(20, ctx.cancel.set)
            stop.start()
            try:
                items = list(cls(SourceSpec("drop", "ftp", Vendor(id="v"), opts), ctx).collect())
            finally:
                stop.cancel()
    assert not ctx.cancel.is_set(), "the walk was still going after 20s"
    obs = {o.dataset.name: o for o in items if isinstance(o, Observation)}
    values = {v for o in obs.values() if o.sample for vs in o.sample.fields.values() for v in vs}
    assert {"q.r@example.com", "s.t@example.com"} <= values
