"""The bank's answer to each issued letter, and corrections by void.

- bank_answers: one per issued extension, reduction or release of the register (action_id unique): the date and
  reference of the bank's letter, the expiry the bank granted (extensions only), an optional attachment and who
  recorded it. Append-only: no UPDATE, no DELETE, no TRUNCATE (PostgreSQL), no INSERT OR REPLACE over a row
  (SQLite); an INSERT is refused unless it answers an issued, not voided letter of the register, with a granted
  expiry exactly for an extension and after the expiry it extended.
- guarantee_actions: action_type 'void', naming the action it voids (voids_action_id, one void per action). A void
  is issued from the guarantee's current expiry and amount, restores what its action changed, by someone other
  than who prepared it, and only while no later issued, not voided action of the guarantee follows its action.
- The guarantee rules of 0002 (trg_guarantees_locked_update / guarantees_locked) and 0015
  (trg_guarantees_follow_actions / guarantees_follow_actions, trg_guarantee_actions_issue /
  guarantee_actions_issue) are recreated: a locked guarantee's expiry, amount and status move only as the latest
  issued action moved them (a voided action no longer counts), the bank's granted expiry of the latest such
  extension, or the latest void's restored values. "Latest" is by issue time (then id), so that no earlier step
  can be replayed in plain SQL once values come round again. The downgrade restores both revisions' forms, built
  by their own code.

SQLite: the CHECK on action_type is widened in place (writable_schema, as SQLite documents for a constraint every
existing row already meets), so the table is not rebuilt and its triggers stay; the downgrade narrows it back and
is refused while a void exists.

Revision ID: 0018_bank_answers_voids
Revises: 0017_notes_attachments
Create Date: 2026-01-18
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0018_bank_answers_voids"
down_revision = "0017_notes_attachments"
branch_labels = None
depends_on = None

HERE = Path(__file__).resolve().parent


def _revision(filename: str):
    """An earlier revision's module: its own code builds the forms the downgrade restores."""
    spec = importlib.util.spec_from_file_location(f"_rev_{filename[:-3]}", HERE / filename)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


R0002 = _revision("20260101_0002_new_architecture.py")
R0003 = _revision("20260102_0003_matching.py")  # the locked guard as 0003 left it: a recorded merge may re-point
R0015 = _revision("20260115_0015_integrity.py")

OLD_TYPES = "action_type IN ('extension', 'release', 'reduction', 'modification')"
NEW_TYPES = "action_type IN ('extension', 'release', 'reduction', 'modification', 'void')"
VOID_NAMES = (
    "(action_type = 'void' AND voids_action_id IS NOT NULL) OR (action_type <> 'void' AND voids_action_id IS NULL)"
)
ANSWERED_TYPES = "('extension', 'reduction', 'release')"

ANSWER_MSG = (
    "bank_answers: an answer is recorded once, for an issued, not voided letter of the register, with the granted "
    "expiry of an extension after the expiry it extended"
)
FOLLOW_MSG = (
    "guarantees: a locked guarantee''s expiry and amount change only as its latest issued action, the bank''s "
    "answer to it or its void changed them"
)
LOCKED_MSG = "guarantees: a locked guarantee changes only through an issued action"
ISSUE_VOID_MSG = (
    "guarantee_actions: a void is issued by someone other than who prepared it, from its guarantee''s current "
    "expiry and amount, restoring what the issued, latest action it names changed"
)


# -- the conditions, for both dialects (is_ / is_not: SQLite's IS, PostgreSQL's IS [NOT] DISTINCT FROM) -----------


def _voided(a: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM guarantee_actions vd WHERE vd.voids_action_id = {a}.id AND vd.action_status = 'issued')"
    )


def _later(a: str, *, effective: bool) -> str:
    """An issued action of the register on the same guarantee issued after `a` (`effective`: not a void and not
    voided)."""
    extra = f" AND lt.action_type <> 'void' AND NOT {_voided('lt')}" if effective else ""
    return (
        f"EXISTS (SELECT 1 FROM guarantee_actions lt WHERE lt.guarantee_id = {a}.guarantee_id "
        f"AND lt.action_status = 'issued' AND lt.origin = 'app' AND lt.id <> {a}.id "
        f"AND (lt.issued_at > {a}.issued_at OR (lt.issued_at = {a}.issued_at AND lt.id > {a}.id)){extra})"
    )


