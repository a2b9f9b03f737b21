"""Legacy schema: the PHP system's tables, in their latest variant.

Revision ID: 0001_legacy
Revises:
Create Date: 2026-01-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_legacy"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_type", sa.Text, nullable=False),
        sa.Column("record_count", sa.Integer, nullable=True),
        sa.Column("created_at", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_import_sessions"),
    )
    op.create_table(
        "imported_records",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("session_id", sa.Integer),
        sa.Column("raw_supplier_name", sa.Text),
        sa.Column("raw_bank_name", sa.Text),
        sa.Column("amount", sa.Text),
        sa.Column("guarantee_number", sa.Text),
        sa.Column("issue_date", sa.Text),
        sa.Column("expiry_date", sa.Text),
        sa.Column("normalized_supplier", sa.Text),
        sa.Column("normalized_bank", sa.Text),
        sa.Column("match_status", sa.Text),
        sa.Column("supplier_id", sa.Integer),
        sa.Column("bank_id", sa.Integer),
        sa.Column("created_at", sa.Text),
        sa.Column("decision_result", sa.Text),
        sa.Column("contract_number", sa.Text),
        sa.Column("type", sa.Text),
        sa.Column("comment", sa.Text),
        sa.Column("contract_source", sa.Text),
        sa.Column("bank_display", sa.Text),
        sa.Column("supplier_display_name", sa.Text),
        sa.Column("related_to", sa.Text),
        sa.Column("record_type", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_imported_records"),
    )
    op.create_index("ix_imported_records_session_id", "imported_records", ["session_id"])
    op.create_index("ix_imported_records_guarantee_number", "imported_records", ["guarantee_number"])
    op.create_table(
        "suppliers",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("official_name", sa.Text, nullable=False),
        sa.Column("display_name", sa.Text),
        sa.Column("normalized_name", sa.Text),
        sa.Column("is_confirmed", sa.Integer),
        sa.Column("created_at", sa.Text),
        sa.Column("updated_at", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_suppliers"),
    )
    op.create_table(
        "banks",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("official_name", sa.Text, nullable=False),
        sa.Column("official_name_en", sa.Text),
        sa.Column("official_name_ar", sa.Text),
        sa.Column("normalized_key", sa.Text),
        sa.Column("short_code", sa.Text),
        sa.Column("is_confirmed", sa.Integer),
        sa.Column("created_at", sa.Text),
        sa.Column("updated_at", sa.Text),
        sa.Column("address_line_1", sa.Text),
        sa.Column("address_line_2", sa.Text),
        sa.Column("contact_email", sa.Text),
        sa.Column("department", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_banks"),
    )


def downgrade():
    op.drop_table("banks")
    op.drop_table("suppliers")
    op.drop_index("ix_imported_records_guarantee_number", table_name="imported_records")
    op.drop_index("ix_imported_records_session_id", table_name="imported_records")
    op.drop_table("imported_records")
    op.drop_table("import_sessions")
