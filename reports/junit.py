"""A CI gate report: JUnit XML of a run (``--junit FILE``), written with ``junitparser``.

A release pipeline (GitLab, Jenkins, GitHub Actions) shows the audit in its test tab:

- one test suite, ``auditor``, with the run's id, status, trigger, as-of and ``fail_on`` as
  properties;
- every open finding is one test case (class: the rule's id; name: where it is and the finding
  id). One at or above ``--fail-on`` holds one ``<failure>`` (message: severity, title and
  where; text: the finding id, first seen, remediation and references); one below it passes,
  saying so in its ``system-out``;
- every waived finding is a skipped test case (class: the rule's id) whose message is the
  waiver's reason, owner and expiry (a waived not-assessed one adds that it is still not
  assessed: the run, the suite's ``status`` property, stays partial and ``scan`` exits 3);
- every rule in force without an open or waived finding is one passing case, ``no finding``.

Each case holds at most one result, so the suite's totals agree: ``failures`` (never more than
``tests``) are exactly the findings that make ``scan`` exit 1. Never a raw
value: titles, dataset names and counts only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from junitparser import Failure, JUnitXml, Skipped, TestCase, TestSuite

from auditor.models import Finding, Run, leaves_incomplete, severity_rank

SUITE = "auditor"
# characters XML 1.0 cannot hold, even escaped (C0 controls but tab/LF/CR, surrogates, U+FFFE/U+FFFF)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(text: str) -> str:
    """``text`` with the characters XML cannot hold written as escapes (``\\x01``): names come from
    audited stores, and one such character made the whole file unwritable."""
    if not _NOT_XML.search(text):
        return text
    return _NOT_XML.sub(lambda m: repr(m.group())[1:-1] if m.group() != "'" else m.group(), text)


def _clean_tree(xml: JUnitXml) -> None:
    for elem in xml._elem.iter():
        if elem.text:
            elem.text = _xml_safe(elem.text)
        if elem.tail:
            elem.tail = _xml_safe(elem.tail)
        for key, value in elem.attrib.items():
            elem.attrib[key] = _xml_safe(value)


def _where(f: Finding) -> str:
    return f"{f.vendor}/{f.source}/{f.dataset}" if f.dataset else f"{f.vendor}/{f.source}"


def _detail(f: Finding) -> str:
    lines = [f"id: {f.id}", f"rule: {f.rule}", f"severity: {f.severity}", f"where: {_where(f)}",
             f"first seen: {f.first_seen.isoformat() if f.first_seen else 'this run'}"]
    if f.remediation:
        lines.append(f"remediation: {f.remediation}")
    if f.references:
        lines.append("references: " + "; ".join(f.references))
    return "\n".join(lines)


def _not_assessed(run: Run) -> dict[str, list[str]]:
    """The ids of the open or waived not-assessed findings per rule they leave unjudged; under ``""``
    those of a source or dataset that could not be read at all (every rule is unjudged there)."""
    out: dict[str, list[str]] = {}
    for f in run.findings:
        if f.rule == "not-assessed" and f.status in ("open", "waived"):
            rules = [r for r in f.rules if r != "not-assessed"]
            for r in rules or [""]:
                out.setdefault(r, []).append(f.id)
    return out


def build_junit(run: Run, fail_on: str = "high", rules: Iterable[str] | None = None) -> JUnitXml:
    """``rules``: the ids of the rules in force (those without findings pass); by default the rules
    that produced a finding in this run."""
    limit = severity_rank(fail_on)
    order = list(dict.fromkeys([*(rules or []), *(f.rule for f in run.findings)]))
    suite = TestSuite(SUITE)
    for key, value in (("run_id", run.id), ("status", run.status), ("trigger", run.trigger),
                       ("as_of", run.as_of.isoformat()), ("fail_on", fail_on)):
        suite.add_property(key, str(value))
    unjudged = _not_assessed(run)
    for rule in order:
        found = [f for f in run.findings if f.rule == rule and f.status in ("open", "waived")]
        if not found and rule != "not-assessed" and (unjudged.get(rule) or unjudged.get("")):
            ids = unjudged.get(rule) or unjudged[""]
            case = TestCase("not assessed", classname=rule, time=0)
            case.result = [Skipped(f"not assessed (no finding where it could be judged): see {', '.join(ids)}",
                                   "not-assessed")]
            suite.add_testcase(case)
            continue
        if not found:
            suite.add_testcase(TestCase("no finding", classname=rule, time=0))
        for f in found:
            case = TestCase(f"{_where(f)} [{f.id}]", classname=rule, time=0)
            if f.status == "waived":
                w = f.waiver or {}
                still = ("; still not assessed: the run stays incomplete (exit 3) until its way out is taken"
                         if leaves_incomplete(f) else "")
                result: Failure | Skipped = Skipped(
                    f"waived: {w.get('reason') or 'no reason given'} (by {w.get('by') or '-'}, "
                    f"until {w.get('until') or '?'}){still}", "waived")
            elif severity_rank(f.severity) <= limit:
                result = Failure(f"{f.severity}: {f.title} ({_where(f)})", f.severity)
            else:
                case.system_out = f"below fail_on ({fail_on}): {f.severity}: {f.title} ({_where(f)})\n{_detail(f)}"
                suite.add_testcase(case)
                continue
            result.text = _detail(f)
            case.result = [result]
            suite.add_testcase(case)
    suite.update_statistics()
    xml = JUnitXml(SUITE)
    xml.add_testsuite(suite)
    xml.update_statistics()
    _clean_tree(xml)
    return xml


def write_junit(run: Run, path: str | os.PathLike[str], fail_on: str = "high",
                rules: Iterable[str] | None = None) -> Path:
    from reports.json_report import atomic_write

    xml = build_junit(run, fail_on, rules)
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        xml.write(str(tmp), pretty=True)
        atomic_write(target, tmp.read_text(encoding="utf-8"))
    finally:
        tmp.unlink(missing_ok=True)
    return target
