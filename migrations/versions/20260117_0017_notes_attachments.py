"""Notes and attachments (DESIGN §9): an append-only thread of notes on a guarantee, an import batch or an action
session (exactly one of them), and files on a guarantee (optionally tied to one of its actions), stored by their
SHA-256 outside the database.

Database rules, on SQLite and PostgreSQL alike:
- notes: no UPDATE, no DELETE (and no TRUNCATE on PostgreSQL, no INSERT OR REPLACE over a row on SQLite);
- attachments: never deleted; the only change is hiding one, once: hidden_by, hidden_at and hidden_reason go from
  empty to set together, and nothing else of the row changes.

A note that mentions a colleague (`@username`) gives them an in-app notification: notifications.note_id names the
note, and such a notification has no threshold, days left or expiry date (an expiry alert has all three and no
note). SQLite rebuilds the notifications table for it (batch mode); its rows are kept.

Revision ID: 0017_notes_attachments
Revises: 0016_expired_totals_index
Create Date: 2026-01-17
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_notes_attachments"
down_revision = "0016_expired_totals_index"
branch_labels = None
depends_on = None

NOTE_MAX = 4000  # characters; domain/notes.py says the same to the user before the database has to
CONTENT_TYPES = (
    "application/pdf", "image/png", "image/jpeg",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)  # fmt: skip
# What an attachment keeps for good (hiding sets the three hidden_* columns, once, and nothing else).
ATTACHMENT_IDENTITY = (
    "id", "guarantee_id", "action_id", "original_name", "size_bytes", "content_type", "sha256", "uploaded_by",
    "uploaded_at",
)  # fmt: skip
HIDE_ONCE = "attachments: an attachment is never deleted; it is hidden once, with a reason, and nothing else changes"
NOTES_APPEND_ONLY = "notes is append-only"
SQLITE_TRIGGERS = (
    "trg_notes_no_update", "trg_notes_no_delete", "trg_notes_no_replace",
    "trg_attachments_hide_once", "trg_attachments_no_delete", "trg_attachments_no_replace",
)  # fmt: skip
PG_TRIGGERS = {
    "trg_notes_no_update": "notes", "trg_notes_no_delete": "notes", "trg_notes_no_truncate": "notes",
    "trg_attachments_hide_once": "attachments", "trg_attachments_no_delete": "attachments",
    "trg_attachments_no_truncate": "attachments",
}  # fmt: skip


def _one_of(*columns: str) -> str:
    return " + ".join(f"(CASE WHEN {column} IS NULL THEN 0 ELSE 1 END)" for column in columns) + " = 1"


def _tables() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("guarantee_id", sa.Integer, nullable=True),
        sa.Column("import_batch_id", sa.Integer, nullable=True),
        sa.Column("action_session_id", sa.Integer, nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.CheckConstraint(_one_of("guarantee_id", "import_batch_id", "action_session_id"), name="ck_notes_one_target"),
        sa.CheckConstraint(f"length(body) BETWEEN 1 AND {NOTE_MAX}", name="ck_notes_body_length"),
        sa.ForeignKeyConstraint(["guarantee_id"], ["guarantees.id"], name="fk_notes_guarantee_id_guarantees"),
        sa.ForeignKeyConstraint(
            ["import_batch_id"], ["import_batches.id"], name="fk_notes_import_batch_id_import_batches"
        ),
        sa.ForeignKeyConstraint(
            ["action_session_id"], ["action_sessions.id"], name="fk_notes_action_session_id_action_sessions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notes"),
    )
    op.create_index("ix_notes_guarantee_id", "notes", ["guarantee_id"])
    op.create_index("ix_notes_import_batch_id", "notes", ["import_batch_id"])
    op.create_index("ix_notes_action_session_id", "notes", ["action_session_id"])
    types = ", ".join(f"'{kind}'" for kind in CONTENT_TYPES)
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("guarantee_id", sa.Integer, nullable=False),
        sa.Column("action_id", sa.Integer, nullable=True),
        sa.Column("original_name", sa.String(255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.String(80), nullable=False),
        sa.Column("uploaded_at", sa.DateTime, nullable=False),
        sa.Column("hidden_by", sa.String(80), nullable=True),
        sa.Column("hidden_at", sa.DateTime, nullable=True),
        sa.Column("hidden_reason", sa.Text, nullable=True),
        sa.CheckConstraint(f"content_type IN ({types})", name="ck_attachments_content_type"),
        sa.CheckConstraint("size_bytes > 0", name="ck_attachments_size"),
        sa.CheckConstraint("length(sha256) = 64", name="ck_attachments_sha256"),
        sa.CheckConstraint(
            "(hidden_by IS NULL AND hidden_at IS NULL AND hidden_reason IS NULL) OR (hidden_by IS NOT NULL AND "
            "hidden_at IS NOT NULL AND hidden_reason IS NOT NULL AND length(trim(hidden_reason)) > 0)",
            name="ck_attachments_hidden",
        ),
        sa.ForeignKeyConstraint(["guarantee_id"], ["guarantees.id"], name="fk_attachments_guarantee_id_guarantees"),
        sa.ForeignKeyConstraint(
            ["action_id"], ["guarantee_actions.id"], name="fk_attachments_action_id_guarantee_actions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_attachments"),
    )
    op.create_index("ix_attachments_guarantee_id", "attachments", ["guarantee_id"])
    op.create_index("ix_attachments_action_id", "attachments", ["action_id"])
    op.create_index("ix_attachments_sha256", "attachments", ["sha256"])


def _changed(columns, is_distinct: str) -> str:
    return " OR ".join(f"NEW.{column}{is_distinct}OLD.{column}" for column in columns)


def _hide_refused(is_distinct: str) -> str:
    """An update that is not the one hiding: a row already hidden, an identity column changed, or hiding cleared."""
    return (
        f"OLD.hidden_at IS NOT NULL OR OLD.hidden_by IS NOT NULL OR OLD.hidden_reason IS NOT NULL "
        f"OR {_changed(ATTACHMENT_IDENTITY, is_distinct)} "
        "OR NEW.hidden_at IS NULL OR NEW.hidden_by IS NULL OR NEW.hidden_reason IS NULL"
    )


def _sqlite() -> None:
    def abort(message: str) -> str:
        return f"BEGIN SELECT RAISE(ABORT, '{message}'); END"

    for statement in (
        "CREATE TRIGGER trg_notes_no_update BEFORE UPDATE ON notes " + abort(NOTES_APPEND_ONLY),
        "CREATE TRIGGER trg_notes_no_delete BEFORE DELETE ON notes " + abort(NOTES_APPEND_ONLY),
        "CREATE TRIGGER trg_notes_no_replace BEFORE INSERT ON notes "
        "WHEN EXISTS (SELECT 1 FROM notes o WHERE o.id = NEW.id) " + abort("notes: a protected row is never replaced"),
        f"CREATE TRIGGER trg_attachments_hide_once BEFORE UPDATE ON attachments WHEN {_hide_refused(' IS NOT ')} "
        + abort(HIDE_ONCE),
        "CREATE TRIGGER trg_attachments_no_delete BEFORE DELETE ON attachments " + abort(HIDE_ONCE),
        "CREATE TRIGGER trg_attachments_no_replace BEFORE INSERT ON attachments "
        "WHEN EXISTS (SELECT 1 FROM attachments o WHERE o.id = NEW.id) "
        + abort("attachments: a protected row is never replaced"),
    ):
        op.execute(statement)


def _postgresql() -> None:
    # append_only() is revision 0002's, refuse_change(message) and refuse_truncate() revision 0015's.
    for statement in (
        "CREATE TRIGGER trg_notes_no_update BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION append_only()",
        "CREATE TRIGGER trg_notes_no_delete BEFORE DELETE ON notes FOR EACH ROW EXECUTE FUNCTION append_only()",
        "CREATE TRIGGER trg_notes_no_truncate BEFORE TRUNCATE ON notes FOR EACH STATEMENT "
        "EXECUTE FUNCTION refuse_truncate()",
        f"CREATE TRIGGER trg_attachments_hide_once BEFORE UPDATE ON attachments FOR EACH ROW "
        f"WHEN ({_hide_refused(' IS DISTINCT FROM ')}) EXECUTE FUNCTION refuse_change('{HIDE_ONCE}')",
        f"CREATE TRIGGER trg_attachments_no_delete BEFORE DELETE ON attachments FOR EACH ROW "
        f"EXECUTE FUNCTION refuse_change('{HIDE_ONCE}')",
        "CREATE TRIGGER trg_attachments_no_truncate BEFORE TRUNCATE ON attachments FOR EACH STATEMENT "
        "EXECUTE FUNCTION refuse_truncate()",
    ):
        op.execute(statement)


NOTIFICATION_KIND = (
    "(note_id IS NULL AND guarantee_id IS NOT NULL AND threshold IS NOT NULL AND days_left IS NOT NULL "
    "AND expiry_date IS NOT NULL) OR (note_id IS NOT NULL AND threshold IS NULL AND days_left IS NULL "
    "AND expiry_date IS NULL)"
)
ALERT_COLUMNS = (
    ("guarantee_id", sa.Integer),
    ("threshold", sa.Integer),
    ("days_left", sa.Integer),
    ("expiry_date", sa.Date),
)


def _mentions() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("note_id", sa.Integer, nullable=True))
        for column, type_ in ALERT_COLUMNS:
            batch.alter_column(column, existing_type=type_, nullable=True)
        batch.create_foreign_key("fk_notifications_note_id_notes", "notes", ["note_id"], ["id"])
        batch.create_check_constraint(op.f("ck_notifications_kind"), NOTIFICATION_KIND)


def _no_mentions() -> None:
    op.execute("DELETE FROM notifications WHERE note_id IS NOT NULL")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f("ck_notifications_kind"), type_="check")
        batch.drop_constraint("fk_notifications_note_id_notes", type_="foreignkey")
        batch.drop_column("note_id")
        for column, type_ in ALERT_COLUMNS:
            batch.alter_column(column, existing_type=type_, nullable=False)


def upgrade():
    _tables()
    _mentions()
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        for trigger, table in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    _no_mentions()
    op.drop_table("attachments")
    op.drop_table("notes")
