"""SFTP connector: root folders over SSH, their tree, file ages and content samples."""

from __future__ import annotations

import errno
import socket
import stat
from datetime import datetime, timezone
from collections.abc import Iterator
from typing import Any, ClassVar

import paramiko
from paramiko import sftp as proto
from paramiko.sftp_attr import SFTPAttributes
from pydantic import BaseModel, model_validator

from auditor.errors import ConnectorError
from connectors.fileservers import Entry, FileServerConnector, ServerOptions
from connectors.objects import Deadline, read_chunks

CHUNK = 32 * 1024
ERRORS: tuple[type[BaseException], ...] = (OSError, paramiko.SSHException, EOFError)
WHY = {errno.EACCES: "permission denied", errno.EPERM: "permission denied", errno.ENOENT: "no such file or folder"}


class Options(ServerOptions):
    key_file: str | None = None  # a private key file (OpenSSH format); or password: ${VAR}
    key_passphrase: str | None = None  # use ${VAR}
    host_key_sha256: str | None = None  # "SHA256:..." as ssh-keygen -lf prints it; checked when set

    @model_validator(mode="after")
    def _credential(self) -> Options:
        if not self.password and not self.key_file:
            raise ValueError("an sftp source needs password (${VAR}) or key_file")
        return self


def _code(exc: BaseException) -> str:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(exc, OSError) and exc.errno in WHY:
        return WHY[exc.errno]
    return type(exc).__name__