def _issued(a: str, kind: str) -> str:
    return (
        f"{a}.guarantee_id = NEW.id AND {a}.action_status = 'issued' AND {a}.origin = 'app' "
        f"AND {a}.action_type = '{kind}'"
    )


def _steps(column: str, kind: str, previous: str, new: str, is_: str) -> str:
    """Whether OLD.column → NEW.column is the step of the latest issued action of `kind` (not voided), of the
    latest void, or (expiry) the bank's granted date for the latest extension still in effect."""
    steps = [
        f"EXISTS (SELECT 1 FROM guarantee_actions a WHERE {_issued('a', kind)} AND a.{previous}{is_}OLD.{column} "
        f"AND a.{new} = NEW.{column} AND NOT {_voided('a')} AND NOT {_later('a', effective=False)})",
        f"EXISTS (SELECT 1 FROM guarantee_actions a WHERE {_issued('a', 'void')} AND a.{previous}{is_}OLD.{column} "
        f"AND a.{new}{is_}NEW.{column} AND NOT {_later('a', effective=False)})",
    ]
    if column == "expiry_date":
        steps.append(
            "EXISTS (SELECT 1 FROM bank_answers r JOIN guarantee_actions a ON a.id = r.action_id "
            f"WHERE {_issued('a', 'extension')} AND a.new_expiry_date{is_}OLD.expiry_date "
            f"AND r.granted_expiry_date = NEW.expiry_date AND NOT {_voided('a')} AND NOT {_later('a', effective=True)})"
        )
    return "(" + " OR ".join(steps) + ")"


def _unrelease() -> str:
    """The latest issued action is a void of a release."""
    return (
        f"EXISTS (SELECT 1 FROM guarantee_actions a JOIN guarantee_actions r ON r.id = a.voids_action_id "
        f"WHERE {_issued('a', 'void')} AND r.action_type = 'release' AND NOT {_later('a', effective=False)})"
    )


def _released() -> str:
    return f"EXISTS (SELECT 1 FROM guarantee_actions a WHERE {_issued('a', 'release')} AND NOT {_voided('a')})"


def _loose(column: str, kind: str, new: str, is_: str) -> str:
    """0002's looser check, kept beside 0015's exact one: some issued action (or answer) gives NEW's value."""
    found = [
        f"EXISTS (SELECT 1 FROM guarantee_actions a WHERE a.guarantee_id = NEW.id AND a.action_status = 'issued' "
        f"AND ((a.action_type = '{kind}' AND a.{new} = NEW.{column}) "
        f"OR (a.action_type = 'void' AND a.{new}{is_}NEW.{column})))"
    ]
    if column == "expiry_date":
        found.append(
            "EXISTS (SELECT 1 FROM bank_answers r JOIN guarantee_actions a ON a.id = r.action_id "
            "WHERE a.guarantee_id = NEW.id AND r.granted_expiry_date = NEW.expiry_date)"
        )
    return "(" + " OR ".join(found) + ")"


def _locked_changes(differs: str, is_: str) -> list[str]:
    """0002's refusals on a locked guarantee (a recorded merge may re-point its supplier or bank, as 0003 allowed),
    with voids and answers among the actions that change it."""
    identifying = " OR ".join(f"NEW.{c}{differs}OLD.{c}" for c in R0002.IDENTIFYING)
    merged = {column: R0003.MERGED.format(entity=entity, column=column)
              for entity, column in (("supplier", "supplier_id"), ("bank", "bank_id"))}  # fmt: skip
    return [
        "NOT NEW.is_locked",
        identifying,
        f"(OLD.supplier_id IS NOT NULL AND NEW.supplier_id{differs}OLD.supplier_id AND NOT {merged['supplier_id']})",
        f"(OLD.bank_id IS NOT NULL AND NEW.bank_id{differs}OLD.bank_id AND NOT {merged['bank_id']})",
        f"(NEW.expiry_date{differs}OLD.expiry_date AND NOT {_loose('expiry_date', 'extension', 'new_expiry_date', is_)})",
        f"(NEW.amount{differs}OLD.amount AND NOT {_loose('amount', 'reduction', 'new_amount', is_)})",
        f"(NEW.status{differs}OLD.status AND NEW.status = 'released' AND NOT {_released()})",
    ]


