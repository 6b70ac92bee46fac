"""Why a fact is unknown, and the one way out that resolves it (never a waiver).

A rule that needs an unknown fact yields :class:`~policies.checks.Unknown`. The run groups
those by source and *cause*: the same fact, unknown for the same reason (a refused call, a
setting of the store, something a SQL login never sees), has one fix that resolves every
dataset it covers. Advice is written here per cause and per kind of store, never generated
from a fact's field name.

Ways out (:class:`auditor.models.WayOut`):
- ``permission``: the exact grant (the refused calls, or the engine's catalogue grant);
- ``setting``: the exact change on the store;
- ``provider_api``: name the managed resource so the run reads it from the provider's API;
- ``attestation``: declare the fact in the config (``attestations:``), shown as not verified.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from auditor.models import ATTESTABLE_FACTS, Dataset, DeniedCall, WayOut

# calls whose refusal leaves a fact unknown (S3 action names, GCS permission names, Azure operations,
# file-server calls: ``DeniedCall.action``, without the folder a file server's entry may name)
FACT_CALLS: dict[str, tuple[str, ...]] = {
    "public": ("s3:GetBucketAcl", "s3:GetBucketPolicyStatus", "s3:GetBucketPublicAccessBlock",
               "s3:GetBucketOwnershipControls", "s3:GetObjectAcl", "s3:GetBucketPolicy",
               "storage.buckets.getIamPolicy", "storage.objects.getIamPolicy", "rds:DescribeDBInstances",
               "Get Container Properties"),
    "object_acls": ("s3:GetBucketOwnershipControls", "s3:GetBucketPublicAccessBlock", "storage.buckets.get"),
    "encryption_at_rest": ("s3:GetEncryptionConfiguration", "storage.buckets.get", "rds:DescribeDBInstances"),
    "encryption_in_transit": ("s3:GetBucketPolicy", "storage.buckets.getIamPolicy", "rds:DescribeDBInstances",
                              "rds:DescribeDBParameters"),
    "has_retention": ("s3:GetLifecycleConfiguration", "storage.buckets.get"),
    "retention_days": ("s3:GetLifecycleConfiguration", "storage.buckets.get"),
    "region": ("s3:GetBucketLocation", "storage.buckets.get"),
    # a refused file or blob read, or a folder a file server would not list: grant it, not a byte limit
    "personal_data": ("s3:GetObject", "kms:Decrypt", "storage.objects.get", "s3:ListBucketVersions", "Get Blob",
                      "sftp read", "sftp list", "ftp RETR", "ftp list"),
    "last_modified": ("s3:ListBucket", "s3:ListBucketVersions", "storage.objects.list"),
}

# objects left unread for one reason each, and the way out of that reason: (test of an unsampled entry
# (its key, its reason), the cause's kind, its title, the way out)
_OBJECTS_UNREAD: tuple[tuple[Callable[[str, str], bool], str, str, str], ...] = (
    (lambda key, why: key.endswith("(noncurrent versions)"), "noncurrent", "noncurrent versions not sampled",
     "Versioning keeps noncurrent object versions (the older "
     "copies of overwritten or deleted objects): they are counted, not sampled, so "
     "what they hold is unknown. Expire them with a lifecycle rule (S3: "
     "NoncurrentVersionExpiration; GCS: daysSinceNoncurrentTime or numNewerVersions; "
     "Azure: a lifecycle management rule on blob versions and snapshots, and a short "
     "soft-delete retention for deleted blobs), or delete them once they are no longer "
     "needed."),
    (lambda key, why: "symbolic link" in why, "links", "symbolic links not followed",
     "The entries named in each dataset's unsampled facts are "
     "symbolic links the auditor does not follow: a link to a folder outside the "
     "configured paths (add that folder to the source's paths: it is audited there and "
     "the link is covered), or a loop or dangling link (remove it on the server)."),
    (lambda key, why: "archive storage class" in why, "archived", "archived objects not readable",
     "The objects named in each dataset's unsampled facts are in "
     "an archive storage class (S3 Glacier Flexible Retrieval or Deep Archive, Azure "
     "Archive tier) and cannot be read until restored: restore them (s3:RestoreObject; "
     "Azure: rehydrate to the Cool or Hot tier) so the next run reads them, or delete "
     "them once they are no longer needed."),
    (lambda key, why: "the store failed the read" in why, "failed", "reads the store failed",
     "The store failed the reads of the objects named in each dataset's unsampled facts (a server "
     "error, a reset or cut connection, on every retry): nothing to grant and nothing wrong with the "
     "objects; re-run, and if it recurs raise the source's max_attempts or read_timeout, or check the "
     "endpoint."),
    (lambda key, why: "customer-supplied key" in why, "customer-key", "objects encrypted with a customer-supplied key",
     "The objects named in each dataset's unsampled facts are "
     "encrypted with a key the vendor supplies on each request (S3 SSE-C, GCS "
     "customer-supplied encryption keys, Azure customer-provided keys), which the "
     "auditor does not hold: have the vendor re-encrypt them with a managed key the "
     "auditor's identity may be allowed to use (SSE-KMS, Cloud KMS, Key Vault), or "
     "delete them once they are no longer needed."),
)

# facts an attestation may declare, and the values each takes, as the fix texts name them: the
# config's own list (``auditor.models``), the personal-data declaration by its value alone
ATTESTABLE: dict[str, str] = {**ATTESTABLE_FACTS, "personal_data": "none"}

FACT_WORDS: dict[str, str] = {
    "encryption_at_rest": "encryption at rest",
    "encryption_in_transit": "encryption in transit",
    "public": "public exposure",
    "object_acls": "whether object ACLs are enabled",
    "has_retention": "retention settings",
    "retention_days": "retention length",
    "region": "region",
    "personal_data": "personal data",
    "last_modified": "age of the newest write",
    "password_hash.weak": "password hash algorithm",
    "payment_card_partial.visible_digits": "digits kept in masked card numbers",
}


@dataclass(frozen=True)
class Cause:
    key: str  # stable: part of the grouped finding's id
    title: str  # "encryption at rest of PostgreSQL tables: unknown to a SQL login"
    way_out: WayOut


_ENGINE_NAMES = {"postgresql": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB", "sqlite": "SQLite",
                 "snowflake": "Snowflake"}
_SCHEME_WORDS = {"s3": "S3 buckets", "gs": "GCS buckets", "gcs": "GCS buckets", "sftp": "SFTP folders",
                 "ftp": "FTP folders"}


def store_words(ds: Dataset) -> str:
    """'PostgreSQL tables', 'S3 buckets', 'GCS buckets' ... from what the connector recorded."""
    if ds.kind == "table":
        return _table_words(ds.known.engine or ds.uri.split(":", 1)[0] or "SQL")
    return _object_words(ds.uri.split(":", 1)[0].lower())


# pure functions of a short string with few values (engines, URI schemes): worked out once each
@functools.lru_cache(maxsize=256)
def _table_words(engine: str) -> str:
    engine = engine.split()[0].lower()
    return f"{_ENGINE_NAMES.get(engine, engine)} tables"


@functools.lru_cache(maxsize=256)
def _object_words(scheme: str) -> str:
    return _SCHEME_WORDS.get(scheme, f"{scheme or 'object'} stores")


def engine_of(ds: Dataset) -> str:
    return store_words(ds).split()[0].lower() if ds.kind == "table" else ""


def store_of(ds: Dataset) -> str:
    """The kind of store a dataset is on: its engine for a table (postgresql, mysql, mariadb, sqlite,
    snowflake), else its URI's scheme (s3, gs, azure, ftp, sftp)."""
    return engine_of(ds) if ds.kind == "table" else ds.uri.split(":", 1)[0].lower()


