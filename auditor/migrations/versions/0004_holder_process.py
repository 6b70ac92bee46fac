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
    # in place (SQLite 3.35+ drops a column itself): a batch copies the table and DROPs the old one,
    # and on SQLite with foreign keys on (the store's connections) dropping ``runs`` deleted its rows
    # first, and ON DELETE CASCADE every run's sources, datasets and findings with them
    op.drop_column("runs", "process")
    op.drop_column("run_lock", "process")