def _void_refused(is_: str, is_not: str) -> str:
    """The condition under which issuing a void (NEW: the action) is refused."""
    current = (
        "EXISTS (SELECT 1 FROM guarantees g WHERE g.id = NEW.guarantee_id "
        f"AND g.expiry_date{is_}NEW.previous_expiry_date AND g.amount{is_}NEW.previous_amount)"
    )
    same_expiry = f"NEW.new_expiry_date{is_}NEW.previous_expiry_date"
    same_amount = f"NEW.new_amount{is_}NEW.previous_amount"
    restores = (
        f"((t.action_type = 'extension' AND NEW.new_expiry_date{is_}t.previous_expiry_date AND {same_amount}) "
        f"OR (t.action_type = 'reduction' AND NEW.new_amount{is_}t.previous_amount AND {same_expiry}) "
        f"OR (t.action_type = 'release' AND {same_expiry} AND {same_amount}))"
    )
    target = (
        "EXISTS (SELECT 1 FROM guarantee_actions t WHERE t.id = NEW.voids_action_id "
        "AND t.guarantee_id = NEW.guarantee_id AND t.action_status = 'issued' AND t.origin = 'app' "
        f"AND t.action_type IN {ANSWERED_TYPES} AND NOT {_voided('t')} AND NOT {_later('t', effective=True)} "
        f"AND {restores})"
    )
    return (
        f"NEW.origin <> 'app' OR NEW.issued_by IS NULL OR NEW.created_by IS NULL OR NEW.issued_by = NEW.created_by "
        f"OR NOT {current} OR NOT {target}"
    )


def _answer_refused(is_: str) -> str:
    return (
        "NOT EXISTS (SELECT 1 FROM guarantee_actions a WHERE a.id = NEW.action_id AND a.action_status = 'issued' "
        f"AND a.origin = 'app' AND a.action_type IN {ANSWERED_TYPES} AND NOT {_voided('a')} "
        "AND ((a.action_type = 'extension' AND NEW.granted_expiry_date IS NOT NULL "
        "AND (a.previous_expiry_date IS NULL OR NEW.granted_expiry_date > a.previous_expiry_date)) "
        "OR (a.action_type <> 'extension' AND NEW.granted_expiry_date IS NULL)))"
    )


# -- SQLite --------------------------------------------------------------------------------------------------------


def _abort(message: str) -> str:
    return f"BEGIN SELECT RAISE(ABORT, '{message}'); END"


# The one-release key gains the round (see ONE_RELEASE below): a REPLACE must not reach a release of another round.
ACTION_KEYS = (
    *(
        f"{key} AND o.release_round = NEW.release_round" if "'release'" in key else key
        for key in R0015.REPLACE_GUARDS["guarantee_actions"][1]
    ),
    "o.voids_action_id = NEW.voids_action_id",
)


def _no_replace(table: str, protected: str, keys) -> str:
    found = " OR ".join(f"EXISTS (SELECT 1 FROM {table} o WHERE {key} AND ({protected}))" for key in keys)
    return f"CREATE TRIGGER trg_{table}_no_replace BEFORE INSERT ON {table} WHEN {found} " + _abort(
        f"{table}: a protected row is never replaced"
    )


