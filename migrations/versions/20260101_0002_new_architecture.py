"""New architecture: batches, guarantees, actions, history, users; transition columns; protective triggers.

Revision ID: 0002_new_architecture
Revises: 0001_legacy
Create Date: 2026-01-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_new_architecture"
down_revision = "0001_legacy"
branch_labels = None
depends_on = None

LEGACY_COLUMNS = (
    "id", "session_id", "raw_supplier_name", "raw_bank_name", "amount", "guarantee_number", "issue_date",
    "expiry_date", "normalized_supplier", "normalized_bank", "match_status", "supplier_id", "bank_id",
    "created_at", "decision_result", "contract_number", "type", "comment", "contract_source", "bank_display",
    "supplier_display_name", "related_to", "record_type",
)  # fmt: skip
IDENTIFYING = ("guarantee_number", "raw_supplier_name", "raw_bank_name", "contract_number", "po_number",
               "issue_date", "type")  # fmt: skip
DAILY = "batch_type IN ('manual_batch', 'text_paste')"
ONE_RELEASE = "action_type = 'release' AND origin = 'app'"


def _money():
    return sa.Numeric(18, 2)


def upgrade():
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("role IN ('viewer', 'editor', 'admin')", name="ck_users_role"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("batch_type", sa.String(20), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("filename", sa.Text),
        sa.Column("file_sha256", sa.String(64)),
        sa.Column("batch_date", sa.Date),
        sa.Column("total_records", sa.Integer, nullable=False),
        sa.Column("ready_records", sa.Integer, nullable=False),
        sa.Column("origin", sa.String(10), nullable=False),
        sa.Column("legacy_session_id", sa.Integer),
        sa.Column("created_by", sa.String(80)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.CheckConstraint(
            "batch_type IN ('excel_import', 'manual_batch', 'text_paste')", name="ck_import_batches_batch_type"
        ),
        sa.CheckConstraint("origin IN ('app', 'legacy')", name="ck_import_batches_origin"),
        sa.CheckConstraint("total_records >= 0 AND ready_records >= 0", name="ck_import_batches_counts"),
        sa.PrimaryKeyConstraint("id", name="pk_import_batches"),
        sa.UniqueConstraint("legacy_session_id", name="uq_import_batches_legacy_session_id"),
    )
    op.create_index("ix_import_batches_file_sha256", "import_batches", ["file_sha256"])
    op.create_index(
        "uq_import_batches_daily", "import_batches", ["batch_type", "batch_date"], unique=True,
        sqlite_where=sa.text(DAILY), postgresql_where=sa.text(DAILY),
    )  # fmt: skip
    op.create_table(
        "guarantees",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("guarantee_number", sa.String(100), nullable=False),
        sa.Column("raw_supplier_name", sa.Text),
        sa.Column("raw_bank_name", sa.Text),
        sa.Column("contract_number", sa.String(100)),
        sa.Column("po_number", sa.String(100)),
        sa.Column("related_to", sa.String(20)),
        sa.Column("amount", _money()),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("issue_date", sa.Date),
        sa.Column("expiry_date", sa.Date),
        sa.Column("type", sa.String(50)),
        sa.Column("comment", sa.Text),
        sa.Column("supplier_id", sa.Integer),
        sa.Column("bank_id", sa.Integer),
        sa.Column("supplier_display_name", sa.Text),
        sa.Column("bank_display", sa.Text),
        sa.Column("match_status", sa.String(20), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("is_locked", sa.Boolean, nullable=False),
        sa.Column("lock_reason", sa.Text),
        sa.Column("import_batch_id", sa.Integer),
        sa.Column("import_type", sa.String(20)),
        sa.Column("import_date", sa.Date),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(80)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("status IN ('active', 'released')", name="ck_guarantees_status"),
        sa.CheckConstraint("match_status IN ('ready', 'needs_review')", name="ck_guarantees_match_status"),
        sa.CheckConstraint(
            "related_to IS NULL OR related_to IN ('contract', 'purchase_order')", name="ck_guarantees_related_to"
        ),
        sa.CheckConstraint(
            "guarantee_number <> '' AND guarantee_number NOT LIKE '% %'", name="ck_guarantees_number_normalised"
        ),
        sa.CheckConstraint("amount IS NULL OR amount >= 0", name="ck_guarantees_amount_not_negative"),
        sa.CheckConstraint("version >= 1", name="ck_guarantees_version"),
        sa.ForeignKeyConstraint(["supplier_id"], ["suppliers.id"], name="fk_guarantees_supplier_id_suppliers"),
        sa.ForeignKeyConstraint(["bank_id"], ["banks.id"], name="fk_guarantees_bank_id_banks"),
        sa.ForeignKeyConstraint(
            ["import_batch_id"], ["import_batches.id"], name="fk_guarantees_import_batch_id_import_batches"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_guarantees"),
        sa.UniqueConstraint("guarantee_number", name="uq_guarantees_guarantee_number"),
    )
    for column in ("expiry_date", "supplier_id", "bank_id", "match_status", "status", "import_batch_id"):
        op.create_index(f"ix_guarantees_{column}", "guarantees", [column])
    op.create_table(
        "import_batch_items",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("batch_id", sa.Integer, nullable=False),
        sa.Column("row_number", sa.Integer),
        sa.Column("guarantee_id", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("changes", sa.JSON),
        sa.Column("raw", sa.JSON),
        sa.Column("legacy_record_id", sa.Integer),
        sa.Column("created_by", sa.String(80)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("outcome IN ('created', 'updated', 'unchanged')", name="ck_import_batch_items_outcome"),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batches.id"], name="fk_import_batch_items_batch_id_import_batches"
        ),
        sa.ForeignKeyConstraint(
            ["guarantee_id"], ["guarantees.id"], name="fk_import_batch_items_guarantee_id_guarantees"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_import_batch_items"),
        sa.UniqueConstraint("legacy_record_id", name="uq_import_batch_items_legacy_record_id"),
    )
    op.create_index("ix_import_batch_items_batch_id", "import_batch_items", ["batch_id"])
    op.create_index("ix_import_batch_items_guarantee_id", "import_batch_items", ["guarantee_id"])
    op.create_table(
        "guarantee_edits",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("guarantee_id", sa.Integer, nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("old_value", sa.Text),
        sa.Column("new_value", sa.Text),
        sa.Column("edited_by", sa.String(80)),
        sa.Column("edited_at", sa.DateTime, nullable=False),
        sa.Column("legacy_record_id", sa.Integer),
        sa.ForeignKeyConstraint(["guarantee_id"], ["guarantees.id"], name="fk_guarantee_edits_guarantee_id_guarantees"),
        sa.PrimaryKeyConstraint("id", name="pk_guarantee_edits"),
    )
    op.create_index("ix_guarantee_edits_guarantee_id", "guarantee_edits", ["guarantee_id"])
    op.create_table(
        "action_sessions",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("session_date", sa.Date),
        sa.Column("description", sa.Text),
        sa.Column("total_actions", sa.Integer, nullable=False),
        sa.Column("issued_actions", sa.Integer, nullable=False),
        sa.Column("is_locked", sa.Boolean, nullable=False),
        sa.Column("locked_at", sa.DateTime),
        sa.Column("origin", sa.String(10), nullable=False),
        sa.Column("created_by", sa.String(80)),
        sa.Column("issued_by", sa.String(80)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("origin IN ('app', 'legacy')", name="ck_action_sessions_origin"),
        sa.PrimaryKeyConstraint("id", name="pk_action_sessions"),
    )
    op.create_index("ix_action_sessions_session_date", "action_sessions", ["session_date"])
    op.create_table(
        "guarantee_actions",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("guarantee_id", sa.Integer, nullable=False),
        sa.Column("guarantee_number", sa.String(100), nullable=False),
        sa.Column("action_type", sa.String(20), nullable=False),
        sa.Column("action_session_id", sa.Integer),
        sa.Column("action_date", sa.Date),
        sa.Column("previous_expiry_date", sa.Date),
        sa.Column("new_expiry_date", sa.Date),
        sa.Column("previous_amount", _money()),
        sa.Column("new_amount", _money()),
        sa.Column("notes", sa.Text),
        sa.Column("supplier_id", sa.Integer),
        sa.Column("bank_id", sa.Integer),
        sa.Column("supplier_display_name", sa.Text),
        sa.Column("bank_display", sa.Text),
        sa.Column("action_status", sa.String(10), nullable=False),
        sa.Column("is_locked", sa.Boolean, nullable=False),
        sa.Column("origin", sa.String(10), nullable=False),
        sa.Column("legacy_record_id", sa.Integer),
        sa.Column("created_by", sa.String(80)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("issued_by", sa.String(80)),
        sa.Column("issued_at", sa.DateTime),
        sa.CheckConstraint(
            "action_type IN ('extension', 'release', 'reduction', 'modification')",
            name="ck_guarantee_actions_action_type",
        ),
        sa.CheckConstraint("action_status IN ('draft', 'issued')", name="ck_guarantee_actions_action_status"),
        sa.CheckConstraint("origin IN ('app', 'legacy')", name="ck_guarantee_actions_origin"),
        sa.CheckConstraint("action_status = 'draft' OR is_locked", name="ck_guarantee_actions_issued_is_locked"),
        sa.CheckConstraint(
            "action_type <> 'extension' OR origin = 'legacy' OR "
            "(new_expiry_date IS NOT NULL AND (previous_expiry_date IS NULL OR new_expiry_date > previous_expiry_date))",
            name="ck_guarantee_actions_extension_moves_forward",
        ),
        sa.CheckConstraint(
            "action_type <> 'reduction' OR origin = 'legacy' OR "
            "(new_amount > 0 AND (previous_amount IS NULL OR new_amount < previous_amount))",
            name="ck_guarantee_actions_reduction_lowers_amount",
        ),
        sa.ForeignKeyConstraint(
            ["guarantee_id"], ["guarantees.id"], name="fk_guarantee_actions_guarantee_id_guarantees"
        ),
        sa.ForeignKeyConstraint(
            ["action_session_id"],
            ["action_sessions.id"],
            name="fk_guarantee_actions_action_session_id_action_sessions",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name="pk_guarantee_actions"),
        sa.UniqueConstraint("legacy_record_id", name="uq_guarantee_actions_legacy_record_id"),
    )
    op.create_index("ix_guarantee_actions_guarantee_id", "guarantee_actions", ["guarantee_id"])
    op.create_index("ix_guarantee_actions_action_session_id", "guarantee_actions", ["action_session_id"])
    op.create_index(
        "uq_guarantee_actions_one_release", "guarantee_actions", ["guarantee_id"], unique=True,
        sqlite_where=sa.text(ONE_RELEASE), postgresql_where=sa.text(ONE_RELEASE),
    )  # fmt: skip
    op.create_table(
        "letter_prints",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("action_ids", sa.JSON, nullable=False),
        sa.Column("action_session_id", sa.Integer),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("printed_by", sa.String(80)),
        sa.Column("printed_at", sa.DateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["action_session_id"], ["action_sessions.id"], name="fk_letter_prints_action_session_id_action_sessions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_letter_prints"),
    )
    op.create_table(
        "legacy_day_sessions",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("import_session_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("day", "purpose", name="pk_legacy_day_sessions"),
    )
    with op.batch_alter_table("imported_records") as batch:
        batch.add_column(sa.Column("migrated_guarantee_id", sa.Integer))
        batch.add_column(sa.Column("migrated_action_id", sa.Integer))
        batch.add_column(sa.Column("import_batch_id", sa.Integer))
    for column in ("migrated_guarantee_id", "migrated_action_id", "import_batch_id"):
        op.create_index(f"ix_imported_records_{column}", "imported_records", [column])
    _create_triggers()


def downgrade():
    _drop_triggers()
    for column in ("migrated_guarantee_id", "migrated_action_id", "import_batch_id"):
        op.drop_index(f"ix_imported_records_{column}", table_name="imported_records")
    with op.batch_alter_table("imported_records") as batch:
        batch.drop_column("import_batch_id")
        batch.drop_column("migrated_action_id")
        batch.drop_column("migrated_guarantee_id")
    for table in ("legacy_day_sessions", "letter_prints", "guarantee_actions", "action_sessions", "guarantee_edits",
                  "import_batch_items", "guarantees", "import_batches", "users"):  # fmt: skip
        op.drop_table(table)


# -- triggers: the rules of DESIGN §3, held by the database itself on SQLite and PostgreSQL alike ---------------

TRIGGERS = (
    "trg_guarantee_actions_no_update", "trg_guarantee_actions_no_delete", "trg_guarantee_edits_no_update",
    "trg_guarantee_edits_no_delete", "trg_import_batch_items_no_update", "trg_import_batch_items_no_delete",
    "trg_action_sessions_locked_update", "trg_action_sessions_locked_delete", "trg_guarantees_locked_update",
    "trg_guarantees_locked_delete", "trg_imported_records_frozen", "trg_imported_records_no_delete",
)  # fmt: skip


def _changed(columns, old="OLD", new="NEW"):
    return " OR ".join(f"{new}.{c} IS NOT {old}.{c}" for c in columns)


def _locked_guard_condition():
    """SQLite: the WHEN clause that refuses a change to a locked (or released) guarantee."""
    needs_action = (
        "(NEW.expiry_date IS NOT OLD.expiry_date AND NOT EXISTS (SELECT 1 FROM guarantee_actions a "
        "WHERE a.guarantee_id = NEW.id AND a.action_status = 'issued' AND a.action_type = 'extension' "
        "AND a.new_expiry_date = NEW.expiry_date))",
        "(NEW.amount IS NOT OLD.amount AND NOT EXISTS (SELECT 1 FROM guarantee_actions a "
        "WHERE a.guarantee_id = NEW.id AND a.action_status = 'issued' AND a.action_type = 'reduction' "
        "AND a.new_amount = NEW.amount))",
        "(NEW.status IS NOT OLD.status AND NOT EXISTS (SELECT 1 FROM guarantee_actions a "
        "WHERE a.guarantee_id = NEW.id AND a.action_status = 'issued' AND a.action_type = 'release'))",
    )
    locked = " OR ".join(
        (
            "NOT NEW.is_locked",
            _changed(IDENTIFYING),
            "(OLD.supplier_id IS NOT NULL AND NEW.supplier_id IS NOT OLD.supplier_id)",
            "(OLD.bank_id IS NOT NULL AND NEW.bank_id IS NOT OLD.bank_id)",
            *needs_action,
        )
    )
    return f"(OLD.status = 'released' AND NEW.status <> 'released') OR (OLD.is_locked AND ({locked}))"


def _sqlite_triggers():
    abort = "BEGIN SELECT RAISE(ABORT, '{msg}'); END"
    issued = "OLD.is_locked OR OLD.action_status = 'issued'"
    msg_action = "guarantee_actions: an issued action cannot be changed or deleted"
    return [
        f"CREATE TRIGGER trg_guarantee_actions_no_update BEFORE UPDATE ON guarantee_actions WHEN {issued} "
        + abort.format(msg=msg_action),
        f"CREATE TRIGGER trg_guarantee_actions_no_delete BEFORE DELETE ON guarantee_actions WHEN {issued} "
        + abort.format(msg=msg_action),
        "CREATE TRIGGER trg_guarantee_edits_no_update BEFORE UPDATE ON guarantee_edits "
        + abort.format(msg="guarantee_edits is append-only"),
        "CREATE TRIGGER trg_guarantee_edits_no_delete BEFORE DELETE ON guarantee_edits "
        + abort.format(msg="guarantee_edits is append-only"),
        "CREATE TRIGGER trg_import_batch_items_no_update BEFORE UPDATE ON import_batch_items "
        + abort.format(msg="import_batch_items is append-only"),
        "CREATE TRIGGER trg_import_batch_items_no_delete BEFORE DELETE ON import_batch_items "
        + abort.format(msg="import_batch_items is append-only"),
        "CREATE TRIGGER trg_action_sessions_locked_update BEFORE UPDATE ON action_sessions WHEN OLD.is_locked "
        + abort.format(msg="action_sessions: a locked session cannot be changed"),
        "CREATE TRIGGER trg_action_sessions_locked_delete BEFORE DELETE ON action_sessions WHEN OLD.is_locked "
        + abort.format(msg="action_sessions: a locked session cannot be deleted"),
        f"CREATE TRIGGER trg_guarantees_locked_update BEFORE UPDATE ON guarantees WHEN {_locked_guard_condition()} "
        + abort.format(msg="guarantees: a locked guarantee changes only through an issued action"),
        "CREATE TRIGGER trg_guarantees_locked_delete BEFORE DELETE ON guarantees WHEN OLD.is_locked "
        + abort.format(msg="guarantees: a locked guarantee cannot be deleted"),
        # UPDATE OF: the trigger runs only when a statement names a legacy column, so writing the transition
        # columns (a migration links every row) costs nothing, and any change to a legacy value is still refused.
        f"CREATE TRIGGER trg_imported_records_frozen BEFORE UPDATE OF {', '.join(LEGACY_COLUMNS)} ON imported_records "
        f"WHEN {_changed(LEGACY_COLUMNS)} "
        + abort.format(msg="imported_records: legacy rows change only in their transition columns"),
        "CREATE TRIGGER trg_imported_records_no_delete BEFORE DELETE ON imported_records "
        + abort.format(msg="imported_records: legacy rows are never deleted"),
    ]


def _pg_function(name, body):
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n{body}\n"
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\nRETURN NEW;\nEND\n$fn$"
    )


def _pg_raise(message):
    return f"RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';"


def _pg_distinct(columns):
    new = ", ".join(f"NEW.{c}" for c in columns)
    old = ", ".join(f"OLD.{c}" for c in columns)
    return f"ROW({new}) IS DISTINCT FROM ROW({old})"


def _pg_triggers():
    missing_action = "NOT EXISTS (SELECT 1 FROM guarantee_actions a WHERE a.guarantee_id = NEW.id AND a.action_status = 'issued' AND a.action_type = '{t}'{extra})"  # noqa: E501
    locked_body = f"""
