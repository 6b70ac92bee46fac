"""Runs made out of order with --as-of: re-judging last month after tonight's run.

A run whose --as-of is before a run already stored for the config re-judges the past: it is
judged against the history as it stood at its instant (runs as of then or before), and it is not
part of the history later runs read (it read today's data, it did not observe the past). Every
date here is fixed by --as-of; the engine-driving fake connector states the facts.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import freezegun
import yaml
from click.testing import CliRunner

from auditor.cli import cli
from tests.conftest import _import_the_product

_import_the_product()  # pydantic models built on the real datetime type before freezegun runs a scan

TONIGHT, LAST_MONTH, TOMORROW = "2026-12-01T02:00:00Z", "2026-11-01T02:00:00Z", "2026-12-02T02:00:00Z"
# personal data last written 2025-11-15: stale (over 365 days) from 2026-11-15 on
CUSTOMERS = {"name": "public.customers", "public": False, "encryption_at_rest": "provider",
             "encryption_in_transit": "enforced", "has_retention": True, "retention_days": 30,
             "last_modified": "2025-11-15T00:00:00+00:00",
             "sample": {"email": ["ann@example.com", "bob@example.org"], "qty": [1, 2]}}
ENDED = {"id": "v1", "contract_end": "2026-06-30"}


def config(tmp_path, datasets):
    doc = {"state": "sqlite:///state.db", "vendors": [ENDED],
           "sources": [{"id": "db", "vendor": "v1", "kind": "fake", "datasets": datasets}]}
    p = tmp_path / "auditor.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return p


def scan(p, tmp_path, as_of, name, made_at=None):
    """A run as of ``as_of``, made at the wall-clock instant ``made_at`` (default: half an hour after
    its as-of, as a nightly is): a re-judgement is told from a preview of the future by when it was made."""
    out = tmp_path / f"{name}.json"
    made_at = made_at or (datetime.fromisoformat(as_of) + timedelta(minutes=30)).isoformat()
    with freezegun.freeze_time(made_at, tick=True):
        r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", as_of, "--json", str(out)])
    assert r.exit_code in (0, 1, 3) and out.exists(), (r.output, r.exception)
    return json.loads(out.read_text())


def by_rule(doc):
    return {f["rule"]: f for f in doc["findings"]}


def test_rejudging_last_month_after_tonight_does_not_resolve_or_backdate(tmp_path, fake_connector):
    p = config(tmp_path, [CUSTOMERS])
    tonight = scan(p, tmp_path, TONIGHT, "tonight")
    assert set(by_rule(tonight)) == {"stale-personal-data", "vendor-contract-ended"}
    assert all(f["new"] for f in tonight["findings"])

    past = scan(p, tmp_path, LAST_MONTH, "past", made_at="2026-12-01T03:00:00Z")
    # as of last month the data was not yet stale; that is not a fix made since tonight
    assert set(by_rule(past)) == {"vendor-contract-ended"}
    assert past["resolved"] == []
    ended = by_rule(past)["vendor-contract-ended"]
    # nothing was seen as of last month or before: first seen is the run's own instant, never a later one
    assert ended["first_seen"].startswith("2026-11-01T02:00:00") and ended["new"] is True

    tomorrow = scan(p, tmp_path, TOMORROW, "tomorrow")
    # tomorrow's diff is against tonight's run, not the re-judgement of last month
    assert tomorrow["run"]["previous_run_id"] == tonight["run"]["id"]
    assert tomorrow["resolved"] == []
    for f in tomorrow["findings"]:
        assert f["new"] is False, f
        assert f["first_seen"].startswith("2026-12-01T02:00:00"), f  # tonight's run saw it first


def test_a_rejudgement_does_not_backdate_an_unchanged_fingerprint(tmp_path, fake_connector):
    # no write time at all: the age comes from the run history (unchanged since first seen)
    undated = {**CUSTOMERS, "last_modified": None, "facts": {"fingerprint": "40:abc"}}
    p = config(tmp_path, [undated])
    scan(p, tmp_path, TONIGHT, "tonight")
    scan(p, tmp_path, "2024-06-01T00:00:00Z", "past", made_at="2026-12-01T03:00:00Z")  # reads today's data
    tomorrow = scan(p, tmp_path, TOMORROW, "tomorrow")
    [d] = tomorrow["datasets"]
    # the auditor first saw this fingerprint tonight, not in 2024: no invented 2-year age, no stale finding
    assert d["last_modified_basis"].startswith("unchanged since first seen 2026-12-01"), d["last_modified_basis"]
    assert "stale-personal-data" not in {f["rule"] for f in tomorrow["findings"]}


def test_a_preview_of_the_future_does_not_take_the_history_of_the_nights_after_it(tmp_path, fake_connector):
    """A release manager checks what will fail next year (--as-of 2027) before tonight's run: the
    nights after it are not re-judgements; they keep their own history."""
    p = config(tmp_path, [CUSTOMERS])
    preview = scan(p, tmp_path, "2027-06-01T00:00:00Z", "preview", made_at="2026-12-01T01:00:00Z")
    assert preview["run"]["status"] == "complete"
    tonight = scan(p, tmp_path, TONIGHT, "tonight")
    tomorrow = scan(p, tmp_path, TOMORROW, "tomorrow")
    assert tomorrow["run"]["previous_run_id"] == tonight["run"]["id"]
    for f in tomorrow["findings"]:
        assert f["new"] is False and f["first_seen"].startswith("2026-12-01T02:00:00"), f