def _sqlite_upgrade() -> list[str]:
    is_, is_not = " IS ", " IS NOT "
    locked = " OR ".join(_locked_changes(is_not, is_))
    follow = (
        f"(NEW.expiry_date IS NOT OLD.expiry_date AND NOT {_steps('expiry_date', 'extension', 'previous_expiry_date', 'new_expiry_date', is_)}) "  # noqa: E501
        f"OR (NEW.amount IS NOT OLD.amount AND NOT {_steps('amount', 'reduction', 'previous_amount', 'new_amount', is_)})"  # noqa: E501
    )
    issue = (
        f"(NEW.action_type <> 'void' AND ({R0015._issue_condition()})) "
        f"OR (NEW.action_type = 'void' AND ({_void_refused(is_, is_not)}))"
    )
    return [
        "DROP TRIGGER trg_guarantees_locked_update",
        "CREATE TRIGGER trg_guarantees_locked_update BEFORE UPDATE ON guarantees WHEN "
        f"(OLD.status = 'released' AND NEW.status <> 'released' AND NOT {_unrelease()}) "
        f"OR (OLD.is_locked AND ({locked})) " + _abort(LOCKED_MSG),
        "DROP TRIGGER trg_guarantees_follow_actions",
        "CREATE TRIGGER trg_guarantees_follow_actions BEFORE UPDATE OF expiry_date, amount ON guarantees "
        f"WHEN (OLD.is_locked OR {R0015.HAS_ISSUED}) AND ({follow}) " + _abort(FOLLOW_MSG),
        "DROP TRIGGER trg_guarantee_actions_issue",
        "CREATE TRIGGER trg_guarantee_actions_issue BEFORE UPDATE OF action_status ON guarantee_actions "
        f"WHEN OLD.action_status = 'draft' AND NEW.action_status = 'issued' AND ({issue}) "
        + _abort(R0015.ISSUE + "; " + ISSUE_VOID_MSG),
        "DROP TRIGGER trg_guarantee_actions_no_replace",
        _no_replace("guarantee_actions", R0015.REPLACE_GUARDS["guarantee_actions"][0], ACTION_KEYS),
        "CREATE TRIGGER trg_bank_answers_no_update BEFORE UPDATE ON bank_answers "
        + _abort("bank_answers is append-only"),
        "CREATE TRIGGER trg_bank_answers_no_delete BEFORE DELETE ON bank_answers "
        + _abort("bank_answers is append-only"),
        _no_replace(
            "bank_answers",
            "1",
            ("o.id = NEW.id", "o.action_id = NEW.action_id", "o.legacy_record_id = NEW.legacy_record_id"),
        ),
        f"CREATE TRIGGER trg_bank_answers_check BEFORE INSERT ON bank_answers WHEN {_answer_refused(is_)} "
        + _abort(ANSWER_MSG),
    ]


SQLITE_NEW_TRIGGERS = (
    "trg_bank_answers_no_update", "trg_bank_answers_no_delete", "trg_bank_answers_no_replace",
    "trg_bank_answers_check",
)  # fmt: skip


def _sqlite_restore() -> list[str]:
    """0003's and 0015's forms of the triggers this revision replaced."""
    replaced = ("trg_guarantees_follow_actions", "trg_guarantee_actions_issue", "trg_guarantee_actions_no_replace")
    statements = [
        f"DROP TRIGGER IF EXISTS {name}" for name in ("trg_guarantees_locked_update", *replaced, *SQLITE_NEW_TRIGGERS)
    ]
    statements.append(
        f"CREATE TRIGGER trg_guarantees_locked_update BEFORE UPDATE ON guarantees WHEN {R0003._guard(True)[0]} "
        "BEGIN SELECT RAISE(ABORT, 'guarantees: a locked guarantee changes only through an issued action'); END"
    )
    for statement in R0015._sqlite_statements():
        if any(statement.startswith(f"CREATE TRIGGER {name} ") for name in replaced):
            statements.append(statement)
    return statements


def _sqlite_rewrite(old: str, new: str) -> None:
    """Rewrite guarantee_actions' definition in place (a constraint every row already meets, or one dropped): no
    rebuild, so its triggers and indexes stay."""
    conn = op.get_bind()
    text = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'guarantee_actions'"
    ).scalar()
    if old not in text:
        raise RuntimeError(f"guarantee_actions: its definition lacks {old!r}, which this revision rewrites")
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'guarantee_actions'"),
        {"sql": text.replace(old, new)},
    )
    conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")


# -- PostgreSQL ----------------------------------------------------------------------------------------------------


def _pg_function(name: str, body: str, returns: str = "RETURN NEW;") -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n{body}\n{returns}\n"
        "END\n$fn$"
    )


def _pg_raise(message: str) -> str:
    return f"RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';"