class Session:
    errors = ERRORS

    def __init__(self, transport: paramiko.Transport, read_timeout: float) -> None:
        self.transport = transport
        self.sftp = paramiko.SFTPClient.from_transport(transport)
        self.sftp.get_channel().settimeout(read_timeout)
        self.raw: dict[str, bytes] = {}  # shown path -> the bytes of a name that is not UTF-8 (a cp1252 upload)

    def _bytes(self, path: str) -> bytes:
        return self.raw.get(path.rstrip("/"), path.encode())

    def _readdir(self, folder: bytes) -> Iterator[tuple[bytes, SFTPAttributes]]:
        """paramiko's listdir_attr with names as bytes: it decodes them as UTF-8 and fails the
        whole folder on one Latin-1 name."""
        t, msg = self.sftp._request(proto.CMD_OPENDIR, folder)
        if t != proto.CMD_HANDLE:
            raise paramiko.SFTPError("expected a handle")
        handle = msg.get_binary()
        try:
            while True:
                try:
                    t, msg = self.sftp._request(proto.CMD_READDIR, handle)
                except EOFError:  # the end of the folder
                    return
                if t != proto.CMD_NAME:
                    raise paramiko.SFTPError("expected a name response")
                for _ in range(msg.get_int()):
                    name = msg.get_string()
                    msg.get_string()  # the long name (ls -l text)
                    yield name, SFTPAttributes._from_msg(msg)
        finally:
            self.sftp._request(proto.CMD_CLOSE, handle)

    def listdir(self, folder: str) -> list[Entry]:
        out, parent = [], self._bytes(folder).rstrip(b"/")
        for raw, a in self._readdir(parent or b"/"):
            mode = a.st_mode or 0
            if raw in (b".", b"..") or not (stat.S_ISDIR(mode) or stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
                continue  # sockets, fifos, devices: not files anyone left there
            name = raw.decode("utf-8", "backslashreplace")
            if name.encode() != raw:
                self.raw[f"{folder.rstrip('/')}/{name}"] = parent + b"/" + raw
            out.append(Entry(name, int(a.st_size or 0), datetime.fromtimestamp(a.st_mtime or 0, timezone.utc),
                             is_dir=stat.S_ISDIR(mode), is_link=stat.S_ISLNK(mode)))
        return out

    def target(self, path: str) -> tuple[str, Entry]:
        """Where a symbolic link leads: the server's real path of it, and what is there (followed)."""
        raw = self._bytes(path)
        a = self.sftp.stat(raw)  # follows the link: a loop or a dangling link raises
        real = self.sftp.normalize(raw)
        return real, Entry(path.rsplit("/", 1)[-1], int(a.st_size or 0),
                           datetime.fromtimestamp(a.st_mtime or 0, timezone.utc), is_dir=stat.S_ISDIR(a.st_mode or 0))

    def read(self, path: str, start: int, want: int, deadline: Deadline) -> bytes:
        with self.sftp.open(self._bytes(path), "rb") as f:
            f.seek(start)
            return read_chunks(f.read, want, deadline, CHUNK)

    def code(self, exc: BaseException) -> str:
        return _code(exc)


class Connector(FileServerConnector):
    kind: ClassVar[str] = "sftp"
    Options: ClassVar[type[BaseModel]] = Options
    scheme = "sftp"
    default_port = 22
    read_call = "sftp read"
    errors = ERRORS

    @classmethod
    def permissions(cls) -> dict[str, Any]:
        return {
            "login": "a dedicated SSH user with a key (or password) kept in the environment; no shell",
            "sshd_config": "Match User auditor\n  ForceCommand internal-sftp -R\n  AllowTcpForwarding no\n"
                           "  X11Forwarding no   # -R: the SFTP session is read-only",
            "filesystem": "read (r) on the files and read+execute (r-x) on the folders under each configured "
                          "path; nothing writable",
        }

    def _transport(self) -> paramiko.Transport:
        o = self.opts
        try:
            sock = socket.create_connection((o.host, self.port), timeout=o.connect_timeout)
        except OSError as exc:
            raise ConnectorError(f"sftp source {self.source.id}: cannot reach {self.where}: {_code(exc)}") from None
        t = paramiko.Transport(sock)
        t.banner_timeout = t.auth_timeout = t.handshake_timeout = o.connect_timeout
        try:
            t.start_client(timeout=o.connect_timeout)
        except ERRORS as exc:
            t.close()
            raise ConnectorError(f"sftp source {self.source.id}: no SSH handshake with {self.where}: "
                                 f"{_code(exc)}") from None
        return t

    def open(self) -> Session:
        o, t = self.opts, self._transport()
        key = t.get_remote_server_key()
        self.host_key = f"{key.get_name()} {key.fingerprint}"
        if o.host_key_sha256 and key.fingerprint != o.host_key_sha256:
            t.close()
            raise ConnectorError(f"sftp source {self.source.id}: the host key of {self.where} is not the "
                                 f"configured one (got {key.fingerprint})")
        try:
            if o.key_file:
                t.auth_publickey(o.user, paramiko.PKey.from_path(o.key_file, o.key_passphrase))
            else:
                t.auth_password(o.user, o.password.get_secret_value())
            return Session(t, o.read_timeout)
        except paramiko.AuthenticationException:
            t.close()
            raise ConnectorError(f"sftp source {self.source.id}: login refused for user {o.user} at "
                                 f"{self.where}") from None
        except (OSError, paramiko.SSHException, EOFError, ValueError) as exc:  # ValueError: an unreadable key file
            t.close()
            raise ConnectorError(f"sftp source {self.source.id}: cannot open an SFTP session at {self.where}: "
                                 f"{_code(exc)}") from None

    def close(self, server: Session) -> None:
        server.transport.close()

    def settings(self, server: Session) -> dict[str, Any]:
        t = server.transport
        return {"encryption_in_transit": "enforced", "facts": {
            "transport": "SSH (SFTP)", "encryption_in_transit_basis": "SFTP runs inside SSH: every byte is encrypted",
            "ssh_server": t.remote_version, "ssh_cipher": t.remote_cipher, "host_key": self.host_key,
            "host_key_checked": "yes (host_key_sha256)" if self.opts.host_key_sha256 else (
                f"no: set host_key_sha256: {self.host_key.split()[-1]} on the source (confirmed with the vendor) "
                "so a server answering with another key is refused before the password is sent"),
            "encryption_at_rest_basis": "an SFTP server does not say how its disks are encrypted (attest it)",
            "retention_basis": "an SFTP server has no retention setting to read (attest it)"}}

    def anonymous(self) -> tuple[dict[str, bool | None], dict[str, str]]:
        """SSH "none" authentication for the configured user and for ``anonymous``: accepted
        means anyone who can reach the port reads what that login can list."""
        public: dict[str, bool | None] = {}
        for user in dict.fromkeys([self.opts.user, "anonymous"]):
            try:
                t = self._transport()
            except ConnectorError:
                return {p: None for p in self.opts.paths}, {"anonymous_login": "probe failed (server unreachable)"}
            try:
                t.auth_none(user)
            except paramiko.BadAuthenticationType as exc:
                t.close()
                methods = ",".join(exc.allowed_types)
                facts = {"anonymous_login": f"refused (SSH 'none' authentication; the server asks for {methods})"}
                continue
            except paramiko.AuthenticationException:
                t.close()
                facts = {"anonymous_login": "refused (SSH 'none' authentication)"}
                continue
            except ERRORS as exc:
                t.close()
                return {p: None for p in self.opts.paths}, {"anonymous_login": f"probe failed ({_code(exc)})"}
            try:
                s = Session(t, self.opts.read_timeout)
                for p in self.opts.paths:
                    try:
                        s.sftp.listdir(p)
                        public[p] = True
                    except ERRORS:
                        public.setdefault(p, False)
            except ERRORS:
                pass
            finally:
                t.close()
            return ({p: public.get(p, False) for p in self.opts.paths},
                    {"anonymous_login": f"accepted (SSH 'none' authentication as {user})"})
        return {p: False for p in self.opts.paths}, facts
