"""(reserved: filled by the change that needs it)

Revision ID: 0017_notes_attachments
Revises: 0016_expired_totals_index
Create Date: 2026-01-17
"""

revision = "0017_notes_attachments"
down_revision = "0016_expired_totals_index"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
