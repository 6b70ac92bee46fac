"""Notifications after a scheduled run, received by a local HTTP server and a local SMTP
server (aiosmtpd) on loopback: counts and paths, never found values or credentials; a
failed notification is a log line, never a failed run."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
import yaml
from schedule_helpers import CLEAN, CUSTOMERS, SMTP_PASSWORD, SMTP_USER

from auditor import notify, schedule
from auditor.config import load_config
from tests.conftest import free_port

UTC = timezone.utc
RAW = ("jane.doe@example.com", "li.wei@example.org", "ops@vendor.example")


def config_with(tmp_path, notify_cfg, monkeypatch, **extra):
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
    doc = {"state": "sqlite:///state.db", "reports_dir": "reports",
           "vendors": [{"id": "v1", "contract_end": "2019-03-31"}],
           "sources": [{"id": "db", "vendor": "v1", "kind": "fake", "datasets": [CLEAN, CUSTOMERS],
                        "unreadable": ["public.secret_table"]}],
           "schedule": {"nightly": "0 2 * * *", "timezone": "UTC"},
           "notify": notify_cfg, **extra}
    p = tmp_path / "auditor.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_config(p)


def nightly(config):
    runner = schedule.Runner(config)
    code = runner.run(schedule.Planned("schedule:nightly", datetime.now(UTC)))
    return code, runner.results[-1]


def test_webhook_and_email_receive_the_summary(tmp_path, monkeypatch, fake_connector, webhook, smtp, caplog):
    caplog.set_level(logging.INFO)
    config = config_with(tmp_path, {
        "webhook": webhook.url, "on": "always",
        "email": {"host": "127.0.0.1", "port": smtp.port, "sender": "auditor@example.test",
                  "to": ["secops@example.test", "release@example.test"], "username": SMTP_USER,
                  "password": "${SMTP_PASSWORD}"}}, monkeypatch)
    code, result = nightly(config)
    assert code == 3  # one table could not be read: incomplete

    assert webhook.received.wait(10) and smtp.received.wait(10)
    req = webhook.requests[0]
    assert req["path"] == "/hook?token=hook-token-123"
    assert req["headers"]["Content-Type"].startswith("application/json")
    doc = webhook.json()
    assert doc["run"]["id"] == result["run_id"] and doc["run"]["trigger"] == "schedule:nightly"
    assert doc["run"]["status"] == "partial" and doc["exit_code"] == 3
    assert doc["findings"]["open"]["high"] >= 2  # contract ended + not-assessed
    assert set(doc["findings"]["open"]) == {"critical", "high", "medium", "low", "info"}
    assert doc["not_assessed"] == 1
    assert doc["report"]["json"] == result["reports"]["json"]
    body = req["body"].decode()
    for raw in RAW + (SMTP_PASSWORD,):
        assert raw not in body

    env = smtp.messages[0]
    assert smtp.logins == [SMTP_USER]
    assert env.mail_from == "auditor@example.test"
    assert env.rcpt_tos == ["secops@example.test", "release@example.test"]
    msg = message_from_bytes(env.content, policy=default_policy)
    assert "schedule:nightly" in msg["Subject"] and "exit 3" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    assert f"Run: {result['run_id']} (partial)" in text and "Not assessed: 1" in text
    assert result["reports"]["json"] in text
    raw_mail = env.content.decode("utf-8", "replace")
    for raw in RAW + (SMTP_PASSWORD,):
        assert raw not in raw_mail
    logs = caplog.text
    assert "hook-token-123" not in logs and SMTP_PASSWORD not in logs
    assert f"webhook notification sent to http://127.0.0.1:{webhook.server.server_address[1]}" in logs


def test_email_attaches_the_html_report_when_asked(tmp_path, monkeypatch, fake_connector, smtp, caplog):
    config = config_with(tmp_path, {"email": {"host": "127.0.0.1", "port": smtp.port, "to": ["a@example.test"],
                                              "attach_report": True}}, monkeypatch)
    _, result = nightly(config)
    assert smtp.received.wait(10)
    msg = message_from_bytes(smtp.messages[0].content, policy=default_policy)
    attachments = list(msg.iter_attachments())
    html = result["reports"]["html"]
    assert [a.get_filename() for a in attachments] == [html.rsplit("/", 1)[-1]]
    assert attachments[0].get_content_type() == "text/html"
    sent = attachments[0].get_content().replace("\r\n", "\n")  # SMTP sends CRLF
    assert sent == Path(html).read_text(encoding="utf-8")
    assert html in msg.get_body(("plain",)).get_content()


def test_on_findings_and_on_failure_choose_when_to_send(tmp_path, monkeypatch, fake_connector, webhook):
    def sends(on, vendor, datasets, unreadable, expect_code):
        config_with(tmp_path, {"webhook": webhook.url, "on": on}, monkeypatch)
        p = tmp_path / "auditor.yaml"
        doc = yaml.safe_load(p.read_text())
        doc["vendors"] = [vendor]
        doc["sources"] = [{"id": "db", "vendor": "v1", "kind": "fake", "datasets": datasets, "unreadable": unreadable}]
        p.write_text(yaml.safe_dump(doc))
        before = len(webhook.requests)
        code, _ = nightly(load_config(p))
        assert code == expect_code
        return len(webhook.requests) > before

    clean, ended = {"id": "v1"}, {"id": "v1", "contract_end": "2019-03-31"}
    assert not sends("findings", clean, [CLEAN], [], 0)
    assert not sends("failure", clean, [CLEAN], [], 0)
    assert sends("always", clean, [CLEAN], [], 0)
    assert sends("findings", ended, [CLEAN], [], 1)
    assert not sends("failure", ended, [CLEAN], [], 1)
    assert sends("failure", clean, [CLEAN], ["public.locked"], 3)
    assert notify.wanted("findings", 1) and notify.wanted("failure", 3) and notify.wanted("failure", 2)
    assert not notify.wanted("failure", 1)


def test_a_failing_webhook_is_logged_and_the_run_still_counts(tmp_path, monkeypatch, fake_connector, webhook,
                                                               caplog):
    webhook.status = 500
    config = config_with(tmp_path, {"webhook": webhook.url}, monkeypatch)
    code, result = nightly(config)
    assert code == 3 and result["run_id"]
    assert len(webhook.requests) == notify.WEBHOOK_ATTEMPTS  # a 5xx is retried once
    assert "webhook notification to http://127.0.0.1" in caplog.text and "failed: HTTP 500" in caplog.text
    assert "hook-token-123" not in caplog.text

    webhook.status = 404
    assert notify.send_webhook(webhook.url, {"x": 1}) is False
    assert len(webhook.requests) == notify.WEBHOOK_ATTEMPTS + 1  # a 4xx is not retried


def test_unreachable_receivers_do_not_fail_the_run(tmp_path, monkeypatch, fake_connector, caplog):
    dead = free_port()
    config = config_with(tmp_path, {"webhook": f"http://127.0.0.1:{dead}/hook",
                                    "email": {"host": "127.0.0.1", "port": dead, "to": ["a@example.test"]}},
                         monkeypatch)
    code, _ = nightly(config)
    assert code == 3 and (tmp_path / "reports" / "latest.json").is_file()
    assert "webhook notification to" in caplog.text and "failed" in caplog.text
    assert f"e-mail notification via 127.0.0.1:{dead} failed" in caplog.text


def test_wrong_smtp_password_is_one_line_without_the_password(tmp_path, monkeypatch, fake_connector, smtp, caplog):
    config = config_with(tmp_path, {"email": {"host": "127.0.0.1", "port": smtp.port, "to": ["a@example.test"],
                                              "username": SMTP_USER, "password": "not-the-password"}},
                         monkeypatch)
    nightly(config)
    assert smtp.messages == []
    assert "authentication refused" in caplog.text and "not-the-password" not in caplog.text


def test_a_run_that_could_not_start_is_notified_on_failure(tmp_path, monkeypatch, fake_connector, webhook):
    config = config_with(tmp_path, {"webhook": webhook.url, "on": "failure"}, monkeypatch,
                         policies=["missing-policy-dir/"])
    code, _ = nightly(config)
    assert code == 2
    assert webhook.received.wait(10)
    doc = webhook.json()
    assert doc["run"]["status"] == "not-run" and doc["exit_code"] == 2 and doc["run"]["error"]
    assert json.dumps(doc).count("hook-token-123") == 0


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x"])
def test_only_http_webhooks_are_posted(url, caplog):
    assert notify.send_webhook(url, {"x": 1}) is False
    assert "is not an http(s) URL" in caplog.text


def test_an_audit_skipped_by_the_run_lock_is_notified(tmp_path, monkeypatch, fake_connector, webhook):
    from auditor.store import Store

    config = config_with(tmp_path, {"webhook": webhook.url, "on": "failure"}, monkeypatch)
    store = Store.open(config.state)
    store.acquire_lock("held-by-a-cron-run")
    try:
        code, _ = nightly(config)
    finally:
        store.release_lock("held-by-a-cron-run")
    assert code is None  # skipped, not run
    assert webhook.received.wait(10)
    doc = webhook.json()
    assert "skipped" in doc["run"]["error"] and "held-by-a-cron-run" in doc["run"]["error"]
