"""Real file servers for the SFTP and FTP tests, started on free loopback ports.

- :func:`sshd_server`: Debian's OpenSSH ``sshd`` as a foreground child (``-D -e``) with a
  throwaway host key, ``ForceCommand internal-sftp -R`` (read-only), password and key
  logins for the system user ``auditor-sftp-t<pid>`` (one per test process, so concurrent
  sessions never share a password nor remove each other's login; removed when the process
  exits, and a killed process's users are removed by the next one). With ``empty_password_user``
  the server also accepts SSH "none" authentication for ``auditor-sftp-a<pid>`` (an anonymous
  drop).
- :func:`ftp_server`: pyftpdlib in a thread of this process, a user with list+read rights,
  optionally an anonymous user and explicit TLS (a self-signed certificate from ``openssl``).
- :func:`estate`: a world-readable folder (the SFTP user is not root) with files backdated.

Where ``sshd`` is missing (or we are not root) the tests skip; under CI they fail instead.
"""

from __future__ import annotations

import atexit
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from auditor import registry
from auditor.cli import cli
from auditor.models import Observation, Vendor
from auditor.store import _pid_alive
from connectors import load_builtin
from connectors.base import CollectContext, SourceSpec

from tests.conftest import IN_CI, free_port, server_process
from tests.sockets import accept_until, shutdown_both

USER_PREFIX = "auditor-sftp-"
SFTP_USER = f"{USER_PREFIX}t{os.getpid()}"  # this test process's, removed at its exit
ANON_USER = f"{USER_PREFIX}a{os.getpid()}"
SSHD = "/usr/sbin/sshd"
SFTP_PASSWORD = "Sftp-" + secrets.token_hex(8)  # one per test process: every sshd here shares the system user
_made: set[str] = set()


def need(condition: bool, message: str) -> None:
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{message} (CI=true: .ci/run must provision it)")
    pytest.skip(message)


@contextmanager
def estate(files: dict[str, tuple[bytes, datetime]]) -> Iterator[Path]:
    """A fresh folder (0755, outside pytest's 0700 tmp) holding ``files`` (relative path ->
    (content, mtime)); every folder gets the newest mtime of what it holds."""
    root = Path(tempfile.mkdtemp(prefix="auditor-files-"))
    root.chmod(0o755)
    try:
        for rel, (body, when) in files.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(body)
            p.chmod(0o644)
            os.utime(p, (when.timestamp(), when.timestamp()))
        for d in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            d.chmod(0o755)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _user(name: str, password: str | None) -> None:
    if name not in _made:
        _sweep()
        if subprocess.run(["id", "-u", name], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                            "--shell", "/usr/sbin/nologin", name], check=True, capture_output=True)
        _made.add(name)
        atexit.register(_drop, name)  # after every sshd of this process has stopped
    if password is None:
        subprocess.run(["passwd", "-d", name], check=True, capture_output=True)
    else:
        subprocess.run(["chpasswd"], input=f"{name}:{password}\n".encode(), check=True, capture_output=True)


def _drop(name: str) -> None:
    subprocess.run(["userdel", name], capture_output=True)


def _sweep() -> None:
    """Remove the users of test processes that are gone (killed before their exit handlers ran)."""
    for entry in pwd.getpwall():
        m = re.fullmatch(re.escape(USER_PREFIX) + r"[ta](\d+)", entry.pw_name)
        if m and int(m[1]) != os.getpid() and not _pid_alive(int(m[1])):
            _drop(entry.pw_name)


@contextmanager
def sshd_server(*, empty_password_user: bool = False) -> Iterator[dict[str, Any]]:
    need(os.path.exists(SSHD), f"{SSHD} is missing (Debian package openssh-server)")
    need(os.geteuid() == 0, "starting sshd with a test user needs root")
    folder = Path(tempfile.mkdtemp(prefix="auditor-sshd-"))
    password = SFTP_PASSWORD
    _user(SFTP_USER, password)
    users = [SFTP_USER]
    if empty_password_user:
        _user(ANON_USER, None)
        users.append(ANON_USER)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / "host_key")], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / "user_key")], check=True)
    shutil.copy(folder / "user_key.pub", folder / "authorized_keys")
    folder.chmod(0o755)  # sshd reads authorized_keys as the user
    (folder / "authorized_keys").chmod(0o644)
    os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege-separation folder
    port = free_port()
    config = folder / "sshd_config"
    config.write_text("\n".join([
        "ListenAddress 127.0.0.1", f"HostKey {folder / 'host_key'}", "PidFile none", "UsePAM no",
        "PasswordAuthentication yes", "KbdInteractiveAuthentication no", "PubkeyAuthentication yes",
        f"AuthorizedKeysFile {folder / 'authorized_keys'}", "StrictModes no", "PermitRootLogin no",
        f"AllowUsers {' '.join(users)}", f"PermitEmptyPasswords {'yes' if empty_password_user else 'no'}",
        "Subsystem sftp internal-sftp", "ForceCommand internal-sftp -R", "AllowTcpForwarding no",
        "X11Forwarding no", "MaxStartups 100", "LogLevel ERROR", ""]))
    try:
        with server_process([SSHD, "-D", "-e", "-f", str(config), "-p", str(port)], "sshd", port,
                            start_within=10, poll=0.05, fail=pytest.fail) as proc:
            yield {"host": "127.0.0.1", "port": port, "user": SFTP_USER, "password": password,
                   "key_file": str(folder / "user_key"), "anon_user": ANON_USER, "proc": proc}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if empty_password_user:  # never leave a login without a password behind
            subprocess.run(["passwd", "-l", ANON_USER], capture_output=True)


