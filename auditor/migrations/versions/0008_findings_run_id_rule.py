"""An index of findings on (run_id, rule) in place of the one on run_id alone: whether a run stored
complete left a not-assessed finding (``runs --list``, the metrics' last complete run, an earlier
version's runs) is read from the run's not-assessed rows only. By ``ix_findings_run_id`` it read
every finding row of every complete run, each row's JSON too. A run's findings, the cascade when a
run is deleted and MySQL's foreign key are served by its first column (a run's findings read in
pk order are now sorted after they are found: one run's rows), so a run's save keeps one index
entry per finding, as before.

Each step is skipped where it is done already: MySQL commits DDL as it goes, so an upgrade stopped
between the two statements left both indexes at revision 0007, and the next start repeats it.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _indexes() -> set[str | None]:
    return {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes("findings")}


def upgrade() -> None:
    # created before the old one is dropped: MySQL keeps an index on the foreign key's column throughout
    if "ix_findings_run_id_rule" not in _indexes():
        op.create_index("ix_findings_run_id_rule", "findings", ["run_id", "rule"])
    if "ix_findings_run_id" in _indexes():
        op.drop_index("ix_findings_run_id", table_name="findings")


def downgrade() -> None:
    if "ix_findings_run_id" not in _indexes():
        op.create_index("ix_findings_run_id", "findings", ["run_id"])
    if "ix_findings_run_id_rule" in _indexes():
        op.drop_index("ix_findings_run_id_rule", table_name="findings")
