"""Each user's interface language, remembered across sessions and browsers (NULL: not chosen yet).

Revision ID: 0008_user_locale
Revises: 0007_search_words
Create Date: 2026-01-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_user_locale"
down_revision = "0007_search_words"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("locale", sa.String(8), nullable=True))
        batch.create_check_constraint(op.f("ck_users_locale"), "locale IN ('ar', 'en')")


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_locale"), type_="check")
        batch.drop_column("locale")
