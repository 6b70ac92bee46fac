"""Shared pieces of the scheduling tests: datasets, config writing, notification receivers."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.smtp import AuthResult, LoginPassword

SMTP_USER, SMTP_PASSWORD = "auditor", "s3cret-smtp-pw"
CLEAN = {"name": "public.orders", "public": False, "encryption_at_rest": "provider",
         "encryption_in_transit": "enforced", "has_retention": True, "retention_days": 30,
         # written 10 days before the run: a scheduled run is as of the clock's now (AUDITOR_TEST_CLOCK_SHIFT_DAYS)
         "last_modified": "as_of-10d", "sample": {"sku": ["A-1", "B-2"], "qty": [1, 2]}}
CUSTOMERS = {**CLEAN, "name": "public.customers",
             "sample": {"email": ["jane.doe@example.com", "li.wei@example.org", "ops@vendor.example"]}}


class WebhookReceiver:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        self.received = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok")
                receiver.received.set()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=hook-token-123"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def json(self, i: int = -1) -> dict:
        return json.loads(self.requests[i]["body"])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class MailReceiver:
    def __init__(self) -> None:
        self.messages: list = []
        self.logins: list[str] = []
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        self.received.set()
        return "250 Message accepted for delivery"

    def authenticator(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == SMTP_USER \
            and auth_data.password.decode() == SMTP_PASSWORD
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535
