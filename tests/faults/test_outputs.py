"""One real `auditor -vv scan --json --html --csv` in a subprocess over PostgreSQL and MariaDB
(SELECT-only roles, passwords from ${VAR}) and moto S3 (a secret key in the environment),
seeded with known raw personal data and hostile names. Then every output is searched:

- nothing leaked: no seeded raw value in the JSON, HTML, CSVs, stdout, stderr (debug) or the store;
- no credential anywhere;
- hostile names escaped in HTML, intact in JSON, quoted in SQL, never a file path;
- read-only: checksums, row counts, ETags and object counts identical before and after.
"""
# ruff: noqa: F811 - fixtures imported from fault_servers are redefined as test arguments

from __future__ import annotations

import hashlib
import json
import uuid

import boto3
import pytest
import sqlalchemy as sa
from fault_helpers import as_of, scan_process
from fault_servers import make_bucket, s3_url  # noqa: F401 - fixture

PW = "Pg-Secret-" + uuid.uuid4().hex[:8]
AWS_KEY_ID = "AKIAFAULTSUITE000001"
AWS_SECRET = "fault/Secret+Key/" + uuid.uuid4().hex
RAW = ["wei.ling.tan.leak@example.com", "+65 9123 4567", "91234567", "4111111111111111", "5500005555555559",
       "S1234567D", hashlib.md5(b"hunter2").hexdigest()]
HOSTILE_TABLES = ["<script>alert(1)</script>", 'x"; DROP TABLE customers; --', "../../etc/passwd"]
HOSTILE_COLUMN = "e<img src=x onerror=alert(2)>\nmail"
HOSTILE_KEYS = ["<img src=x onerror=alert(3)>/list.csv", "../../escape/dump.csv", "k" * 900 + "/long.csv"]
HOSTILE_JSON_KEY = "<script>alert(4)</script>"


def rows() -> list[dict]:
    return [{"id": i, "email": RAW[0] if i == 0 else f"user{i}@example.com",
             "phone": RAW[1] if i == 0 else f"+65 8{i:03d} {i:04d}", "card": RAW[3] if i % 2 else RAW[4],
             "nric": RAW[5], "password_hash": RAW[6]} for i in range(30)]


def csv_body() -> bytes:
    lines = ["id,email,phone,card,nric,password_hash"] + [",".join(str(r[k]) for k in
             ("id", "email", "phone", "card", "nric", "password_hash")) for r in rows()]
    return ("\n".join(lines) + "\n").encode()


def seed_sql(url: str, hostile: bool) -> None:
    eng = sa.create_engine(url)
    md = sa.MetaData()
    t = sa.Table("customers", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                 *[sa.Column(c, sa.String(64)) for c in ("email", "phone", "card", "nric", "password_hash")])
    extra = [sa.Table(name, md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                      sa.Column(HOSTILE_COLUMN, sa.String(64))) for name in (HOSTILE_TABLES if hostile else [])]
    md.create_all(eng)
    with eng.begin() as c:
        c.execute(t.insert(), rows())
        for x in extra:
            c.execute(x.insert(), [{"id": i, HOSTILE_COLUMN: f"h{i}@example.com"} for i in range(20)])
    eng.dispose()


def pg_state(url: str) -> dict:
    eng = sa.create_engine(url)
    with eng.connect() as c:
        out = {name: c.execute(sa.text(f"SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY id), '')) "
                                         f"FROM {c.dialect.identifier_preparer.quote(name)} t")).one()
               for name in ["customers", *HOSTILE_TABLES]}
    eng.dispose()
    return {k: tuple(v) for k, v in out.items()}


def my_state(url: str) -> dict:
    eng = sa.create_engine(url)
    with eng.connect() as c:
        out = {"count": c.execute(sa.text("SELECT count(*) FROM customers")).scalar(),
               "checksum": tuple(c.execute(sa.text("CHECKSUM TABLE customers EXTENDED")).one())[1]}
    eng.dispose()
    return out


def s3_state(client, bucket: str) -> list[tuple[str, str]]:
    return sorted((o["Key"], o["ETag"]) for o in client.list_objects_v2(Bucket=bucket).get("Contents", []))