_MYSQL_TLS = ("MySQL/MariaDB: require_secure_transport = ON (SET GLOBAL and in the server's config; on RDS in "
              "the DB parameter group), or REQUIRE SSL on the accounts that read this data.")
_MYSQL_AT_REST = ("MariaDB: load a key management plugin (file_key_management or a KMS) and set "
                  "innodb_encrypt_tables = ON, then ALTER TABLE ... ENCRYPTED=YES; MySQL: a keyring component "
                  "and ALTER TABLE ... ENCRYPTION='Y'; on RDS: restore an encrypted copy of a snapshot.")
_PURGE_ROWS = ("MySQL/MariaDB: a scheduled EVENT deleting rows past the retention period (event_scheduler = ON), "
               "or partitions by date dropped by age.")
_PURGE_FILES = "File server: a scheduled job on the server deleting files older than the retention period."
_VOLUME = "encrypt the volume the files live on (LUKS, BitLocker, an encrypted cloud disk), or the files themselves"

# the how-to of a rule's fix on each kind of store, appended to the rule's (store-neutral) remediation
STORE_FIXES: dict[str, dict[str, str]] = {
    "public-exposure": {
        "s3": "S3: delete ACL grants to AllUsers / AuthenticatedUsers and bucket-policy statements with Principal "
              "\"*\", and turn on S3 Block Public Access on the bucket and the account.",
        "gs": "GCS: remove the allUsers / allAuthenticatedUsers IAM bindings and ACL entries, and turn on public "
              "access prevention (gcloud storage buckets update gs://BUCKET --public-access-prevention).",
        "azure": "Azure: set the container's access level to private and allowBlobPublicAccess = false on the "
                 "storage account.",
        "ftp": "FTP: turn off anonymous login (vsftpd anonymous_enable=NO; ProFTPD: remove the <Anonymous> "
               "block) and give the vendor's exchange a named account.",
        "sftp": "SFTP: remove the login that needs no key or password, and any account shared beyond the vendor.",
        "postgresql": "Database: turn off public network access (RDS: modify-db-instance --no-publicly-accessible) "
                      "and restrict its security group or firewall to known addresses.",
        "mysql": "Database: turn off public network access (RDS: modify-db-instance --no-publicly-accessible) and "
                 "restrict its security group or firewall to known addresses.",
        "mariadb": "Database: turn off public network access (RDS: modify-db-instance --no-publicly-accessible) and "
                   "restrict its security group or firewall to known addresses.",
        "snowflake": "Snowflake: attach a network policy (ALLOWED_IP_LIST) to the account or the users that read "
                     "this data, or use private connectivity.",
    },
    "insecure-transport": {
        "s3": "S3: add a bucket-policy statement denying s3:* when aws:SecureTransport is false.",
        "gs": "GCS: only anonymous reads travel in plain HTTP; make the bucket private (remove the allUsers / "
              "allAuthenticatedUsers bindings) so every read needs credentials, which go over TLS only.",
        "azure": "Azure: turn on 'secure transfer required' (supportsHttpsTrafficOnly = true) on the storage "
                 "account.",
        "ftp": "FTP: require TLS for logins and data (vsftpd ssl_enable=YES, force_local_logins_ssl=YES, "
               "force_local_data_ssl=YES; ProFTPD TLSRequired on), or move the exchange to SFTP.",
        "postgresql": "PostgreSQL: ssl = on and only hostssl lines (no host lines) in pg_hba.conf for remote "
                      "logins; on RDS set rds.force_ssl = 1 in the DB parameter group.",
        "mysql": _MYSQL_TLS,
        "mariadb": _MYSQL_TLS,
    },
    "unencrypted-personal-data": {
        "s3": "S3: set default encryption (put-bucket-encryption, SSE-S3 or SSE-KMS) and copy the existing "
              "objects over themselves so they are stored encrypted.",
        "sqlite": "SQLite: the database file is plain; move it onto an encrypted volume (LUKS, BitLocker, an "
                  "encrypted cloud disk) or convert it with SQLCipher.",
        "mysql": _MYSQL_AT_REST,
        "mariadb": _MYSQL_AT_REST,
        "postgresql": "PostgreSQL: encrypt the data directory's volume; on RDS restore an encrypted copy of a "
                      "snapshot (StorageEncrypted cannot be turned on in place).",
        "ftp": f"File server: {_VOLUME}.",
        "sftp": f"File server: {_VOLUME}.",
    },
    "no-retention-control": {
        "s3": "S3: a lifecycle rule with Expiration (days) on the bucket or the prefix (put-bucket-lifecycle-configuration).",
        "gs": "GCS: a lifecycle rule (action Delete, condition age) or a bucket retention policy.",
        "azure": "Azure: a lifecycle management policy on the storage account (delete blobs after N days).",
        "ftp": _PURGE_FILES,
        "sftp": _PURGE_FILES,
        "postgresql": "PostgreSQL: a scheduled DELETE of rows past the retention period (pg_cron), or time-based "
                      "partitions dropped by age (pg_partman retention).",
        "mysql": _PURGE_ROWS,
        "mariadb": _PURGE_ROWS,
        "sqlite": "SQLite: a scheduled job deleting rows past the retention period (then VACUUM), or delete the file.",
        "snowflake": "Snowflake: a scheduled TASK deleting rows past the retention period.",
    },
}


