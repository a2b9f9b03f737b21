"""A username is unique whatever its case, in the database too: two accounts created at the same moment as
"Clerk" and "clerk" cannot both be written (the service's own check reads before it writes). The models leave
the index out (models/base.py UNMODELLED_PREFIXES): it is not the same expression on both databases.

Revision ID: 0009_username_any_case
Revises: 0008_user_locale
Create Date: 2026-01-09
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_username_any_case"
down_revision = "0008_user_locale"
branch_labels = None
depends_on = None


def upgrade():
    clashes = (
        op.get_bind()
        .execute(sa.text("SELECT lower(username) FROM users GROUP BY lower(username) HAVING count(*) > 1"))
        .scalars()
        .all()
    )
    if clashes:
        raise RuntimeError(
            "These usernames exist in more than one case; rename or disable all but one of each, then upgrade: "
            + ", ".join(sorted(clashes))
        )
    # SQLite: the column under its case-blind collation (an expression index would not reflect); both fold
    # ASCII letters only, as SQLite's lower() does.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE UNIQUE INDEX uq_users_username_lower ON users (username COLLATE NOCASE)")
    else:
        op.execute("CREATE UNIQUE INDEX uq_users_username_lower ON users (lower(username))")


def downgrade():
    op.drop_index("uq_users_username_lower", table_name="users")
