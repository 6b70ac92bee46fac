"""Objects keyed by personal data (``{"customers": {"Tan Ah Kow": {...}}}``, ``{"+6591234567": {...}}``,
``{"jane@x.com": 1}``), as vendors leave JSON and JSON Lines exports: the keys are values, never field
names. A map whose keys are data is one path segment (``<value>``), its keys are the values of
``<key>`` and are classified (counted, masked samples only), and no raw key reaches the JSON or HTML
report, the CLI's output or the state store. Real moto S3, through the CLI."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from auditor.cli import cli

FIRST = ["Ah Kow", "Mei Ling", "Siew Lan", "Wei Jie", "Hui Min", "Jun Hao"]
LAST = ["Tan", "Lim", "Ong", "Goh", "Chua"]
NAMES = [f"{last} {first}" for last in LAST for first in FIRST]  # 30 people
PHONES = [f"+65 9123 45{i:02d}" for i in range(30)]
KEY_PHONES = [f"+658123{i:04d}" for i in range(30)]
EMAILS = [f"keyholder{i}.doe@example.com" for i in range(30)]


def _seed(s3_admin, bucket: str) -> None:
    s3_admin.create_bucket(Bucket=bucket)
    put = lambda key, body: s3_admin.put_object(Bucket=bucket, Key=key, Body=body.encode())  # noqa: E731
    # people's names as keys of records (no name validates alone: the shape says it)
    put("crm/customers.json", json.dumps(
        {"exported": "2019-03-01", "customers": {n: {"phone": p, "tier": "gold"} for n, p in zip(NAMES, PHONES)}}))
    # phone numbers as keys
    put("crm/by_phone.json", json.dumps({p: {"note": "vip"} for p in KEY_PHONES}))
    # e-mails as keys, one per line, and a map mixing an e-mail key with a name key
    put("crm/by_email.jsonl", "\n".join(json.dumps({"seen": {e: 1}}) for e in EMAILS) + "\n"
        + json.dumps({"contacts": {"x.mixed@example.com": 1, "Wong Kah Wai": 2}}) + "\n")
    # ordinary schema-like keys stay as they are
    put("orders/orders.json", json.dumps([{"order_id": i, "address": {"city": "Singapore", "unit": "#01-23"},
                                        "email": f"buyer{i}@example.org"} for i in range(10)]))


def test_keys_that_are_personal_data_are_classified_and_never_written_raw(s3_url, s3_admin, tmp_path):
    _seed(s3_admin, "keyed-exports")
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(yaml.safe_dump({"state": f"sqlite:///{tmp_path}/state.db", "vendors": [{"id": "v"}],
                                   "sources": [{"id": "s3", "vendor": "v", "kind": "s3", "endpoint_url": s3_url,
                                                "region": "us-east-1", "buckets": ["keyed-exports"]}]}))
    out, html = tmp_path / "r.json", tmp_path / "r.html"
    r = CliRunner().invoke(cli, ["scan", "-c", str(cfg), "--as-of", "2026-11-28T00:00:00Z", "--json", str(out),
                                 "--html", str(html)])
    assert r.exit_code in (0, 1, 3), r.output
    doc = json.loads(out.read_text())
    [ds] = [d for d in doc["datasets"] if d["name"] == "keyed-exports/crm/"]
    found = {p["type"]: p for p in ds["personal_data"]}
    print(json.dumps(ds["personal_data"], indent=1)[:3000])
    # phones: 30 as values under the names, 30 as keys; e-mails: 31 keys
    assert found["phone"]["count"] >= 60, found["phone"]
    assert found["email"]["count"] >= 31, found["email"]
    where = {w for p in ds["personal_data"] for w in p["where"]}
    assert "customers.<value>.phone" in " ".join(where) or any("<value>.phone" in w for w in where), where
    assert any(w.endswith("<key>") for w in where), where
    keyed = [n for n in ds["notes"] if "keyed by data" in n]  # the dataset says what the reader did
    assert keyed and any("customers.<key>" in n for n in keyed), ds["notes"]
    [orders] = [d for d in doc["datasets"] if d["name"] == "keyed-exports/orders/"]
    assert [w for p in orders["personal_data"] for w in p["where"] if "email" in w] == ["[].email"] or any(
        w == "email" for p in orders["personal_data"] for w in p["where"]), orders["personal_data"]
    texts = {"json": out.read_text(), "html": html.read_text(), "output": r.output,
             "state": (tmp_path / "state.db").read_bytes().decode("latin-1")}
    raws = [*NAMES, "Wong Kah Wai", *(p.replace(" ", "")[3:] for p in PHONES), *(p[3:] for p in KEY_PHONES),
            *(e.split("@")[0] for e in EMAILS), "x.mixed"]
    for name, text in texts.items():
        leaked = [raw for raw in raws if raw in text]
        assert not leaked, (name, leaked[:5])
