"""A scheduled run whose only not-assessed finding is waived stays incomplete: exit 3, its log line
says why, and the notification (sent on failure) counts the waived unknowns and says they keep the
run incomplete. Waivers never complete a run (see tests/contract/test_waived_unknowns.py)."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from email import message_from_bytes
from email.policy import default as default_policy

import yaml
from click.testing import CliRunner
from schedule_helpers import CLEAN

from auditor import schedule
from auditor.cli import cli
from auditor.config import load_config

UNKNOWN_ENCRYPTION = {**CLEAN, "name": "public.customers", "encryption_at_rest": "unknown",
                      "sample": {"email": ["jane.doe@example.com", "li.wei@example.org"]}}
# a scheduled run is as of now (the test clock): a waiver far beyond any shifted clock
UNTIL = "2099-12-31"


def nightly(config):
    runner = schedule.Runner(config, reload=False)
    code = runner.run(schedule.Planned("schedule:nightly", datetime.now(timezone.utc)))
    return code, runner.results[-1]


def test_a_scheduled_run_with_a_waived_unknown_exits_3_and_says_why(tmp_path, fake_connector, webhook, smtp, caplog):
    p = tmp_path / "auditor.yaml"
    p.write_text(yaml.safe_dump({
        "state": "sqlite:///state.db", "reports_dir": "reports", "vendors": [{"id": "v1"}],
        "sources": [{"id": "db", "vendor": "v1", "kind": "fake", "datasets": [UNKNOWN_ENCRYPTION]}],
        "schedule": {"nightly": "0 2 * * *", "timezone": "UTC"},
        "notify": {"webhook": webhook.url, "on": "failure",
                   "email": {"host": "127.0.0.1", "port": smtp.port, "sender": "auditor@example.test",
                             "to": ["secops@example.test"]}},
    }, sort_keys=False))
    config = load_config(p)
    code, result = nightly(config)
    assert code == 3
    doc = json.loads(open(result["reports"]["json"]).read())
    [na] = [f for f in doc["findings"] if f["rule"] == "not-assessed"]
    r = CliRunner().invoke(cli, ["waive", na["id"], "--reason", "accepted", "--until", UNTIL, "-c", str(p)])
    assert r.exit_code == 0, r.output
    webhook.requests.clear()
    smtp.messages.clear()
    webhook.received.clear()
    smtp.received.clear()

    caplog.set_level(logging.INFO, logger="auditor")
    code, result = nightly(config)
    assert code == 3, result
    doc = json.loads(open(result["reports"]["json"]).read())
    assert doc["run"]["status"] == "partial"
    assert [f["status"] for f in doc["findings"] if f["rule"] == "not-assessed"] == ["waived"]
    line = next(m for m in caplog.messages if m.startswith("scheduled audit schedule:nightly: run"))
    assert "partial" in line and "exit code 3" in line
    assert "1 waived not-assessed finding keeps the run incomplete" in line, line

    # notify.on failure: sent (exit 3), and it says why although nothing is open
    assert webhook.received.wait(10) and smtp.received.wait(10)
    sent = webhook.json()
    assert sent["exit_code"] == 3 and sent["run"]["status"] == "partial"
    assert sent["not_assessed"] == 0 and sent["not_assessed_waived"] == 1
    # the chat formats built from the same summary say it too
    from auditor.chat import payload

    for fmt in ("slack", "teams"):
        text = json.dumps(payload(fmt, sent))
        assert "INCOMPLETE" in text and "1 waived, still not assessed" in text, (fmt, text)
    mail = message_from_bytes(smtp.messages[0].content, policy=default_policy)
    body = mail.get_body().get_content()
    assert "1 waived not-assessed finding keeps the run incomplete" in body, body
