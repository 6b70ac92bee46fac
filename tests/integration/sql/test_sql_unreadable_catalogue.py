"""A catalogue that cannot be read for a reason other than a privilege (a corrupt or truncated SQLite
file, "file is not a database") is not assessed with a fix that fits: before, every such schema error
said "grant USAGE on the schema to the audit role", which no SQLite file (nor MariaDB) has."""

from __future__ import annotations

from sql_helpers import scan

from auditor.models import CollectionError


def test_a_corrupt_sqlite_file_is_not_assessed_with_a_fix_that_fits(tmp_path):
    path = tmp_path / "vendor.db"
    path.write_bytes(b"this is not a database, " * 1000)
    items = scan(f"sqlite:///{path}")
    errors = [e for e in items if isinstance(e, CollectionError)]
    assert errors and all(e.fix for e in errors)
    (e,) = [e for e in errors if "not a database" in e.reason]
    assert "USAGE" not in (e.fix or "") and "grant" not in (e.fix or "").lower()
    assert path.read_bytes() == b"this is not a database, " * 1000  # read-only
