"""Fingerprints become keyed (HMAC, auditor/fingerprint.py): the unkeyed SHA-256 ones are cleared.

An unkeyed fingerprint of a one-row table plus its masked example gives the value back by
brute force, so none may stay in the store. They cannot be re-keyed (the rows they hashed
are gone), so they are removed, from the ``fingerprint`` column and from each dataset's facts
JSON: "unchanged since first seen" restarts from the first run after this upgrade.

Revision ID: 0003
Revises: 0002
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete = ON")  # freed page space is zeroed, not left readable
    datasets = sa.table("datasets", sa.column("pk", sa.Integer), sa.column("fingerprint", sa.String),
                        sa.column("facts", sa.Text))
    rows = conn.execute(sa.select(datasets.c.pk, datasets.c.facts).where(datasets.c.fingerprint.is_not(None))).all()
    for pk, facts in rows:
        doc = json.loads(facts)
        if isinstance(doc.get("facts"), dict):
            doc["facts"].pop("fingerprint", None)
        conn.execute(datasets.update().where(datasets.c.pk == pk).values(fingerprint=None, facts=json.dumps(doc)))


def downgrade() -> None:
    pass  # nothing to restore: the unkeyed fingerprints are gone on purpose
