import pytest

from auditor.config import load_config, parse_config
from auditor.errors import ConfigError

GOOD = """\
state: sqlite:///state.db
vendors:
  - id: redmart-legacy-host
    name: RedMart legacy hosting
    contract_end: 2019-03-31
sources:
  - id: db
    vendor: redmart-legacy-host
    kind: fake
"""


def write(tmp_path, text, name="auditor.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_good_config_parses_and_resolves_state_next_to_the_file(tmp_path, fake_connector):
    cfg = load_config(write(tmp_path, GOOD))
    assert cfg.state == f"sqlite:///{tmp_path}/state.db"
    assert cfg.vendor("redmart-legacy-host").contract_end.isoformat() == "2019-03-31"
    assert [s.id for s in cfg.sources] == ["db"]
    assert cfg.policies == ["builtin:baseline"]


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(e.value) and "not found" in str(e.value)


def test_yaml_syntax_error_names_the_line(tmp_path):
    p = write(tmp_path, "state: x\nvendors:\n  - id: a\n   name: [unclosed\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert str(e.value).startswith(f"{p}:4:") or str(e.value).startswith(f"{p}:3:")


def test_unknown_top_level_key_names_line_and_key(tmp_path, fake_connector):
    p = write(tmp_path, GOOD + "shedule:\n  nightly: '0 2 * * *'\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert e.value.line == 10 and e.value.key == "shedule" and "unknown key" in str(e.value)


def test_unknown_source_option_names_its_line(tmp_path, fake_connector):
    p = write(tmp_path, GOOD + "    sample_rowz: 5\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert (e.value.line, e.value.key) == (10, "sources[0].sample_rowz")


def test_missing_env_var_is_named_and_no_value_is_echoed(tmp_path, fake_connector, monkeypatch):
    monkeypatch.delenv("REDMART_DB_URL", raising=False)
    p = write(tmp_path, GOOD.replace("state: sqlite:///state.db", "state: ${REDMART_DB_URL}"))
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "REDMART_DB_URL" in str(e.value) and e.value.line == 1 and e.value.key == "state"


def test_env_substitution_and_default(tmp_path, fake_connector, monkeypatch):
    monkeypatch.setenv("AUDIT_STATE", "sqlite:////tmp/x.db")
    cfg = parse_config(GOOD.replace("sqlite:///state.db", "${AUDIT_STATE}").replace(
        "RedMart legacy hosting", "${VENDOR_NAME:-fallback name}"))
    assert cfg.state == "sqlite:////tmp/x.db" and cfg.vendors[0].name == "fallback name"


def test_invalid_value_does_not_echo_it(tmp_path, fake_connector, monkeypatch):
    monkeypatch.setenv("SECRETISH", "s3cr3t-value")
    p = write(tmp_path, GOOD.replace("contract_end: 2019-03-31", "contract_end: ${SECRETISH}"))
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "s3cr3t-value" not in str(e.value)
    assert e.value.key == "vendors[0].contract_end" and e.value.line == 5


def test_unknown_vendor(tmp_path, fake_connector):
    p = write(tmp_path, GOOD.replace("    vendor: redmart-legacy-host", "    vendor: acme"))
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "'acme' is not declared" in str(e.value) and e.value.line == 8 and e.value.key == "sources[0].vendor"


def test_unknown_kind(tmp_path):
    p = write(tmp_path, GOOD.replace("kind: fake", "kind: gopher"))
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "unknown source kind 'gopher'" in str(e.value) and e.value.line == 9


def test_duplicate_source_id(tmp_path, fake_connector):
    p = write(tmp_path, GOOD + "  - id: db\n    vendor: redmart-legacy-host\n    kind: fake\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "duplicate source id 'db'" in str(e.value) and e.value.line == 10


def test_missing_required_source_key(tmp_path, fake_connector):
    p = write(tmp_path, GOOD.replace("    kind: fake\n", ""))
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "missing required key 'kind'" in str(e.value) and e.value.key == "sources[0].kind"


def test_bad_timezone(tmp_path, fake_connector):
    p = write(tmp_path, GOOD + "schedule:\n  timezone: Mars/Olympus\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "unknown time zone" in str(e.value) and e.value.line == 11


def test_duplicate_key_is_an_error_not_a_silent_replacement(tmp_path, fake_connector):
    p = write(tmp_path, GOOD + "sources: []\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "duplicate key" in str(e.value) and e.value.line == 10 and e.value.key == "sources"


def test_nothing_to_audit_is_an_error(tmp_path, fake_connector):
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, "vendors: [{id: v}]\nsources: []\n"))
    assert "no sources" in str(e.value) and e.value.line == 2
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, GOOD + "policies: []\n"))
    assert e.value.key == "policies"


def test_invalid_date_names_line_and_key(tmp_path, fake_connector):
    p = write(tmp_path, GOOD.replace("2019-03-31", "2019-13-01"))
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert (e.value.line, e.value.key) == (5, "vendors[0].contract_end")


def test_unknown_personal_data_type_in_an_agreement(tmp_path, fake_connector):
    p = write(tmp_path, GOOD.replace("    contract_end: 2019-03-31\n",
                                     "    contract_end: 2019-03-31\n    allowed_personal_data: [email, emails]\n"))
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "'emails'" in str(e.value) and e.value.key == "vendors[0].allowed_personal_data" and e.value.line == 6


def test_an_smtp_login_without_tls_to_a_remote_relay_is_refused(tmp_path, fake_connector):
    notify = ("notify:\n  email:\n    host: smtp.example.test\n    port: 25\n    to: [dpo@example.test]\n"
              "    username: auditor\n    password: pw\n")
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, GOOD + notify))
    assert "needs TLS" in str(e.value) and e.value.key == "notify.email" and "pw" not in str(e.value).split(":")[-1]
    assert load_config(write(tmp_path, GOOD + notify.replace("port: 25", "port: 587\n    starttls: true")))
    assert load_config(write(tmp_path, GOOD + notify.replace("smtp.example.test", "127.0.0.1")))


def test_every_mistake_of_a_file_is_reported_at_once_with_line_and_key(tmp_path, fake_connector):
    p = write(tmp_path, """\
state: sqlite:///state.db
concurency: 4
vendors:
  - id: v1
sources:
  - id: db
    kind: fake
    datasetz: []
  - id: other
    vendor: nobody
    kind: fake
schedule:
  timezone: Mars/Olympus
""")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    lines = str(e.value).splitlines()
    assert lines == [
        f"{p}:2: concurency: unknown key 'concurency'",
        f"{p}:6: sources[0].vendor: missing required key 'vendor'",
        f"{p}:8: sources[0].datasetz: unknown key 'datasetz'",
        f"{p}:10: sources[1].vendor: vendor 'nobody' is not declared under vendors",
        f"{p}:13: schedule.timezone: Value error, unknown time zone 'Mars/Olympus'",
    ]
    assert [x.line for x in e.value.errors] == [2, 6, 8, 10, 13]
    assert (e.value.file, e.value.line, e.value.key) == (str(p), 2, "concurency")


def test_every_unset_variable_is_named(tmp_path, fake_connector, monkeypatch):
    monkeypatch.delenv("R18_A", raising=False)
    monkeypatch.delenv("R18_B", raising=False)
    p = write(tmp_path, GOOD.replace("state: sqlite:///state.db", "state: ${R18_A}") + "notify: {webhook: '${R18_B}'}\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert str(e.value).splitlines() == [f"{p}:1: state: environment variable R18_A is not set",
                                         f"{p}:10: notify.webhook: environment variable R18_B is not set"]


def test_the_cli_prints_each_mistake_on_its_own_line(tmp_path, fake_connector):
    from click.testing import CliRunner

    from auditor.cli import cli

    p = write(tmp_path, GOOD.replace("    vendor: redmart-legacy-host\n", "") + "fail_onn: high\n")
    r = CliRunner().invoke(cli, ["scan", "-c", str(p)])
    assert r.exit_code == 2
    assert r.output.splitlines() == [f"auditor: error: {p}:7: sources[0].vendor: missing required key 'vendor'",
                                     f"auditor: error: {p}:9: fail_onn: unknown key 'fail_onn'"]


@pytest.mark.parametrize("key", ["on", "'on'"])
def test_notify_on_is_a_key_not_a_boolean(tmp_path, fake_connector, key):
    cfg = load_config(write(tmp_path, GOOD + f"notify:\n  {key}: findings\n  webhook: http://127.0.0.1:9/x\n"))
    assert cfg.notify.on == "findings"
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, GOOD + f"notify:\n  {key}: sometimes\n"))
    assert f":{GOOD.count(chr(10)) + 2}: notify.on: " in str(e.value) and "'always', 'findings' or 'failure'" in str(e.value)


