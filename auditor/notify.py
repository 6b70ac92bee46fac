"""Notifications after a run: a webhook (JSON summary POSTed, or a Slack Block Kit or Teams
Adaptive Card message built from it: ``notify.format``, see :mod:`auditor.chat`) and e-mail
over SMTP.

The summary holds the run's id, status, trigger, exit code, open findings counted by
severity, the not-assessed count (and ``not_assessed_waived``: waived, still not assessed, they
keep the run incomplete) and the report's path: never a found value, never a
credential (the webhook URL and the SMTP password are registered with the redactor, and
only the webhook's scheme and host are ever logged). A notification that fails is one log
line; it never fails the run.

``notify.on``: ``always``; ``findings`` (open findings at or above fail_on, or the run is
incomplete); ``failure`` (the run is incomplete or could not run at all).
"""

from __future__ import annotations

import json
import logging
import smtplib
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections import Counter
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

from auditor import __version__
from auditor.models import SEVERITIES, Run

log = logging.getLogger("auditor.notify")
TIMEOUT_SECONDS = 10.0
WEBHOOK_ATTEMPTS = 2


def _ts(dt) -> str | None:
    return dt.isoformat().replace("+00:00", "Z") if dt else None


def summary(run: Run | None, code: int, reports: dict[str, Path] | None = None, *, trigger: str | None = None,
            error: str | None = None, fail_on: str = "high") -> dict:
    """The JSON-safe summary both channels send."""
    reports = reports or {}
    doc: dict = {"schema_version": 1, "kind": "auditor.run", "host": socket.gethostname(), "exit_code": code,
                 "fail_on": fail_on, "report": {k: str(v) for k, v in reports.items()}}
    if run is None:
        doc["run"] = {"id": None, "status": "not-run", "trigger": trigger, "error": error}
        return doc
    open_ = run.open_findings()
    by_sev = Counter(f.severity for f in open_)
    doc["run"] = {"id": run.id, "status": run.status, "trigger": run.trigger,
                  "trigger_detail": dict(run.trigger_detail or {}), "as_of": _ts(run.as_of),
                  "started_at": _ts(run.started_at), "finished_at": _ts(run.finished_at)}
    doc["findings"] = {"open": {s: by_sev.get(s, 0) for s in SEVERITIES}, "open_total": len(open_),
                       "at_or_above_fail_on": len(run.open_findings(fail_on)),
                       "new": sum(1 for f in open_ if f.new), "resolved": len(run.resolved),
                       "waived": sum(1 for f in run.findings if f.status == "waived")}
    doc["not_assessed"] = sum(1 for f in run.findings if f.rule == "not-assessed" and f.status == "open")
    # waived, still not assessed: they keep the run incomplete (exit 3) as the open ones do
    doc["not_assessed_waived"] = len(run.waived_unknowns())
    doc["sources"] = {"total": len(run.sources), "failed": sum(1 for s in run.sources if s.status == "error")}
    doc["datasets"] = len(run.datasets)
    try:
        doc["stale"] = stale_summary(run)
    except Exception as exc:  # noqa: BLE001 - the notification still goes out, without this part
        log.warning("notification: stale data summary unavailable (%s: %s)", exc.__class__.__name__, exc)
        doc["stale"] = None
    return doc


def stale_summary(run: Run) -> dict:
    """Personal records in stale datasets and the oldest of them: the HTML report's own figures
    (reports.context), so a chat message and the report never disagree. Names and counts only."""
    from reports.context import report_summary

    ctx = report_summary(run)
    stale = ctx["headline"]["stale"]
    oldest = ctx["oldest"][0] if ctx["oldest"] else None
    return {"records": stale["value"], "records_text": stale["text"], "datasets": ctx["headline"]["stale_datasets"],
            "max_age": ctx["max_age"],
            "worst": {"dataset": oldest["name"], "vendor": oldest["vendor"], "source": oldest["source"],
                      "last_modified": oldest["last_modified"], "age": oldest["age"], "records": oldest["records"]}
            if oldest else None}


def wanted(on: str, code: int) -> bool:
    if on == "always":
        return True
    if on == "findings":
        return code != 0
    return code in (2, 3)  # failure: incomplete, or not run at all


def _safe_endpoint(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}{':' + str(parts.port) if parts.port else ''}"


def send_webhook(url: str, doc: dict, timeout: float = TIMEOUT_SECONDS, attempts: int = WEBHOOK_ATTEMPTS) -> bool:
    where = _safe_endpoint(url)
    if urlsplit(url).scheme not in ("http", "https"):
        log.warning("webhook notification not sent: %s is not an http(s) URL", where)
        return False
    body = json.dumps(doc, ensure_ascii=False, default=str).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": f"vendor-data-auditor/{__version__}"})
    problem = "?"
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # the scheme is checked above
                response.read(65536)
            log.info("webhook notification sent to %s", where)
            return True
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code}"
            if exc.code < 500:
                break  # the receiver refused it; retrying will not help
        except (urllib.error.URLError, OSError) as exc:  # refused, timeout, DNS
            reason = getattr(exc, "reason", exc)
            problem = reason.__class__.__name__ if not isinstance(reason, str) else reason
            if isinstance(reason, OSError) and reason.strerror:
                problem = reason.strerror
        if attempt < attempts:
            time.sleep(0.5 * attempt)
    log.warning("webhook notification to %s failed: %s (the run itself is unaffected)", where, problem)
    return False


