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

_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s/]+)@")
_SECRET_ENV = re.compile(r"(PASS|SECRET|TOKEN|KEY|CREDENTIAL|PWD|AUTH)", re.I)
_AWS_KEY_ID = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        for s in secrets:
            self.add(s)
        for name, value in os.environ.items():
            if _SECRET_ENV.search(name) and value and len(value) >= 4 and not value.isdigit():
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
        text = _URL_PASSWORD.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:***@", text)
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
