"""An index of findings on (run_id, rule) in place of the one on run_id alone: whether a run stored
complete left a not-assessed finding (``runs --list``, the metrics' last complete run, an earlier
version's runs) is read from the run's not-assessed rows only. By ``ix_findings_run_id`` it read
every finding row of every complete run, each row's JSON too. Everything the old index served
(a run's findings, the cascade when a run is deleted, MySQL's foreign key) this one serves by its
first column, so a run's save keeps one index entry per finding, as before.

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # created before the old one is dropped: MySQL keeps an index on the foreign key's column throughout
    op.create_index("ix_findings_run_id_rule", "findings", ["run_id", "rule"])
    op.drop_index("ix_findings_run_id", table_name="findings")


def downgrade() -> None:
    op.create_index("ix_findings_run_id", "findings", ["run_id"])
    op.drop_index("ix_findings_run_id_rule", table_name="findings")
