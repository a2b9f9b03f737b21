"""(reserved: filled by the change that needs it)

Revision ID: 0020_legacy_retire
Revises: 0019_reports_views
Create Date: 2026-01-20
"""

revision = "0020_legacy_retire"
down_revision = "0019_reports_views"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
