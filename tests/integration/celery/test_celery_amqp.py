"""The same executor on RabbitMQ (AMQP broker, rpc:// results), when RabbitMQ runs here."""

from __future__ import annotations

import json

import pytest

from tests.conftest import port_open
from tests.integration.celery.conftest import Worker, base_env, scan, write_config

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
AMQP = "amqp://guest:guest@127.0.0.1:5672//"


def test_a_run_over_rabbitmq_matches_the_local_run(tmp_path, estate, s3_url):
    if not port_open("127.0.0.1", 5672):
        pytest.skip("RabbitMQ is not listening on 127.0.0.1:5672")
    config = write_config(tmp_path / "auditor.yaml", estate)
    env = base_env(estate, s3_url, AMQP, f"auditor-amqp-{tmp_path.name}", f"sqlite:///{tmp_path / 'w.db'}")
    w = Worker(config, env, f"amqp-{tmp_path.name}", tmp_path)
    try:
        w.wait_ready()
        reports = {}
        for kind in ("local", "celery"):
            r = scan(config, {**env, "STATE_URL": f"sqlite:///{tmp_path / kind}.db"}, "--executor", kind,
                     "--source", "shop-db", "--as-of", estate["as_of"], "--json", str(tmp_path / f"{kind}.json"))
            assert r.returncode == 1, r.stdout + r.stderr
            reports[kind] = json.loads((tmp_path / f"{kind}.json").read_text())
            for k in ("id", "started_at", "finished_at"):
                reports[kind]["run"].pop(k)
    finally:
        w.stop()
    assert reports["local"] == reports["celery"]
    assert "auditor.collect_unit" in w.log.read_text()
