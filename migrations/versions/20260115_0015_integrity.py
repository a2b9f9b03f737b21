"""Database rules without holes, on SQLite and PostgreSQL alike, each closing a way plain SQL got round 0002's:

- a locked guarantee's expiry and amount move only as its latest issued action moved them: the change from the
  current value to the new one must be exactly the step of an issued extension (expiry) or reduction (amount) of
  the register that started from that current value, so a value an earlier action gave is never set back. The
  same holds for a guarantee not (yet) locked that has an issued action of the register (one issued in SQL
  without locking it); a guarantee without one, the legacy migration's merge included, is not held;
- an action is issued only by the register's own path: inserted as a draft, then issued by an UPDATE that starts
  it from the guarantee's current expiry and amount (on an active guarantee) and changes nothing else but what
  its type changes; only the legacy migration's actions (origin 'legacy') are inserted already issued;
- an import batch keeps its identity (type, day, file, hash, origin, author, time; its legacy session is set
  once) and is never deleted; only its counters change. Letter prints are append-only;
- PostgreSQL: TRUNCATE is refused on every table whose rows a trigger protects from DELETE (and on the legacy
  tables): a TRUNCATE ... CASCADE emptied the history without firing a delete trigger;
- SQLite: INSERT OR REPLACE deleted the row it replaced without firing the delete triggers. Every connection of
  the register turns recursive_triggers on (guarantees/extensions.py), so a REPLACE's deletes meet them; and a
  BEFORE INSERT guard on each protected table refuses a REPLACE over a protected row on any connection (the
  sqlite3 shell included), for every unique key but the alert announcements' (whose writer relies on
  ON CONFLICT DO NOTHING there; the pragma covers that key).

The rules are triggers of their own beside 0002's (which stay as they are): the downgrade drops exactly these.

Revision ID: 0015_integrity
Revises: 0014_jobs
Create Date: 2026-01-15
"""

from alembic import op

revision = "0015_integrity"
down_revision = "0014_jobs"
branch_labels = None
depends_on = None

# What never changes on a batch (besides its counters, description and, once, its legacy session).
BATCH_IDENTITY = ("id", "batch_type", "batch_date", "filename", "file_sha256", "origin", "created_by", "created_at")
# Tables refusing TRUNCATE besides those a row trigger protects from DELETE: the legacy system's tables, whose rows
# the rollback promises back unchanged.
TRUNCATE_ALSO = ("import_sessions", "imported_records", "suppliers", "banks")
# SQLite: per protected table, which existing rows a REPLACE may not remove (a condition on `o`), and the unique
# keys through which a REPLACE would find them (conditions on `o` and NEW, each one an index's: a lookup per key).
REPLACE_GUARDS = {
    "guarantee_actions": (
        "o.is_locked OR o.action_status = 'issued'",
        (
            "o.id = NEW.id",
            "o.legacy_record_id = NEW.legacy_record_id",
            "o.reference = NEW.reference",
            "o.guarantee_id = NEW.guarantee_id AND o.action_type = 'release' AND o.origin = 'app' "
            "AND NEW.action_type = 'release' AND NEW.origin = 'app'",
        ),
    ),
    "guarantees": ("o.is_locked", ("o.id = NEW.id", "o.guarantee_number = NEW.guarantee_number")),
    "guarantee_edits": ("1", ("o.id = NEW.id",)),
    "import_batch_items": ("1", ("o.id = NEW.id", "o.legacy_record_id = NEW.legacy_record_id")),
    "import_batches": (
        "1",
        (
            "o.id = NEW.id",
            "o.legacy_session_id = NEW.legacy_session_id",
            "o.batch_type = NEW.batch_type AND o.batch_date = NEW.batch_date "
            "AND o.batch_type IN ('manual_batch', 'text_paste')",
        ),
    ),
    "action_sessions": ("o.is_locked", ("o.id = NEW.id",)),
    "letter_prints": ("1", ("o.id = NEW.id",)),
    "letter_print_actions": ("1", ("o.letter_print_id = NEW.letter_print_id AND o.action_id = NEW.action_id",)),
    "match_decisions": ("1", ("o.id = NEW.id",)),
    "dictionary_merges": ("1", ("o.id = NEW.id", "o.entity = NEW.entity AND o.from_id = NEW.from_id")),
    "alert_announcements": ("1", ("o.id = NEW.id",)),
    "imported_records": ("1", ("o.id = NEW.id",)),
}

