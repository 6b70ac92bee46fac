"""A release gate on `auditor scan` must never pass because no rule was in force."""

from click.testing import CliRunner

from auditor.cli import cli
from tests.contract.test_scan_cli import CLEAN, config, fake

ENDED = [{"id": "v1", "contract_end": "2019-03-31"}]  # vendor-contract-ended fires on any dataset


def scan(path, *args):
    return CliRunner().invoke(cli, ["scan", "-c", str(path), "--as-of", "2026-11-28T00:00:00Z", *args])


def test_a_policy_list_with_no_rule_in_force_is_exit_2_naming_the_config_line(tmp_path, fake_connector):
    """An empty policy file (a truncated deploy, every rule commented out) audited with no rule:
    'open findings: none', exit 0, and the release went out. Now exit 2 at the policies entry."""
    (tmp_path / "ours.yaml").write_text("# rules moved to the new repo\n")
    p = config(tmp_path, [fake("db", datasets=[CLEAN])], vendors=ENDED, policies=["ours.yaml"])
    r = scan(p)
    assert r.exit_code == 2, r.output
    assert f"{p}:" in r.output and "policies[0]" in r.output and "no rule" in r.output, r.output
    # every rule switched off by overrides is the same audit against nothing
    (tmp_path / "off.yaml").write_text("extends: builtin:baseline\noverrides:\n" + "".join(
        f"  - {{rule: {rid}, enabled: false}}\n" for rid in (
            "stale-personal-data", "vendor-contract-ended", "unencrypted-personal-data", "public-exposure",
            "object-acls-enabled", "no-retention-control", "cardholder-data", "weak-password-hash",
            "insecure-transport", "data-beyond-agreement", "data-outside-region")))
    p = config(tmp_path, [fake("db", datasets=[CLEAN])], vendors=ENDED, policies=["off.yaml"])
    r = scan(p)
    assert r.exit_code == 2 and "no rule" in r.output, r.output
    # an event's own (stricter) list is checked as the config's is
    p = config(tmp_path, [fake("db", datasets=[CLEAN])], vendors=ENDED,
               schedule={"events": [{"name": "bf", "date": "2026-11-27", "policies": ["ours.yaml"]}]})
    r = scan(p)
    assert r.exit_code == 2 and "schedule.events[0].policies[0]" in r.output, r.output
    # an empty file beside real rules is still fine
    p = config(tmp_path, [fake("db", datasets=[CLEAN])], vendors=ENDED, policies=["builtin:baseline", "ours.yaml"])
    assert scan(p).exit_code == 1


def test_the_summary_names_an_attestation_that_expired_and_what_it_leaves_unknown(tmp_path, fake_connector):
    """The gate turns red (exit 3) the morning after an attestation's until: the summary (the cron
    mail) says which attestation expired, and where, not only that a fact is unknown."""
    ds = {**CLEAN, "encryption_at_rest": "unknown", "sample": {"email": ["ann@example.com", "bob@example.com"]}}
    att = {"match": {"source": "db"}, "fact": "encryption_at_rest", "value": "provider", "evidence": "SOC 2 2025",
           "by": "risk@example.com", "until": "2026-11-27"}
    p = config(tmp_path, [fake("db", datasets=[ds])], attestations=[att])
    r = scan(p)  # as of 2026-11-28
    assert r.exit_code == 3, r.output
    assert f"attestation expired: {p}:" in r.output and "encryption_at_rest" in r.output, r.output
    assert "until 2026-11-27" in r.output, r.output
    r = CliRunner().invoke(cli, ["scan", "-c", str(p), "--as-of", "2026-11-27T12:00:00Z"])
    assert r.exit_code == 0 and "attestation expired" not in r.output, r.output
