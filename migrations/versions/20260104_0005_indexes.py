"""Indexes the pages need at scale: history links, list order, dashboard totals and recent actions.

Revision ID: 0005_indexes
Revises: 0004_decision_legacy_link
Create Date: 2026-01-04
"""

from alembic import op

revision = "0005_indexes"
down_revision = "0004_decision_legacy_link"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_guarantee_edits_legacy_record_id", "guarantee_edits", ["legacy_record_id"]),
    ("ix_match_decisions_legacy_record_id", "match_decisions", ["legacy_record_id"]),
    ("ix_guarantee_actions_created_at_id", "guarantee_actions", ["created_at", "id"]),
    ("ix_guarantees_expiry_date_id", "guarantees", ["expiry_date", "id"]),
    ("ix_guarantees_status_expiry_date_id", "guarantees", ["status", "expiry_date", "id"]),
    ("ix_guarantees_status_currency_amount", "guarantees", ["status", "currency", "amount"]),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
