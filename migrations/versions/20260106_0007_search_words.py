"""Search at scale: sort keys for supplier and bank with an index; on PostgreSQL, the searched text stored.

The list sorted by supplier or bank is read along an index, as the other sorts are, so that a broad search
finds its first page early instead of sorting every match. The key is the label the list shows
(display name, else the name as entered): on PostgreSQL an index on that expression, on SQLite an index on a
virtual generated column of it (SQLite cannot match an ORDER BY expression to an index on it here, and its
schema reflection skips expression indexes).

PostgreSQL: the searched text is stored (guarantees.search_text, generated), lower-cased and with spaces,
hyphens, slashes and dots turned into letters, and the trigram index is over that column. pg_trgm splits words
at punctuation and spaces: "CN-2025-2" asked for rows with "cn", "2025" and a word starting with "2" (ten times
the matches), and "Saudi National Bank" for the trigrams that start every word beginning with n, b or s, read
from long lists. A name or code is now one word, whose trigrams are its three-character pieces, as in SQLite's
FTS5 table. A per-character mapping keeps the index a superset of the matches; the exact conditions still
decide. Candidates were also rechecked by recomputing the seven-column expression (about 2 µs each).

Every writer is covered: generated columns and expression indexes are kept by the database itself.

Revision ID: 0007_search_words
Revises: 0006_search_and_print_links
Create Date: 2026-01-06
"""

from alembic import op

revision = "0007_search_words"
down_revision = "0006_search_and_print_links"
branch_labels = None
depends_on = None

SUPPLIER_KEY = "coalesce(supplier_display_name, raw_supplier_name)"
BANK_KEY = "coalesce(bank_display, raw_bank_name)"
# The separators names and codes hold, and the Cyrillic letters they become in the stored search text. Only
# these few: translate() costs about 0.3 µs a row for each character it maps, on every insert and update.
SEPARATORS = " -/."
AS_LETTERS = "ёабв"
# The searched columns joined by line breaks, as revision 0006 indexed them.
SEARCH_TEXT = (
    "(coalesce(guarantee_number, '') || chr(10) || coalesce(raw_supplier_name, '') || chr(10) || "
    "coalesce(nullif(supplier_display_name, raw_supplier_name), '') || chr(10) || "
    "coalesce(raw_bank_name, '') || chr(10) || coalesce(nullif(bank_display, raw_bank_name), '') || chr(10) || "
    "coalesce(contract_number, '') || chr(10) || coalesce(po_number, ''))"
)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _postgresql_upgrade():
    op.execute(f"CREATE INDEX ix_guarantees_supplier_sort ON guarantees ({SUPPLIER_KEY}, id)")
    op.execute(f"CREATE INDEX ix_guarantees_bank_sort ON guarantees ({BANK_KEY}, id)")
    stored = f"lower(translate({SEARCH_TEXT}, {_literal(SEPARATORS)}, {_literal(AS_LETTERS)}))"
    op.execute(f"ALTER TABLE guarantees ADD COLUMN search_text text GENERATED ALWAYS AS ({stored}) STORED")
    op.execute("DROP INDEX ix_guarantees_search_trgm")
    op.execute("CREATE INDEX ix_guarantees_search_trgm ON guarantees USING gin (search_text gin_trgm_ops)")


def _sqlite_upgrade():
    for name, key in (("supplier_sort", SUPPLIER_KEY), ("bank_sort", BANK_KEY)):
        op.execute(f"ALTER TABLE guarantees ADD COLUMN {name} TEXT GENERATED ALWAYS AS ({key}) VIRTUAL")
        op.execute(f"CREATE INDEX ix_guarantees_{name} ON guarantees ({name}, id)")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()


def downgrade():
    op.execute("DROP INDEX IF EXISTS ix_guarantees_supplier_sort")
    op.execute("DROP INDEX IF EXISTS ix_guarantees_bank_sort")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_guarantees_search_trgm")
        op.execute("ALTER TABLE guarantees DROP COLUMN IF EXISTS search_text")
        op.execute(f"CREATE INDEX ix_guarantees_search_trgm ON guarantees USING gin ({SEARCH_TEXT} gin_trgm_ops)")
    else:
        op.execute("ALTER TABLE guarantees DROP COLUMN supplier_sort")
        op.execute("ALTER TABLE guarantees DROP COLUMN bank_sort")