@pytest.fixture(scope="module")
def run(pg_url, mysql_url, s3_url, tmp_path_factory):  # noqa: F811 - s3_url is the imported fixture
    tmp = tmp_path_factory.mktemp("outputs")
    role = f"auditor_ro_{uuid.uuid4().hex[:6]}"
    seed_sql(pg_url, hostile=True)
    pg_admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with pg_admin.connect() as c:
        c.execute(sa.text(f"CREATE ROLE {role} LOGIN PASSWORD '{PW}'"))
        c.execute(sa.text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"))
    seed_sql(mysql_url, hostile=False)
    my_admin = sa.create_engine(mysql_url)
    mydb = sa.engine.make_url(mysql_url).database
    with my_admin.begin() as c:
        c.execute(sa.text(f"CREATE USER '{role}'@'%' IDENTIFIED BY '{PW}'"))
        c.execute(sa.text(f"GRANT SELECT ON `{mydb}`.* TO '{role}'@'%'"))
    admin = boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1",
                         aws_access_key_id="testing", aws_secret_access_key="testing")
    bucket = make_bucket(admin, "leak-check", {
        "exports/customers.csv": csv_body(),
        "exports/profile.json": json.dumps([{HOSTILE_JSON_KEY: f"j{i}@example.com", "nric": RAW[5]}
                                            for i in range(20)]).encode(),
        **{k: b"id,email\n" + b"".join(f"{i},k{i}@example.com\n".encode() for i in range(20)) for k in HOSTILE_KEYS}})
    pg_ro = sa.engine.make_url(pg_url).set(username=role, password=PW).render_as_string(hide_password=False)
    my_ro = sa.engine.make_url(mysql_url).set(username=role, password=PW).render_as_string(hide_password=False)
    before = {"pg": pg_state(pg_url), "my": my_state(mysql_url), "s3": s3_state(admin, bucket)}

    cli = scan_process(tmp, [
        {"id": "pg", "vendor": "v1", "kind": "sql", "url": "${PG_AUDIT_URL}"},
        {"id": "my", "vendor": "v1", "kind": "sql", "url": "${MY_AUDIT_URL}"},
        {"id": "s3", "vendor": "v1", "kind": "s3", "endpoint_url": s3_url, "region": "us-east-1",
         "buckets": [bucket]}],
        {"PG_AUDIT_URL": pg_ro, "MY_AUDIT_URL": my_ro, "AWS_ACCESS_KEY_ID": AWS_KEY_ID,
         "AWS_SECRET_ACCESS_KEY": AWS_SECRET}, as_of(), timeout=180)
    after = {"pg": pg_state(pg_url), "my": my_state(mysql_url), "s3": s3_state(admin, bucket)}
    try:
        yield {"proc": cli.proc, "out": cli.out, "tmp": tmp, "cli": cli, "doc": cli.report(),
               "before": before, "after": after, "bucket": bucket}
    finally:
        with pg_admin.connect() as c:
            c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"), {"r": role})
            c.execute(sa.text(f"DROP OWNED BY {role}"))
            c.execute(sa.text(f"DROP ROLE {role}"))
        with my_admin.begin() as c:
            c.execute(sa.text(f"DROP USER '{role}'@'%'"))
        pg_admin.dispose()
        my_admin.dispose()


def outputs(run) -> dict[str, str]:
    return run["cli"].outputs()


def test_select_only_scan_succeeds_and_reads_everything(run):
    doc = run["doc"]
    assert run["proc"].returncode in (0, 1, 3), run["proc"].stderr[-3000:]
    assert {s["id"]: s["status"] for s in doc["sources"]} == {"pg": "ok", "my": "ok", "s3": "ok"}, doc["sources"]
    found = {(d["source"], d["name"]): {p["type"] for p in d["personal_data"]} for d in doc["datasets"]}
    assert all(d["status"] == "assessed" for d in doc["datasets"]), [d for d in doc["datasets"] if d["error"]]
    for src in ("pg", "my"):
        key = (src, "public.customers") if src == "pg" else next(k for k in found if k[0] == "my" and
                                                                 k[1].endswith(".customers"))
        assert {"email", "payment_card", "national_id", "password_hash"} <= found[key], (key, found[key])
    assert {"email", "payment_card"} <= found[("s3", "leak-check/exports/")], found


def test_nothing_leaked(run):
    files = outputs(run)
    assert {"r.json", "r.html", "r.csv", "stdout", "stderr", "state.db"} <= set(files), sorted(files)
    assert any(n.endswith(".csv") and n != "r.csv" for n in files), "the datasets CSV is missing"
    assert "DEBUG" in files["stderr"] and "personal data {" in files["stderr"], "-vv must log at debug level"
    leaks = [(value, name) for name, text in files.items() for value in RAW if value in text]
    assert leaks == [], leaks


def test_no_credential_anywhere(run):
    files = outputs(run)
    secrets = [PW, AWS_SECRET, AWS_KEY_ID]
    leaks = [(s[:6] + "...", name) for name, text in files.items() for s in secrets if s in text]
    assert leaks == [], leaks


def test_hostile_names_escaped_in_html_intact_in_json_quoted_in_sql(run):
    doc, html = run["doc"], (run["out"] / "r.html").read_text()
    names = {d["name"] for d in doc["datasets"]}
    for t in HOSTILE_TABLES:
        assert f"public.{t}" in names, sorted(names)  # intact in JSON, and scanned (quoted in SQL)
    for k in HOSTILE_KEYS:
        assert f"leak-check/{k.rsplit('/', 1)[0]}/" in names, sorted(names)
    hostile_table = next(d for d in doc["datasets"] if d["name"] == f"public.{HOSTILE_TABLES[0]}")
    assert HOSTILE_COLUMN in hostile_table["personal_data"][0]["where"], hostile_table["personal_data"]
    profile = next(p for p in doc["datasets"] if p["name"] == "leak-check/exports/")
    # a key of signs holding an e-mail reads as data (an object keyed by data, connectors/formats/jsonwalk.py):
    # the e-mails under it are counted under <value>, and the key is never part of a field's name
    assert not any(HOSTILE_JSON_KEY in w for p in profile["personal_data"] for w in p["where"]), profile["personal_data"]
    assert any(w == "<value>" for p in profile["personal_data"] if p["type"] == "email" for w in p["where"])
    for raw in ("<script>alert(", "<img src=x onerror"):
        assert raw not in html, f"unescaped {raw!r} in the HTML report"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_hostile_names_never_become_file_paths(run):
    written = sorted(str(p.relative_to(run["tmp"])) for p in run["tmp"].rglob("*"))
    assert [w for w in written if "passwd" in w or "escape" in w or "<" in w or "kkkk" in w] == [], written
    expected = {"r.json", "r.html", "r.csv", "r-datasets.csv", "index.html", "index.json", ".index.lock"}
    assert {p.name for p in run["out"].iterdir()} == expected


def test_read_only_nothing_changed(run):
    assert run["after"] == run["before"]
    assert run["before"]["s3"] and run["before"]["pg"]["customers"][0] == 30
