"""Dictionary fields the legacy schema has no column for: a bank's SWIFT/BIC code, in a table of its own.

`banks` keeps the legacy system's shape (the rollback checks its columns row by row, and the legacy system
still reads it), so the register's additions to a bank live in `bank_details`, one row per bank that has
any; the rollback to the legacy-only schema drops it with the other new tables.

Revision ID: 0021_dictionary_fields
Revises: 0020_legacy_retire
Create Date: 2026-01-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_dictionary_fields"
down_revision = "0020_legacy_retire"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bank_details",
        sa.Column("bank_id", sa.Integer, nullable=False),
        sa.Column("swift_bic", sa.String(11), nullable=True),
        sa.Column("updated_by", sa.String(80), nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        # 8 or 11 characters, stored upper-case (the format itself is checked by the service).
        sa.CheckConstraint(
            "swift_bic IS NULL OR (length(swift_bic) IN (8, 11) AND swift_bic = upper(swift_bic))",
            name="ck_bank_details_swift_bic",
        ),
        sa.ForeignKeyConstraint(["bank_id"], ["banks.id"], name="fk_bank_details_bank_id_banks"),
        sa.PrimaryKeyConstraint("bank_id", name="pk_bank_details"),
    )


def downgrade():
    op.drop_table("bank_details")