IF TG_OP = 'DELETE' THEN
  IF OLD.is_locked THEN {_pg_raise("guarantees: a locked guarantee cannot be deleted")} END IF;
  RETURN OLD;
END IF;
IF OLD.status = 'released' AND NEW.status <> 'released' THEN
  {_pg_raise("guarantees: a released guarantee stays released")}
END IF;
IF OLD.is_locked AND (
     NOT NEW.is_locked
  OR {_pg_distinct(IDENTIFYING)}
  OR (OLD.supplier_id IS NOT NULL AND NEW.supplier_id IS DISTINCT FROM OLD.supplier_id)
  OR (OLD.bank_id IS NOT NULL AND NEW.bank_id IS DISTINCT FROM OLD.bank_id)
  OR (NEW.expiry_date IS DISTINCT FROM OLD.expiry_date AND {missing_action.format(t="extension", extra=" AND a.new_expiry_date = NEW.expiry_date")})
  OR (NEW.amount IS DISTINCT FROM OLD.amount AND {missing_action.format(t="reduction", extra=" AND a.new_amount = NEW.amount")})
  OR (NEW.status IS DISTINCT FROM OLD.status AND {missing_action.format(t="release", extra="")})
) THEN
  {_pg_raise("guarantees: a locked guarantee changes only through an issued action")}