FOLLOW = "guarantees: a locked guarantee''s {what} changes only as its latest issued {kind} changed it"
BORN_DRAFT = (
    "guarantee_actions: an action is written as a draft and issued by the register; only migrated legacy actions "
    "arrive issued"
)
ISSUE = (
    "guarantee_actions: an action is issued by the register, from its active guarantee''s current expiry and "
    "amount, changing only what its type changes"
)
BATCH_IDENTITY_MSG = "import_batches: a batch keeps its type, day, file, origin, author and time"
BATCH_DELETE_MSG = "import_batches: a batch is never deleted"


def _changed(columns, old="OLD", new="NEW"):
    return " OR ".join(f"{new}.{c} IS NOT {old}.{c}" for c in columns)


# A guarantee with an issued action of the register is held to its actions, locked or not.
HAS_ISSUED = (
    "EXISTS (SELECT 1 FROM guarantee_actions a WHERE a.guarantee_id = NEW.id AND a.action_status = 'issued' "
    "AND a.origin = 'app')"
)


def _step(kind: str, column: str, previous: str, new: str, is_=" IS ") -> str:
    """The condition: an issued action of the register of `kind` moved `column` from OLD's value to NEW's."""
    return (
        f"EXISTS (SELECT 1 FROM guarantee_actions a WHERE a.guarantee_id = NEW.id AND a.action_status = 'issued' "
        f"AND a.origin = 'app' AND a.action_type = '{kind}' AND a.{previous}{is_}OLD.{column} "
        f"AND a.{new} = NEW.{column})"
    )


def _issue_condition(is_=" IS ", is_not=" IS NOT ") -> str:
    """The condition under which an UPDATE issuing a draft is refused (NEW: the action)."""
    current = (
        "EXISTS (SELECT 1 FROM guarantees g WHERE g.id = NEW.guarantee_id AND g.status = 'active' "
        f"AND g.expiry_date{is_}NEW.previous_expiry_date AND g.amount{is_}NEW.previous_amount)"
    )
    return (
        f"NEW.origin <> 'app' OR NOT {current} "
        f"OR (NEW.action_type <> 'extension' AND NEW.new_expiry_date{is_not}NEW.previous_expiry_date) "
        f"OR (NEW.action_type <> 'reduction' AND NEW.new_amount{is_not}NEW.previous_amount)"
    )


# -- SQLite --------------------------------------------------------------------------------------------------------

SQLITE_TRIGGERS = (
    "trg_guarantees_follow_actions", "trg_guarantee_actions_born_draft", "trg_guarantee_actions_issue",
    "trg_import_batches_identity", "trg_import_batches_no_delete", "trg_letter_prints_no_update",
    "trg_letter_prints_no_delete", *(f"trg_{table}_no_replace" for table in REPLACE_GUARDS),
)  # fmt: skip


def _abort(message: str) -> str:
    return f"BEGIN SELECT RAISE(ABORT, '{message}'); END"