def _pg_upgrade() -> list[str]:
    same, differs = " IS NOT DISTINCT FROM ", " IS DISTINCT FROM "
    locked = "\n  OR ".join(_locked_changes(differs, same))
    locked_body = f"""
IF TG_OP = 'DELETE' THEN
  IF OLD.is_locked THEN {_pg_raise("guarantees: a locked guarantee cannot be deleted")} END IF;
  RETURN OLD;
END IF;
IF OLD.status = 'released' AND NEW.status <> 'released' AND NOT {_unrelease()} THEN
  {_pg_raise("guarantees: a released guarantee stays released unless its release is voided")}
END IF;
IF OLD.is_locked AND (
     {locked}
) THEN
  {_pg_raise(LOCKED_MSG)}
END IF;"""
    follow = (
        f"IF NOT OLD.is_locked AND NOT {R0015.HAS_ISSUED} THEN\n  RETURN NEW;\nEND IF;\n"
        "IF NEW.expiry_date IS DISTINCT FROM OLD.expiry_date AND NOT "
        f"{_steps('expiry_date', 'extension', 'previous_expiry_date', 'new_expiry_date', same)} THEN\n  "
        + _pg_raise(FOLLOW_MSG)
        + "\nEND IF;\nIF NEW.amount IS DISTINCT FROM OLD.amount AND NOT "
        f"{_steps('amount', 'reduction', 'previous_amount', 'new_amount', same)} THEN\n  "
        + _pg_raise(FOLLOW_MSG)
        + "\nEND IF;"
    )
    issue = (
        f"IF NEW.action_type <> 'void' AND ({R0015._issue_condition(is_=same, is_not=differs)}) THEN\n  "
        + _pg_raise(R0015.ISSUE)
        + f"\nEND IF;\nIF NEW.action_type = 'void' AND ({_void_refused(same, differs)}) THEN\n  "
        + _pg_raise(ISSUE_VOID_MSG)
        + "\nEND IF;"
    )
    answer = f"IF {_answer_refused(same)} THEN\n  " + _pg_raise(ANSWER_MSG) + "\nEND IF;"
    return [
        # 0002's function ends with its own RETURN (it serves DELETE too)
        _pg_function("guarantees_locked", locked_body, returns="RETURN NEW;"),
        _pg_function("guarantees_follow_actions", follow),
        _pg_function("guarantee_actions_issue", issue),
        _pg_function("bank_answers_check", answer),
        "CREATE TRIGGER trg_bank_answers_no_update BEFORE UPDATE ON bank_answers FOR EACH ROW "
        "EXECUTE FUNCTION append_only()",
        "CREATE TRIGGER trg_bank_answers_no_delete BEFORE DELETE ON bank_answers FOR EACH ROW "
        "EXECUTE FUNCTION append_only()",
        "CREATE TRIGGER trg_bank_answers_no_truncate BEFORE TRUNCATE ON bank_answers FOR EACH STATEMENT "
        "EXECUTE FUNCTION refuse_truncate()",
        "CREATE TRIGGER trg_bank_answers_check BEFORE INSERT ON bank_answers FOR EACH ROW "
        "EXECUTE FUNCTION bank_answers_check()",
    ]


def _pg_restore() -> list[str]:
    """0003's and 0015's forms of the functions this revision replaced."""
    statements = [
        f"DROP TRIGGER IF EXISTS {name} ON bank_answers"
        for name in ("trg_bank_answers_no_update", "trg_bank_answers_no_delete", "trg_bank_answers_no_truncate",
                     "trg_bank_answers_check")
    ]  # fmt: skip
    statements.append("DROP FUNCTION IF EXISTS bank_answers_check()")
    statements.append(R0003._guard(True)[1])
    for statement in R0015._pg_statements():
        if any(
            statement.startswith(f"CREATE OR REPLACE FUNCTION {name}()")
            for name in ("guarantees_follow_actions", "guarantee_actions_issue")
        ):
            statements.append(statement)
    return statements


# -- the revision --------------------------------------------------------------------------------------------------


# 0002 named it through the naming convention, which prefixed its given name once more.
OLD_CHECK_NAME = "ck_guarantee_actions_ck_guarantee_actions_action_type"
SQLITE_OLD_CHECK = f"CHECK ({OLD_TYPES})"
SQLITE_NEW_CHECK = f"CHECK ({NEW_TYPES}), CONSTRAINT ck_guarantee_actions_void_names_action CHECK ({VOID_NAMES})"
VOIDS_FK = "fk_guarantee_actions_voids_action_id_guarantee_actions"
SQLITE_VOIDS_COLUMN = f"voids_action_id INTEGER CONSTRAINT {VOIDS_FK} REFERENCES guarantee_actions (id)"


# One release per guarantee and round: a release voided by mistake leaves its guarantee active, and the next release
# is the next round (services/actions counts the voided releases); 0002's index allowed one release for good.
ONE_RELEASE = "action_type = 'release' AND origin = 'app'"


