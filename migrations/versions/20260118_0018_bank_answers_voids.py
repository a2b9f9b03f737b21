"""(reserved: filled by the change that needs it)

Revision ID: 0018_bank_answers_voids
Revises: 0017_notes_attachments
Create Date: 2026-01-18
"""

revision = "0018_bank_answers_voids"
down_revision = "0017_notes_attachments"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
