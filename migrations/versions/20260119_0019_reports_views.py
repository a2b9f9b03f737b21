"""(reserved: filled by the change that needs it)

Revision ID: 0019_reports_views
Revises: 0018_bank_answers_voids
Create Date: 2026-01-19
"""

revision = "0019_reports_views"
down_revision = "0018_bank_answers_voids"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
