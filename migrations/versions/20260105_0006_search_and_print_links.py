"""Search by index and letter prints by link: a trigram index over the searched text, a print-to-action table.

Also an (amount, id) index, so that the list sorted by amount is read along an index.

The search index is dialect-specific and lives outside the models: on SQLite an FTS5 trigram table kept in
step by triggers, on PostgreSQL a pg_trgm GIN index over one expression. Both index the same text, the
seven searched columns joined by line breaks; the list uses the index to find candidates and then applies
its exact conditions, so results are the same with or without it.

Revision ID: 0006_search_and_print_links
Revises: 0005_indexes
Create Date: 2026-01-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_search_and_print_links"
down_revision = "0005_indexes"
branch_labels = None
depends_on = None

# The searched columns ({p}: 'NEW.' or 'OLD.' inside a trigger); a display name equal to its raw name counts once.
SEARCH_PARTS = (
    "coalesce({p}guarantee_number, '')",
    "coalesce({p}raw_supplier_name, '')",
    "coalesce(nullif({p}supplier_display_name, {p}raw_supplier_name), '')",
    "coalesce({p}raw_bank_name, '')",
    "coalesce(nullif({p}bank_display, {p}raw_bank_name), '')",
    "coalesce({p}contract_number, '')",
    "coalesce({p}po_number, '')",
)
SEARCH_COLUMNS = (
    "guarantee_number", "raw_supplier_name", "supplier_display_name", "raw_bank_name", "bank_display",
    "contract_number", "po_number",
)  # fmt: skip


def search_text(prefix: str = "", newline: str = "char(10)") -> str:
    """The indexed text of a guarantee row: the searched columns joined by line breaks."""
    return "(" + f" || {newline} || ".join(part.format(p=prefix) for part in SEARCH_PARTS) + ")"


def _sqlite_upgrade():
    op.execute("CREATE VIRTUAL TABLE guarantees_search USING fts5(body, content='', tokenize='trigram')")
    op.execute(f"INSERT INTO guarantees_search (rowid, body) SELECT id, {search_text()} FROM guarantees")
    new, old = search_text("NEW."), search_text("OLD.")
    insert = f"INSERT INTO guarantees_search (rowid, body) VALUES (NEW.id, {new});"
    delete = f"INSERT INTO guarantees_search (guarantees_search, rowid, body) VALUES ('delete', OLD.id, {old});"
    op.execute(f"CREATE TRIGGER trg_guarantees_search_insert AFTER INSERT ON guarantees BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER trg_guarantees_search_delete AFTER DELETE ON guarantees BEGIN {delete} END")
    op.execute(
        f"CREATE TRIGGER trg_guarantees_search_update AFTER UPDATE OF {', '.join(SEARCH_COLUMNS)} ON guarantees "
        f"BEGIN {delete} {insert} END"
    )


def _postgresql_upgrade():
    # pg_trgm is a trusted extension: the owner of the database may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    text = search_text(newline="chr(10)")
    op.execute(f"CREATE INDEX ix_guarantees_search_trgm ON guarantees USING gin ({text} gin_trgm_ops)")


def _print_links_upgrade(dialect: str):
    op.create_table(
        "letter_print_actions",
        sa.Column("letter_print_id", sa.Integer, nullable=False),
        sa.Column("action_id", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(
            ["letter_print_id"], ["letter_prints.id"], name="fk_letter_print_actions_letter_print_id_letter_prints"
        ),
        sa.ForeignKeyConstraint(
            ["action_id"], ["guarantee_actions.id"], name="fk_letter_print_actions_action_id_guarantee_actions"
        ),
        sa.PrimaryKeyConstraint("letter_print_id", "action_id", name="pk_letter_print_actions"),
    )
    op.create_index("ix_letter_print_actions_action_id", "letter_print_actions", ["action_id"])
    if dialect == "postgresql":
        pairs = (
            "SELECT p.id AS letter_print_id, e.v::bigint AS action_id "
            "FROM letter_prints p, json_array_elements_text(p.action_ids) AS e(v) WHERE e.v ~ '^[0-9]+$'"
        )
    else:
        pairs = (
            "SELECT p.id AS letter_print_id, CAST(e.value AS INTEGER) AS action_id "
            "FROM letter_prints p, json_each(p.action_ids) AS e"
        )
    op.execute(
        "INSERT INTO letter_print_actions (letter_print_id, action_id) "
        f"SELECT DISTINCT letter_print_id, action_id FROM ({pairs}) AS pairs "
        "WHERE action_id IN (SELECT id FROM guarantee_actions)"
    )
    # A print is history: its links are never changed or removed.
    if dialect == "postgresql":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER trg_letter_print_actions_no_{event.lower()} BEFORE {event} ON letter_print_actions "
                "FOR EACH ROW EXECUTE FUNCTION append_only()"
            )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER trg_letter_print_actions_no_{event.lower()} BEFORE {event} ON letter_print_actions "
                "BEGIN SELECT RAISE(ABORT, 'letter_print_actions is append-only'); END"
            )


def upgrade():
    dialect = op.get_bind().dialect.name
    _print_links_upgrade(dialect)
    op.create_index("ix_guarantees_amount_id", "guarantees", ["amount", "id"])  # the list sorted by amount
    if dialect == "postgresql":
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_guarantees_search_trgm")
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_letter_print_actions_no_{event} ON letter_print_actions")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_guarantees_search_{name}")
        op.execute("DROP TABLE IF EXISTS guarantees_search")
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_letter_print_actions_no_{event}")
    op.drop_index("ix_guarantees_amount_id", table_name="guarantees")
    op.drop_index("ix_letter_print_actions_action_id", table_name="letter_print_actions")
    op.drop_table("letter_print_actions")
