"""(reserved: filled by the change that needs it)

Revision ID: 0021_dictionary_fields
Revises: 0020_legacy_retire
Create Date: 2026-01-21
"""

revision = "0021_dictionary_fields"
down_revision = "0020_legacy_retire"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
