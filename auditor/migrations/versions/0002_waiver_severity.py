"""Waivers remember the severity that was accepted: a finding that gets worse re-opens.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("waivers", sa.Column("severity", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("waivers") as batch:
        batch.drop_column("severity")
