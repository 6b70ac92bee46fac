"""S3 bucket settings, read call by call; every refused call leaves its fact unknown.

``CALLS`` names every S3 operation the connector makes and the IAM action it needs: the
least-privilege policy of :func:`permissions` is generated from it. ``NOT_FOUND`` lists
the error codes that are real answers ("there is no such configuration"), not errors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connectors.base import either

CALLS: dict[str, str] = {
    "list_buckets": "s3:ListAllMyBuckets",
    "get_bucket_location": "s3:GetBucketLocation",
    "get_bucket_encryption": "s3:GetEncryptionConfiguration",
    "get_public_access_block": "s3:GetBucketPublicAccessBlock",
    "get_bucket_acl": "s3:GetBucketAcl",
    "get_bucket_ownership_controls": "s3:GetBucketOwnershipControls",
    "get_bucket_policy_status": "s3:GetBucketPolicyStatus",
    "get_bucket_policy": "s3:GetBucketPolicy",
    "get_bucket_versioning": "s3:GetBucketVersioning",
    "get_object_lock_configuration": "s3:GetBucketObjectLockConfiguration",
    "get_bucket_lifecycle_configuration": "s3:GetLifecycleConfiguration",
    "get_bucket_logging": "s3:GetBucketLogging",
    "get_bucket_tagging": "s3:GetBucketTagging",
    "list_objects_v2": "s3:ListBucket",
    "head_bucket": "s3:ListBucket",
    "list_object_versions": "s3:ListBucketVersions",
    "list_bucket_inventory_configurations": "s3:GetInventoryConfiguration",  # inventory reports instead of listing
    "get_object": "s3:GetObject",
    "get_object_acl": "s3:GetObjectAcl",
    "get_account_public_access_block": "s3:GetAccountPublicAccessBlock",  # S3 Control, per account
}
OBJECT_CALLS = ("get_object", "get_object_acl")
KMS_DECRYPT = "kms:Decrypt"  # GetObject of an SSE-KMS object decrypts with its key, through S3 only
ACCOUNT_CALLS = ("list_buckets", "get_account_public_access_block")  # Resource "*", not a bucket ARN

NOT_FOUND: dict[str, frozenset[str]] = {
    "get_bucket_encryption": frozenset({"ServerSideEncryptionConfigurationNotFoundError"}),
    "get_public_access_block": frozenset({"NoSuchPublicAccessBlockConfiguration"}),
    "get_bucket_policy_status": frozenset({"NoSuchBucketPolicy"}),
    "get_bucket_policy": frozenset({"NoSuchBucketPolicy"}),
    "get_object_lock_configuration": frozenset({"ObjectLockConfigurationNotFoundError"}),
    "get_bucket_lifecycle_configuration": frozenset({"NoSuchLifecycleConfiguration"}),
    "get_bucket_tagging": frozenset({"NoSuchTagSet", "NoSuchTagSetError"}),
    "get_bucket_ownership_controls": frozenset({"OwnershipControlsNotFoundError"}),
}

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
ABSENT: dict[str, Any] = {}  # the "no such configuration" answer


def permissions() -> dict[str, Any]:
    """A read-only IAM policy covering exactly the calls in ``CALLS``."""
    bucket_actions = sorted({a for op, a in CALLS.items() if op not in ACCOUNT_CALLS and op not in OBJECT_CALLS})
    object_actions = sorted({CALLS[op] for op in OBJECT_CALLS})
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AuditorListBuckets", "Effect": "Allow", "Action": [CALLS[op] for op in ACCOUNT_CALLS],
             "Resource": "*"},
            {"Sid": "AuditorReadBucketSettings", "Effect": "Allow", "Action": bucket_actions,
             "Resource": "arn:aws:s3:::*"},
            {"Sid": "AuditorSampleObjects", "Effect": "Allow", "Action": object_actions,
             "Resource": "arn:aws:s3:::*/*"},
            # SSE-KMS objects under a customer-managed key (the key's policy must allow it too)
            {"Sid": "AuditorDecryptSampledObjects", "Effect": "Allow", "Action": [KMS_DECRYPT], "Resource": "*",
             "Condition": {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}}},
        ],
    }


HTTP_CODES = {"400": "BadRequest", "401": "Unauthorized", "403": "AccessDenied", "404": "NotFound",
              "405": "MethodNotAllowed", "501": "NotImplemented", "503": "SlowDown"}


def error_code(exc: BaseException) -> str:
    """The error's code; a bare HTTP status (an error without a body) is named."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or "Error")
        return HTTP_CODES.get(code, code)
    return type(exc).__name__


