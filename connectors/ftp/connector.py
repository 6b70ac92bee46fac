"""FTP and explicit FTPS connector (ftplib): root folders, their tree, file ages, samples."""

from __future__ import annotations

import ftplib
import socket
import ssl
from datetime import datetime, timezone
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, model_validator

from auditor.errors import ConnectorError
from connectors.fileservers import Entry, FileServerConnector, ServerOptions
from connectors.objects import Deadline, read_chunks

CHUNK = 32 * 1024
ERRORS: tuple[type[BaseException], ...] = (*ftplib.all_errors, ValueError)  # ValueError: a name with a line break cannot be sent
ANON = ("anonymous", "auditor@example.invalid")


class Options(ServerOptions):
    tls: Literal["explicit", "none"] = "explicit"
    ca_file: str | None = None  # PEM of the CA (or self-signed certificate) to trust; default: the system's
    verify_tls: bool = True  # false: encrypted but the server's identity is not checked (said in the facts)

    @model_validator(mode="after")
    def _credential(self) -> Options:
        if not self.password and self.user != "anonymous":
            raise ValueError("an ftp source needs password (${VAR}) unless its user is anonymous")
        return self


def _code(exc: BaseException) -> str:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(exc, ftplib.Error) and str(exc)[:3].isdigit():
        return f"FTP {str(exc)[:3]}"  # the code only: the server's text may echo a file name
    if isinstance(exc, ssl.SSLError):
        return f"TLS {exc.reason or type(exc).__name__}"
    return type(exc).__name__


def _mtime(value: str | None) -> datetime:
    value = (value or "19700101000000")[:14]
    return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)


class Session:
    errors = ERRORS

    def __init__(self, ftp: ftplib.FTP) -> None:
        self.ftp = ftp
        self.mlsd = True

    def listdir(self, folder: str) -> list[Entry]:
        if self.mlsd:
            try:
                out = []
                for name, facts in self.ftp.mlsd(folder, facts=["type", "size", "modify", "unique"]):
                    kind = facts.get("type", "").lower()
                    if kind in ("cdir", "pdir") or name in ("", ".", ".."):  # "": a name's line break
                        continue
                    out.append(Entry(name, int(facts.get("size") or 0), _mtime(facts.get("modify")),
                                     is_dir=kind == "dir", is_link="link" in kind, unique=facts.get("unique")))
                return out
            except ftplib.error_perm as exc:
                if str(exc)[:3] not in ("500", "501", "502", "504"):
                    raise
                self.mlsd = False  # an old server: NLST, then SIZE and MDTM per name
        return [self._stat(folder, name.rsplit("/", 1)[-1]) for name in self.ftp.nlst(folder)
                if name.rsplit("/", 1)[-1] not in (".", "..")]

    def _stat(self, folder: str, name: str) -> Entry:
        path = f"{folder.rstrip('/')}/{name}"
        self.ftp.voidcmd("TYPE I")
        try:
            size = self.ftp.size(path)
        except ftplib.error_perm as exc:  # no size: a folder, or a name the server cannot map back
            try:
                self.ftp.cwd(path)
                self.ftp.cwd("/")
                return Entry(name, 0, _mtime(None), is_dir=True)
            except ERRORS:
                return Entry(name, 0, _mtime(None), unreadable=f"size and date not readable ({_code(exc)})")
        return Entry(name, int(size or 0), _mtime(self.ftp.voidcmd(f"MDTM {path}")[4:].strip()))

    def read(self, path: str, start: int, want: int, deadline: Deadline) -> bytes:
        self.ftp.voidcmd("TYPE I")
        conn = self.ftp.transfercmd(f"RETR {path}", rest=start or None)
        try:
            data = read_chunks(conn.recv, want, deadline, CHUNK)
        finally:
            conn.close()
        try:  # 226 when it was all sent, 426 when we closed the data connection early (REST + abort)
            self.ftp.voidresp()
        except (ftplib.error_temp, ftplib.error_reply):
            pass
        return data

    def code(self, exc: BaseException) -> str:
        return _code(exc)


