"""Each dataset's newest write counter (PostgreSQL's cumulative statistics: rows inserted, updated
and deleted), kept from run to run: a later run whose counter is higher in the same epoch knows the
table was written since, where its sample fingerprint alone said "unchanged since first seen".
One row per dataset (its key: a hash of source and name), replaced by every run that reads one, so
the next run reads them all in one query.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "write_marks",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(255), nullable=False, index=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("counter", sa.Text, nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("write_marks")
