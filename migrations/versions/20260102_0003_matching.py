"""Matching: learned aliases, review decisions, dictionary merges; merges may re-point locked guarantees.

Revision ID: 0003_matching
Revises: 0002_new_architecture
Create Date: 2026-01-02
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0003_matching"
down_revision = "0002_new_architecture"
branch_labels = None
depends_on = None

# The locked-guarantee guard of 0002, rebuilt here so that a dictionary merge may re-point a locked guarantee.
_spec = importlib.util.spec_from_file_location(
    "new_architecture", Path(__file__).with_name("20260101_0002_new_architecture.py")
)
_v2 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_v2)

MERGED = (
    "EXISTS (SELECT 1 FROM dictionary_merges m WHERE m.entity = '{entity}' "
    "AND m.from_id = OLD.{column} AND m.into_id = NEW.{column})"
)


def _guard(allow_merges: bool):
    """(SQLite WHEN clause, PostgreSQL function body) of the locked-guarantee trigger."""
    sqlite, body = _v2._locked_guard_condition(), None
    for entity, column in (("supplier", "supplier_id"), ("bank", "bank_id")):
        old = f"(OLD.{column} IS NOT NULL AND NEW.{column} IS NOT OLD.{column})"
        if allow_merges:
            assert old in sqlite, "the 0002 guard changed: update this revision"
            sqlite = sqlite.replace(old, f"({old[1:-1]} AND NOT {MERGED.format(entity=entity, column=column)})")
    for statement in _v2._pg_triggers():
        if statement.startswith("CREATE OR REPLACE FUNCTION guarantees_locked()"):
            body = statement
    for entity, column in (("supplier", "supplier_id"), ("bank", "bank_id")):
        old = f"(OLD.{column} IS NOT NULL AND NEW.{column} IS DISTINCT FROM OLD.{column})"
        if allow_merges:
            assert old in body, "the 0002 guard changed: update this revision"
            body = body.replace(old, f"({old[1:-1]} AND NOT {MERGED.format(entity=entity, column=column)})")
    return sqlite, body


def _replace_guard(allow_merges: bool):
    sqlite, pg_function = _guard(allow_merges)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(pg_function)  # CREATE OR REPLACE FUNCTION: the trigger keeps pointing at it
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_guarantees_locked_update")
        op.execute(
            f"CREATE TRIGGER trg_guarantees_locked_update BEFORE UPDATE ON guarantees WHEN {sqlite} "
            "BEGIN SELECT RAISE(ABORT, 'guarantees: a locked guarantee changes only through an issued action'); END"
        )


def upgrade():
    op.create_table(
        "name_aliases",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("entity", sa.String(10), nullable=False),
        sa.Column("entity_id", sa.Integer, nullable=False),
        sa.Column("raw_name", sa.Text, nullable=False),
        sa.Column("normalized_name", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(80)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("entity IN ('supplier', 'bank')", name="ck_name_aliases_entity"),
        sa.PrimaryKeyConstraint("id", name="pk_name_aliases"),
        sa.UniqueConstraint("entity", "normalized_name", name="uq_name_aliases_entity_normalized_name"),
    )
    op.create_table(
        "match_decisions",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("guarantee_id", sa.Integer, nullable=False),
        sa.Column("entity", sa.String(10), nullable=False),
        sa.Column("raw_name", sa.Text),
        sa.Column("previous_id", sa.Integer),
        sa.Column("chosen_id", sa.Integer, nullable=False),
        sa.Column("decided_by", sa.String(80)),
        sa.Column("decided_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("entity IN ('supplier', 'bank')", name="ck_match_decisions_entity"),
        sa.ForeignKeyConstraint(["guarantee_id"], ["guarantees.id"], name="fk_match_decisions_guarantee_id_guarantees"),
        sa.PrimaryKeyConstraint("id", name="pk_match_decisions"),
    )
    op.create_index("ix_match_decisions_guarantee_id", "match_decisions", ["guarantee_id"])
    op.create_table(
        "dictionary_merges",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("entity", sa.String(10), nullable=False),
        sa.Column("from_id", sa.Integer, nullable=False),
        sa.Column("into_id", sa.Integer, nullable=False),
        sa.Column("merged_by", sa.String(80)),
        sa.Column("merged_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("entity IN ('supplier', 'bank')", name="ck_dictionary_merges_entity"),
        sa.CheckConstraint("from_id <> into_id", name="ck_dictionary_merges_distinct_ids"),
        sa.PrimaryKeyConstraint("id", name="pk_dictionary_merges"),
        sa.UniqueConstraint("entity", "from_id", name="uq_dictionary_merges_entity_from_id"),
    )
    for table in ("match_decisions", "dictionary_merges"):
        _append_only(table)
    _replace_guard(allow_merges=True)


def _append_only(table):
    if op.get_bind().dialect.name == "postgresql":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER trg_{table}_no_{event.lower()} BEFORE {event} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION append_only()"
            )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER trg_{table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )


def downgrade():
    _replace_guard(allow_merges=False)
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in ("match_decisions", "dictionary_merges"):
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_no_{event}" + (f" ON {table}" if postgres else ""))
    op.drop_table("dictionary_merges")
    op.drop_index("ix_match_decisions_guarantee_id", table_name="match_decisions")
    op.drop_table("match_decisions")
    op.drop_table("name_aliases")