class Connector(FileServerConnector):
    kind: ClassVar[str] = "ftp"
    Options: ClassVar[type[BaseModel]] = Options
    scheme = "ftp"
    default_port = 21
    read_call = "ftp RETR"
    errors = ERRORS

    @classmethod
    def permissions(cls) -> dict[str, Any]:
        return {
            "login": "a dedicated FTP user whose password is kept in the environment, allowed to list and download "
                     "only (vsftpd: write_enable=NO; ProFTPD: <Limit WRITE> DenyAll; pyftpdlib: perm 'elr')",
            "commands": "USER, PASS, AUTH TLS, PBSZ, PROT, TYPE, PASV/EPSV, MLSD (or NLST, SIZE, MDTM), REST, RETR, "
                        "QUIT; never STOR, DELE, RNFR, MKD",
            "anonymous_probe": "one anonymous login is tried (probe_anonymous: false turns it off)",
        }

    def _connect(self) -> ftplib.FTP:
        o = self.opts
        if o.tls == "explicit":
            ctx = ssl.create_default_context(cafile=o.ca_file)
            if not o.verify_tls:
                ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
            ftp: ftplib.FTP = ftplib.FTP_TLS(context=ctx, timeout=o.connect_timeout)
        else:
            ftp = ftplib.FTP(timeout=o.connect_timeout)
        try:
            ftp.connect(o.host, self.port, timeout=o.connect_timeout)
        except ERRORS as exc:
            raise ConnectorError(f"ftp source {self.source.id}: cannot reach {self.where}: {_code(exc)}") from None
        assert ftp.sock is not None
        ftp.sock.settimeout(o.read_timeout)
        ftp.timeout = o.read_timeout  # data connections
        return ftp

    def _login(self, ftp: ftplib.FTP, user: str, password: str) -> None:
        if isinstance(ftp, ftplib.FTP_TLS):
            ftp.auth()
            ftp.login(user, password)
            ftp.prot_p()
        else:
            ftp.login(user, password)

    def open(self) -> Session:
        o, ftp = self.opts, self._connect()
        try:
            self._login(ftp, o.user, o.password.get_secret_value() if o.password else ANON[1])
        except ftplib.error_perm as exc:
            ftp.close()
            if isinstance(ftp, ftplib.FTP_TLS) and not isinstance(ftp.sock, ssl.SSLSocket):
                raise ConnectorError(f"ftp source {self.source.id}: {self.where} refused AUTH TLS ({_code(exc)}); "
                                     "it offers plain FTP only (tls: none audits it as such)") from None
            raise ConnectorError(f"ftp source {self.source.id}: login refused for user {o.user} at {self.where} "
                                 f"({_code(exc)})") from None
        except ERRORS as exc:
            ftp.close()
            raise ConnectorError(f"ftp source {self.source.id}: cannot log in at {self.where}: {_code(exc)}") from None
        return Session(ftp)

    def close(self, server: Session) -> None:
        try:
            server.ftp.quit()
        except ERRORS:
            server.ftp.close()

    def settings(self, server: Session) -> dict[str, Any]:
        facts: dict[str, Any] = {
            "encryption_at_rest_basis": "an FTP server does not say how its disks are encrypted (attest it)",
            "retention_basis": "an FTP server has no retention setting to read (attest it)"}
        if self.opts.tls == "none":
            return {"encryption_in_transit": "optional", "facts": {
                **facts, "transport": "FTP (plain)", "encryption_in_transit_basis":
                "the login and the files crossed the network unencrypted (plain FTP accepted)"}}
        plain_control, plain_data = self._plain_control(), self._plain_data(server)
        enforced = plain_control is False and plain_data is False
        unknown = None in (plain_control, plain_data)
        return {"encryption_in_transit": "enforced" if enforced else "unknown" if unknown else "optional", "facts": {
            **facts, "transport": "FTPS (explicit TLS)" + ("" if self.opts.verify_tls else ", certificate not verified"),
            "plain_login_accepted": plain_control, "clear_data_channel_accepted": plain_data,
            "encryption_in_transit_basis": "a plain-text login and a clear data channel were both tried"}}

    def _plain_control(self) -> bool | None:
        """Does the server take a login without TLS? Only USER is sent (never the password)."""
        ftp = ftplib.FTP(timeout=self.opts.connect_timeout)
        try:
            ftp.connect(self.opts.host, self.port, timeout=self.opts.connect_timeout)
            reply = ftp.sendcmd(f"USER {self.opts.user}")
            return reply[:3] in ("230", "331", "332")
        except ftplib.error_perm:
            return False
        except ERRORS:
            return None
        finally:
            ftp.close()

    def _plain_data(self, server: Session) -> bool | None:
        """Does the server send a listing over a clear data channel (PROT C)? Restored after."""
        ftp = server.ftp
        assert isinstance(ftp, ftplib.FTP_TLS)
        try:
            ftp.prot_c()
            ftp.nlst(self.opts.paths[0])
            return True
        except ftplib.error_perm:
            return False
        except ERRORS:
            return None
        finally:
            try:
                ftp.prot_p()
            except ERRORS:
                pass

    def anonymous(self) -> tuple[dict[str, bool | None], dict[str, str]]:
        """An anonymous login, and which roots it lists: a listable root is public."""
        try:
            ftp = self._connect()
        except ConnectorError:
            return {p: None for p in self.opts.paths}, {"anonymous_login": "probe failed (server unreachable)"}
        try:
            self._login(ftp, *ANON)
        except ftplib.error_perm:
            ftp.close()
            return {p: False for p in self.opts.paths}, {"anonymous_login": "refused"}
        except ERRORS as exc:
            ftp.close()
            return {p: None for p in self.opts.paths}, {"anonymous_login": f"probe failed ({_code(exc)})"}
        public: dict[str, bool | None] = {}
        try:
            for p in self.opts.paths:
                try:
                    ftp.nlst(p)
                    public[p] = True
                except ftplib.error_perm:
                    public[p] = False
                except ERRORS:
                    public[p] = None
        finally:
            ftp.close()
        return public, {"anonymous_login": "accepted"}
