"""Review fixes on the S3 connector, against moto over HTTP: binary objects are unknown, never
"no personal data"; headerless CSVs and value-keyed JSON never give raw values as field names;
explicit bucket names that are not listed are asked for directly, or reported; object ACLs
can make a bucket public; noncurrent versions behind delete markers are counted, not hidden.
"""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile

import boto3
import pytest

from connectors.s3 import Connector

DUMMY_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

OTHER_ACCOUNT = "111122223333"
ROWS = "".join(f"user{i}@example.com,+65 9123 45{i:02d},S1234567D\n" for i in range(50))


def _sqlite_backup(tmp_path) -> bytes:
    path = tmp_path / "redmart.db"
    con = sqlite3.connect(path)
    con.execute("create table c(email text, phone text)")
    con.executemany("insert into c values (?,?)", [(f"user{i}@example.com", "+65 9123 4567") for i in range(20)])
    con.commit()
    con.close()
    return path.read_bytes()


def _xlsx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/sharedStrings.xml", "".join(f"<si><t>user{i}@example.com</t></si>" for i in range(20)))
    return buf.getvalue()


@pytest.fixture(scope="module")
def review_buckets(s3_admin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("review")
    s3_admin.create_bucket(Bucket="rv-backups")
    s3_admin.put_object(Bucket="rv-backups", Key="2019/redmart.db", Body=_sqlite_backup(tmp))
    s3_admin.put_object(Bucket="rv-backups", Key="2019/customers.xlsx", Body=_xlsx())
    s3_admin.put_object(Bucket="rv-backups", Key="mixed/customers.csv", Body=b"email\nann@example.com\n")
    s3_admin.put_object(Bucket="rv-backups", Key="mixed/dump.bak", Body=b"\x00\x01SQL dump\x00" * 50)
    s3_admin.create_bucket(Bucket="rv-mixed")
    s3_admin.put_object(Bucket="rv-mixed", Key="exports/list.csv", Body=ROWS.encode())
    s3_admin.put_object(Bucket="rv-mixed", Key="numbers/ids.csv", Body=b"1001,2002,x\n1002,2003,y\n")
    s3_admin.put_object(Bucket="rv-mixed", Key="byuser/byuser.json", Body=json.dumps(
        {f"vip{i}@example.com": {"phone": "+65 9123 4567"} for i in range(5)}).encode())
    return "rv-backups"


def test_binary_objects_are_unknown_never_empty(review_buckets, collect_s3):
    got = collect_s3("rv-backups")
    # every picked object of 2019/ was skipped as binary or could not be opened (a workbook without its
    # manifest): nothing parsed, personal data unknown
    assert got.sample("rv-backups/2019/") is None
    assert got.ds("rv-backups/2019/").facts["unsampled"] == {
        "2019/customers.xlsx": "corrupt xlsx", "2019/redmart.db": "binary object skipped"}
    # a CSV beside a binary backup: the CSV's sample stays, the backup is named as not sampled
    mixed = got.sample("rv-backups/mixed/")
    assert mixed is not None and mixed.fields == {"email": ["ann@example.com"]}
    assert got.ds("rv-backups/mixed/").facts["unsampled"] == {"mixed/dump.bak": "binary object skipped"}
    # the bucket holds no object directly: nothing to read there, and nothing left unsampled
    assert "unsampled" not in got.ds("rv-backups").facts


def test_headerless_csv_and_value_keyed_json_never_name_fields_by_value(review_buckets, collect_s3):
    got = collect_s3("rv-mixed")
    headerless = got.sample("rv-mixed/exports/").fields
    assert set(headerless) == {"column_1", "column_2", "column_3"}
    assert headerless["column_1"][0] == "user0@example.com" and len(headerless["column_1"]) == 50  # first row kept
    numeric = got.sample("rv-mixed/numbers/").fields
    assert set(numeric) == {"column_1", "column_2", "column_3"} and numeric["column_1"] == ["1001", "1002"]
    keyed = got.sample("rv-mixed/byuser/").fields
    assert set(keyed) == {"<key>", "<value>.phone"}
    assert len(keyed["<key>"]) == 5 and keyed["<key>"][0] == "vip0@example.com"
    for sample in (headerless, numeric, keyed):
        assert not any("@" in name for name in sample)


def _other_account_client(s3_url: str):
    client = boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1", **DUMMY_KEYS)

    def header(request, **_):
        request.headers["x-moto-account-id"] = OTHER_ACCOUNT
    client.meta.events.register("before-sign.s3", header)
    return client


def test_explicit_bucket_names_outside_the_listing(s3_url, s3_admin, collect_s3):
    other = _other_account_client(s3_url)
    other.create_bucket(Bucket="rv-cross-account")
    other.put_object(Bucket="rv-cross-account", Key="exports/people.csv", Body=b"email\nann@example.com\n")
    listed = {b["Name"] for b in s3_admin.list_buckets()["Buckets"]}
    assert "rv-cross-account" not in listed  # ListBuckets shows the caller's own buckets only

    got = collect_s3("rv-cross-account", "rv-no-such-bucket", "rv-glob-*")
    # not listed, but HeadBucket answers: audited like any other
    assert got.sample("rv-cross-account/exports/").fields == {"email": ["ann@example.com"]}
    # an explicit name that answers nothing is reported, never silenced; a glob matching nothing is a
    # finding too (issue 15: a selection that matches nothing is not a pass)
    [empty, err] = sorted(got.errors, key=lambda e: e.dataset or "")
    assert empty.dataset is None and empty.reason.startswith("empty selection: bucket pattern 'rv-glob-*'")
    assert err.dataset == "rv-no-such-bucket" and err.kind == "bucket"
    assert "not found or not visible to the audit identity" in err.reason and "NotFound" in err.reason
    assert "s3:ListBucket" in err.fix


def _bucket(s3_admin, name: str, *, ownership: str | None = None, ignore_acls: bool = False,
            object_acl: str = "private") -> None:
    s3_admin.create_bucket(Bucket=name)
    if ownership:
        s3_admin.put_bucket_ownership_controls(Bucket=name, OwnershipControls={
            "Rules": [{"ObjectOwnership": ownership}]})
    if ignore_acls:
        s3_admin.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
            "BlockPublicAcls": False, "IgnorePublicAcls": True, "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False})
    s3_admin.put_object(Bucket=name, Key="private/notes.csv", Body=b"id\n1\n")
    kwargs = {} if ownership == "BucketOwnerEnforced" else {"ACL": object_acl}
    s3_admin.put_object(Bucket=name, Key="exports/customers.csv", Body=b"email\nann@example.com\n", **kwargs)


def test_object_acls_make_a_bucket_public_only_on_evidence(s3_url, s3_admin, collect_s3):
    _bucket(s3_admin, "rv-objacl-public", object_acl="public-read")
    _bucket(s3_admin, "rv-objacl-private", ownership="ObjectWriter")
    _bucket(s3_admin, "rv-objacl-enforced", ownership="BucketOwnerEnforced")
    _bucket(s3_admin, "rv-objacl-ignored", ignore_acls=True, object_acl="public-read")
    got = collect_s3("rv-objacl-*")

    public = got.ds("rv-objacl-public")
    assert public.public is True
    assert "object acl: AllUsers READ: exports/customers.csv" in public.public_reasons
    assert "object acl: 1 of 2 checked objects are public" in public.public_reasons
    assert got.ds("rv-objacl-public/exports/").public is True  # prefixes carry the bucket's exposure

    private = got.ds("rv-objacl-private")
    # public only on evidence: no checked object is public, so the bucket-level verdict stands and the
    # enabled ACLs are a fact for their own finding (Security Hub S3.12), never a nightly not-assessed
    assert private.public is False
    assert private.facts["object_acls"] == {
        "enabled": True, "checked": 2, "total": 2, "public": 0, "refused": 0,
        "setting": "Object Ownership ObjectWriter, IgnorePublicAcls off"}
    assert "public_unknown_reason" not in private.facts

    for name in ("rv-objacl-enforced", "rv-objacl-ignored"):  # ACLs disabled or ignored: bucket evidence decides
        d = got.ds(name)
        assert d.public is False and "object_acls" not in d.facts, name
    assert got.ds("rv-objacl-enforced").facts["object_ownership"] == "BucketOwnerEnforced"


def test_noncurrent_versions_and_delete_markers_are_counted(s3_admin, collect_s3):
    b = "rv-ended-vendor"
    s3_admin.create_bucket(Bucket=b)
    s3_admin.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    body = ("email,phone\n" + "".join(f"user{i}@example.com,+65 9123 4567\n" for i in range(100))).encode()
    s3_admin.put_object(Bucket=b, Key="exports/customers.csv", Body=body)
    s3_admin.delete_object(Bucket=b, Key="exports/customers.csv")  # "deleted": a delete marker on top
    s3_admin.put_object(Bucket=b, Key="live/orders.csv", Body=b"id\n1\n")
    s3_admin.put_object(Bucket=b, Key="live/orders.csv", Body=b"id\n1\n2\n")  # overwritten once

    got = collect_s3(b)
    bucket, ended, live = got.ds(b), got.ds(f"{b}/exports/"), got.ds(f"{b}/live/")
    assert bucket.objects == 3 and bucket.facts["noncurrent_objects"] == 2
    assert bucket.facts["bucket_delete_markers"] == 1
    assert "noncurrent" in bucket.facts["objects_basis"]
    # the "deleted" export still holds its data: counted, dated, and said to be unsampled
    assert ended.objects == 1 and ended.bytes == len(body)
    assert ended.facts["noncurrent_objects"] == 1 and ended.facts["noncurrent_bytes"] == len(body)
    assert ended.facts["newest_noncurrent"] is not None and ended.last_modified is not None
    assert ended.facts["objects_basis"] == "objects, including 1 noncurrent versions"
    [(pattern, why)] = ended.facts["unsampled"].items()
    assert pattern == "exports/* (noncurrent versions)" and "not sampled" in why
    # the current object is sampled; its overwritten version is counted beside it
    assert live.objects == 2 and live.facts["noncurrent_objects"] == 1
    assert got.sample(f"{b}/live/").fields == {"id": ["1", "2"]}


def test_unversioned_bucket_has_no_version_facts(s3_admin, collect_s3):
    s3_admin.create_bucket(Bucket="rv-plain")
    s3_admin.put_object(Bucket="rv-plain", Key="a.csv", Body=b"id\n1\n")
    d = collect_s3("rv-plain").ds("rv-plain")
    assert "objects_basis" not in d.facts and "noncurrent_objects" not in d.facts


def test_permissions_name_the_new_calls():
    actions = {a for st in Connector.permissions()["Statement"] for a in st["Action"]}
    assert {"s3:GetBucketOwnershipControls", "s3:GetObjectAcl", "s3:ListBucketVersions"} <= actions
    [objects] = [st for st in Connector.permissions()["Statement"] if st["Sid"] == "AuditorSampleObjects"]
    assert objects["Action"] == ["s3:GetObject", "s3:GetObjectAcl"] and objects["Resource"] == "arn:aws:s3:::*/*"