@dataclass
class Reader:
    """Calls one bucket's configuration APIs and records every refusal."""

    client: Any
    bucket: str
    denied: list[str] = field(default_factory=list)

    def call(self, op: str) -> dict[str, Any] | None:
        """The response; ``ABSENT`` for a "no such configuration" answer; None when refused."""
        try:
            return getattr(self.client, op)(Bucket=self.bucket)
        except ClientError as exc:
            code = error_code(exc)
            if code in NOT_FOUND.get(op, ()):
                return ABSENT
            self.denied.append(f"{CALLS[op]}: {code}")
        except BotoCoreError as exc:  # timeouts, connection resets after retries
            self.denied.append(f"{CALLS[op]}: {error_code(exc)}")
        return None


def region_of(reader: Reader) -> str | None:
    resp = reader.call("get_bucket_location")
    if resp is None:
        return None
    loc = resp.get("LocationConstraint")
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(loc, loc)


def encryption(resp: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    if resp is None:
        return "unknown", {}
    if resp is ABSENT:
        return "none", {"sse": None}
    rules = resp.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    algos = [r.get("ApplyServerSideEncryptionByDefault", {}) for r in rules]
    algos = [a for a in algos if a.get("SSEAlgorithm")]
    if not algos:
        return "none", {"sse": None}
    default = algos[0]
    algo, key = default["SSEAlgorithm"], default.get("KMSMasterKeyID")
    evidence = {"sse": algo, "kms_key": bool(key)}
    if algo.startswith("aws:kms") and key and not key.endswith("alias/aws/s3"):
        return "customer_key", evidence
    return "provider", evidence


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    st = policy.get("Statement", [])
    return [s for s in ([st] if isinstance(st, dict) else st) if isinstance(s, dict)]


def _is_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        aws = principal.get("AWS")
        return aws == "*" or (isinstance(aws, list) and "*" in aws)
    return False


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def denies_insecure_transport(policy: dict[str, Any]) -> bool:
    for st in _statements(policy):
        if st.get("Effect") != "Deny":
            continue
        for op in ("Bool", "BoolIfExists"):
            values = st.get("Condition", {}).get(op, {}).get("aws:SecureTransport")
            if values is not None and any(str(v).lower() == "false" for v in _as_list(values)):
                return True
    return False


def policy_public_statements(policy: dict[str, Any]) -> tuple[list[str], bool]:
    """(reasons for statements open to everyone without condition, any conditional ones)."""
    reasons, conditional = [], False
    for i, st in enumerate(_statements(policy)):
        if st.get("Effect") != "Allow" or not _is_everyone(st.get("Principal")):
            continue
        if st.get("Condition"):
            conditional = True
            continue
        actions = ",".join(str(a) for a in _as_list(st.get("Action", "*")))
        reasons.append(f"policy: statement {st.get('Sid') or i} allows {actions} to Principal *")
    return reasons, conditional


def acl_public(resp: dict[str, Any] | None) -> tuple[bool | None, list[str]]:
    if resp is None:
        return None, []
    reasons = []
    for grant in resp.get("Grants", []):
        uri = grant.get("Grantee", {}).get("URI")
        if uri in (ALL_USERS, AUTH_USERS):
            who = "AllUsers" if uri == ALL_USERS else "AuthenticatedUsers"
            reasons.append(f"acl: {who} {grant.get('Permission')}")
    return bool(reasons), reasons


def holds_versions(evidence: dict[str, Any]) -> bool:
    """Versioning is (or was) on: noncurrent versions and delete markers may hold data."""
    return evidence.get("versioning_status") in ("Enabled", "Suspended")


def object_acl_public(resp: dict[str, Any], key: str) -> list[str]:
    """Reasons an object's ACL makes it public (AllUsers / AuthenticatedUsers grants)."""
    _, reasons = acl_public(resp)
    return [f"object {r}: {key}" for r in reasons]


@dataclass
class LifecycleRule:
    prefix: str
    days: int | None
    tag_filtered: bool


def lifecycle_rules(resp: dict[str, Any]) -> list[LifecycleRule]:
    rules = []
    for r in resp.get("Rules", []):
        if r.get("Status") != "Enabled":
            continue
        exp = r.get("Expiration") or {}
        if "Days" not in exp and "Date" not in exp:
            continue
        flt = r.get("Filter") or {}
        and_ = flt.get("And") or {}
        prefix = flt.get("Prefix", and_.get("Prefix", r.get("Prefix", ""))) or ""
        tagged = "Tag" in flt or bool(and_.get("Tags")) or "ObjectSizeGreaterThan" in flt or "ObjectSizeGreaterThan" in and_
        rules.append(LifecycleRule(prefix, int(exp["Days"]) if "Days" in exp else None, tagged))
    return rules


def retention_for(rules: list[LifecycleRule] | None, path: str) -> dict[str, Any]:
    """has_retention / retention_days for the prefix ``path`` ("" is the whole bucket)."""
    if rules is None:
        return {"has_retention": None, "retention_days": None}
    applicable = [r for r in rules if not r.tag_filtered and path.startswith(r.prefix)]
    days = [r.days for r in applicable if r.days is not None]
    return {"has_retention": bool(applicable), "retention_days": min(days) if days else None}


PAB_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def read_account_block(sts: Any, s3control: Any) -> dict[str, Any] | str:
    """The account's S3 public access block (it overrides every bucket's own): the four
    settings; ``"not set"`` when the account has none; else ``"unknown (<call>: <code>)"``.
    The account id comes from ``sts:GetCallerIdentity`` (which needs no permission)."""
    def why(exc: Exception) -> str:  # an S3-compatible store may answer anything here (HTML, nothing)
        return error_code(exc) if isinstance(exc, (ClientError, BotoCoreError)) else type(exc).__name__

    try:
        account = sts.get_caller_identity()["Account"]
    except Exception as exc:  # noqa: BLE001 - an account fact never fails a source
        return f"unknown (sts:GetCallerIdentity: {why(exc)})"
    try:
        conf = s3control.get_public_access_block(AccountId=account).get("PublicAccessBlockConfiguration", {})
    except Exception as exc:  # noqa: BLE001
        if isinstance(exc, ClientError) and error_code(exc) == "NoSuchPublicAccessBlockConfiguration":
            return "not set"
        return f"unknown ({CALLS['get_account_public_access_block']}: {why(exc)})"
    return {k: bool(conf.get(k)) for k in PAB_KEYS}


def read_bucket(reader: Reader, account_block: dict[str, Any] | str | None = None,
                ) -> tuple[dict[str, Any], dict[str, Any], list[LifecycleRule] | None]:
    """(Dataset fields, evidence facts, lifecycle rules or None when unreadable).

    ``account_block`` is :func:`read_account_block`'s answer: an account setting that is on
    applies to every bucket (it can only make a bucket less public; unknown changes nothing)."""
    out: dict[str, Any] = {}
    facts: dict[str, Any] = {"account_public_access_block": account_block if account_block is not None else "not read"}
    account_on = account_block if isinstance(account_block, dict) else {}

    out["encryption_at_rest"], facts["encryption"] = encryption(reader.call("get_bucket_encryption"))

    pab = reader.call("get_public_access_block")
    pab_conf = None if pab is None else pab.get("PublicAccessBlockConfiguration", {})
    facts["public_access_block"] = pab_conf
    ignore_acls = None if pab_conf is None else bool(pab_conf.get("IgnorePublicAcls"))
    restrict = None if pab_conf is None else bool(pab_conf.get("RestrictPublicBuckets"))
    ignore_acls = True if account_on.get("IgnorePublicAcls") else ignore_acls
    restrict = True if account_on.get("RestrictPublicBuckets") else restrict

    own = reader.call("get_bucket_ownership_controls")
    ownership = None if own is None else next(
        (r.get("ObjectOwnership") for r in own.get("OwnershipControls", {}).get("Rules", [])), None) or "not set"
    facts["object_ownership"] = ownership  # None: not read; "not set": ACLs apply (ObjectWriter)
    enforced = None if ownership is None else ownership == "BucketOwnerEnforced"
    # object ACLs can make single objects public unless ACLs are disabled or ignored
    if enforced or ignore_acls:
        facts["object_acls_apply"] = False
    elif enforced is False and ignore_acls is False:
        facts["object_acls_apply"] = True
    else:
        facts["object_acls_apply"] = None  # unknown: treated as "may apply"

    # ACLs disabled (BucketOwnerEnforced) or ignored (a public access block): the bucket's ACL cannot
    # make it public, so it is not read
    acl_state: bool | None = False
    reasons: list[str] = []
    if not (ignore_acls or enforced):
        acl_state, reasons = acl_public(reader.call("get_bucket_acl"))

    # no policy (NoSuchBucketPolicy): its status is "not public" (the status is AWS's evaluation of
    # the policy alone), so it is not read; a refused status read is listed before a refused policy read
    mark = len(reader.denied)
    policy_resp = reader.call("get_bucket_policy")
    status = ABSENT if policy_resp is ABSENT else reader.call("get_bucket_policy_status")
    if len(reader.denied) == mark + 2:
        reader.denied[mark:] = reader.denied[mark + 1:] + reader.denied[mark:mark + 1]
    status_public = None if status is None else bool(status.get("PolicyStatus", {}).get("IsPublic", False))
    policy = None
    if policy_resp is not None and policy_resp is not ABSENT:
        try:
            policy = json.loads(policy_resp.get("Policy") or "{}")
        except json.JSONDecodeError:
            facts["policy_unparseable"] = True
    stmt_reasons, conditional = policy_public_statements(policy) if policy else ([], False)
    facts["policy_conditional_public"] = conditional
    if status_public:
        reasons.append("policy status: IsPublic")
    reasons.extend(stmt_reasons)
    if status_public or stmt_reasons:
        policy_state: bool | None = True
    elif status_public is False or policy_resp is ABSENT:
        policy_state = False
    else:
        policy_state = None
    if restrict:
        policy_state = False
        reasons = [r for r in reasons if r.startswith("acl:")]
    out["public"] = either(acl_state, policy_state)
    out["public_reasons"] = tuple(reasons) if out["public"] else ()

    if policy_resp is None or policy is None and policy_resp is not ABSENT:
        out["encryption_in_transit"] = "unknown"
    else:
        out["encryption_in_transit"] = "enforced" if policy and denies_insecure_transport(policy) else "optional"

    ver = reader.call("get_bucket_versioning")
    out["versioning"] = None if ver is None else ver.get("Status") == "Enabled"
    if ver is not None:
        facts["mfa_delete"] = ver.get("MFADelete") == "Enabled"
        facts["versioning_status"] = ver.get("Status") or "never enabled"

    lock = reader.call("get_object_lock_configuration")
    if lock is not None:
        conf = lock.get("ObjectLockConfiguration", {})
        out["object_lock"] = conf.get("ObjectLockEnabled") == "Enabled"
        default = conf.get("Rule", {}).get("DefaultRetention")
        if default:
            facts["object_lock_default_retention"] = {k: v for k, v in default.items()}
    else:
        out["object_lock"] = None

    lc = reader.call("get_bucket_lifecycle_configuration")
    rules = None if lc is None else lifecycle_rules(lc)
    if rules is not None:
        facts["lifecycle_expiry"] = [{"prefix": r.prefix, "days": r.days, "filtered": r.tag_filtered} for r in rules]

    logging_resp = reader.call("get_bucket_logging")
    out["logging"] = None if logging_resp is None else bool(logging_resp.get("LoggingEnabled"))

    tags = reader.call("get_bucket_tagging")
    out["tags"] = {} if tags is None else {t["Key"]: t["Value"] for t in tags.get("TagSet", [])}
    return out, facts, rules