ATTEST = GOOD + """\
attestations:
  - match: {vendor: redmart-legacy-host, dataset: "main.*"}
    fact: FACT
    value: VALUE
    evidence: "SOC 2 Type II 2026, section 4.2"
    by: vendor-risk@example.com
    until: 2027-06-30
"""


def test_attestations_parse_with_their_line(tmp_path, fake_connector):
    cfg = load_config(write(tmp_path, ATTEST.replace("FACT", "encryption_at_rest").replace("VALUE", "provider")))
    [a] = cfg.attestations
    assert (a.fact, a.value, a.by, a.until.isoformat(), a.line) == (
        "encryption_at_rest", "provider", "vendor-risk@example.com", "2027-06-30", 11)
    assert a.match.vendor == "redmart-legacy-host" and a.match.source is None


@pytest.mark.parametrize(("fact", "value", "line", "key", "words"), [
    ("encryption_at_rest", "encrypted", 13, "attestations[0].value", "must be none | provider | customer_key"),
    ("encryption", "provider", 12, "attestations[0].fact", "cannot be attested"),
    ("public", "nope", 13, "attestations[0].value", "must be true | false"),
    ("retention_days", "-3", 13, "attestations[0].value", "a number of days"),
])
def test_attestation_errors_name_file_line_and_key(tmp_path, fake_connector, fact, value, line, key, words):
    p = write(tmp_path, ATTEST.replace("FACT", fact).replace("VALUE", value))
    with pytest.raises(ConfigError) as e:
        load_config(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}:{line}: {key}") and words in msg, msg


