"""A versioned GCS bucket keeps noncurrent generations (an overwritten or deleted object's older
copies) that may hold what the live objects no longer do: they are listed and named, as S3's
noncurrent versions are, never left out. gcp-storage-emulator keeps no noncurrent generations, so
the proxy answers the versions listing as GCS does (live and noncurrent generations, the
noncurrent ones with ``timeDeleted``)."""
# ruff: noqa: F811 - fixtures imported from fault_servers are redefined as test arguments

from __future__ import annotations

import json

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
