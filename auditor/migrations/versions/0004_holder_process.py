"""The run lock and each run record the process that wrote them (the kernel's boot id and the
process's start in ticks after boot), so a holder is known by its process, not by comparing a
lock's age on the wall clock with the process's age on the kernel's (a clock stepped forward made
a live holder look gone).

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("run_lock", sa.Column("process", sa.String(64), nullable=True))
    op.add_column("runs", sa.Column("process", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("process")
    with op.batch_alter_table("run_lock") as batch:
        batch.drop_column("process")
