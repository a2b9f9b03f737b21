"""Review decisions link to the legacy row that mirrors them, so the timeline shows each decision once.

Revision ID: 0004_decision_legacy_link
Revises: 0003_matching
Create Date: 2026-01-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_decision_legacy_link"
down_revision = "0003_matching"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("match_decisions") as batch:
        batch.add_column(sa.Column("legacy_record_id", sa.Integer))


def downgrade():
    with op.batch_alter_table("match_decisions") as batch:
        batch.drop_column("legacy_record_id")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite rebuilt the table to drop the column, and its triggers went with it: restore append-only.
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER IF NOT EXISTS trg_match_decisions_no_{event.lower()} BEFORE {event} "
                "ON match_decisions BEGIN SELECT RAISE(ABORT, 'match_decisions is append-only'); END"
            )
