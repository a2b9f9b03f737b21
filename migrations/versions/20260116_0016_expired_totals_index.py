"""The dashboard's totals of expired guarantees per currency from an index alone: (status, expiry_date, currency,
amount) answers "active and past its expiry, summed by currency" without reading the table's rows.

Revision ID: 0016_expired_totals_index
Revises: 0015_integrity
Create Date: 2026-01-16
"""

from alembic import op

revision = "0016_expired_totals_index"
down_revision = "0015_integrity"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_guarantees_status_expiry_currency_amount", "guarantees", ["status", "expiry_date", "currency", "amount"]
    )


def downgrade():
    op.drop_index("ix_guarantees_status_expiry_currency_amount", table_name="guarantees")
