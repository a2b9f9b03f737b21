"""Letters fit to send: a reference number on each issued action (unique, never reused; migrated actions keep
none), and the settings table that holds the letterhead and the signatory (and the logo's bytes).

SQLite: the column is added with a plain ALTER TABLE (no table rebuild), so the triggers on guarantee_actions
stay in place; the reference is written in the same UPDATE that issues an action, which they allow.

Revision ID: 0010_letter_references
Revises: 0009_username_any_case
Create Date: 2026-01-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_letter_references"
down_revision = "0009_username_any_case"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("guarantee_actions", sa.Column("reference", sa.String(32), nullable=True))
    op.create_index("uq_guarantee_actions_reference", "guarantee_actions", ["reference"], unique=True)
    op.create_table(
        "settings",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=True),
        sa.Column("content", sa.LargeBinary, nullable=True),
        sa.Column("updated_by", sa.String(80), nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )


def downgrade():
    op.drop_table("settings")
    op.drop_index("uq_guarantee_actions_reference", table_name="guarantee_actions")
    if op.get_bind().dialect.name == "sqlite":
        # DROP COLUMN keeps the table (SQLite 3.35+): no rebuild, so the triggers stay.
        op.execute("ALTER TABLE guarantee_actions DROP COLUMN reference")
    else:
        op.drop_column("guarantee_actions", "reference")