def test_attestation_naming_an_undeclared_source_is_an_error(tmp_path, fake_connector):
    text = ATTEST.replace("FACT", "region").replace("VALUE", "ap-southeast-1").replace(
        "{vendor: redmart-legacy-host, dataset", "{source: no-such-db, dataset")
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert str(e.value).startswith(f"{p}:11: attestations[0].match.source") and "no-such-db" in str(e.value)


def test_provider_is_only_for_sql_sources(tmp_path, fake_connector):
    p = write(tmp_path, GOOD + "    provider: {kind: rds, instance: shop}\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert str(e.value).startswith(f"{p}:") and "sources[0].provider" in str(e.value)


def test_duplicate_event_name_is_an_error(tmp_path, fake_connector):
    """`--trigger "event:Black Friday"` picks an event by name: with two of that name, the second's
    stricter policies and fail_on were never used, silently."""
    p = write(tmp_path, GOOD + "schedule:\n  events:\n    - {name: Black Friday, date: 2026-11-27, fail_on: medium}\n"
                               "    - {name: Black Friday, date: 2026-11-27, fail_on: low}\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "duplicate event name 'Black Friday'" in str(e.value), str(e.value)
    assert e.value.line == 13 and e.value.key == "schedule.events[1].name"


def test_a_merge_key_default_can_be_overridden_but_a_key_written_twice_cannot(tmp_path, fake_connector):
    """YAML merge keys (``<<: *defaults``) share a vendor's terms; a key written beside them overrides
    the merged one (YAML's meaning). It was refused as 'duplicate key' at a line that writes it once."""
    p = write(tmp_path, "vendors:\n"
                        "  - &terms\n"
                        "    id: redmart-legacy-host\n"
                        "    contract_end: 2019-03-31\n"
                        "    allowed_personal_data: [email]\n"
                        "  - <<: *terms\n"
                        "    id: acme\n"
                        "    contract_end: 2030-01-01\n"
                        "sources:\n  - {id: db, vendor: acme, kind: fake}\n")
    cfg = load_config(p)
    acme = cfg.vendor("acme")
    assert acme.contract_end.isoformat() == "2030-01-01" and acme.allowed_personal_data == ("email",)
    assert cfg.vendor("redmart-legacy-host").contract_end.isoformat() == "2019-03-31"
    # the same key written twice in one mapping stays an error, merge key or not
    p = write(tmp_path, p.read_text().replace("    contract_end: 2030-01-01\n",
                                              "    contract_end: 2030-01-01\n    contract_end: 2031-01-01\n"))
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "duplicate key" in str(e.value) and e.value.line == 9 and e.value.key == "vendors[1].contract_end"
    # a typo beside a merge key is an unknown key at its own line
    p = write(tmp_path, p.read_text().replace("    contract_end: 2031-01-01\n", "    contract_endd: 2031-01-01\n"))
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "unknown key 'contract_endd'" in str(e.value) and e.value.line == 9


def test_two_attestations_of_one_fact_for_the_same_datasets_is_an_error(tmp_path, fake_connector):
    """Renewed by appending a new entry under the old one (value changed): the first one kept being
    used, silently, and the new evidence never was."""
    text = ATTEST.replace("FACT", "encryption_at_rest").replace("VALUE", "provider")
    text += text[text.index("  - match"):].replace("value: provider", "value: customer_key")
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert str(e.value).startswith(f"{p}:17: attestations[1]") and "attestations[0]" in str(e.value), str(e.value)
    # the same fact for other datasets is fine
    load_config(write(tmp_path, text.replace('dataset: "main.*"}\n    fact: encryption_at_rest\n    value: customer_key',
                                             'dataset: "archive.*"}\n    fact: encryption_at_rest\n    value: customer_key')))
    # a renewal with a later until takes over when the first expires: fine
    load_config(write(tmp_path, text.replace("value: customer_key\n    evidence: \"SOC 2 Type II 2026, section 4.2\"\n"
                                             "    by: vendor-risk@example.com\n    until: 2027-06-30",
                                             "value: customer_key\n    evidence: \"SOC 2 Type II 2026, section 4.2\"\n"
                                             "    by: vendor-risk@example.com\n    until: 2028-06-30")))


def test_an_event_with_an_empty_policy_list_is_an_error_as_the_config_s_is(tmp_path, fake_connector):
    """policies: [] under an event ran the event's audits with the config's list, silently."""
    p = write(tmp_path, GOOD + "schedule:\n  events:\n    - {name: bf, date: 2026-11-27, policies: []}\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert e.value.key == "schedule.events[0].policies" and e.value.line == 12, str(e.value)


def test_an_attestation_that_ends_within_an_earlier_renewal_is_an_error(tmp_path, fake_connector):
    """Three entries for one fact: the first until 2027-06-30, a renewal until 2028-06-30, a third until
    2027-12-31. The third was checked against the first only (it ends later: 'a renewal'), but the
    second is in force all through the third's term, so the third was never used, silently."""
    text = ATTEST.replace("FACT", "encryption_at_rest").replace("VALUE", "provider")
    entry = text[text.index("  - match"):]
    text += entry.replace("until: 2027-06-30", "until: 2028-06-30")
    text += entry.replace("value: provider", "value: customer_key").replace("until: 2027-06-30", "until: 2027-12-31")
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert e.value.key == "attestations[2]" and "attestations[1]" in str(e.value) and "2028-06-30" in str(e.value), \
        str(e.value)
