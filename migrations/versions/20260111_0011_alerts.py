"""Expiry alerts: the digest's runs, what each announced to whom (append-only, once per guarantee, expiry date,
threshold and recipient), the in-app notifications, and each user's e-mail address.

SQLite: users.email is added with a plain ALTER TABLE (no table rebuild). PostgreSQL: the announcements' triggers
use the append_only() function of revision 0002.

Revision ID: 0011_alerts
Revises: 0010_letter_references
Create Date: 2026-01-11
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_alerts"
down_revision = "0010_letter_references"
branch_labels = None
depends_on = None

TRIGGERS = ("trg_alert_announcements_no_update", "trg_alert_announcements_no_delete")


def upgrade():
    op.add_column("users", sa.Column("email", sa.String(254), nullable=True))
    op.create_table(
        "alert_runs",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.Column("today", sa.Date, nullable=False),
        sa.Column("sent", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
        sa.Column("run_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_runs"),
    )
    op.create_table(
        "alert_announcements",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("guarantee_id", sa.Integer, nullable=False),
        sa.Column("expiry_date", sa.Date, nullable=False),
        sa.Column("threshold", sa.Integer, nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("announced_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("threshold >= 0", name="ck_alert_announcements_threshold"),
        sa.ForeignKeyConstraint(
            ["guarantee_id"], ["guarantees.id"], name="fk_alert_announcements_guarantee_id_guarantees"
        ),
        sa.ForeignKeyConstraint(["run_id"], ["alert_runs.id"], name="fk_alert_announcements_run_id_alert_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_alert_announcements"),
        sa.UniqueConstraint(
            "guarantee_id", "expiry_date", "threshold", "recipient", name="uq_alert_announcements_guarantee_id"
        ),
    )
    op.create_index("ix_alert_announcements_run_id", "alert_announcements", ["run_id"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("guarantee_id", sa.Integer, nullable=False),
        sa.Column("threshold", sa.Integer, nullable=False),
        sa.Column("days_left", sa.Integer, nullable=False),
        sa.Column("expiry_date", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("read_at", sa.DateTime, nullable=True),
        sa.ForeignKeyConstraint(["guarantee_id"], ["guarantees.id"], name="fk_notifications_guarantee_id_guarantees"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_notifications_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
    )
    op.create_index("ix_notifications_guarantee_id", "notifications", ["guarantee_id"])
    op.create_index("ix_notifications_user_id_read_at", "notifications", ["user_id", "read_at"])
    if op.get_bind().dialect.name == "postgresql":
        for trigger, event in zip(TRIGGERS, ("UPDATE", "DELETE"), strict=True):
            op.execute(
                f"CREATE TRIGGER {trigger} BEFORE {event} ON alert_announcements "
                "FOR EACH ROW EXECUTE FUNCTION append_only()"
            )
    else:
        for trigger, event in zip(TRIGGERS, ("UPDATE", "DELETE"), strict=True):
            op.execute(
                f"CREATE TRIGGER {trigger} BEFORE {event} ON alert_announcements "
                "BEGIN SELECT RAISE(ABORT, 'alert_announcements is append-only'); END"
            )


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (" ON alert_announcements" if postgresql else ""))
    op.drop_table("notifications")
    op.drop_table("alert_announcements")
    op.drop_table("alert_runs")
    if postgresql:
        op.drop_column("users", "email")
    else:
        # DROP COLUMN keeps the table (SQLite 3.35+): no rebuild of users.
        op.execute("ALTER TABLE users DROP COLUMN email")
