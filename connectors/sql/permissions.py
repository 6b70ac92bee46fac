"""Least-privilege grants per engine, printed by ``auditor permissions --kind sql``.

Each text is a dialect's ``grants`` (:class:`.dialects.Dialect`); :func:`grants` lists those of
every registered dialect, so a new engine's grants are printed without an edit here.
"""

from __future__ import annotations

POSTGRESQL = (
    "CREATE ROLE auditor LOGIN PASSWORD '...';\n"
    "GRANT CONNECT ON DATABASE <db> TO auditor;\n"
    "GRANT USAGE ON SCHEMA <schema> TO auditor;            -- each audited schema\n"
    "GRANT SELECT ON ALL TABLES IN SCHEMA <schema> TO auditor;\n"
    "-- or, PostgreSQL 14+: GRANT pg_read_all_data TO auditor;\n"
    "-- optional, for encryption_in_transit when ssl = on (superuser-only by default):\n"
    "GRANT SELECT ON pg_hba_file_rules TO auditor; GRANT EXECUTE ON FUNCTION pg_hba_file_rules() TO auditor;\n"
    "-- optional, for commit-time age: track_commit_timestamp = on (server setting, needs a restart).\n"
    "-- tables with row-level security: the audit role must see every row, or the table is not assessed\n"
    "-- (the session reads with row_security = off, so a filtered read fails instead of looking empty):\n"
    "ALTER ROLE auditor BYPASSRLS;   -- or, per table: CREATE POLICY auditor_read ON <table> FOR SELECT TO auditor USING (true);\n"
    "-- The connector sets default_transaction_read_only for its session itself: every statement runs read-only."
)
MYSQL = (
    "CREATE USER 'auditor'@'<auditor host>' IDENTIFIED BY '...';\n"
    "GRANT SELECT ON <db>.* TO 'auditor'@'<auditor host>';   -- each audited database\n"
    "-- optional, for InnoDB table encryption (information_schema.INNODB_TABLESPACES_ENCRYPTION):\n"
    "GRANT PROCESS ON *.* TO 'auditor'@'<auditor host>';\n"
    "-- Tables on which the user has no privilege at all are invisible in information_schema\n"
    "-- and cannot even be reported as unreadable: grant SELECT on whole databases.\n"
    "-- The connector sets SET SESSION TRANSACTION READ ONLY itself: every statement runs read-only."
)
SQLITE = (
    "Read permission on the database file (and on its -wal file when there is one).\n"
    "The connector never creates a file beside the database: it opens it with mode=ro (rollback\n"
    "journal) or immutable=1 (WAL mode without a -wal file), or reads a temporary copy of the\n"
    "file and its -wal; always with PRAGMA query_only = ON."
)


def grants() -> dict[str, str]:
    """{engine: grants} of every registered dialect that declares its grants."""
    from .dialects import registered  # noqa: PLC0415 - the dialects hold these texts

    return {cls.name: cls.grants for cls in registered() if cls.grants}
