"""Server-side sessions, sign-in throttling and the security audit log.

- users.must_change_password: set by an admin's password reset, cleared when the user chooses their own.
- user_sessions: one row per signed-in browser, keyed by the SHA-256 of the token its cookie carries.
- sign_in_attempts: each checked sign-in (name typed, address, outcome), read by every worker to throttle guessing.
- security_events: the security audit log, append-only (UPDATE and DELETE refused by triggers; PostgreSQL: the
  append_only() function of revision 0002).

SQLite: the column is added with a plain ALTER TABLE (no rebuild of users).

Revision ID: 0013_sessions_audit
Revises: 0012_action_override
Create Date: 2026-01-13
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_sessions_audit"
down_revision = "0012_action_override"
branch_labels = None
depends_on = None

TRIGGERS = ("trg_security_events_no_update", "trg_security_events_no_delete")


def upgrade():
    op.add_column("users", sa.Column("must_change_password", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.Column("user_agent", sa.String(255), nullable=True),
        sa.Column("ended_at", sa.DateTime, nullable=True),
        sa.Column("ended_reason", sa.String(16), nullable=True),
        sa.CheckConstraint(
            "ended_reason IN ('logout', 'idle', 'expired', 'password', 'role', 'disabled', 'admin')",
            name="ck_user_sessions_ended_reason",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_user_sessions_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_user_sessions"),
    )
    op.create_index("ix_user_sessions_user_id_ended_at", "user_sessions", ["user_id", "ended_at"])
    op.create_table(
        "sign_in_attempts",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("ip", sa.String(45), nullable=False),
        sa.Column("known", sa.Boolean, nullable=False),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.CheckConstraint("outcome IN ('success', 'failure')", name="ck_sign_in_attempts_outcome"),
        sa.PrimaryKeyConstraint("id", name="pk_sign_in_attempts"),
    )
    op.create_index("ix_sign_in_attempts_username_at", "sign_in_attempts", ["username", "at"])
    op.create_index("ix_sign_in_attempts_ip_at", "sign_in_attempts", ["ip", "at"])
    op.create_table(
        "security_events",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("username", sa.String(80), nullable=True),
        sa.Column("actor", sa.String(80), nullable=True),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.Column("detail", sa.JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_security_events"),
    )
    op.create_index("ix_security_events_at", "security_events", ["at"])
    op.create_index("ix_security_events_kind", "security_events", ["kind"])
    op.create_index("ix_security_events_username", "security_events", ["username"])
    if op.get_bind().dialect.name == "postgresql":
        for trigger, event in zip(TRIGGERS, ("UPDATE", "DELETE"), strict=True):
            op.execute(
                f"CREATE TRIGGER {trigger} BEFORE {event} ON security_events "
                "FOR EACH ROW EXECUTE FUNCTION append_only()"
            )
    else:
        for trigger, event in zip(TRIGGERS, ("UPDATE", "DELETE"), strict=True):
            op.execute(
                f"CREATE TRIGGER {trigger} BEFORE {event} ON security_events "
                "BEGIN SELECT RAISE(ABORT, 'security_events is append-only'); END"
            )


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (" ON security_events" if postgresql else ""))
    op.drop_table("security_events")
    op.drop_table("sign_in_attempts")
    op.drop_table("user_sessions")
    if postgresql:
        op.drop_column("users", "must_change_password")
    else:
        # DROP COLUMN keeps the table (SQLite 3.35+): no rebuild of users.
        op.execute("ALTER TABLE users DROP COLUMN must_change_password")
