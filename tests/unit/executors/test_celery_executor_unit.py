"""The Celery executor's pieces that need no broker: config keys, the broker URL, and what a
worker lets out of itself (fingerprints keyed with the coordinator's key, or dropped)."""

from __future__ import annotations

import pytest

from auditor.config import load_config
from auditor.errors import ConfigError, UsageError
from auditor.models import Dataset, SourceResult

GOOD = """\
state: sqlite:///state.db
vendors:
  - id: v
sources:
  - id: db
    vendor: v
    kind: fake
"""


def write(tmp_path, text):
    p = tmp_path / "auditor.yaml"
    p.write_text(text)
    return p


def test_executor_kind_is_checked_naming_line_and_key(tmp_path, fake_connector):
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, GOOD + "executor:\n  kind: remote\n"))
    assert (e.value.line, e.value.key) == (9, "executor.kind")


def test_executor_broker_comes_from_the_environment(tmp_path, fake_connector, monkeypatch):
    from auditor.executors.celery_exec import broker_url

    monkeypatch.setenv("AUDITOR_BROKER_URL", "redis://127.0.0.1:6379/9")
    cfg = load_config(write(tmp_path, GOOD + "executor:\n  kind: celery\n  broker: ${AUDITOR_BROKER_URL}\n"))
    assert cfg.executor.kind == "celery" and broker_url(cfg) == "redis://127.0.0.1:6379/9"
    monkeypatch.delenv("AUDITOR_BROKER_URL")
    bare = load_config(write(tmp_path, GOOD + "executor:\n  kind: celery\n"))
    with pytest.raises(UsageError, match="AUDITOR_BROKER_URL"):
        broker_url(bare)


def test_the_celery_app_never_accepts_pickle(tmp_path, fake_connector, monkeypatch):
    from auditor.executors.celery_exec import make_app

    monkeypatch.setenv("AUDITOR_BROKER_URL", "redis://127.0.0.1:6379/9")
    app = make_app(load_config(write(tmp_path, GOOD + "executor:\n  kind: celery\n  visibility_timeout_seconds: 5\n")))
    c = app.conf
    assert c.task_serializer == c.result_serializer == "json" and c.accept_content == c.result_accept_content == ["json"]
    assert c.task_acks_late and c.task_reject_on_worker_lost and c.worker_prefetch_multiplier == 1
    assert c.broker_transport_options["visibility_timeout"] == 5
    assert c.broker_transport_options["unacked_restore_interval"] * c.broker_transport_options["unacked_restore_throttle"] <= 5


def _ds(fp: str | None) -> Dataset:
    return Dataset(source="db", vendor="v", kind="table", name="s.t", uri="x://db/s.t",
                   facts={"fingerprint": fp, "engine": "x"} if fp else {"engine": "x"})


def test_a_raw_fingerprint_never_leaves_the_worker():
    from auditor import fingerprint
    from auditor.executors.celery_exec import _safe_fingerprints, key_id

    key, other = b"k" * 32, b"o" * 32
    raw = "3:ab12cd"
    same = _safe_fingerprints([_ds(raw)], key, key_id(key))[0]
    assert same.facts["fingerprint"] == fingerprint.keyed(raw, key)  # what the coordinator would have stored
    assert "fingerprint" not in _safe_fingerprints([_ds(raw)], other, key_id(key))[0].facts  # keys differ
    assert "fingerprint" not in _safe_fingerprints([_ds(raw)], None, key_id(key))[0].facts  # no key here
    assert key_id(key) != key_id(other) and key.decode() not in key_id(key)


def test_an_answer_for_another_source_is_that_units_error():
    from auditor.config import SourceConfig
    from auditor.executors.celery_exec import _outcome_from

    src = SourceConfig(id="db", vendor="v", kind="fake", options=None)
    payload = {"result": SourceResult(id="db", kind="fake", vendor="v").model_dump(mode="json"),
               "datasets": [_ds(None).model_copy(update={"source": "elsewhere"}).model_dump(mode="json")], "errors": []}
    o = _outcome_from(payload, src)
    assert o.result.status == "error" and "another source" in o.result.error and o.datasets == []
    good = _outcome_from({**payload, "datasets": [_ds(None).model_dump(mode="json")]}, src)
    assert good.result.status == "ok" and good.datasets == [_ds(None)]


def test_a_worker_refuses_a_unit_of_another_version_or_another_source_definition(tmp_path, fake_connector,
                                                                                  monkeypatch):
    """The coordinator sends what it expects (version, a digest of the source as written); a worker
    whose own copy differs refuses the unit. ${VAR}s resolved per machine do not count, and no
    resolved secret is in what is sent."""
    import auditor
    from auditor.executors.celery_exec import _refusal, unit_identity

    monkeypatch.setenv("FAKE_ERR", "s3cret-one")
    coord = load_config(write(tmp_path, GOOD + "    raise_error: ${FAKE_ERR}\n"))
    expect = unit_identity(coord, coord.sources[0])
    assert "s3cret" not in str(expect)
    monkeypatch.setenv("FAKE_ERR", "another-machine-value")  # resolved from this machine's environment
    same = load_config(write(tmp_path, GOOD + "    raise_error: ${FAKE_ERR}\n"))
    assert _refusal(same, same.sources[0], expect) is None
    other = load_config(write(tmp_path, GOOD + "    unreadable: [t1]\n"))  # an older definition
    reason = _refusal(other, other.sources[0], expect)
    assert reason and "differs from the coordinator's for source db" in reason
    monkeypatch.setattr(auditor, "__version__", "0.0.1-old")
    reason = _refusal(same, same.sources[0], expect)
    assert reason and "runs auditor 0.0.1-old" in reason
