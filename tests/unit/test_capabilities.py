"""Connector capabilities: declared per kind, checked, and carried onto the datasets the engine
records, so a policy tells "never readable by this kind" from "refused"."""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from auditor import registry
from auditor.config import parse_config
from auditor.connector import DATASET_FACTS, Capabilities
from auditor.engine import RunOptions, run_audit


def test_capabilities_name_only_dataset_facts_and_never_both():
    with pytest.raises(ValueError, match="unknown dataset fact"):
        Capabilities(knows=frozenset({"public", "colour"}))
    with pytest.raises(ValueError, match="both known and never known"):
        Capabilities(knows=frozenset({"public"}), never={"public": "cannot"})
    assert set(Capabilities(knows=frozenset(DATASET_FACTS)).knows) == set(DATASET_FACTS)


def test_every_registered_kind_covers_each_fact_it_names():
    for kind, cls in registry.connectors.items():
        caps = cls.capabilities
        assert caps.knows.isdisjoint(caps.never), kind
    assert "public" in registry.connectors.get("sql").capabilities.never
    assert "public" in registry.connectors.get("s3").capabilities.knows


def test_the_engine_records_what_a_kind_can_never_know(tmp_path):
    db = tmp_path / "vendor.db"
    con = sqlite3.connect(db)
    con.execute("create table customers (email text)")
    con.executemany("insert into customers values (?)", [(f"u{i}@example.com",) for i in range(20)])
    con.commit()
    con.close()
    written = datetime(2022, 6, 1, tzinfo=timezone.utc)
    os.utime(db, (written.timestamp(), written.timestamp()))
    cfg = parse_config(yaml.safe_dump({
        "state": f"sqlite:///{tmp_path / 'state.db'}",
        "vendors": [{"id": "acme"}],
        "sources": [{"id": "db", "vendor": "acme", "kind": "sql", "url": f"sqlite:///{db}"}],
    }), str(tmp_path / "auditor.yaml"))
    run = run_audit(cfg, RunOptions(as_of=written + timedelta(days=30)))
    (ds,) = run.datasets
    assert ds.public is None
    # every fact a SQL login never reads, left unknown, with why (no grant would make it known), and
    # what this source can never give on top: a local file has no connection to encrypt
    sql_never = registry.connectors.get("sql").capabilities.never
    assert ds.facts["never_known"] == {**sql_never, "encryption_in_transit": ds.facts["never_known"]["encryption_in_transit"]}
    assert "local file" in ds.facts["never_known"]["encryption_in_transit"]
    assert not [f for f in run.findings if f.rule == "insecure-transport"
                or f.evidence.get("rule") == "insecure-transport"]
    assert not [f for f in run.findings if f.rule == "not-assessed" and "public" in f.evidence.get("unknown", ())]