def _sqlite_statements() -> list[str]:
    expiry = _step("extension", "expiry_date", "previous_expiry_date", "new_expiry_date")
    amount = _step("reduction", "amount", "previous_amount", "new_amount")
    statements = [
        "CREATE TRIGGER trg_guarantees_follow_actions BEFORE UPDATE OF expiry_date, amount ON guarantees "
        f"WHEN (OLD.is_locked OR {HAS_ISSUED}) AND ((NEW.expiry_date IS NOT OLD.expiry_date AND NOT {expiry}) "
        f"OR (NEW.amount IS NOT OLD.amount AND NOT {amount})) "
        + _abort(FOLLOW.format(what="expiry or amount", kind="extension or reduction")),
        "CREATE TRIGGER trg_guarantee_actions_born_draft BEFORE INSERT ON guarantee_actions "
        "WHEN (NEW.action_status IS NOT 'draft' OR NEW.is_locked) AND NEW.origin IS NOT 'legacy' " + _abort(BORN_DRAFT),
        "CREATE TRIGGER trg_guarantee_actions_issue BEFORE UPDATE OF action_status ON guarantee_actions "
        f"WHEN OLD.action_status = 'draft' AND NEW.action_status = 'issued' AND ({_issue_condition()}) "
        + _abort(ISSUE),
        "CREATE TRIGGER trg_import_batches_identity BEFORE UPDATE ON import_batches "
        f"WHEN {_changed(BATCH_IDENTITY)} "
        "OR (OLD.legacy_session_id IS NOT NULL AND NEW.legacy_session_id IS NOT OLD.legacy_session_id) "
        + _abort(BATCH_IDENTITY_MSG),
        "CREATE TRIGGER trg_import_batches_no_delete BEFORE DELETE ON import_batches " + _abort(BATCH_DELETE_MSG),
        "CREATE TRIGGER trg_letter_prints_no_update BEFORE UPDATE ON letter_prints "
        + _abort("letter_prints is append-only"),
        "CREATE TRIGGER trg_letter_prints_no_delete BEFORE DELETE ON letter_prints "
        + _abort("letter_prints is append-only"),
    ]
    for table, (protected, keys) in REPLACE_GUARDS.items():
        found = " OR ".join(f"EXISTS (SELECT 1 FROM {table} o WHERE {key} AND ({protected}))" for key in keys)
        statements.append(
            f"CREATE TRIGGER trg_{table}_no_replace BEFORE INSERT ON {table} WHEN {found} "
            + _abort(f"{table}: a protected row is never replaced")
        )
    return statements


# -- PostgreSQL ----------------------------------------------------------------------------------------------------

PG_FUNCTIONS = ("guarantees_follow_actions", "guarantee_actions_issue", "refuse_change", "refuse_truncate")


def _pg_raise(message: str) -> str:
    return f"RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';"


def _pg_function(name: str, body: str, returns: str = "RETURN NEW;") -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n{body}\n{returns}\n"
        "END\n$fn$"
    )


