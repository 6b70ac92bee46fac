"""A versioned GCS bucket keeps noncurrent generations (an overwritten or deleted object's older
copies) that may hold what the live objects no longer do: they are listed and named, as S3's
noncurrent versions are, never left out. gcp-storage-emulator keeps no noncurrent generations, so
the proxy answers the versions listing as GCS does (live and noncurrent generations, the
noncurrent ones with ``timeDeleted``)."""
# ruff: noqa: F811 - fixtures imported from fault_servers are redefined as test arguments

from __future__ import annotations

import json
from urllib.parse import unquote

from fault_helpers import FaultProxy, gcs_source, scan, write_config
from fault_servers import aws_env, gcs_admin, gcs_url  # noqa: F401 - fixtures


def test_gcs_noncurrent_generations_are_listed_and_named(tmp_path, gcs_url, gcs_admin):
    bucket = gcs_admin.create_bucket("gcsv-b")
    bucket.versioning_enabled = True
    bucket.patch()
    bucket.blob("exports/customers.csv").upload_from_string("id,note\n1,redacted\n")
    live = gcs_admin.get_bucket("gcsv-b").get_blob("exports/customers.csv")._properties

    def rule(m, p, q):
        if m == "GET" and p == "/storage/v1/b/gcsv-b/o" and "versions=true" in q.lower():
            older = {**live, "generation": "1", "size": "4096", "updated": "2019-03-01T00:00:00.000Z",
                     "timeDeleted": "2019-04-01T00:00:00.000Z"}
            return 200, json.dumps({"kind": "storage#objects", "items": [older, live]}).encode(), {
                "Content-Type": "application/json"}
        return None

    proxy = FaultProxy(gcs_url, rule)
    with proxy.running() as url:
        s = scan(write_config(tmp_path, [gcs_source("g", url, "gcsv-b")]))
    ds = s.dataset("g", "gcsv-b")
    assert "* (noncurrent versions)" in ds["unsampled"], ds["unsampled"]
    assert ds["classified"] is False and s.code == 3, s.output
    assert ds["objects"] == 2 and ds["bytes"] == 4096 + len("id,note\n1,redacted\n")


def _answer_with_noncurrent(bucket: str, live: dict, seen: list[str]):
    """A proxy rule: the versions listing answers as GCS does for a bucket whose versioning was turned
    off after an overwrite (the older generation is kept, with its ``timeDeleted``); gcp-storage-emulator
    keeps no noncurrent generation at all, whatever the bucket's versioning."""
    def rule(m, p, q):
        if m == "GET" and p == f"/storage/v1/b/{bucket}/o":
            seen.append(q)
            if "versions=true" in q.lower():
                older = {**live, "generation": "1", "size": "4096", "updated": "2019-03-01T00:00:00.000Z",
                         "timeDeleted": "2019-04-01T00:00:00.000Z"}
                return 200, json.dumps({"kind": "storage#objects", "items": [older, live]}).encode(), {
                    "Content-Type": "application/json"}
        return None
    return rule


def test_gcs_noncurrent_generations_kept_after_versioning_was_turned_off_are_listed(tmp_path, gcs_url, gcs_admin):
    # versioning on, an overwrite, versioning off: GCS keeps the older generation (it still holds the data
    # and is billed) and the bucket's metadata says only {"enabled": false}, as for a bucket never versioned.
    # The connector listed generations only while versioning was on: the old copy was a silent pass.
    bucket = gcs_admin.create_bucket("gcsv-off")
    bucket.versioning_enabled = True
    bucket.patch()
    bucket.blob("exports/customers.csv").upload_from_string("id,note\n1,redacted\n")
    bucket.versioning_enabled = False
    bucket.patch()
    assert gcs_admin.get_bucket("gcsv-off")._properties.get("versioning") == {"enabled": False}
    live = gcs_admin.get_bucket("gcsv-off").get_blob("exports/customers.csv")._properties
    seen: list[str] = []
    proxy = FaultProxy(gcs_url, _answer_with_noncurrent("gcsv-off", live, seen))
    with proxy.running() as url:
        s = scan(write_config(tmp_path, [gcs_source("g", url, "gcsv-off")]))
    listings = [q for q in seen if "size" in unquote(q)]  # the object listings (not the inventory lookup)
    assert listings and all("versions=true" in q.lower() for q in listings), seen
    ds = s.dataset("g", "gcsv-off")
    assert "* (noncurrent versions)" in ds["unsampled"], ds["unsampled"]
    assert ds["classified"] is False and s.code == 3, s.output
    assert ds["objects"] == 2 and ds["bytes"] == 4096 + len("id,note\n1,redacted\n")


def test_gcs_sharded_listing_lists_noncurrent_generations_too(tmp_path, gcs_url, gcs_admin):
    # shard_listing: the delimiter and prefix listings ask for every generation as the single listing does
    bucket = gcs_admin.create_bucket("gcsv-off-sh")
    bucket.blob("exports/customers.csv").upload_from_string("id,note\n1,redacted\n")
    live = gcs_admin.get_bucket("gcsv-off-sh").get_blob("exports/customers.csv")._properties
    seen: list[str] = []
    proxy = FaultProxy(gcs_url, _answer_with_noncurrent("gcsv-off-sh", live, seen))
    with proxy.running() as url:
        s = scan(write_config(tmp_path, [gcs_source("g", url, "gcsv-off-sh", shard_listing=True)]))
    listings = [q for q in seen if "size" in unquote(q)]  # the object listings (not the prefix-only ones)
    assert listings and all("versions=true" in q.lower() for q in listings), seen
    ds = s.dataset("g", "gcsv-off-sh")
    assert "* (noncurrent versions)" in ds["unsampled"], ds["unsampled"]
    assert ds["objects"] == 2 and s.code == 3, s.output