END IF;"""  # noqa: E501
    functions = {
        "guarantee_actions_immutable": "IF OLD.is_locked OR OLD.action_status = 'issued' THEN "
        + _pg_raise("guarantee_actions: an issued action cannot be changed or deleted")
        + " END IF;",
        "append_only": "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';",  # noqa: E501
        "action_sessions_locked": "IF OLD.is_locked THEN "
        + _pg_raise("action_sessions: a locked session cannot be changed or deleted")
        + " END IF;",
        "guarantees_locked": locked_body,
        "imported_records_frozen": "IF TG_OP = 'DELETE' THEN "
        + _pg_raise("imported_records: legacy rows are never deleted")
        + f" END IF;\nIF {_pg_distinct(LEGACY_COLUMNS)} THEN "
        + _pg_raise("imported_records: legacy rows change only in their transition columns")
        + " END IF;",
    }
    statements = [_pg_function(name, body) for name, body in functions.items()]
    bindings = (
        ("trg_guarantee_actions_no_update", "UPDATE", "guarantee_actions", "guarantee_actions_immutable"),
        ("trg_guarantee_actions_no_delete", "DELETE", "guarantee_actions", "guarantee_actions_immutable"),
        ("trg_guarantee_edits_no_update", "UPDATE", "guarantee_edits", "append_only"),
        ("trg_guarantee_edits_no_delete", "DELETE", "guarantee_edits", "append_only"),
        ("trg_import_batch_items_no_update", "UPDATE", "import_batch_items", "append_only"),
        ("trg_import_batch_items_no_delete", "DELETE", "import_batch_items", "append_only"),
        ("trg_action_sessions_locked_update", "UPDATE", "action_sessions", "action_sessions_locked"),
        ("trg_action_sessions_locked_delete", "DELETE", "action_sessions", "action_sessions_locked"),
        ("trg_guarantees_locked_update", "UPDATE", "guarantees", "guarantees_locked"),
        ("trg_guarantees_locked_delete", "DELETE", "guarantees", "guarantees_locked"),
        ("trg_imported_records_frozen", "UPDATE", "imported_records", "imported_records_frozen"),
        ("trg_imported_records_no_delete", "DELETE", "imported_records", "imported_records_frozen"),
    )
    for trigger, event, table, function in bindings:
        if trigger == "trg_imported_records_frozen":
            event = f"UPDATE OF {', '.join(LEGACY_COLUMNS)}"  # see the SQLite trigger: links cost nothing
        statements.append(
            f"CREATE TRIGGER {trigger} BEFORE {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()"
        )
    return statements


PG_FUNCTIONS = (
    "guarantee_actions_immutable", "append_only", "action_sessions_locked", "guarantees_locked",
    "imported_records_frozen",
)  # fmt: skip
TRIGGER_TABLES = {
    "trg_guarantee_actions_no_update": "guarantee_actions", "trg_guarantee_actions_no_delete": "guarantee_actions",
    "trg_guarantee_edits_no_update": "guarantee_edits", "trg_guarantee_edits_no_delete": "guarantee_edits",
    "trg_import_batch_items_no_update": "import_batch_items", "trg_import_batch_items_no_delete": "import_batch_items",
    "trg_action_sessions_locked_update": "action_sessions", "trg_action_sessions_locked_delete": "action_sessions",
    "trg_guarantees_locked_update": "guarantees", "trg_guarantees_locked_delete": "guarantees",
    "trg_imported_records_frozen": "imported_records", "trg_imported_records_no_delete": "imported_records",
}  # fmt: skip


def _create_triggers():
    dialect = op.get_bind().dialect.name
    statements = _pg_triggers() if dialect == "postgresql" else _sqlite_triggers()
    for statement in statements:
        op.execute(statement)


def _drop_triggers():
    dialect = op.get_bind().dialect.name
    for trigger in TRIGGERS:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {TRIGGER_TABLES[trigger]}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    if dialect == "postgresql":
        for function in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
