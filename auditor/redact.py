"""Credentials never appear in a report, a log line, an error message or the store.

``Redactor`` knows the secrets of one run (passwords inside configured URLs, values of
secret-looking environment variables, anything registered) and scrubs them from text;
``RedactingFilter`` applies it to every log record.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable
from typing import Any

_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s/]+)@")
# a URL's database part with a password before it, as written (before URL-decoding)
_DATABASE_AFTER_PASSWORD = re.compile(r"[^:/]+://[^:/]*:[^@]*@[^/?]*/([^?]*)")
SPILLED_PASSWORD = ("an '@' after the password: a password holding '@' (or any of : / ? # %) must be URL-encoded "
                    "in the URL ('@' is %40), e.g. with urllib.parse.quote(password, safe='')")


def spilled_password(url: Any, raw: str) -> bool:
    """Whether ``url`` (SQLAlchemy's parse of ``raw``) read the rest of a password holding a raw '@'
    as its host or database: every "cannot connect to <URL>" would then show it, URL-encoded, past
    the redactor. A database's own '@', encoded (``%40``: PostgreSQL allows it), is no such rest."""
    if url.password is None:
        return False
    m = _DATABASE_AFTER_PASSWORD.match(raw)
    return "@" in (url.host or "") or "@" in (m.group(1) if m else "")


_SECRET_ENV = re.compile(r"(PASS|SECRET|TOKEN|KEY|CREDENTIAL|PWD|AUTH)", re.I)
# names that match the above but hold no secret: the working directory (PWD, OLDPWD), and
# paths to files, folders and sockets (GOOGLE_APPLICATION_CREDENTIALS is a path, not the key)
_NOT_SECRET_ENV = re.compile(r"^(OLD)?PWD$|^XAUTHORITY$|^KEYBOARD|(^|_)(FILE|PATH|DIR|HOME|SOCK|SOCKET|CREDENTIALS)$",
                             re.I)
_PLAIN_WORDS = {"true", "false", "none", "null", "yes", "no", "on", "off"}
# key=value secrets in text (a DSN, a query string, a driver's message): the value is masked
# a key whose name ends in a secret's word (aws_secret_access_key, PGPASSWORD, AccountKey, a SAS URL's sig),
# its value bare or quoted (libpq conninfo: password='a b')
# (a key is tried only from its first character, never from inside another: linear in the text)
_KV_SECRET = re.compile(r"(?i)(?<![A-Za-z0-9_-])([A-Za-z0-9_-]*?(?:password|passwd|pwd|secret|token|api[_-]?key|"
                        r"access[_-]?key|secret[_-]?key|account[_-]?key|sig|signature|credential))"
                        r"(\s*=\s*)(?!\*\*\*)('[^']*'|\"[^\"]*\"|[^\s&;,'\"]+)")  # "=" only: "password: denied" is prose


def mask_secret_values(text: str) -> str:
    """``text`` with the value of every secret-named key masked (``?password=x`` -> ``?password=***``)."""
    return _KV_SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)


def _secret_env(name: str, value: str) -> bool:
    if not value or len(value) < 4 or value.isdigit() or value.lower() in _PLAIN_WORDS:
        return False
    if not _SECRET_ENV.search(name) or _NOT_SECRET_ENV.search(name):
        return False
    return not (os.path.isabs(value) and os.path.exists(value))  # a path to a secret is not the secret
_AWS_KEY_ID = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")


_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
_SCHEME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _mask_url_passwords(text: str) -> str:
    """``_URL_PASSWORD.sub`` (``scheme://user:***@``), linear in the text: the pattern alone tried a
    scheme from every letter and scanned the run of letters from each (a 96,000-letter run in a
    log line: 15 s). Each ``://`` is found first; its scheme is the run of scheme characters before
    it from the run's first letter on, where the pattern's leftmost match starts."""
    if "://" not in text:
        return text
    out: list[str] = []
    done = 0  # text[:done] is written to out
    at = text.find("://")
    while at >= 0:
        start = at
        while start > done and text[start - 1] in _SCHEME_CHARS:
            start -= 1
        while start < at and text[start] not in _SCHEME_START:
            start += 1
        m = _URL_PASSWORD.match(text, start) if start < at else None
        if m is not None:
            out.append(text[done:start])
            out.append(f"{m.group('scheme')}{m.group('user')}:***@")
            done = m.end()
        at = text.find("://", max(at + 3, done))
    out.append(text[done:])
    return "".join(out)


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        for s in secrets:
            self.add(s)
        for name, value in os.environ.items():
            if _secret_env(name, value):
                self.add(value)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 3:
            with self._lock:
                self._secrets.add(secret)

    def add_from_url(self, url: str | None) -> None:
        if not url:
            return
        m = _URL_PASSWORD.search(url)
        if m:
            from urllib.parse import unquote

            self.add(m.group("pw"))
            self.add(unquote(m.group("pw")))

    def __call__(self, text: str) -> str:
        if not text:
            return text
        text = _mask_url_passwords(text)
        text = mask_secret_values(text)
        text = _AWS_KEY_ID.sub("AKIA****************", text)
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for s in secrets:
            if s in text:
                text = text.replace(s, "***")
        return text


class RedactingFilter(logging.Filter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string: log what we can
            message = str(record.msg)
        record.msg, record.args = self.redactor(message), None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.exc_text = self.redactor("".join(__import__("traceback").format_exception(exc)))
            record.exc_info = None
        return True
