"""The demo's vendor estate: made-up people, seeded into real local endpoints.

Every value is generated here from fixed seeds (valid checksums, public test card
numbers), so the demo is the same on every machine and no real person is in it.

The estate (as of the demo's run):
- ``redmart-db`` at *RedMart legacy hosting*, whose contract ended 2019-03-31: a SQLite
  customer store (names, Singapore phones and addresses, emails, unsalted MD5 password
  hashes, masked cards), last written in March 2019;
- ``payments-db`` at *PayBridge*: a card vault of full card numbers, fresh;
- ``acme-s3`` at *Acme Analytics*: an active events bucket that hides a stale
  ``legacy/redmart-2019/`` export, unencrypted and without lifecycle;
- ``scrape-s3`` at *Growth consultant*: a 2020 scrape of user ids, Chinese mobile
  numbers and comments, an agreement that allows no personal data at all;
- ``kedai-gcs`` at *Kedai Marketing*: a publicly readable GCS bucket with a JSON Lines
  contact export;
- ``clean-gcs`` at *Acme Analytics*: fresh, CMEK-encrypted, private, with a retention
  rule, holding only aggregate metrics: it must come out clean;
- ``lumen-ftp`` at *Lumen Creative* (a marketing agency): a plain-FTP drop that also lets
  anonymous users in, still holding the customer export it was sent in 2019.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

FIRST = ["Wei Ling", "Jun Jie", "Siti", "Arjun", "Mei Hua", "Nurul", "Kumar", "Hui Min", "Farid", "Priya",
         "Ah Kow", "Rachel", "Zhi Hao", "Aisyah", "Vikram", "Li Na", "Daniel", "Xin Yi", "Ravi", "Shu Fen"]
LAST = ["Tan", "Lim", "Lee", "Ng", "Wong", "Goh", "Chua", "Rahman", "Singh", "Koh", "Teo", "Ong", "Abdullah",
        "Nair", "Chen", "Ho", "Yeo", "Pillai", "Ismail", "Low"]
STREETS = ["Ang Mo Kio Ave 3", "Tampines St 21", "Bedok North Rd", "Jurong West St 52", "Yishun Ring Rd",
           "Toa Payoh Lor 1", "Clementi Ave 2", "Woodlands Dr 14", "Hougang Ave 8", "Bukit Batok St 31"]
DOMAINS = ["gmail.com", "yahoo.com.sg", "hotmail.com", "singnet.com.sg", "outlook.com"]


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    digits = [int(c) for c in prefix]
    while len(digits) < length - 1:
        digits.append(rng.randint(0, 9))
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def person(rng: random.Random) -> dict[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    handle = f"{first.split()[0].lower()}.{last.lower()}{rng.randint(1, 999)}"
    return {
        "full_name": f"{first} {last}",
        "email": f"{handle}@{rng.choice(DOMAINS)}",
        "phone": f"+65 {rng.choice('89')}{rng.randint(100, 999)} {rng.randint(1000, 9999)}",
        "address": f"Blk {rng.randint(1, 999)} {rng.choice(STREETS)} #{rng.randint(2, 25):02d}-{rng.randint(1, 400):02d} "
                   f"Singapore {rng.randint(100000, 829999)}",
    }


def _card(rng: random.Random) -> str:
    prefix = rng.choice(["411111", "555555", "222100", "378282"])
    return luhn_complete(prefix, 15 if prefix.startswith("37") else 16, rng)


# --------------------------------------------------------------------------- SQL


def seed_sql(redmart_url: str, payments_url: str, now: datetime) -> None:
    rng = random.Random(2019)
    md = sa.MetaData()
    customers = sa.Table(
        "customers", md,
        sa.Column("customer_id", sa.Integer, primary_key=True),
        sa.Column("full_name", sa.String(80)), sa.Column("email", sa.String(120)),
        sa.Column("mobile", sa.String(20)), sa.Column("delivery_address", sa.String(200)),
        sa.Column("password_hash", sa.String(64)), sa.Column("card_masked", sa.String(20)),
        sa.Column("created_at", sa.DateTime), sa.Column("updated_at", sa.DateTime))
    orders = sa.Table(
        "orders", md,
        sa.Column("order_id", sa.Integer, primary_key=True), sa.Column("customer_id", sa.Integer),
        sa.Column("order_no", sa.String(20)), sa.Column("total_sgd", sa.Numeric(10, 2)),
        sa.Column("placed_at", sa.DateTime))
    last_write = datetime(2019, 3, 14, 3, 12)
    engine = sa.create_engine(redmart_url)
    md.drop_all(engine)
    md.create_all(engine)
    rows, order_rows = [], []
    for i in range(1, 601):
        p = person(rng)
        created = datetime(2016, 1, 1) + timedelta(days=rng.randint(0, 1000))
        rows.append({"customer_id": i, "full_name": p["full_name"], "email": p["email"], "mobile": p["phone"],
                     "delivery_address": p["address"],
                     "password_hash": hashlib.md5(f"pw-{i}-{rng.random()}".encode()).hexdigest(),
                     "card_masked": f"{rng.choice(['411111', '555555', '222100'])}******{rng.randint(1000, 9999)}",
                     "created_at": created, "updated_at": min(last_write, created + timedelta(days=rng.randint(0, 900)))})
    rows[-1]["updated_at"] = last_write
    for i in range(1, 1501):
        order_rows.append({"order_id": i, "customer_id": rng.randint(1, 600),
                           "order_no": "".join(rng.choice("0123456789") for _ in range(16)),
                           "total_sgd": round(rng.uniform(5, 400), 2),
                           "placed_at": datetime(2018, 1, 1) + timedelta(hours=rng.randint(0, 10000))})
    with engine.begin() as c:
        c.execute(customers.insert(), rows)
        c.execute(orders.insert(), order_rows)
    engine.dispose()

    md2 = sa.MetaData()
    vault = sa.Table(
        "card_vault", md2,
        sa.Column("token", sa.String(40), primary_key=True), sa.Column("card_number", sa.String(19)),
        sa.Column("expiry", sa.String(5)), sa.Column("cardholder", sa.String(80)), sa.Column("updated_at", sa.DateTime))
    engine = sa.create_engine(payments_url)
    md2.drop_all(engine)
    md2.create_all(engine)
    fresh = now.replace(tzinfo=None) - timedelta(days=2)
    with engine.begin() as c:
        c.execute(vault.insert(), [
            {"token": f"tok_{i:05d}", "card_number": _card(rng),
             "expiry": f"{rng.randint(1, 12):02d}/{rng.randint(27, 31)}", "cardholder": person(rng)["full_name"].upper(),
             "updated_at": fresh - timedelta(minutes=i)} for i in range(300)])
    engine.dispose()


# --------------------------------------------------------------------------- S3


def _csv(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode()


def seed_s3(endpoint: str, now: datetime, *, remediated: bool = False) -> None:
    """``remediated``: the second demo round, after Acme deleted its legacy export."""
    import boto3
    from freezegun import freeze_time

    rng = random.Random(2020)
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="ap-southeast-1",
                      aws_access_key_id="demo", aws_secret_access_key="demo")
    loc = {"LocationConstraint": "ap-southeast-1"}

    s3.create_bucket(Bucket="acme-analytics-events", CreateBucketConfiguration=loc)
    s3.put_public_access_block(Bucket="acme-analytics-events", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    for day in range(3):
        when = now - timedelta(days=day + 1)
        events = [{"event_id": f"e{day}-{i}", "user_ref": f"u{rng.randint(1, 99999)}",
                   "event": rng.choice(["view", "cart", "buy"]), "sku": f"SKU-{rng.randint(100, 999)}",
                   "ts": (when - timedelta(minutes=i)).isoformat()} for i in range(200)]
        with freeze_time(when):
            s3.put_object(Bucket="acme-analytics-events", Key=f"events/{when:%Y/%m/%d}/part-000.jsonl",
                          Body="\n".join(json.dumps(e) for e in events).encode())
    if not remediated:
        legacy = [{"name": p["full_name"], "email": p["email"], "phone": p["phone"], "address": p["address"]}
                  for p in (person(rng) for _ in range(400))]
        with freeze_time(datetime(2019, 2, 27, 1, 30, tzinfo=timezone.utc)):
            s3.put_object(Bucket="acme-analytics-events", Key="legacy/redmart-2019/customers.csv.gz",
                          Body=gzip.compress(_csv(legacy)))
            s3.put_object(Bucket="acme-analytics-events", Key="legacy/redmart-2019/README.txt",
                          Body=b"Export for the 2019 loyalty migration. Delete after use.\n")

    s3.create_bucket(Bucket="growth-scrape-dump", CreateBucketConfiguration=loc)
    scrape = [{"user_id": str(rng.randint(10**9, 10**10)), "mobile": f"+86 1{rng.choice('3589')}{rng.randint(0, 9)} "
               f"{rng.randint(1000, 9999)} {rng.randint(1000, 9999)}", "comment": rng.choice(
                   ["好评", "物流很快", "质量不错", "还会再买", "一般"])} for _ in range(500)]
    with freeze_time(datetime(2020, 6, 18, 4, 0, tzinfo=timezone.utc)):
        s3.put_object(Bucket="growth-scrape-dump", Key="taobao-2020/users-000.csv", Body=_csv(scrape))


# --------------------------------------------------------------------------- GCS


def seed_gcs(endpoint: str, now: datetime) -> None:
    from freezegun import freeze_time
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    rng = random.Random(1212)
    client = storage.Client(project="demo", credentials=AnonymousCredentials(),
                            client_options={"api_endpoint": endpoint})

    public = client.create_bucket("kedai-crm-export")
    public._patch_property("location", "ASIA-SOUTHEAST1")
    public.patch()
    policy = public.get_iam_policy(requested_policy_version=3)
    policy.bindings.append({"role": "roles/storage.objectViewer", "members": {"allUsers"}})
    public.set_iam_policy(policy)
    contacts = [{"contact": {"name": p["full_name"], "email": p["email"], "phone": p["phone"]},
                 "consent": rng.choice([True, False]), "segment": rng.choice(["vip", "lapsed", "new"])}
                for p in (person(rng) for _ in range(300))]
    with freeze_time(now - timedelta(days=40)):
        public.blob("contacts/2026-10-export.jsonl").upload_from_string(
            "\n".join(json.dumps(c, ensure_ascii=False) for c in contacts), content_type="application/x-ndjson")

    clean = client.create_bucket("acme-clean-metrics")
    clean._patch_property("location", "ASIA-SOUTHEAST1")
    clean.default_kms_key_name = "projects/demo/locations/asia-southeast1/keyRings/audit/cryptoKeys/metrics"
    clean.iam_configuration.uniform_bucket_level_access_enabled = True
    clean.iam_configuration.public_access_prevention = "enforced"
    clean.retention_period = 30 * 86400
    clean.add_lifecycle_delete_rule(age=30)
    clean.labels = {"owner": "analytics", "data": "aggregates"}
    clean.patch()
    for day in range(3):
        when = now - timedelta(days=day + 1)
        rows = [{"date": f"{when:%Y-%m-%d}", "sku": f"SKU-{s}", "views": rng.randint(0, 5000),
                 "orders": rng.randint(0, 300)} for s in range(100, 160)]
        with freeze_time(when):
            clean.blob(f"daily/{when:%Y-%m-%d}.csv").upload_from_string(_csv(rows), content_type="text/csv")


# --------------------------------------------------------------------------- FTP

FTP_EXPORT_WRITTEN = datetime(2019, 5, 6, 9, 41, tzinfo=timezone.utc)


def seed_ftp(root: Path, now: datetime) -> None:
    """The agency's drop folder, served by :func:`auditor.emulators.ftp_server`: still in use
    (a campaign brief came in last week) and still holding a customer export of May 2019
    (files and folders backdated), never deleted."""
    rng = random.Random(2021)
    rows = [{"name": p["full_name"], "email": p["email"], "mobile": p["phone"]} for p in (person(rng) for _ in range(350))]
    files = {"exports/2019/customers.csv": _csv(rows),
             "exports/2019/README.txt": b"Customer list for the 2019 loyalty campaign mailing.\n"}
    for rel, body in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(body)
    when = FTP_EXPORT_WRITTEN.timestamp()
    for p in sorted(root.rglob("*"), key=lambda p: -len(p.parts)):
        os.utime(p, (when, when))
    recent = now - timedelta(days=6)
    brief = root / f"campaign-brief-{recent:%Y-%m}.txt"
    brief.write_bytes(b"Year-end campaign: 3 creatives, launch in December. No customer data attached.\n")
    for p in (brief, root):
        os.utime(p, (recent.timestamp(), recent.timestamp()))
