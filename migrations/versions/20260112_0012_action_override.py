"""An admin's written reason for extending an expired guarantee (a bank that already agreed in writing), kept on
the action it allowed: guarantee_actions.override_reason, NULL on every other action.

SQLite: the column is added with a plain ALTER TABLE (no table rebuild), so the triggers on guarantee_actions
stay in place; the reason is written with the draft or in the INSERT that issues an action, which they allow.

Revision ID: 0012_action_override
Revises: 0011_alerts
Create Date: 2026-01-12
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_action_override"
down_revision = "0011_alerts"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("guarantee_actions", sa.Column("override_reason", sa.Text, nullable=True))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # DROP COLUMN keeps the table (SQLite 3.35+): no rebuild, so the triggers stay.
        op.execute("ALTER TABLE guarantee_actions DROP COLUMN override_reason")
    else:
        op.drop_column("guarantee_actions", "override_reason")