def store_fix(rule_check: str, ds: Dataset) -> str | None:
    """How to apply ``rule_check``'s fix on the store ``ds`` is on, or None where the rule's text is all."""
    return STORE_FIXES.get(rule_check, {}).get(store_of(ds))


def attest(ds: Dataset, fact: str) -> str:
    values = ATTESTABLE.get(fact, "the value")
    return (f"declare it under attestations: (match: {{source: {ds.source}}}, fact: {fact}, value: {values}, "
            "evidence: the report or contract clause that says so, by: who, until: a date); "
            "it is shown as declared, not verified, and expires back to unknown")


def _refused(ds: Dataset, fact: str) -> list[DeniedCall]:
    calls = FACT_CALLS.get(fact.split(".")[0], ())
    return [c for c in (DeniedCall.parse(e) for e in ds.denied) if c.action in calls]


# how a file server's owner grants a read, per kind (the login is read-only either way)
FILE_GRANTS = {
    "sftp": "chmod/chown or setfacl on the server, or the SFTP server's ACL; sshd's internal-sftp -R keeps "
            "the session read-only",
    "ftp": "chmod on the server, vsftpd local_umask (anon_umask) so files uploaded later stay readable, or the "
           "FTP server's per-user permissions (ProFTPD <Limit READ>, pyftpdlib perm 'elr'); write_enable stays off",
}


