"""GCS bucket settings from the bucket resource, its IAM policy and its ACLs.

``CALLS`` names every API call the connector makes and the permission it needs; the
custom role of :func:`permissions` is generated from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from connectors.base import either

CALLS: dict[str, str] = {
    "list_buckets": "storage.buckets.list",
    "get_bucket": "storage.buckets.get",
    "get_iam_policy": "storage.buckets.getIamPolicy",
    "get_bucket_acl": "storage.buckets.getIamPolicy",  # bucket ACLs (fine-grained access only)
    "get_default_object_acl": "storage.buckets.getIamPolicy",
    "list_objects": "storage.objects.list",
    "get_object": "storage.objects.get",
    "get_object_acl": "storage.objects.getIamPolicy",  # object ACLs (fine-grained access only)
}

EVERYONE = ("allUsers", "allAuthenticatedUsers")


def permissions() -> dict[str, Any]:
    return {
        "title": "Vendor data auditor (read-only)",
        "description": "Inventory buckets, read their settings and sample objects.",
        "stage": "GA",
        "includedPermissions": sorted(set(CALLS.values())),
    }


@dataclass
class DeleteRule:
    prefixes: tuple[str, ...]  # () = every object
    days: int | None
    filtered: bool  # only some objects (suffix, storage class, ...): not a whole-prefix control


def delete_rules(props: dict[str, Any]) -> list[DeleteRule]:
    rules = []
    for rule in (props.get("lifecycle") or {}).get("rule", []):
        if (rule.get("action") or {}).get("type") != "Delete":
            continue
        cond = rule.get("condition") or {}
        if cond.get("isLive") is False or "numNewerVersions" in cond or "daysSinceNoncurrentTime" in cond:
            continue  # applies to noncurrent versions only
        if "age" not in cond and "createdBefore" not in cond:
            continue
        filtered = any(k in cond for k in ("matchesSuffix", "matchesStorageClass", "customTimeBefore",
                                            "daysSinceCustomTime"))
        age = cond.get("age")
        rules.append(DeleteRule(tuple(cond.get("matchesPrefix") or ()), int(age) if age is not None else None,
                                filtered))
    return rules


def retention_for(rules: list[DeleteRule], path: str) -> dict[str, Any]:
    """has_retention / retention_days from lifecycle Delete rules only. A bucket retention
    policy (``retention_policy_days`` in facts) is a minimum hold, never an expiry: it keeps
    objects at least that long and deletes nothing."""
    days: list[int] = []
    applicable = False
    for rule in rules:
        if rule.filtered:
            continue
        if not rule.prefixes or any(path.startswith(p) for p in rule.prefixes):
            applicable = True
            if rule.days is not None:
                days.append(rule.days)
    return {"has_retention": applicable, "retention_days": min(days) if days else None}


def transit_from_exposure(public: bool | None) -> tuple[str, str]:
    """GCS has no bucket setting for TLS, but only anonymous reads can travel in plain HTTP:
    authenticated calls carry OAuth tokens, which Google accepts over TLS only. So a private
    bucket is only reachable encrypted, a public one is also readable over plain HTTP, and
    unknown exposure leaves transit unknown."""
    if public is False:
        return "enforced", "private bucket: every read needs credentials, which Cloud Storage accepts over TLS only"
    if public is True:
        return "optional", "public bucket: anonymous reads are also served over plain HTTP"
    return "unknown", "whether anonymous (plain HTTP) reads are possible could not be read"


def _grants(entries: list[dict[str, Any]] | None, label: str) -> list[str]:
    return [f"{label}: {e.get('entity')} {e.get('role')}" for e in entries or [] if e.get("entity") in EVERYONE]


def read_bucket(
    props: dict[str, Any], iam: dict[str, Any] | None, acl: list[dict[str, Any]] | None,
    default_acl: list[dict[str, Any]] | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(Dataset fields, evidence facts). ``iam`` / ``acl`` None: the call was refused."""
    out: dict[str, Any] = {}
    iam_conf = props.get("iamConfiguration") or {}
    ubla = bool((iam_conf.get("uniformBucketLevelAccess") or iam_conf.get("bucketPolicyOnly") or {}).get("enabled"))
    pap = iam_conf.get("publicAccessPrevention") or "inherited"
    kms = (props.get("encryption") or {}).get("defaultKmsKeyName")
    out["encryption_at_rest"] = "customer_key" if kms else "provider"
    out["region"] = (props.get("location") or "").lower() or None

    reasons: list[str] = []
    iam_state: bool | None = None
    if iam is not None:
        for binding in iam.get("bindings", []):
            everyone = [m for m in binding.get("members", []) if m in EVERYONE]
            reasons.extend(f"iam: {m} {binding.get('role')}" for m in everyone)
        iam_state = bool(reasons)
    acl_state: bool | None = False
    if not ubla:
        if acl is None or default_acl is None:
            acl_state = None
        acl_reasons = _grants(acl, "acl") + _grants(default_acl, "default object acl")
        reasons.extend(acl_reasons)
        if acl_reasons:
            acl_state = True
    if pap == "enforced":
        out["public"], reasons = False, []
    else:
        out["public"] = either(iam_state, acl_state)
    out["public_reasons"] = tuple(reasons) if out["public"] else ()
    out["encryption_in_transit"], transit_basis = transit_from_exposure(out["public"])

    out["versioning"] = bool((props.get("versioning") or {}).get("enabled"))
    out["logging"] = bool((props.get("logging") or {}).get("logBucket"))
    retention = props.get("retentionPolicy") or {}
    out["object_lock"] = bool(retention.get("isLocked"))
    out["tags"] = {str(k): str(v) for k, v in (props.get("labels") or {}).items()}
    facts = {
        "uniform_bucket_level_access": ubla,
        "public_access_prevention": pap,
        "kms_key": bool(kms),
        "storage_class": props.get("storageClass"),
        "encryption_in_transit_basis": transit_basis,
    }
    if retention.get("retentionPeriod") is not None:
        facts["retention_policy_days"] = math.ceil(int(retention["retentionPeriod"]) / 86400)
    return out, facts
