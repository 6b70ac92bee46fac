"""Structure of the rendered HTML report, on hand-built runs."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest

from auditor.models import Dataset, Finding, Run, SourceResult, finding_id
from reports.context import build_report_context, trigger_words
from reports.html import render_html as _render_html
from tests.unit.reports.report_runs import (
    AS_OF,
    HOSTILE_PREFIX,
    HOSTILE_TABLE,
    HOSTILE_VENDOR,
    bucket,
    pd,
    sample_run,
    table,
    utc,
)

TEMPLATES = Path(__file__).resolve().parents[3] / "reports" / "templates"
CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
       "base-uri 'none'; form-action 'none'")


def render_html(run: Run) -> str:
    """The page without its ``<wbr>`` line-break hints (layout only), so text reads as written."""
    return _render_html(run).replace("<wbr>", "")


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(sample_run())


@pytest.fixture(scope="module")
def hostile() -> str:
    return render_html(sample_run(hostile=True))


def figure(html: str, name: str) -> str:
    m = re.search(rf'<(div|span)[^>]*data-figure="{name}">(.*?)</\1>', html, re.DOTALL)
    assert m, name
    return re.sub(r"<[^>]+>", "", m.group(2)).strip()


def blob(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.DOTALL)
    assert m
    return json.loads(m.group(1))


def test_every_section_is_there(page: str) -> None:
    for section in ("summary", "coverage", "vendors", "findings", "age", "waived", "inventory"):
        assert re.search(rf'<section id="{section}"', page), section
    assert page.count("<svg") == 1  # the data-age chart


def test_self_contained_with_a_csp_that_forbids_other_hosts(page: str) -> None:
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    head = page[: page.index("<style>")]
    assert "Content-Security-Policy" in head  # before any style or script
    assert not re.search(r"<(link|script|img|iframe)[^>]+(src|href)=\"(?!data:)", page)
    assert "<link rel=\"stylesheet\"" not in page and "@import" not in page
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(h.startswith(("#", "data:")) for h in hrefs)


def test_header_says_why_when_and_scope(page: str) -> None:
    assert "Pre-event audit: 11.11 Singles&#39; Day, 3 days before" in page
    assert "2026-11-08 02:00 UTC" in page and "run-20261108-0200-7f3a" in page
    assert 'class="pill run-partial">Partial<' in page
    scope = unescape(re.sub(r"<[^>]+>", " ", page[page.index('<dl class="scope">'):page.index("</dl>")]))
    words = " ".join(scope.split())
    assert "Vendors 3" in words and "Sources 4 (1 failed)" in words
    assert "Datasets 8 3 tables, 3 buckets, 2 prefixes" in words
    # records (rows) and bytes add only the roots of each tree: the bucket already counts its prefixes
    assert "Records 3,475,489" in words  # 1,104,212 + 2,310,877 + 48,000 + 12,400; audit_log and logs unknown
    assert "2 datasets of unknown size not counted" in words


def test_headline_figures(page: str) -> None:
    assert figure(page, "open-total") == "11"
    counts = dict(re.findall(r'data-severity-count="(\w+)"><span class="n">(\d+)</span>', page))
    assert counts == {"critical": "1", "high": "7", "medium": "2", "low": "1", "info": "0"}
    # rows of customers + orders + acme-exports (its prefixes hold it) + public archive; a lower bound (logs unclassified)
    assert figure(page, "personal-records") == "at least 3,475,489"
    assert figure(page, "stale-records") == "3,418,449"  # customers + orders + 3,360 rows of 2019-export/
    assert figure(page, "new") == "5" and figure(page, "resolved") == "2"
    assert figure(page, "not-assessed") == "2"


def test_findings_say_what_where_since_why_and_what_to_do(page: str) -> None:
    cards = re.findall(r'<article class="finding.*?</article>', page, re.DOTALL)
    assert len(cards) == 12
    stale = next(c for c in cards if 'data-dataset="public.customers"' in c and 'data-rule="stale-personal-data"' in c)
    assert "Personal data kept past its maximum age" in stale
    assert "since 2026-03-02 (251 days)" in stale
    assert "Why it matters" in stale and "Why stale-personal-data matters" in stale
    assert "What to do" in stale and "Fix stale-personal-data" in stale
    assert "GDPR Art. 5(1)(e)" in stale and "PDPA s25" in stale
    assert "postgresql://redmart-db.internal:5432/shop/public.customers" in stale
    # evidence as key/values, masked samples exactly as given
    assert "<th>age days</th><td>2,824</td>" in stale
    assert "<th>personal data › email</th><td>200 sampled in email; masked examples: j***@e***.com, m***@g***.com</td>" in stale
    new = next(c for c in cards if 'data-dataset="acme-archive-public"' in c and 'data-rule="public-exposure"' in c)
    assert "first seen in this run" in new and 'class="tag new">New<' in new
    # the page leads with the stale personal data at vendors, then the rest by severity; the waived one last
    ranks = re.findall(r'data-rank="(\d)" .*?data-rule="([\w-]+)" data-status="(\w+)"', page, re.DOTALL)
    assert len(ranks) == 12 and ranks[-1][2] == "waived"
    assert [r for _, r, _ in ranks[:2]] == ["stale-personal-data", "stale-personal-data"]
    rest = [int(r) for r, _, s in ranks[2:] if s == "open"]
    assert rest == sorted(rest) and rest[0] == 0
    assert "not written for 2,824 days (about 7.7 years)" in stale  # the age on the finding itself


def test_filters_offer_every_severity_vendor_rule_and_status(page: str) -> None:
    data = blob(page)
    assert [f["value"] for f in data["facets"]["severity"]] == ["critical", "high", "medium", "low"]
    assert {f["label"] for f in data["facets"]["vendor"]} == {"Acme Analytics", "ParcelGo couriers", "RedMart legacy hosting"}
    assert "not-assessed" in [f["value"] for f in data["facets"]["rule"]]
    assert [f["value"] for f in data["facets"]["status"]] == ["open", "waived"]
    for key in ("severity", "vendor", "rule", "status"):
        assert f'id="filter-{key}"' in page
    for key in ("rank", "vendor", "rule", "dataset", "first"):
        assert f'data-sort="{key}"' in page


def test_vendors_table(page: str) -> None:
    rows = dict(re.findall(r'<tr data-vendor-row="([^"]+)">(.*?)</tr>', page, re.DOTALL))
    assert set(rows) == {"redmart-legacy-host", "acme-analytics", "parcelgo"}
    redmart = rows["redmart-legacy-host"]
    assert "2019-03-31 (ended 2,779 days (about 7.6 years) before as-of)" in redmart
    assert "3 tables" in redmart and "3,415,089" in redmart and "badge sev-high" in redmart
    # a vendor whose only source could not be read holds an unknown number of records, not zero
    parcelgo = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", rows["parcelgo"]))
    assert "unknown" in parcelgo and " 0 " not in parcelgo and "not recorded" in parcelgo
    acme = rows["acme-analytics"]
    assert "at least" in acme and "60,400" in acme and "badge sev-critical" in acme


def test_coverage_is_as_prominent_as_findings(page: str) -> None:
    section = page[page.index('<section id="coverage"'):page.index('<section id="vendors"')]
    assert 'class="section-alert"' in section
    assert page.index('id="coverage"') < page.index('id="findings"')
    missing = section[section.index('data-coverage="missing"'):section.index('data-coverage="partial"')]
    assert missing.count("<tr>") == 3  # header + courier-db + acme-restricted
    assert "connection refused (courier-db.internal:5432)" in missing
    assert "open port 5432 from the auditor host" in missing
    assert "grant s3:ListBucket on arn:aws:s3:::acme-restricted" in missing
    partial = section[section.index('data-coverage="partial"'):]
    # one row per source and cause, with its datasets and the one fix, written per cause
    assert "acme-exports-logs" in partial and "public-exposure" in partial
    assert "public exposure of S3 buckets: s3:GetBucketAcl, s3:GetBucketPolicyStatus refused" in partial
    assert "Permission: Grant s3:GetBucketAcl, s3:GetBucketPolicyStatus to the auditor&#39;s identity." in partial
    assert "readable, then re-run" not in partial
    assert 'class="alert">Coverage <b>2</b>' in page


def test_a_complete_run_says_everything_was_assessed() -> None:
    run = sample_run(status="complete", sources=(SourceResult(id="redmart-db", kind="sql", vendor="redmart-legacy-host"),),
                     datasets=(table("public.customers", classified=True, personal_data=(pd("email", 3, ("email",)),)),),
                     errors=(), findings=(), resolved=(), previous_run_id=None)
    html = render_html(run)
    assert "Every configured source and dataset was read and assessed" in html
    assert 'class="section-ok"' in html
    assert "No finding in this run." in html
    assert "first run: no previous run to compare with" in html
    assert 'data-figure="resolved"' not in html


def test_data_age_chart_against_the_policy_limit(page: str) -> None:
    ctx = build_report_context(sample_run())
    bins = ctx["age"]["bins"]
    assert [b["label"] for b in bins] == ["< 30 d", "30 d–90 d", "90 d–180 d", "180 d–1 y", "1 y–2 y",
                                          "2 y–3 y", "3 y–5 y", "> 5 y", "age unknown"]
    assert ctx["age"]["limit_index"] == 4 and [b["over"] for b in bins].index(True) == 4
    assert bins[-1]["total"] == 1  # public.audit_log
    assert bins[7]["counts"] == {"personal": 3, "unclassified": 0, "clean": 0}
    # counted once each: tables, buckets and the highest stale prefix (daily/ is part of its bucket)
    assert bins[0]["counts"] == {"personal": 1, "unclassified": 1, "clean": 0}  # acme-exports; logs
    assert ctx["age"]["over"] == 3 and ctx["age"]["over_personal"] == 3 == ctx["headline"]["stale_datasets"]
    assert 'class="limit"' in page and 'class="over-zone"' in page
    assert "policy limit (365 days)" in page
    # a limit that is not a default band edge becomes one
    odd = build_report_context(sample_run(policy_limits={"max_age_days": 400}))["age"]
    assert "1 y–400 d" in [b["label"] for b in odd["bins"]] and odd["bins"][odd["limit_index"]]["label"] == "400 d–2 y"


def test_waived_findings_show_reason_owner_and_expiry(page: str) -> None:
    section = page[page.index('<section id="waived"'):page.index('<section id="inventory"')]
    assert "Legacy host is on an isolated VLAN; decommission ticket OPS-4411" in section
    assert "m.tan (DPO office)" in section and "2026-12-31" in section and "expires in 53 days" in section


def test_inventory_lists_every_dataset_and_unknown_reads_unknown(page: str) -> None:
    section = page[page.index('<section id="inventory"'):]
    assert section.count('<tbody class="ds-group') == 8
    audit = re.search(r"public\.audit_log</strong>.*?</tr>", section, re.DOTALL).group(0)
    assert "unknown records" in audit and "<br><small>unknown</small>" in audit
    assert "none found" in audit
    assert "<dt>retention</dt><dd class=\"unknown\">unknown</dd>" in audit
    logs = re.search(r"acme-exports-logs</strong>.*?</tr>", section, re.DOTALL).group(0)
    assert "unknown (not classified)" in logs and "<dt>public</dt><dd class=\"unknown\">unknown</dd>" in logs
    assert "public access block" in section and "all four settings on" in section  # Dataset.facts
    assert ">None<" not in page and "None" not in re.sub(r"<[^>]+>", " ", section)


def test_hostile_names_are_escaped_everywhere(hostile: str) -> None:
    assert HOSTILE_TABLE not in hostile and "<img" not in hostile
    assert HOSTILE_PREFIX not in hostile
    assert hostile.count("<script") == 2 and hostile.count("</script>") == 2
    assert "x&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in hostile
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in hostile
    assert "Evil &lt;b&gt;Vendor&lt;/b&gt; &amp; Co&#39;" in hostile
    data = blob(hostile)  # the JSON blob keeps the names intact, with <, > and & escaped
    assert HOSTILE_VENDOR in [f["label"] for f in data["facets"]["vendor"]]
    raw = re.search(r'id="report-data">(.*?)</script>', hostile, re.DOTALL).group(1)
    assert "<" not in raw and ">" not in raw and "&" not in raw.replace("\\u0026", "")


def test_templates_never_mark_data_safe() -> None:
    for path in TEMPLATES.iterdir():
        text = path.read_text()
        assert "|safe" not in text.replace(" ", "") and "autoescape false" not in text, path.name
        assert "innerHTML" not in text and "insertAdjacentHTML" not in text and "document.write" not in text


@pytest.mark.parametrize(("trigger", "detail", "words"), [
    ("event:11.11 Singles' Day", {"event": "11.11 Singles' Day", "event_date": "2026-11-11", "days_before": 3},
     ("Pre-event audit: 11.11 Singles' Day, 3 days before", "event on 2026-11-11")),
    ("event:Black Friday", {"event": "Black Friday", "days_before": 1}, ("Pre-event audit: Black Friday, 1 day before", "")),
    ("event:Black Friday", {"event": "Black Friday", "days_before": 0}, ("Pre-event audit: Black Friday, on the day", "")),
    ("event:Launch", {}, ("Pre-event audit: Launch", "")),
    ("schedule:nightly", {}, ("Nightly audit", "scheduled")),
    ("schedule:weekly", {}, ("Scheduled audit (weekly)", "scheduled")),
    ("manual", {}, ("Manual run", "")),
    ("release 4.2 gate", {}, ("Manual run: release 4.2 gate", "")),
])
def test_trigger_in_words(trigger: str, detail: dict, words: tuple[str, str]) -> None:
    assert trigger_words(sample_run(trigger=trigger, trigger_detail=detail)) == words


def test_an_empty_run_renders() -> None:
    run = Run(id="empty", started_at=AS_OF, as_of=AS_OF, status="failed")
    html = render_html(run)
    assert "No dataset was inventoried." in html and "No vendor in this run." in html
    assert 'class="pill run-failed">Failed<' in html
    assert figure(html, "personal-records") == "0"


def test_prefix_trees_are_not_counted_twice() -> None:
    old = AS_OF - timedelta(days=900)
    root = bucket("b", records=100, bytes=1000, last_modified=old, classified=True)
    child = bucket("b/old/", parent="b", records=40, bytes=400, last_modified=old, classified=True,
                   personal_data=(pd("email", 5, ("email",)),))
    grandchild = bucket("b/old/deeper/", parent="b/old/", records=10, bytes=100, last_modified=old, classified=True,
                        personal_data=(pd("phone", 5, ("phone",)),))
    f = Finding(id=finding_id("stale-personal-data", "exports", "b"), rule="stale-personal-data", severity="high",
                source="exports", vendor="acme-analytics", dataset="b", title="Stale")
    run = Run(id="tree", started_at=AS_OF, as_of=AS_OF, datasets=(root, child, grandchild), findings=(f,),
              policy_limits={"max_age_days": 365})
    ctx = build_report_context(run)
    assert ctx["scope"]["records"]["text"] == "100" and ctx["scope"]["bytes"]["text"] == "1.0 KB"
    # personal records: the rows of the content that holds personal data (30 in b/old/ itself, 10 deeper)
    assert ctx["headline"]["personal"]["text"] == "40" and ctx["headline"]["personal_datasets"] == 2
    assert ctx["headline"]["stale"]["text"] == "100"
    assert [r["depth"] for r in ctx["inventory"]] == [0, 1, 2]
    assert ctx["findings"][0]["uri"] == "s3://b"


def test_unknown_age_and_unknown_contract_never_read_as_no() -> None:
    ds = Dataset(source="s", vendor="v", kind="table", name="t", uri="x://t")
    ctx = build_report_context(Run(id="u", started_at=utc(2026, 1, 1), as_of=utc(2026, 1, 1), datasets=(ds,)))
    row = ctx["inventory"][0]
    assert row["age"] == "unknown" and row["last_modified"] == "unknown" and row["region"] == "unknown"
    assert dict(row["protection"])["public"] == "unknown" and row["personal"] == ["unknown (not classified)"]
    assert ctx["vendors"][0]["contract"] == "not recorded"
    assert ctx["headline"]["personal"]["text"] == "unknown"


def test_an_expired_waiver_reopens_and_says_so() -> None:
    base = sample_run()
    reopened = [f.model_copy(update={"status": "open", "waiver": {**f.waiver, "expired": True, "until": "2026-10-01"}})
                if f.status == "waived" else f for f in base.findings]
    odd = [f.model_copy(update={"status": "waived", "waiver": {"reason": "r", "until": "not a date"}})
           if f.rule == "data-outside-region" else f for f in reopened]
    html = render_html(base.model_copy(update={"findings": tuple(odd)}))
    assert 'class="tag expired">Waiver expired 2026-10-01<' in html
    section = html[html.index('<section id="waived"'):html.index('<section id="inventory"')]
    assert "insecure-transport" not in section and "data-outside-region" in section
    assert "not recorded" in section  # the unreadable expiry and the missing owner


def test_complete_never_sits_above_a_non_empty_coverage_list() -> None:
    """Waiving the grouped unknowns never completes a run: even a run marked complete (as an earlier
    version stored it) is shown partial, and the header says the waived unknowns keep it so."""
    run = sample_run()
    ctx = build_report_context(run.model_copy(update={
        "status": "complete", "sources": run.sources[:3], "errors": (),
        "findings": tuple(f.model_copy(update={"status": "waived"}) if f.rule == "not-assessed" else f
                          for f in run.findings if f.source != "courier-db")}))
    assert ctx["coverage"]["partial"] and ctx["coverage"]["partial"][0]["status"] == "waived"
    assert (ctx["run"]["status"], ctx["run"]["status_label"]) == ("partial", "Partial")
    assert "keep the run incomplete" in ctx["run"]["status_words"] or "keeps the run incomplete" in ctx["run"]["status_words"]
    assert "every source and dataset was assessed" not in ctx["run"]["status_words"]


def test_a_lower_bound_age_is_never_charted_as_young() -> None:
    young = table("public.t", last_modified=AS_OF - timedelta(days=10), classified=True,
                  personal_data=(pd("email", 3, ("email",)),), facts={"last_modified_bound": "at_most"})
    ctx = build_report_context(sample_run(datasets=(young,), findings=(), errors=(), resolved=()))
    bins = {b["label"]: b["total"] for b in ctx["age"]["bins"]}
    assert bins["< 30 d"] == 0 and bins["age unknown"] == 1
    [row] = ctx["inventory"]
    assert row["age"] == "at least 10 days" and row["stale"] is False


def test_attested_facts_read_as_declared_not_verified() -> None:
    from datetime import date

    from auditor.models import AttestationUse, FactSource

    d = table("public.t", encryption_at_rest="provider", fact_basis={"encryption_at_rest": FactSource(
        basis="attested", detail="declared", by="vendor-risk@example.com", until=date(2027, 6, 30), evidence="SOC 2")})
    use = AttestationUse(index=0, where="auditor.yaml:20", match={"source": "redmart-db"}, fact="encryption_at_rest",
                         value="provider", evidence="SOC 2", by="vendor-risk@example.com", until=date(2027, 6, 30),
                         expired=False, datasets=("redmart-db:public.t",))
    old = use.model_copy(update={"index": 1, "fact": "region", "value": "ap-southeast-1", "expired": True,
                                 "until": date(2025, 1, 1), "datasets": ()})
    html = render_html(sample_run(datasets=(d,), findings=(), errors=(), resolved=(), attestations=(use, old)))
    assert "provider (declared by vendor-risk@example.com until 2027-06-30, not verified)" in html
    section = html[html.index('<section id="attestations"'):html.index('<section id="vendors"')]
    assert 'data-attestations="used"' in section and "redmart-db:public.t" in section
    assert 'data-attestations="expired"' in section and "expired 2025-01-01" in section


def test_a_scoped_limit_counts_the_same_in_every_figure(tmp_path) -> None:
    """A vendor's 90-day limit: its 120-day-old table is stale in the card, the lead, the age intro."""
    from policies import judge, load_policies

    (tmp_path / "p.yaml").write_text(
        "extends: builtin:baseline\noverrides:\n  - rule: stale-personal-data\n    vendors: [acme-analytics]\n"
        "    params: {max_age: 90d}\n")
    ps = load_policies([str(tmp_path / "p.yaml")])
    t = table("public.leads", vendor="acme-analytics", last_modified=AS_OF - timedelta(days=120), classified=True,
              records=10, personal_data=(pd("email", 3, ("email",)),))
    run = sample_run(datasets=tuple(judge(ps, [t], {}, AS_OF)), findings=(), errors=(), resolved=())
    ctx = build_report_context(run)
    assert ctx["headline"]["stale_datasets"] == ctx["age"]["over_personal"] == len(ctx["headline"]["lead"]) == 1
    assert ctx["inventory"][0]["stale"] is True
