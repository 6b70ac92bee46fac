"""The state store's sample fingerprints cannot be brute-forced back into the values they hash.

The attack: a one-row table holding one card; the report shows its masked example (first 6,
last 4); 10^6 middle digits, a tenth of them Luhn-valid, hashed the connector's way, compared
with the stored fingerprint. It works against the unkeyed scheme (proved below, so this test
can fail) and must fail against what the store keeps.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
from pathlib import Path

import yaml
from click.testing import CliRunner

from auditor.cli import cli
from auditor.store import Store

CARD = "4111117395023450"  # Luhn-valid; a fresh number, not a well-known test PAN


def luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def unkeyed(card: str, records: int = 1) -> str:
    """The connector's own scheme (connectors/sql/sampling.py) for a one-column, one-row sample."""
    row = hashlib.sha256(card.encode()).digest()
    return f"exact:{records}:{hashlib.sha256(row).hexdigest()[:32]}"


def brute_force(masked: str, target: str) -> str | None:
    head, tail = masked[:6], masked[-4:]
    for middle in range(10 ** 6):
        card = f"{head}{middle:06d}{tail}"
        if luhn(card) and unkeyed(card) == target:
            return card
    return None


def scan(tmp: Path) -> tuple[dict, str]:
    vendor = tmp / "vendor.db"
    if not vendor.exists():
        with sqlite3.connect(vendor) as c:
            c.execute("CREATE TABLE cards (card_number TEXT)")
            c.execute("INSERT INTO cards VALUES (?)", (CARD,))
    cfg = tmp / "auditor.yaml"
    cfg.write_text(yaml.safe_dump({"state": f"sqlite:///{tmp / 'state.db'}", "vendors": [{"id": "v"}],
                                   "sources": [{"id": "db", "vendor": "v", "kind": "sql", "url": f"sqlite:///{vendor}"}]}))
    r = CliRunner().invoke(cli, ["-vv", "scan", "-c", str(cfg), "--json", str(tmp / "r.json"),
                                 "--as-of", "2026-11-28T00:00:00Z"])
    assert r.exit_code in (1, 3), r.output
    return json.loads((tmp / "r.json").read_text()), r.output


def stored_fingerprints(state: Path) -> list[str]:
    with sqlite3.connect(state) as c:
        return [r[0] for r in c.execute("SELECT fingerprint FROM datasets ORDER BY pk")]


def test_the_brute_force_from_the_masked_example_fails_against_the_stored_fingerprint(tmp_path):
    doc, logs = scan(tmp_path)
    cards = next(d for d in doc["datasets"] if d["name"] == "main.cards")
    masked = next(p for p in cards["personal_data"] if p["type"] == "payment_card")["examples"][0]
    assert masked[:6] == CARD[:6] and masked[-4:] == CARD[-4:] and CARD not in json.dumps(doc)
    # the attack works on the unkeyed scheme: this test can fail
    assert brute_force(masked, unkeyed(CARD)) == CARD
    [stored] = stored_fingerprints(tmp_path / "state.db")
    assert stored and stored.startswith("hmac1:")
    assert brute_force(masked, stored) is None
    assert brute_force(masked, stored.removeprefix("hmac1:")[:32]) is None
    assert unkeyed(CARD) not in json.dumps(doc) and unkeyed(CARD)[-32:] not in logs
    # the key: next to the store, 0600, never in the report, the logs or the store
    key_file = tmp_path / "state.db.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert key not in json.dumps(doc) and key not in logs
    assert key.encode() not in (tmp_path / "state.db").read_bytes()


def test_keyed_fingerprints_still_match_between_runs(tmp_path):
    scan(tmp_path)
    scan(tmp_path)
    first, second = stored_fingerprints(tmp_path / "state.db")
    assert first == second and first.startswith("hmac1:")


def test_the_migration_clears_unkeyed_fingerprints_from_the_column_and_the_facts(tmp_path):
    scan(tmp_path)
    state = tmp_path / "state.db"
    raw = unkeyed(CARD)
    with sqlite3.connect(state) as c:  # a store as the previous version wrote it
        c.execute("UPDATE datasets SET fingerprint = ?, facts = json_set(facts, '$.facts.fingerprint', ?)", (raw, raw))
        c.execute("UPDATE alembic_version SET version_num = '0002'")
        for table in ("runs", "run_lock"):  # 0004's columns, which 0002 did not have
            c.execute(f"ALTER TABLE {table} DROP COLUMN process")
        c.execute("DROP TABLE write_marks")  # 0005's table
        c.execute("DROP TABLE classify_memo")  # 0006's table
        c.execute("DROP INDEX ix_findings_id_run_id")  # 0007's index
        c.execute("CREATE INDEX ix_findings_run_id ON findings (run_id)")  # 0008 replaced it
        c.execute("DROP INDEX ix_findings_run_id_rule")
        c.execute("CREATE INDEX ix_findings_id ON findings (id)")  # 0009 dropped it
    Store.open(f"sqlite:///{state}").close()
    with sqlite3.connect(state) as c:
        fp, facts = c.execute("SELECT fingerprint, facts FROM datasets").fetchone()
        indexes = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'findings'")}
    assert fp is None and "fingerprint" not in json.loads(facts)["facts"]
    assert raw.encode() not in state.read_bytes()
    assert indexes == {"ix_findings_id_run_id", "ix_findings_run_id_rule"}  # every migration since 0002 ran


def test_a_server_store_takes_its_key_from_the_environment(tmp_path, monkeypatch):
    from auditor import fingerprint

    monkeypatch.setenv(fingerprint.KEY_ENV, "k" * 40)
    assert fingerprint.key_for("postgresql+psycopg://u@127.0.0.1/x", str(tmp_path)) == b"k" * 40
    monkeypatch.delenv(fingerprint.KEY_ENV)
    key = fingerprint.key_for("postgresql+psycopg://u@127.0.0.1/x", str(tmp_path))
    assert key == fingerprint.key_for("postgresql+psycopg://u@127.0.0.1/x", str(tmp_path))
    assert stat.S_IMODE(os.stat(tmp_path / ".auditor-fingerprint.key").st_mode) == 0o600
