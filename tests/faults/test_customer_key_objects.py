"""Objects encrypted with a key the vendor supplies on each request (S3 SSE-C, GCS customer-supplied
encryption keys) cannot be read by the auditor. Neither emulator enforces them, so the proxy answers
a GET of such an object as the real services do (S3: 400 InvalidRequest; GCS: 400
resourceIsEncryptedWithCustomerEncryptionKey): the object is named, its dataset not assessed, and the
way out is the key, not a grant nor the network."""
# ruff: noqa: F811 - fixtures imported from fault_servers are redefined as test arguments

from __future__ import annotations

import json

from fault_helpers import FaultProxy, gcs_source, s3_error, s3_source, scan, write_config
from fault_servers import (  # noqa: F401 - fixtures
    HEALTHY_CSV,
    aws_env,
    gcs_admin,
    gcs_url,
    make_bucket,
    s3_admin,
    s3_url,
)

SSE_C = ("The object was stored using a form of Server Side Encryption. The correct parameters must be "
         "provided to retrieve the object.")


def _way_out(s, source: str, bucket: str) -> list[dict]:
    # judged where the unknown rolls up to (the bucket), with the cause of the prefix under it
    return [f for f in s.na_under(source, bucket) if "personal_data" in f["evidence"].get("unknown", [])]


def test_s3_sse_c_object_is_not_assessed_with_the_key_as_the_way_out(tmp_path, s3_url, s3_admin):
    make_bucket(s3_admin, "ssec-b", {"exports/customers.csv": HEALTHY_CSV.encode()})
    proxy = FaultProxy(s3_url, lambda m, p, q: s3_error(400, "InvalidRequest", SSE_C)
                       if m == "GET" and p == "/ssec-b/exports/customers.csv" else None)
    with proxy.running() as url:
        s = scan(write_config(tmp_path, [s3_source("enc", url, "ssec-b", max_attempts=1)]))
    assert s.code == 3, s.output
    ds = s.dataset("enc", "ssec-b/exports/")
    assert ds["personal_data"] == [] and ds["classified"] is False
    assert "customer" in ds["unsampled"]["exports/customers.csv"]
    found = _way_out(s, "enc", "ssec-b")
    assert found, json.dumps(s.not_assessed("enc"))[:1500]
    fix = found[0]["evidence"]["fix"]
    assert "SSE-C" in fix and "network" not in fix and "Grant" not in fix, fix


def test_gcs_csek_object_is_not_assessed_with_the_key_as_the_way_out(tmp_path, gcs_url, gcs_admin):
    bucket = gcs_admin.create_bucket("csek-b")
    bucket.blob("exports/customers.csv").upload_from_string(HEALTHY_CSV)
    body = json.dumps({"error": {"code": 400, "message": "The target object is encrypted by a customer-supplied "
                                 "encryption key.", "errors": [{"message": "The target object is encrypted by a "
                                 "customer-supplied encryption key.", "domain": "global",
                                 "reason": "resourceIsEncryptedWithCustomerEncryptionKey"}]}}).encode()

    def rule(m, p, q):
        if m == "GET" and "alt=media" in q and "customers.csv" in p:
            return 400, body, {"Content-Type": "application/json"}
        return None

    proxy = FaultProxy(gcs_url, rule)
    with proxy.running() as url:
        s = scan(write_config(tmp_path, [gcs_source("enc", url, "csek-b")]))
    assert s.code == 3, s.output
    ds = s.dataset("enc", "csek-b/exports/")
    assert ds["personal_data"] == [] and ds["classified"] is False
    assert "customer" in ds["unsampled"]["exports/customers.csv"]
    found = _way_out(s, "enc", "csek-b")
    assert found, json.dumps(s.not_assessed("enc"))[:1500]
    fix = found[0]["evidence"]["fix"]
    assert "customer-supplied" in fix and "network" not in fix and "Grant" not in fix, fix


KMS_DENIED = ("User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: kms:Decrypt on the "
              "resource associated with this ciphertext because the resource does not exist in this Region, no "
              "resource-based policies allow access, or a resource-based policy explicitly denies access")


def test_s3_sse_kms_object_whose_key_is_not_usable_names_kms_decrypt(tmp_path, s3_url, s3_admin):
    # SSE-KMS under the vendor's own key: s3:GetObject is granted, kms:Decrypt on the key is not; S3 answers
    # 403 AccessDenied naming kms:Decrypt. Granting s3:GetObject again would change nothing.
    from connectors.s3 import Connector

    make_bucket(s3_admin, "kms-b", {"exports/customers.csv": HEALTHY_CSV.encode()})
    proxy = FaultProxy(s3_url, lambda m, p, q: s3_error(403, "AccessDenied", KMS_DENIED)
                       if m == "GET" and p == "/kms-b/exports/customers.csv" else None)
    with proxy.running() as url:
        s = scan(write_config(tmp_path, [s3_source("enc", url, "kms-b", max_attempts=1)]))
    assert s.code == 3, s.output
    ds = s.dataset("enc", "kms-b/exports/")
    assert "kms:Decrypt: AccessDenied" in ds["denied"] and "s3:GetObject: AccessDenied" not in ds["denied"], ds
    found = _way_out(s, "enc", "kms-b")
    assert found, json.dumps(s.not_assessed("enc"))[:1500]
    assert "kms:Decrypt" in found[0]["evidence"]["fix"], found[0]["evidence"]["fix"]
    actions = {a for st in Connector.permissions()["Statement"] for a in st["Action"]}
    assert "kms:Decrypt" in actions