def _subject(doc: dict) -> str:
    run = doc["run"]
    if run["id"] is None:
        return f"[auditor] {run['trigger']}: the audit could not run (exit {doc['exit_code']})"
    f = doc["findings"]
    counts = ", ".join(f"{n} {s}" for s, n in f["open"].items() if n) or "no open findings"
    return f"[auditor] {run['trigger']}: run {run['status']}, {counts} (exit {doc['exit_code']})"


def _body(doc: dict) -> str:
    run = doc["run"]
    lines = [f"Trigger: {run['trigger']}", f"Host: {doc['host']}", f"Exit code: {doc['exit_code']}"]
    if run["id"] is None:
        lines.append(f"The audit could not run: {run.get('error') or 'unknown reason'}")
        return "\n".join(lines) + "\n"
    f = doc["findings"]
    lines += [f"Run: {run['id']} ({run['status']}), as of {run['as_of']}",
              f"Sources: {doc['sources']['total']} ({doc['sources']['failed']} failed), datasets: {doc['datasets']}",
              (f"Open findings: {f['open_total']} ({f['at_or_above_fail_on']} at or above {doc['fail_on']}); "
               f"new {f['new']}, resolved {f['resolved']}, waived {f['waived']}"),
              *(f"  {sev:<9}{n}" for sev, n in f["open"].items()),
              f"Not assessed: {doc['not_assessed']}"]
    from reports.summary import waived_unknowns_words

    if still := waived_unknowns_words(doc.get("not_assessed_waived") or 0):
        lines.append(still)
    for kind, path in doc["report"].items():
        lines.append(f"Report ({kind}): {path}")
    return "\n".join(lines) + "\n"


def send_email(cfg, doc: dict, reports: dict[str, Path] | None = None, timeout: float = TIMEOUT_SECONDS) -> bool:
    """``cfg`` is an EmailConfig. Port 465 means TLS from the start; ``starttls`` upgrades."""
    msg = EmailMessage()
    msg["Subject"] = _subject(doc)
    msg["From"] = cfg.sender
    msg["To"] = ", ".join(cfg.to)
    msg.set_content(_body(doc))
    html = (reports or {}).get("html")
    if cfg.attach_report:
        if html and Path(html).is_file():
            msg.add_attachment(Path(html).read_text(encoding="utf-8"), subtype="html", filename=Path(html).name)
        else:
            log.warning("e-mail: no HTML report to attach; the report path is in the message")
    where = f"{cfg.host}:{cfg.port}"
    try:
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if cfg.port == 465:
            client = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(cfg.host, cfg.port, timeout=timeout)
        with client:
            if cfg.starttls and cfg.port != 465:
                client.starttls(context=context)
            if cfg.username:
                client.login(cfg.username, cfg.password or "")
            refused = client.send_message(msg)
    except smtplib.SMTPAuthenticationError as exc:
        log.warning("e-mail notification via %s failed: authentication refused (SMTP %s)", where, exc.smtp_code)
        return False
    except smtplib.SMTPException as exc:
        log.warning("e-mail notification via %s failed: %s", where, exc.__class__.__name__)
        return False
    except (OSError, ssl.SSLError) as exc:
        log.warning("e-mail notification via %s failed: %s", where, exc.strerror or exc.__class__.__name__)
        return False
    if refused:
        log.warning("e-mail notification: %d recipient(s) refused", len(refused))
    log.info("e-mail notification sent via %s to %d recipient(s)", where, len(cfg.to) - len(refused))
    return True


def register_secrets(config, redactor) -> None:
    """The webhook URL (it often carries a token) and the SMTP password never reach a log line."""
    cfg = getattr(config, "notify", None)
    if cfg is None or redactor is None:
        return
    redactor.add(cfg.webhook)
    if cfg.email:
        redactor.add(cfg.email.password)


def notify_after_run(config, run: Run | None, code: int, reports: dict[str, Path] | None = None, redactor=None, *,
                     trigger: str | None = None, error: str | None = None, fail_on: str | None = None) -> dict:
    """Send what ``config.notify`` asks for; returns {channel: sent?}. Never raises for a
    delivery problem."""
    cfg = getattr(config, "notify", None)
    if cfg is None or not (cfg.webhook or cfg.email) or not wanted(cfg.on, code):
        return {}
    register_secrets(config, redactor)
    doc = summary(run, code, reports, trigger=trigger, error=error, fail_on=fail_on or config.fail_on)
    sent: dict[str, bool] = {}
    if cfg.webhook:
        from auditor.chat import payload

        fmt = getattr(cfg, "format", "json")
        body = {**doc, "report_url": cfg.report_url} if getattr(cfg, "report_url", None) else doc
        try:
            body = payload(fmt, body)
        except Exception as exc:  # noqa: BLE001 - a message that cannot be built never fails the run
            log.warning("webhook: the %s message could not be built (%s: %s); sending the JSON summary instead",
                        fmt, exc.__class__.__name__, exc)
        sent["webhook"] = send_webhook(cfg.webhook, body)
    if cfg.email:
        sent["email"] = send_email(cfg.email, doc, reports)
    return sent
