"""Local receivers for notifications: an HTTP server and an SMTP server (aiosmtpd) on
loopback, free ports, in this process."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller
from schedule_helpers import MailReceiver, WebhookReceiver

from tests.conftest import free_port


@pytest.fixture
def webhook():
    r = WebhookReceiver()
    yield r
    r.close()


@pytest.fixture
def smtp():
    receiver = MailReceiver()
    port = free_port()
    controller = Controller(receiver, hostname="127.0.0.1", port=port, auth_require_tls=False,
                            authenticator=receiver.authenticator)
    controller.start()
    receiver.port = port
    yield receiver
    controller.stop()