def grant(calls: list[DeniedCall], where: str) -> str:
    """The way out of refused calls: a file server's read permission on the folders named (the
    folder a call names, else ``where``: the dataset's folder), or the calls to grant to the identity."""
    if calls and all(c.file_server for c in calls):
        folders = ", ".join(dict.fromkeys(c.target or where for c in calls))
        kind = calls[0].action.split(" ", 1)[0]
        return (f"Give the audit user read permission on {folders}: read (r) on its files and read+execute (r-x) "
                f"on its folders ({FILE_GRANTS[kind]}); nothing writable.")
    actions = ", ".join(sorted({c.action for c in calls}))
    key = (" kms:Decrypt must also be allowed by the policy of the KMS key the objects are encrypted with "
           "(the vendor's key)." if any(c.action == "kms:Decrypt" for c in calls) else "")
    return f"Grant {actions} to the auditor's identity (see `auditor permissions`).{key}"


def cause_of(ds: Dataset, fact: str) -> Cause:
    """Why ``fact`` of ``ds`` is unknown, and the one fix."""
    words = FACT_WORDS.get(fact, fact.replace("_", " "))
    store = store_words(ds)
    refused = _refused(ds, fact)
    if refused:
        calls = sorted({c.action for c in refused})
        if all(c.not_implemented for c in refused):
            return Cause(f"{fact}:not-implemented:{','.join(calls)}",
                         f"{words} of {store}: {', '.join(calls)} not implemented by the store",
                         WayOut(kind="attestation", text=f"The store does not answer {', '.join(calls)}: " + (
                             attest(ds, fact) + "." if fact in ATTESTABLE else "confirm with the vendor in writing.")))
        granted = [c for c in refused if c.refused]
        if granted:
            folders = sorted({c.target or ds.name for c in granted if c.file_server})  # one grant per folder
            where = f" on {', '.join(folders)}" if folders else ""
            return Cause(":".join([f"{fact}:grant:{','.join(calls)}", *folders]),
                         f"{words} of {store}: {', '.join(calls)} refused{where}",
                         WayOut(kind="permission", text=grant(granted, ds.name)))
        codes = sorted({c.code for c in refused})
        return Cause(f"{fact}:failed:{','.join(calls)}", f"{words} of {store}: {', '.join(calls)} failed ({', '.join(codes)})",
                     WayOut(kind="connection", text="The calls failed (timeouts or errors, not refusals): check the "
                            "endpoint and the network from the auditor, then re-run."))
    return _by_kind(ds, fact, words, store)


