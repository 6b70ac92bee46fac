"""A reviewer acts on a finding's remediation: it names the fix for the kind of store the finding is
on. The baseline's one text per rule mixed every store's setting (an FTP server told to remove
``allUsers`` grants and add a bucket policy on ``aws:SecureTransport``; a GCS bucket told the same
AWS condition; a SQLite file told to "turn on default encryption")."""

from __future__ import annotations

import pytest
from policy_helpers import bucket, of_rule, pdata, run, table

FTP = {"uri": "ftp://files.example.net:21/", "source": "drop"}
SFTP = {"uri": "sftp://files.example.net:22/", "source": "drop"}
GCS = {"uri": "gs://b"}
AZURE = {"uri": "azure://b"}


@pytest.mark.parametrize(("rule", "ds", "says", "never"), [
    ("public-exposure", bucket(public=True, public_reasons=("anonymous FTP login lists /",), **FTP),
     ["anonymous"], ["allUsers", "AllUsers", "Principal", "public access block"]),
    ("public-exposure", bucket(public=True, **GCS), ["allUsers", "public access prevention"], ["Principal", "AllUsers"]),
    ("public-exposure", bucket(public=True), ["Block Public Access", "Principal"], ["allUsers", "prevention"]),
    ("public-exposure", bucket(public=True, **AZURE), ["allowBlobPublicAccess"], ["allUsers", "Principal"]),
    ("insecure-transport", bucket(encryption_in_transit="optional", **FTP), ["SFTP", "TLS"],
     ["aws:SecureTransport", "hostssl", "require_secure_transport"]),
    ("insecure-transport", bucket(encryption_in_transit="optional", **GCS), ["allUsers"], ["aws:SecureTransport", "hostssl"]),
    ("insecure-transport", bucket(encryption_in_transit="optional"), ["aws:SecureTransport"], ["hostssl", "require_secure"]),
    ("insecure-transport", bucket(encryption_in_transit="optional", **AZURE), ["secure transfer required"],
     ["aws:SecureTransport", "hostssl"]),
    ("insecure-transport", table(encryption_in_transit="optional"), ["hostssl"], ["aws:SecureTransport",
                                                                                   "require_secure_transport"]),
    ("insecure-transport", table(encryption_in_transit="optional", uri="mysql://db/crm.customers"),
     ["require_secure_transport"], ["aws:SecureTransport", "hostssl"]),
    ("unencrypted-personal-data", table(encryption_at_rest="none", uri="sqlite:////data/crm.db/main.customers"),
     ["SQLCipher", "volume"], ["default encryption"]),
    ("unencrypted-personal-data", table(encryption_at_rest="none", uri="mariadb://db/crm.customers"),
     ["innodb_encrypt_tables"], ["default encryption", "SQLCipher"]),
    ("unencrypted-personal-data", bucket(encryption_at_rest="none"), ["default encryption"], ["SQLCipher"]),
    ("unencrypted-personal-data", bucket(encryption_at_rest="none", **SFTP), ["volume"], ["default encryption"]),
    ("no-retention-control", table(has_retention=False, retention_days=None), ["pg_cron", "partition"], ["S3", "GCS"]),
    ("no-retention-control", table(has_retention=False, retention_days=None, uri="mysql://db/crm.customers"),
     ["EVENT"], ["pg_cron", "S3"]),
    ("no-retention-control", bucket(has_retention=False, retention_days=None), ["Expiration"], ["pg_cron"]),
    ("no-retention-control", bucket(has_retention=False, retention_days=None, **FTP), ["older than"], ["Expiration"]),
])
def test_the_remediation_names_the_fix_for_the_kind_of_store(rule, ds, says, never):
    [f] = of_rule(run(["builtin:baseline"], [ds.model_copy(update={"personal_data": (pdata(),)})]), rule)
    for text in says:
        assert text in f.remediation, (text, f.remediation)
    for text in never:
        assert text not in f.remediation, (text, f.remediation)
