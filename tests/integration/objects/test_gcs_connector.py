"""The GCS connector against gcp-storage-emulator over HTTP."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import freezegun
import pytest

from auditor.errors import ConnectorError
from connectors.gcs import Connector
from connectors.gcs.facts import CALLS

KMS = "projects/p/locations/asia-southeast1/keyRings/r/cryptoKeys/k"


def _public(bucket, member: str = "allUsers") -> None:
    policy = bucket.get_iam_policy(requested_policy_version=3)
    policy.bindings.append({"role": "roles/storage.objectViewer", "members": {member}})
    bucket.set_iam_policy(policy)


def test_every_fact_set(gcs_admin, collect_gcs):
    b = gcs_admin.create_bucket("gcs-facts-set")
    b._patch_property("location", "ASIA-SOUTHEAST1")  # the emulator ignores location at creation
    b.labels = {"owner": "acme"}
    b.versioning_enabled = True
    b.default_kms_key_name = KMS
    b.retention_period = 30 * 86400
    b.add_lifecycle_delete_rule(age=90)
    b.add_lifecycle_delete_rule(age=7, matches_prefix=["tmp/"])
    b.enable_logging("gcs-log-bucket", object_prefix="logs/")
    b.patch()
    _public(b)
    b.blob("tmp/a.txt").upload_from_string(b"hello")

    got = collect_gcs("gcs-facts-set")
    d = got.ds("gcs-facts-set")
    assert d.uri == "gs://gcs-facts-set" and d.region == "asia-southeast1"
    assert d.created is not None
    assert d.encryption_at_rest == "customer_key"
    assert d.public is True and "iam: allUsers roles/storage.objectViewer" in d.public_reasons
    # the 30-day retention policy is a minimum hold, not an expiry: the 90-day Delete rule is the retention
    assert d.has_retention is True and d.retention_days == 90
    assert d.versioning is True and d.logging is True
    assert d.tags == {"owner": "acme"}
    assert d.encryption_in_transit == "optional"  # public objects are also served over plain HTTP
    assert d.denied == ()
    assert d.facts["retention_policy_days"] == 30
    tmp = got.ds("gcs-facts-set/tmp/")
    assert tmp.retention_days == 7 and tmp.public is True and tmp.encryption_at_rest == "customer_key"


def test_every_fact_unset(gcs_admin, collect_gcs):
    b = gcs_admin.create_bucket("gcs-facts-unset")
    b.blob("a/b.txt").upload_from_string(b"plain")
    d = collect_gcs("gcs-facts-unset").ds("gcs-facts-unset")
    assert d.encryption_at_rest == "provider"  # Google-managed keys
    assert d.public is False and d.public_reasons == ()
    assert d.has_retention is False and d.retention_days is None
    assert d.versioning is False and d.logging is False and d.object_lock is False
    assert d.tags == {} and d.denied == ()
    assert d.encryption_in_transit == "enforced"  # private: only credentialed (TLS-only) reads
    assert "TLS only" in d.facts["encryption_in_transit_basis"]
    assert d.objects == 1 and d.bytes == 5


def test_public_by_acl_and_prevention(gcs_admin, collect_gcs):
    acl_bucket = gcs_admin.create_bucket("gcs-public-acl")
    acl_bucket.acl.all().grant_read()
    acl_bucket.acl.save()
    auth = gcs_admin.create_bucket("gcs-public-auth")
    _public(auth, "allAuthenticatedUsers")
    prevented = gcs_admin.create_bucket("gcs-public-prevented")
    prevented.iam_configuration.public_access_prevention = "enforced"
    prevented.iam_configuration.uniform_bucket_level_access_enabled = True
    prevented.patch()
    got = collect_gcs("gcs-public-*")
    assert got.ds("gcs-public-acl").public is True
    assert "acl: allUsers READER" in got.ds("gcs-public-acl").public_reasons
    assert got.ds("gcs-public-auth").public is True
    p = got.ds("gcs-public-prevented")
    assert p.public is False and p.facts["public_access_prevention"] == "enforced"
    assert p.facts["uniform_bucket_level_access"] is True


def test_stale_prefix_and_samples(gcs_admin, collect_gcs):
    with freezegun.freeze_time("2018-05-01"):
        b = gcs_admin.create_bucket("gcs-vendor-exports")
    with freezegun.freeze_time("2019-02-01T00:00:00Z"):
        b.blob("legacy/redmart-2019/customers.csv.gz").upload_from_string(
            gzip.compress(b"email,name\nann@example.com,Ann Tan\n"))
    with freezegun.freeze_time("2019-03-01T00:00:00Z"):
        b.blob("legacy/redmart-2019/orders.jsonl").upload_from_string(b'{"buyer": {"email": "bob@example.org"}}\n')
    b.blob("daily/today.csv").upload_from_string(b"id\n1\n")
    b.blob("incoming/broken.csv.gz").upload_from_string(b"\x1f\x8bnot really gzip")

    got = collect_gcs("gcs-vendor-exports")
    bucket, stale = got.ds("gcs-vendor-exports"), got.ds("gcs-vendor-exports/legacy/redmart-2019/")
    assert bucket.created == datetime(2018, 5, 1, tzinfo=UTC)
    assert bucket.last_modified.year >= 2026 and bucket.oldest_modified == datetime(2019, 2, 1, tzinfo=UTC)
    assert stale.oldest_modified == datetime(2019, 2, 1, tzinfo=UTC)
    assert stale.last_modified == datetime(2019, 3, 1, tzinfo=UTC) and stale.objects == 2
    assert got.ds("gcs-vendor-exports/legacy/").last_modified == datetime(2019, 3, 1, tzinfo=UTC)
    assert stale.parent == "gcs-vendor-exports/legacy/" and stale.uri == "gs://gcs-vendor-exports/legacy/redmart-2019/"
    s = got.sample("gcs-vendor-exports/legacy/redmart-2019/").fields
    assert s["email"] == ["ann@example.com"] and s["buyer.email"] == ["bob@example.org"]
    assert "corrupt gzip: incoming/broken.csv.gz" in got.ds("gcs-vendor-exports/incoming/").notes
    assert got.sample("gcs-vendor-exports/legacy/").fields == {}


def test_unreachable_endpoint_raises_connector_error(collect_gcs):
    from auditor.emulators import free_port

    with pytest.raises(ConnectorError) as err:
        collect_gcs(endpoint=f"http://127.0.0.1:{free_port()}", connect_timeout=1, read_timeout=1,
                    retry_timeout=1)
    assert "cannot reach http://127.0.0.1" in str(err.value)


def test_permissions_cover_every_call():
    perms = Connector.permissions()["includedPermissions"]
    assert set(perms) == set(CALLS.values())
    assert all(p.endswith((".get", ".list", ".getIamPolicy")) for p in perms)


def test_refused_iam_read_gives_unknown(gcs_admin, collect_gcs, monkeypatch):
    """Fault injection: the emulator never refuses, so getIamPolicy is made to answer 403."""
    from google.api_core.exceptions import Forbidden
    from google.cloud.storage.bucket import Bucket

    gcs_admin.create_bucket("gcs-iam-refused").blob("x.txt").upload_from_string(b"x")

    def refuse(self, *args, **kwargs):
        raise Forbidden("caller lacks storage.buckets.getIamPolicy")

    monkeypatch.setattr(Bucket, "get_iam_policy", refuse)
    d = collect_gcs("gcs-iam-refused").ds("gcs-iam-refused")
    assert d.public is None and d.public_reasons == ()
    assert d.encryption_in_transit == "unknown"  # exposure unknown: whether plain HTTP reads work is unknown too
    assert "storage.buckets.getIamPolicy: Forbidden" in d.denied


def test_rate_limit_spaces_requests(gcs_admin, collect_gcs):
    import time

    from connectors.runtime import RateLimiter

    limiter = RateLimiter(50)
    start = time.monotonic()
    for _ in range(11):
        limiter.acquire()
    assert time.monotonic() - start >= 0.19
    gcs_admin.create_bucket("gcs-rate-limited").blob("a/x.txt").upload_from_string(b"x")
    start = time.monotonic()
    got = collect_gcs("gcs-rate-limited", max_requests_per_second=5)
    # bucket list, IAM, 2 ACLs, 1 listing page, 1 read (+ the end of listing): >= 6 spaced requests
    assert time.monotonic() - start >= 1.0
    assert got.ds("gcs-rate-limited").objects == 1