def _by_kind(ds: Dataset, fact: str, words: str, store: str) -> Cause:
    engine = engine_of(ds)
    facts = ds.facts
    if ds.kind == "table":
        if fact == "encryption_at_rest":
            basis = str(facts.get("encryption_at_rest_basis") or "")
            if engine in ("mysql", "mariadb") and "not readable" in basis:
                return Cause("encryption_at_rest:grant:PROCESS", f"{words} of {store}: InnoDB encryption not readable",
                             WayOut(kind="permission", text="GRANT PROCESS ON *.* TO the auditor's user (reads "
                                    "information_schema.INNODB_TABLESPACES_ENCRYPTION)."))
            return Cause(f"encryption_at_rest:sql:{engine}", f"{words} of {store}: unknown to a SQL login",
                         WayOut(kind="provider_api", text="Disk encryption is not visible through SQL. For a managed "
                                "database name its instance on the source (provider: {kind: rds, instance: NAME, "
                                "region: R}) so the run reads StorageEncrypted and KmsKeyId; otherwise "
                                + attest(ds, fact) + "."))
        if fact == "encryption_in_transit":
            if engine == "postgresql":
                return Cause("encryption_in_transit:grant:pg_hba_file_rules",
                             f"{words} of {store}: pg_hba_file_rules not readable",
                             WayOut(kind="permission", text="GRANT SELECT ON pg_hba_file_rules TO auditor; GRANT "
                                    "EXECUTE ON FUNCTION pg_hba_file_rules() TO auditor; (or name the RDS instance: "
                                    "provider: {kind: rds, ...} reads rds.force_ssl)."))
            return Cause(f"encryption_in_transit:sql:{engine}", f"{words} of {store}: not readable by this login",
                         WayOut(kind="permission", text="Let the auditor's user read the server's TLS variables "
                                "(SHOW VARIABLES: require_secure_transport, have_ssl), or " + attest(ds, fact) + "."))
        cut = facts.get("age_not_scanned")
        if fact == "last_modified" and isinstance(cut, dict) and cut.get("fix"):
            # the table has write-time columns (or commit times): their scan was cancelled, not missing;
            # its way out names its own columns (an index each), so one finding per table
            return Cause(f"last_modified:sql:timeout:{engine}:{ds.name}", f"{words} of {store}: the scan for it "
                         "ran past statement_timeout", WayOut(kind="setting", text=f"{_AGE_TIMEOUT}{cut['fix']}."))
        if fact == "last_modified":
            # one cause, with or without the lower bound the run history gives an unchanged table from its
            # second run on: the same gap and fix, so the finding keeps its id (and its waiver) across nights
            return Cause(f"last_modified:sql:{engine}", f"{words} of {store}: no write-time column or engine clock "
                         "(at best a lower bound: unchanged since first seen)",
                         WayOut(kind="setting", text=_age_setting(engine)))
        if fact == "public" and "public" in (facts.get("unknown_unless_attested") or {}):
            return Cause(f"public:network-policy:{engine}", f"{words} of {store}: network access not read",
                         WayOut(kind="attestation", text=f"{str(facts['unknown_unless_attested']['public']).capitalize()}."
                                " Ask the vendor for the account's network policy (SHOW NETWORK POLICIES; DESCRIBE "
                                "NETWORK POLICY) or its private-connectivity setup, then " + attest(ds, fact)
                                + " (public: false when logins are restricted to known addresses)."))
        if fact == "personal_data":
            reasons = ds.known.unsampled
            if reasons and all("is a mask" in why for why in reasons.values()):
                how = ("Snowflake: add the audit role to the masking policy's unmasked roles, e.g. CASE WHEN "
                       "IS_ROLE_IN_SESSION('AUDITOR_READ') THEN val ELSE '***MASKED***' END, with ALTER MASKING POLICY "
                       "... SET BODY" if engine == "snowflake" else
                       "exempt the audit identity from the masking rule (PostgreSQL Anonymizer: no MASKED security "
                       "label on the audit role; a masked view: read the base table)")
                return Cause(f"personal_data:sql:masked:{engine}", f"{words} in {store}: columns served masked",
                             WayOut(kind="setting", text="The columns named in each dataset's unsampled facts are "
                                    "masked for the audit identity: the table still holds their values. Let the "
                                    f"audit identity read them unmasked ({how}); the next run samples them."))
            # the auditor read the table (an unreadable one is an error dataset, with its grant): what its
            # unsampled facts name is what no SELECT reads, so a grant resolves none of it
            return Cause(f"personal_data:sql:{engine}", f"{words} in {store}: columns not sampled",
                         WayOut(kind="attestation", text="The columns named in each dataset's unsampled facts hold "
                                "what the auditor does not sample (binary contents, large-object references, "
                                "geometry, JSON beyond the sample's bounds, columns past the cap) or rows that live "
                                "elsewhere (a foreign or external table: audit that server or stage as a source of "
                                "its own). Where they hold no personal data, " + attest(ds, fact).replace(
                                    f"match: {{source: {ds.source}}}",
                                    f"match: {{source: {ds.source}, dataset: the table}}") + "."))
    else:
        if fact == "personal_data":
            reasons = ds.known.unsampled
            for unread, kind, title, text in _OBJECTS_UNREAD:  # every object left unread for one reason
                if reasons and all(unread(key, why) for key, why in reasons.items()):
                    return Cause(f"personal_data:objects:{kind}", f"{words} in {store}: {title}",
                                 WayOut(kind="setting", text=text))
            return Cause("personal_data:objects", f"{words} in {store}: objects skipped or unreadable",
                         WayOut(kind="setting", text="The objects named in each dataset's unsampled facts could not "
                                "be parsed (binary, corrupt or over the byte limit): raise max_object_bytes on the source, "
                                "or remove or re-export them in a readable format; where they hold no personal data "
                                "(product images, say), " + attest(ds, fact).replace(
                                    f"match: {{source: {ds.source}}}",
                                    f"match: {{source: {ds.source}, dataset: the prefix}}") + "."))
        if fact == "object_acls":
            return Cause("object_acls:settings", f"{words} of {store}: ownership settings not readable",
                         WayOut(kind="permission", text="Grant s3:GetBucketOwnershipControls and "
                                "s3:GetBucketPublicAccessBlock (GCS: storage.buckets.get)."))
        if fact == "public":
            return Cause("public:objects", f"{words} of {store}: object ACL reads failed",
                         WayOut(kind="permission", text="Grant s3:GetObjectAcl on the bucket's objects, or disable "
                                "ACLs (Object Ownership BucketOwnerEnforced)."))
    if fact in ("password_hash.weak", "payment_card_partial.visible_digits"):
        return Cause(f"{fact}:classifier", f"{words} in {store}: not identified from the sample",
                     WayOut(kind="attestation", text="Confirm the format with the vendor in writing; the masked "
                            "examples are in each dataset's evidence."))
    if fact in ATTESTABLE:
        return Cause(f"{fact}:unreadable:{ds.kind}", f"{words} of {store}: not readable", WayOut(
            kind="attestation", text=attest(ds, fact) + "."))
    return Cause(f"{fact}:unknown:{ds.kind}", f"{words} of {store}: not readable",
                 WayOut(kind="attestation", text="Confirm it with the vendor in writing."))


_AGE_TIMEOUT = ("The server cancelled the table's scan for its newest write at the source's statement_timeout "
                "(where no index holds the column, it reads every row); the sample was read without it. Fix: ")


def _age_setting(engine: str) -> str:
    if engine == "postgresql":
        return ("Turn on track_commit_timestamp = on (server setting, needs a restart) so the age of each row's "
                "last write is known, or add an updated_at column the application maintains.")
    if engine in ("mysql", "mariadb"):
        return ("Add an updated_at column the application maintains (information_schema UPDATE_TIME is lost at "
                "every restart for InnoDB).")
    return "Add an updated_at column the application maintains."