def _pg_statements() -> list[str]:
    same, differs = " IS NOT DISTINCT FROM ", " IS DISTINCT FROM "
    expiry = _step("extension", "expiry_date", "previous_expiry_date", "new_expiry_date", is_=same)
    amount = _step("reduction", "amount", "previous_amount", "new_amount", is_=same)
    follow = (
        f"IF NOT OLD.is_locked AND NOT {HAS_ISSUED} THEN\n  RETURN NEW;\nEND IF;\n"
        f"IF NEW.expiry_date IS DISTINCT FROM OLD.expiry_date AND NOT {expiry} THEN\n  "
        + _pg_raise(FOLLOW.format(what="expiry", kind="extension"))
        + f"\nEND IF;\nIF NEW.amount IS DISTINCT FROM OLD.amount AND NOT {amount} THEN\n  "
        + _pg_raise(FOLLOW.format(what="amount", kind="reduction"))
        + "\nEND IF;"
    )
    issue = f"IF {_issue_condition(is_=same, is_not=differs)} THEN\n  " + _pg_raise(ISSUE) + "\nEND IF;"
    statements = [
        _pg_function("guarantees_follow_actions", follow),
        _pg_function("guarantee_actions_issue", issue),
        # A refusal whose condition is the trigger's WHEN clause; its message is the trigger's argument.
        _pg_function(
            "refuse_change",
            "RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';",
            returns="RETURN NULL;",
        ),
        _pg_function(
            "refuse_truncate",
            "RAISE EXCEPTION '% cannot be truncated: its rows are history', TG_TABLE_NAME "
            "USING ERRCODE = 'integrity_constraint_violation';",
            returns="RETURN NULL;",
        ),
        "CREATE TRIGGER trg_guarantees_follow_actions BEFORE UPDATE OF expiry_date, amount ON guarantees "
        "FOR EACH ROW WHEN (NEW.expiry_date IS DISTINCT FROM OLD.expiry_date OR NEW.amount IS DISTINCT FROM OLD.amount) "
        "EXECUTE FUNCTION guarantees_follow_actions()",
        "CREATE TRIGGER trg_guarantee_actions_born_draft BEFORE INSERT ON guarantee_actions FOR EACH ROW "
        "WHEN ((NEW.action_status <> 'draft' OR NEW.is_locked) AND NEW.origin <> 'legacy') "
        f"EXECUTE FUNCTION refuse_change('{BORN_DRAFT}')",
        "CREATE TRIGGER trg_guarantee_actions_issue BEFORE UPDATE OF action_status ON guarantee_actions FOR EACH ROW "
        "WHEN (OLD.action_status = 'draft' AND NEW.action_status = 'issued') "
        "EXECUTE FUNCTION guarantee_actions_issue()",
        "CREATE TRIGGER trg_import_batches_identity BEFORE UPDATE ON import_batches FOR EACH ROW "
        f"WHEN (ROW({', '.join(f'NEW.{c}' for c in BATCH_IDENTITY)}) IS DISTINCT FROM "
        f"ROW({', '.join(f'OLD.{c}' for c in BATCH_IDENTITY)}) "
        "OR (OLD.legacy_session_id IS NOT NULL AND NEW.legacy_session_id IS DISTINCT FROM OLD.legacy_session_id)) "
        f"EXECUTE FUNCTION refuse_change('{BATCH_IDENTITY_MSG}')",
        "CREATE TRIGGER trg_import_batches_no_delete BEFORE DELETE ON import_batches FOR EACH ROW "
        f"EXECUTE FUNCTION refuse_change('{BATCH_DELETE_MSG}')",
        "CREATE TRIGGER trg_letter_prints_no_update BEFORE UPDATE ON letter_prints FOR EACH ROW "
        "EXECUTE FUNCTION append_only()",
        "CREATE TRIGGER trg_letter_prints_no_delete BEFORE DELETE ON letter_prints FOR EACH ROW "
        "EXECUTE FUNCTION append_only()",
    ]
    return statements


# pg_trigger.tgtype bits: a row trigger (1), on DELETE (8), on TRUNCATE (32).
PROTECTED_FROM_DELETE = """
SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE NOT t.tgisinternal AND t.tgtype & 1 = 1 AND t.tgtype & 8 = 8 AND c.relnamespace = current_schema()::regnamespace
"""
ALREADY_REFUSING_TRUNCATE = """
SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE NOT t.tgisinternal AND t.tgtype & 32 = 32 AND c.relnamespace = current_schema()::regnamespace
"""
OUR_TRUNCATE_TRIGGERS = """
SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE t.tgfoid = 'refuse_truncate()'::regprocedure
"""


def _pg_refuse_truncate(conn) -> None:
    """A BEFORE TRUNCATE trigger on every table whose rows a row trigger protects from DELETE, whichever revision
    created it (those before this one included), and on the legacy tables."""
    tables = set(TRUNCATE_ALSO) | {row[0] for row in conn.exec_driver_sql(PROTECTED_FROM_DELETE)}
    tables -= {row[0] for row in conn.exec_driver_sql(ALREADY_REFUSING_TRUNCATE)}
    for table in sorted(tables):
        op.execute(
            f"CREATE TRIGGER trg_{table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
            "EXECUTE FUNCTION refuse_truncate()"
        )


PG_TRIGGERS = {
    "trg_guarantees_follow_actions": "guarantees", "trg_guarantee_actions_born_draft": "guarantee_actions",
    "trg_guarantee_actions_issue": "guarantee_actions", "trg_import_batches_identity": "import_batches",
    "trg_import_batches_no_delete": "import_batches", "trg_letter_prints_no_update": "letter_prints",
    "trg_letter_prints_no_delete": "letter_prints",
}  # fmt: skip


def upgrade():
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for statement in _pg_statements():
            op.execute(statement)
        _pg_refuse_truncate(conn)
    else:
        for statement in _sqlite_statements():
            op.execute(statement)


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for trigger, table in conn.exec_driver_sql(OUR_TRUNCATE_TRIGGERS).all():
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for trigger, table in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for function in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
