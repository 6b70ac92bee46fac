"""Inventory reports read in place of a listing (issue 21 item 4): real-format S3 Inventory
reports (CSV.gz, ORC, Parquet with manifest.json) in moto's S3 server and Storage Insights
reports (CSV, Parquet) in the GCS emulator, found, read and fed into the prefix tree."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from connectors import inventory
from connectors.objects import PrefixTree
from tests.inventory_reports import Obj, put_gcs_report, put_s3_report


def _name(what: str) -> str:
    return f"inv-{what}-{uuid.uuid4().hex[:8]}"


def _objects(now: datetime) -> list[Obj]:
    return [
        Obj("exports/2019/customers.csv", 100, now - timedelta(days=2000), encryption="NOT-SSE"),
        Obj("exports/2019/orders.csv", 50, now - timedelta(days=1990)),
        Obj("exports/2024/space name+plus ü.csv", 7, now - timedelta(days=10), public=True),
        Obj("live/today.json", 3, now - timedelta(days=1), encryption="SSE-KMS"),
        Obj("root.txt", 1, now - timedelta(days=5), acl_unavailable=True),
    ]


@pytest.fixture
def report_buckets(s3_admin):
    source, dest = _name("src"), _name("dest")
    s3_admin.create_bucket(Bucket=source)
    s3_admin.create_bucket(Bucket=dest)
    return source, dest


@pytest.mark.parametrize("fmt", ["CSV", "ORC", "Parquet"])
def test_s3_report_from_a_location_feeds_the_prefix_tree(s3_admin, report_buckets, fmt):
    source, dest = report_buckets
    now = datetime.now(UTC).replace(microsecond=0)
    objs = _objects(now)
    put_s3_report(s3_admin, dest, "inv", source, "daily", now - timedelta(days=3), objs[:2], fmt=fmt)  # older
    put_s3_report(s3_admin, dest, "inv", source, "daily", now - timedelta(hours=6), objs, fmt=fmt)
    store = inventory.S3Store(s3_admin)
    locations = inventory.s3_location_configs(store, f"s3://{dest}/inv", source)
    report = inventory.find_s3_report(store, source, locations)
    assert report is not None and report.format == fmt and report.config == "daily"
    assert report.date == now - timedelta(hours=6)  # the newest of the two
    found = inventory.fresh(report, now, 8)
    assert found.report is report and found.age_days == pytest.approx(0.25)

    tree = PrefixTree(depth=2, sample_objects=3, seed=source)
    tally = inventory.load(tree, inventory.batches(store, report), source)
    assert tally.records == 5 and tree.root.objects == 5 and tree.root.bytes == 161
    assert tree.root.newest == now - timedelta(days=1) and tree.root.oldest == now - timedelta(days=2000)
    assert tree.nodes["exports/2019/"].newest == now - timedelta(days=1990)
    assert tree.nodes["exports/2024/"].objects == 1
    picks = [p.key for node in tree for p in tree.picks(node)]
    assert "exports/2024/space name+plus ü.csv" in picks  # CSV keys URL-decoded
    assert tally.encryption == {"NOT-SSE": 1, "SSE-S3": 3, "SSE-KMS": 1}
    assert (tally.acl_checked, tally.acl_unavailable, tally.acl_public) == (4, 1, 1)
    assert tally.acl_reasons == ["object acl grants AllUsers READ: exports/2024/space name+plus ü.csv"]


def test_s3_report_found_through_the_bucket_inventory_configuration(s3_admin, report_buckets):
    source, dest = report_buckets
    now = datetime.now(UTC).replace(microsecond=0)
    s3_admin.put_bucket_inventory_configuration(Bucket=source, Id="weekly", InventoryConfiguration={
        "Id": "weekly", "IsEnabled": True, "IncludedObjectVersions": "Current", "Schedule": {"Frequency": "Weekly"},
        "Destination": {"S3BucketDestination": {"Bucket": f"arn:aws:s3:::{dest}", "Format": "Parquet",
                                                "Prefix": "reports"}},
        "OptionalFields": ["Size", "LastModifiedDate", "EncryptionStatus"]})
    s3_admin.put_bucket_inventory_configuration(Bucket=source, Id="part", InventoryConfiguration={
        "Id": "part", "IsEnabled": True, "IncludedObjectVersions": "Current", "Schedule": {"Frequency": "Daily"},
        "Filter": {"Prefix": "live/"},
        "Destination": {"S3BucketDestination": {"Bucket": f"arn:aws:s3:::{dest}", "Format": "CSV"}}})
    put_s3_report(s3_admin, dest, "reports", source, "weekly", now - timedelta(days=2), _objects(now),
                  fmt="Parquet", acl=False)
    configs = inventory.s3_configurations(s3_admin, source)
    locations, passed = inventory.s3_locations(configs, source)
    assert locations == [(dest, f"reports/{source}/weekly/", "weekly")]
    assert passed == ["configuration part covers a prefix only"]
    report = inventory.find_s3_report(inventory.S3Store(s3_admin), source, locations)
    assert report is not None and report.format == "Parquet"
    tree = PrefixTree(depth=3, sample_objects=0)
    tally = inventory.load(tree, inventory.batches(inventory.S3Store(s3_admin), report), source)
    assert tree.root.objects == 5 and not tally.has_acl and tally.encryption is not None


@pytest.mark.parametrize("fmt", ["CSV", "Parquet"])
def test_s3_versioned_report_counts_noncurrent_versions_and_delete_markers(s3_admin, report_buckets, fmt):
    source, dest = report_buckets
    now = datetime.now(UTC).replace(microsecond=0)
    objs = [Obj("a/x.csv", 10, now - timedelta(days=3), version_id="v2"),
            Obj("a/x.csv", 8, now - timedelta(days=30), latest=False, version_id="v1"),
            Obj("a/gone.csv", 0, now - timedelta(days=2), delete_marker=True, version_id="v4"),
            Obj("a/gone.csv", 5, now - timedelta(days=40), latest=False, version_id="v3")]
    put_s3_report(s3_admin, dest, "", source, "all", now - timedelta(days=1), objs, fmt=fmt, versions=True, files=1)
    store = inventory.S3Store(s3_admin)
    report = inventory.find_s3_report(store, source, inventory.s3_location_configs(store, f"s3://{dest}", source))
    assert report is not None
    tree = PrefixTree(depth=1, sample_objects=2)
    tally = inventory.load(tree, inventory.batches(store, report), source)
    assert tally.delete_markers == 1 and tree.versions_listed
    assert (tree.root.objects, tree.root.noncurrent, tree.root.noncurrent_bytes) == (3, 2, 13)
    assert [p.key for p in tree.picks(tree.nodes["a/"])] == ["a/x.csv"]  # noncurrent versions never sampled
    assert tally.encryption == {"SSE-S3": 1}  # current objects only


def test_a_stale_report_is_not_used_and_says_why(s3_admin, report_buckets):
    source, dest = report_buckets
    now = datetime.now(UTC).replace(microsecond=0)
    put_s3_report(s3_admin, dest, "inv", source, "daily", now - timedelta(days=10), _objects(now))
    store = inventory.S3Store(s3_admin)
    report = inventory.find_s3_report(store, source, inventory.s3_location_configs(store, f"s3://{dest}/inv", source))
    found = inventory.fresh(report, now, 8)
    assert found.report is None and found.age_days == pytest.approx(10)
    assert found.why_not is not None and "10.0 days old, over inventory_max_age_days 8" in found.why_not
    assert inventory.fresh(None, now, 8).why_not == "no inventory report found"


def test_a_report_of_another_bucket_is_refused(s3_admin, report_buckets):
    source, dest = report_buckets
    now = datetime.now(UTC).replace(microsecond=0)
    put_s3_report(s3_admin, dest, "inv", "someone-else", "daily", now, _objects(now))
    store = inventory.S3Store(s3_admin)
    # a location template pointing at the wrong source's folder
    report = inventory.find_s3_report(store, source, [(dest, "inv/someone-else/daily/", "daily")])
    assert report is not None
    with pytest.raises(inventory.ReportError, match="another bucket"):
        inventory.load(PrefixTree(), inventory.batches(store, report), source)


def test_a_malformed_manifest_is_a_report_error(s3_admin, report_buckets):
    source, dest = report_buckets
    s3_admin.put_object(Bucket=dest, Key=f"{source}/c/2026-01-01T00-00Z/manifest.json", Body=b"{not json")
    store = inventory.S3Store(s3_admin)
    with pytest.raises(inventory.ReportError, match="not an S3 Inventory manifest"):
        inventory.find_s3_report(store, source, [(dest, f"{source}/c/", "c")])


@pytest.mark.parametrize("fmt", ["CSV", "Parquet"])
def test_gcs_storage_insights_report(gcs_admin, fmt):
    source, dest = _name("gsrc"), _name("gdest")
    gcs_admin.create_bucket(source)
    gcs_admin.create_bucket(dest)
    now = datetime.now(UTC).replace(microsecond=0)
    objs = [*_objects(now), Obj("exports/2019/customers.csv", 90, now - timedelta(days=2100), latest=False)]
    put_gcs_report(gcs_admin, dest, f"reports/{source}", "cfg-1", now - timedelta(days=9), source, objs[:1], fmt=fmt)
    put_gcs_report(gcs_admin, dest, f"reports/{source}", "cfg-1", now - timedelta(hours=20), source, objs, fmt=fmt)
    store = inventory.GCSStore(gcs_admin)
    bucket, prefix = inventory.split_location("gs://" + dest + "/reports/{bucket}/", source, "gs")
    report = inventory.find_gcs_report(store, bucket, prefix)
    assert report is not None and report.format == fmt and report.date == now - timedelta(hours=20)
    assert len(report.files) == 2 and report.config == "cfg-1"
    tree = PrefixTree(depth=2, sample_objects=3)
    tally = inventory.load(tree, inventory.batches(store, report), source)
    assert tally.records == 6 and tree.versions_listed is False
    assert (tree.root.objects, tree.root.noncurrent, tree.root.bytes) == (6, 1, 251)
    assert tree.root.newest == now - timedelta(days=1)
    assert tree.nodes["exports/2019/"].oldest == now - timedelta(days=2100)
    assert "exports/2024/space name+plus ü.csv" in [p.key for n in tree for p in tree.picks(n)]  # GCS names as-is


# --------------------------------------------------------------------------- end to end: the connectors


def _seed_s3(s3_admin, source: str, dest: str, objs: list[Obj]) -> None:
    for o in objs:
        s3_admin.put_object(Bucket=source, Key=o.key, Body=b"id,city\n1,Paris\n")
    s3_admin.put_bucket_inventory_configuration(Bucket=source, Id="daily", InventoryConfiguration={
        "Id": "daily", "IsEnabled": True, "IncludedObjectVersions": "Current", "Schedule": {"Frequency": "Daily"},
        "Destination": {"S3BucketDestination": {"Bucket": f"arn:aws:s3:::{dest}", "Format": "CSV", "Prefix": "inv"}},
        "OptionalFields": ["Size", "LastModifiedDate", "EncryptionStatus", "ObjectAccessControlList"]})


def test_s3_scan_reads_a_fresh_inventory_report_instead_of_listing(s3_admin, report_buckets, collect_s3):
    source, dest = report_buckets
    now = datetime.now(UTC).replace(microsecond=0)
    objs = _objects(now)
    _seed_s3(s3_admin, source, dest, objs[:3])  # the bucket itself holds 3 objects; the report says 5
    put_s3_report(s3_admin, dest, "inv", source, "daily", now - timedelta(days=1), objs, fmt="CSV")
    got = collect_s3(source, dest, sample_objects=1)
    bucket = got.ds(source)
    listing = bucket.facts["listing"]
    assert listing["source"] == "s3-inventory" and listing["records"] == 5 and listing["format"] == "CSV"
    assert listing["inventory_date"] == (now - timedelta(days=1)).isoformat() and listing["age_days"] == pytest.approx(1, abs=0.01)
    assert bucket.objects == 5 and bucket.bytes == 161  # from the report, not from a listing
    assert bucket.last_modified == now - timedelta(days=1)
    assert "s3-inventory report of" in bucket.last_modified_basis
    assert got.ds(f"{source}/exports/2019/").oldest_modified == now - timedelta(days=2000)
    assert bucket.facts["object_encryption"]["by_status"] == {"NOT-SSE": 1, "SSE-KMS": 1, "SSE-S3": 3}
    # the report's ACLs: one object public, read for every object (no GetObjectAcl sampling)
    assert bucket.public is True
    assert any("AllUsers READ: exports/2024/space name+plus ü.csv" in r for r in bucket.public_reasons)
    acls = bucket.facts["object_acls"]
    assert (acls["checked"], acls["total"], acls["public"], acls["refused"]) == (4, 5, 1, 1)
    # an object of the report deleted since: named, not taken for a refused read
    live = got.ds(f"{source}/live/")
    assert live.denied == () and "object deleted since it was listed: live/today.json" in live.notes
    assert got.sample(f"{source}/live/") is None  # nothing read there: its personal data is unknown
    # the destination bucket has no inventory configuration: it is listed
    assert "listing" not in got.ds(dest).facts and got.ds(dest).objects >= 3


def test_s3_scan_lists_when_the_report_is_too_old_and_says_why(s3_admin, report_buckets, collect_s3):
    source, dest = report_buckets
    now = datetime.now(UTC).replace(microsecond=0)
    objs = _objects(now)
    _seed_s3(s3_admin, source, dest, objs[:3])
    put_s3_report(s3_admin, dest, "inv", source, "daily", now - timedelta(days=12), objs, fmt="Parquet")
    bucket = collect_s3(source, sample_objects=0, inventory_max_age_days=8).ds(source)
    assert bucket.objects == 3 and bucket.last_modified_basis == "newest object LastModified"
    listing = bucket.facts["listing"]
    assert listing["source"] == "listing" and "12.0 days old, over inventory_max_age_days 8" in listing["inventory_not_used"]
    assert listing["inventory_date"] == (now - timedelta(days=12)).isoformat()
    # a larger limit takes it; inventory: off never looks
    assert collect_s3(source, sample_objects=0, inventory_max_age_days=30).ds(source).objects == 5
    off = collect_s3(source, sample_objects=0, inventory="off").ds(source)
    assert off.objects == 3 and "listing" not in off.facts


def test_gcs_scan_reads_a_storage_insights_report_from_the_configured_location(gcs_admin, collect_gcs):
    source, dest = _name("gsrc"), _name("gdest")
    gcs_admin.create_bucket(source)
    gcs_admin.create_bucket(dest)
    now = datetime.now(UTC).replace(microsecond=0)
    objs = _objects(now)
    for o in objs[:2]:
        gcs_admin.bucket(source).blob(o.key).upload_from_string(b"id,city\n1,Paris\n")
    put_gcs_report(gcs_admin, dest, f"reports/{source}", "cfg", now - timedelta(hours=30), source, objs, fmt="Parquet")
    location = "gs://" + dest + "/reports/{bucket}/"
    got = collect_gcs(source, sample_objects=1, inventory_location=location)
    bucket = got.ds(source)
    assert bucket.facts["listing"]["source"] == "gcs-storage-insights" and bucket.objects == 5
    assert bucket.facts["listing"]["inventory_date"] == (now - timedelta(hours=30)).isoformat()
    assert "gcs-storage-insights report of" in bucket.last_modified_basis
    # without a location, the default destination (gs://<bucket>/inventory_reports/) holds none: listed
    live = got.ds(f"{source}/live/")  # in the report, deleted since (never written here)
    assert live.denied == () and "object deleted since it was listed: live/today.json" in live.notes
    plain = collect_gcs(source, sample_objects=0).ds(source)
    assert plain.objects == 2 and "listing" not in plain.facts


def test_s3_scan_lists_when_a_report_file_is_corrupt(s3_admin, report_buckets, collect_s3):
    source, dest = report_buckets
    now = datetime.now(UTC).replace(microsecond=0)
    objs = _objects(now)
    _seed_s3(s3_admin, source, dest, objs[:3])
    put_s3_report(s3_admin, dest, "inv", source, "daily", now - timedelta(hours=2), objs, fmt="Parquet", files=1)
    data_key = next(o["Key"] for o in s3_admin.list_objects_v2(Bucket=dest, Prefix=f"inv/{source}/daily/data/")["Contents"])
    s3_admin.put_object(Bucket=dest, Key=data_key, Body=b"PAR1 this is not a parquet file")
    bucket = collect_s3(source, sample_objects=0).ds(source)
    assert bucket.objects == 3 and bucket.facts["listing"]["source"] == "listing"
    assert bucket.facts["listing"]["inventory_not_used"].startswith(f"report file {data_key}: ")