def self_signed(folder: Path) -> Path:
    pem = folder / "ftps.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(pem), "-out", str(pem)], check=True, capture_output=True)
    return pem


@contextmanager
def ftp_server(root: Path, *, tls: bool = False, anonymous: bool = False, list_only: tuple[str, ...] = (),
               unlisted: tuple[str, ...] = (), tls_required: bool = True,
               data_bytes_per_second: int = 0) -> Iterator[dict[str, Any]]:
    """pyftpdlib on a free loopback port: user ``auditor`` (list and read), ``anonymous`` when
    asked, folders in ``list_only`` listable but not readable (RETR refused with 550), folders in
    ``unlisted`` not even listable (MLSD refused with 550), data connections throttled to
    ``data_bytes_per_second`` when set (a trickling server)."""
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import ThrottledDTPHandler
    from pyftpdlib.ioloop import IOLoop
    from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
    from pyftpdlib.servers import ThreadedFTPServer

    password = "Ftp-" + secrets.token_hex(8)
    auth = DummyAuthorizer()
    auth.add_user("auditor", password, str(root), perm="elr")
    if anonymous:
        auth.add_anonymous(str(root), perm="elr")
    for folder in list_only:
        auth.override_perm("auditor", str(root / folder), perm="el", recursive=True)
    for folder in unlisted:
        auth.override_perm("auditor", str(root / folder), perm="e", recursive=True)
    work = Path(tempfile.mkdtemp(prefix="auditor-ftpd-"))
    pem = self_signed(work) if tls else None
    if tls:
        handler: Any = type("Handler", (TLS_FTPHandler,), {})
        handler.certfile = str(pem)
        handler.tls_control_required = handler.tls_data_required = tls_required
    else:
        handler = type("Handler", (FTPHandler,), {})
    handler.authorizer = auth
    if data_bytes_per_second:
        handler.dtp_handler = type("Throttled", (ThrottledDTPHandler,), {"write_limit": data_bytes_per_second})
    handler.passive_ports = None
    handler.timeout = 30
    handler.auth_failed_timeout = 0.1  # pyftpdlib waits 3 s after a refused login (the anonymous probe)
    # its own IO loop and exit event: pyftpdlib shares both between servers of a process, so
    # close_all() of one would stop every other one's connections
    own = type("Server", (ThreadedFTPServer,), {"_lock": threading.Lock(), "_exit": threading.Event()})
    server = own(("127.0.0.1", 0), handler, ioloop=IOLoop())
    port = server.socket.getsockname()[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"timeout": 0.2, "blocking": True}, daemon=True)
    thread.start()
    try:
        yield {"host": "127.0.0.1", "port": port, "user": "auditor", "password": password, "server": server,
               "ca_file": str(pem) if pem else None}
    finally:
        server.close_all()
        thread.join(5)
        shutil.rmtree(work, ignore_errors=True)


def run_scan(tmp: Path, source: dict, as_of: datetime, *extra: str, env: dict | None = None,
             attestations: list[dict] | None = None) -> tuple[int, dict, str]:
    config = tmp / "auditor.yaml"
    config.write_text(yaml.safe_dump({"state": f"sqlite:///{tmp / 'state.db'}", "vendors": [{"id": "agency"}],
                                      "sources": [{"id": "drop", "vendor": "agency", **source}],
                                      **({"attestations": attestations} if attestations else {})}, sort_keys=False))
    out = tmp / "r.json"
    result = CliRunner().invoke(cli, ["scan", "-c", str(config), "--as-of", as_of.isoformat(), "--json", str(out),
                                      *extra], env=env or {})
    return result.exit_code, json.loads(out.read_text()) if out.exists() else {}, result.output


def observe(kind: str, options: dict, as_of: datetime) -> dict[str, Observation]:
    """The connector alone: {dataset name: Observation} (the dataset before judging, and its
    sample: ``sample.rows`` holds the rows read, which the judge turns into ``records``)."""
    load_builtin()
    cls = registry.connectors.get(kind)
    options = {k: v for k, v in options.items() if k != "kind"}
    spec = SourceSpec(id="drop", kind=kind, vendor=Vendor(id="agency"), options=cls.Options(**options))
    return {o.dataset.name: o for o in cls(spec, CollectContext(as_of=as_of)).collect() if isinstance(o, Observation)}


def collect(kind: str, options: dict, as_of: datetime) -> dict:
    """The connector alone: {dataset name: Dataset} (facts included)."""
    return {name: o.dataset for name, o in observe(kind, options, as_of).items()}


@contextmanager
def throttled_proxy(port: int, bytes_per_second: int) -> Iterator[int]:
    """A loopback TCP proxy to ``127.0.0.1:port`` that passes the server's bytes on at about
    ``bytes_per_second`` (a slow link or a trickling server); the client's go through at once."""
    import socket

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    stop = threading.Event()
    held: list[socket.socket] = []

    def pipe(a: socket.socket, b: socket.socket, slow: bool) -> None:
        try:
            while not stop.is_set():
                data = a.recv(1024 if slow else 65536)
                if not data:
                    break
                b.sendall(data)
                if slow:
                    time.sleep(len(data) / bytes_per_second)
        except OSError:
            pass
        finally:
            shutdown_both(a, b)

    def handle(conn: socket.socket) -> None:
        up = socket.create_connection(("127.0.0.1", port))
        held.extend((conn, up))
        threading.Thread(target=pipe, args=(conn, up, False), daemon=True).start()
        threading.Thread(target=pipe, args=(up, conn, True), daemon=True).start()

    t = threading.Thread(target=accept_until, args=(srv, stop, handle), daemon=True)
    t.start()
    try:
        yield srv.getsockname()[1]
    finally:
        stop.set()
        t.join(2)
        for s in held:
            s.close()
        srv.close()
