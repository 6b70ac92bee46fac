"""The index of findings on ``id`` alone dropped: ``ix_findings_id_run_id`` (id, run_id) serves every
read by a finding's id (``first_seen``, a finding's last data and severity) by its first column.
Each run's save put one entry per finding into both, at a place its id (a hash) makes random: two
index pages written for each finding where one is needed, a cost that grew with the history kept.

Skipped where it is done already (a store upgraded before, or created without it).

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _indexes() -> set[str | None]:
    return {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes("findings")}


def upgrade() -> None:
    if "ix_findings_id" in _indexes():
        op.drop_index("ix_findings_id", table_name="findings")


def downgrade() -> None:
    if "ix_findings_id" not in _indexes():
        op.create_index("ix_findings_id", "findings", ["id"])
