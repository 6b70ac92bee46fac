"""An index of findings on (id, run_id): ``Store.first_seen`` finds each id's rows in it and reads
the run of each from ``runs`` by its key, never a finding row itself. It read every finding row of
every history run (by ``ix_findings_run_id``, each row's JSON too), so a nightly run's cost grew
with every run kept.

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_findings_id_run_id", "findings", ["id", "run_id"])


def downgrade() -> None:
    op.drop_index("ix_findings_id_run_id", table_name="findings")
