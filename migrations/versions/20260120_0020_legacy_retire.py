"""Retiring the legacy tables (the guide's phase 6): the archive tables, and dual-write kept off once turned off.

- legacy_archives: one row per archive of the legacy tables (`flask legacy archive`): file, SHA-256, row counts.
- legacy_archive_records: every imported_records row as it was when archived, with its session's type and its
  links, written in the transaction that drops the legacy tables, so the history never needs the file.
- Both append-only: UPDATE, DELETE (and on PostgreSQL TRUNCATE) refused by triggers.
- settings: the `dual_write` row, once "off" (`flask legacy retire`), can be neither changed nor deleted.

The downgrade refuses once the legacy tables were archived: the revisions below it would drop columns of tables
that are gone, and the rows are in the archive file, not in the database.

Revision ID: 0020_legacy_retire
Revises: 0019_reports_views
Create Date: 2026-01-20
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_legacy_retire"
down_revision = "0019_reports_views"
branch_labels = None
depends_on = None

TABLES = ("legacy_archives", "legacy_archive_records")
DUAL_WRITE_MSG = "settings: dual-write, once retired (off), stays off"
TEXT_COLUMNS = (
    "raw_supplier_name", "raw_bank_name", "amount", "guarantee_number", "issue_date", "expiry_date",
    "normalized_supplier", "normalized_bank", "match_status",
)  # fmt: skip
MORE_TEXT = ("created_at", "decision_result", "contract_number", "type", "comment", "contract_source",
             "bank_display", "supplier_display_name", "related_to", "record_type")  # fmt: skip


def _sqlite_triggers() -> list[str]:
    statements = []
    for table in TABLES:
        for event in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER trg_{table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
        # INSERT OR REPLACE would delete the row it replaces without a DELETE trigger firing.
        statements.append(
            f"CREATE TRIGGER trg_{table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} o WHERE o.id = NEW.id) "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )
    for event in ("UPDATE", "DELETE"):
        statements.append(
            f"CREATE TRIGGER trg_settings_dual_write_{event.lower()} BEFORE {event} ON settings "
            f"WHEN OLD.key = 'dual_write' AND OLD.value = 'off' BEGIN SELECT RAISE(ABORT, '{DUAL_WRITE_MSG}'); END"
        )
    statements.append(
        "CREATE TRIGGER trg_settings_dual_write_replace BEFORE INSERT ON settings "
        "WHEN EXISTS (SELECT 1 FROM settings o WHERE o.key = NEW.key AND o.key = 'dual_write' AND o.value = 'off') "
        f"BEGIN SELECT RAISE(ABORT, '{DUAL_WRITE_MSG}'); END"
    )
    return statements


def _pg_triggers() -> list[str]:
    statements = []
    for table in TABLES:
        for event in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER trg_{table}_no_{event.lower()} BEFORE {event} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION append_only()"
            )
        statements.append(
            f"CREATE TRIGGER trg_{table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate()"
        )
    statements.append(
        "CREATE TRIGGER trg_settings_dual_write_final BEFORE UPDATE OR DELETE ON settings FOR EACH ROW "
        "WHEN (OLD.key = 'dual_write' AND OLD.value = 'off') "
        f"EXECUTE FUNCTION refuse_change('{DUAL_WRITE_MSG}')"
    )
    # a TRUNCATE fires no row trigger: without this, it would empty the settings, the retired switch included
    statements.append(
        "CREATE TRIGGER trg_settings_no_truncate BEFORE TRUNCATE ON settings "
        "FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate()"
    )
    return statements


def upgrade():
    op.create_table(
        "legacy_archives",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("archived_at", sa.DateTime, nullable=False),
        sa.Column("archived_by", sa.String(80), nullable=True),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_legacy_archives"),
    )
    op.create_table(
        "legacy_archive_records",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("session_id", sa.Integer),
        *(sa.Column(name, sa.Text) for name in TEXT_COLUMNS),
        sa.Column("supplier_id", sa.Integer),
        sa.Column("bank_id", sa.Integer),
        *(sa.Column(name, sa.Text) for name in MORE_TEXT),
        sa.Column("migrated_guarantee_id", sa.Integer),
        sa.Column("migrated_action_id", sa.Integer),
        sa.Column("import_batch_id", sa.Integer),
        sa.Column("session_type", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_legacy_archive_records"),
    )
    op.create_index("ix_legacy_archive_records_guarantee_number", "legacy_archive_records", ["guarantee_number"])
    op.create_index(
        "ix_legacy_archive_records_migrated_guarantee_id", "legacy_archive_records", ["migrated_guarantee_id"]
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in _pg_triggers() if postgresql else _sqlite_triggers():
        op.execute(statement)


def downgrade():
    conn = op.get_bind()
    archived = conn.execute(sa.text("SELECT archived_at, file_name FROM legacy_archives ORDER BY id")).first()
    if archived is not None:
        raise RuntimeError(
            f"The legacy tables were archived on {str(archived.archived_at)[:16]} to {archived.file_name} and "
            "dropped: the revisions below this one need them. Nothing was downgraded."
        )
    if conn.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_settings_no_truncate ON settings")
        op.execute("DROP TRIGGER IF EXISTS trg_settings_dual_write_final ON settings")
    else:
        for name in ("update", "delete", "replace"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_settings_dual_write_{name}")
    # (the archive tables' own triggers go with them)
    op.drop_index("ix_legacy_archive_records_migrated_guarantee_id", table_name="legacy_archive_records")
    op.drop_index("ix_legacy_archive_records_guarantee_number", table_name="legacy_archive_records")
    op.drop_table("legacy_archive_records")
    op.drop_table("legacy_archives")
