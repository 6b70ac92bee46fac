"""Each dataset's last classification, kept under the digest of what it was made from
(``auditor.classify.memo``): a later run whose sample of the dataset has the same digest uses the
result again instead of classifying the same values again. One row per dataset (its key: a hash
of source, kind and name), replaced by every run that classifies it. The result is what the run
kept (masked examples, scrubbed names): no raw value.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "classify_memo",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(255), nullable=False, index=True),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("day", sa.String(10)),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("classify_memo")