def _one_release_index(*columns: str) -> None:
    op.drop_index("uq_guarantee_actions_one_release", table_name="guarantee_actions")
    op.create_index(
        "uq_guarantee_actions_one_release", "guarantee_actions", list(columns), unique=True,
        sqlite_where=sa.text(ONE_RELEASE), postgresql_where=sa.text(ONE_RELEASE),
    )  # fmt: skip


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_table(
        "bank_answers",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("action_id", sa.Integer, nullable=False),
        sa.Column("answer_date", sa.Date, nullable=False),
        sa.Column("bank_reference", sa.String(100), nullable=False),
        sa.Column("granted_expiry_date", sa.Date, nullable=True),
        sa.Column("attachment_id", sa.Integer, nullable=True),
        sa.Column("legacy_record_id", sa.Integer, nullable=True),
        sa.Column("recorded_by", sa.String(80), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_answers")),
        sa.ForeignKeyConstraint(
            ["action_id"], ["guarantee_actions.id"], name=op.f("fk_bank_answers_action_id_guarantee_actions")
        ),
        sa.ForeignKeyConstraint(
            ["attachment_id"], ["attachments.id"], name=op.f("fk_bank_answers_attachment_id_attachments")
        ),
        sa.CheckConstraint("length(trim(bank_reference)) > 0", name=op.f("ck_bank_answers_bank_reference")),
        sa.UniqueConstraint("action_id", name=op.f("uq_bank_answers_action_id")),
        sa.UniqueConstraint("legacy_record_id", name=op.f("uq_bank_answers_legacy_record_id")),
    )
    if dialect == "sqlite":
        op.execute(f"ALTER TABLE guarantee_actions ADD COLUMN {SQLITE_VOIDS_COLUMN}")  # no rebuild: triggers stay
        _sqlite_rewrite(SQLITE_OLD_CHECK, SQLITE_NEW_CHECK)
    else:
        op.add_column("guarantee_actions", sa.Column("voids_action_id", sa.Integer, nullable=True))
        op.create_foreign_key(op.f(VOIDS_FK), "guarantee_actions", "guarantee_actions", ["voids_action_id"], ["id"])
        op.drop_constraint(op.f(OLD_CHECK_NAME), "guarantee_actions", type_="check")
        op.create_check_constraint(op.f("ck_guarantee_actions_action_type"), "guarantee_actions", NEW_TYPES)
        op.create_check_constraint(op.f("ck_guarantee_actions_void_names_action"), "guarantee_actions", VOID_NAMES)
    op.create_index(op.f("uq_guarantee_actions_voids_action_id"), "guarantee_actions", ["voids_action_id"], unique=True)
    op.add_column("guarantee_actions", sa.Column("release_round", sa.Integer, nullable=False, server_default="0"))
    _one_release_index("guarantee_id", "release_round")
    for statement in _sqlite_upgrade() if dialect == "sqlite" else _pg_upgrade():
        op.execute(statement)


def downgrade():
    conn = op.get_bind()
    dialect = conn.dialect.name
    if conn.exec_driver_sql("SELECT count(*) FROM guarantee_actions WHERE action_type = 'void'").scalar():
        raise RuntimeError(
            "guarantee_actions holds voids, which are never deleted and which revision 0017 has no place for: "
            "the register cannot go back below 0018_bank_answers_voids"
        )
    for statement in _sqlite_restore() if dialect == "sqlite" else _pg_restore():
        op.execute(statement)
    _one_release_index("guarantee_id")
    op.drop_column("guarantee_actions", "release_round")
    op.drop_index(op.f("uq_guarantee_actions_voids_action_id"), table_name="guarantee_actions")
    if dialect == "sqlite":
        _sqlite_rewrite(SQLITE_NEW_CHECK, SQLITE_OLD_CHECK)
        # SQLite drops no column a foreign key names: the constraint goes first (in place, as above).
        _sqlite_rewrite(SQLITE_VOIDS_COLUMN, "voids_action_id INTEGER")
        op.execute("ALTER TABLE guarantee_actions DROP COLUMN voids_action_id")  # no rebuild: triggers stay
    else:
        op.drop_constraint(op.f("ck_guarantee_actions_void_names_action"), "guarantee_actions", type_="check")
        op.drop_constraint(op.f("ck_guarantee_actions_action_type"), "guarantee_actions", type_="check")
        op.create_check_constraint(op.f(OLD_CHECK_NAME), "guarantee_actions", OLD_TYPES)
        op.drop_constraint(op.f(VOIDS_FK), "guarantee_actions", type_="foreignkey")
        op.drop_column("guarantee_actions", "voids_action_id")
    op.drop_table("bank_answers")
