"""Amazon RDS: encryption at rest, network exposure and forced TLS of one DB instance.

Reads ``DescribeDBInstances`` (StorageEncrypted, KmsKeyId, PubliclyAccessible, the
parameter groups), ``DescribeDBParameters`` (``rds.force_ssl``, or ``require_secure_transport``
for MySQL/MariaDB) and, when it may, ``kms:DescribeKey`` (whether the key is customer
managed). Read-only; every refused call is named in ``denied`` and leaves its fact unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from auditor.config import RdsProvider

PERMISSIONS = ("rds:DescribeDBInstances", "rds:DescribeDBParameters", "kms:DescribeKey")
TLS_PARAMETERS = ("rds.force_ssl", "require_secure_transport")


@dataclass
class ProviderFacts:
    """Dataset field values (only the ones the API answered) and how each is known."""

    fields: dict[str, Any] = field(default_factory=dict)
    basis: dict[str, str] = field(default_factory=dict)  # fact -> "rds:DescribeDBInstances StorageEncrypted = true"
    facts: dict[str, Any] = field(default_factory=dict)  # evidence for the dataset's facts
    denied: list[str] = field(default_factory=list)
    error: str | None = None


def _code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__


def read_rds(spec: RdsProvider, session: Any = None) -> ProviderFacts:
    import boto3

    out = ProviderFacts()
    session = session or boto3.session.Session()
    cfg = BotoConfig(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=10, read_timeout=30)
    kw = {"region_name": spec.region, "endpoint_url": spec.endpoint_url, "config": cfg}
    rds = session.client("rds", **kw)
    try:
        inst = rds.describe_db_instances(DBInstanceIdentifier=spec.instance)["DBInstances"][0]
    except (ClientError, BotoCoreError, IndexError) as exc:
        code = _code(exc) if not isinstance(exc, IndexError) else "DBInstanceNotFound"
        out.denied.append(f"rds:DescribeDBInstances: {code}")
        out.error = f"rds instance {spec.instance}: DescribeDBInstances {code}"
        return out
    where = f"rds:DescribeDBInstances {spec.instance}"
    region = rds.meta.region_name
    if region:
        out.fields["region"] = region
        out.basis["region"] = f"{where}: the instance's region"
    out.facts["rds_instance"] = {"instance": spec.instance, "engine": inst.get("Engine"),
                                 "engine_version": inst.get("EngineVersion"),
                                 "storage_encrypted": inst.get("StorageEncrypted"),
                                 "publicly_accessible": inst.get("PubliclyAccessible")}
    encrypted = inst.get("StorageEncrypted")
    if encrypted is False:
        out.fields["encryption_at_rest"] = "none"
        out.basis["encryption_at_rest"] = f"{where}: StorageEncrypted = false"
    elif encrypted is True:
        level, how = _key_level(session, kw, inst.get("KmsKeyId"), out)
        out.fields["encryption_at_rest"] = level
        out.basis["encryption_at_rest"] = f"{where}: StorageEncrypted = true ({how})"
    exposed = inst.get("PubliclyAccessible")
    if exposed is not None:
        out.fields["public"] = bool(exposed)
        out.basis["public"] = f"{where}: PubliclyAccessible = {str(bool(exposed)).lower()}"
        if exposed:
            out.fields["public_reasons"] = (f"rds: {spec.instance} is PubliclyAccessible (reachable from the "
                                            "internet; a login is still needed)",)
    groups = [g.get("DBParameterGroupName") for g in inst.get("DBParameterGroups", []) if g.get("DBParameterGroupName")]
    for group in groups:
        value = _tls_parameter(rds, group, out)
        if value is None:
            continue
        name, raw = value
        on = str(raw).strip().lower() in ("1", "on", "true")
        out.fields["encryption_in_transit"] = "enforced" if on else "optional"
        out.basis["encryption_in_transit"] = f"rds:DescribeDBParameters {group}: {name} = {raw}"
        break
    return out


def _key_level(session: Any, kw: dict[str, Any], key_id: str | None, out: ProviderFacts) -> tuple[str, str]:
    if not key_id:
        return "provider", "no KmsKeyId"
    try:
        meta = session.client("kms", **kw).describe_key(KeyId=key_id)["KeyMetadata"]
    except (ClientError, BotoCoreError) as exc:
        out.denied.append(f"kms:DescribeKey: {_code(exc)}")
        return "provider", "KMS key manager not readable: counted as provider-managed"
    manager = meta.get("KeyManager")
    return ("customer_key", "customer-managed KMS key") if manager == "CUSTOMER" else ("provider", "AWS-managed KMS key")


def _tls_parameter(rds: Any, group: str, out: ProviderFacts) -> tuple[str, str] | None:
    try:
        pages = rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName=group)
        for page in pages:
            for p in page.get("Parameters", []):
                if p.get("ParameterName") in TLS_PARAMETERS and p.get("ParameterValue") is not None:
                    return p["ParameterName"], str(p["ParameterValue"])
    except (ClientError, BotoCoreError) as exc:
        out.denied.append(f"rds:DescribeDBParameters: {_code(exc)}")
    return None
