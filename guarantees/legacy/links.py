"""The back-links of migrated legacy rows (step 4 of a migrate), written from the items and actions themselves.

Set-based, by id range, one commit per range: a run killed before or during this step leaves items and
actions whose rows are not linked yet, and the next run links them here.
"""

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from guarantees.models import GuaranteeAction, ImportBatchItem, ImportedRecord

RECORDS = ImportedRecord.__table__
ITEMS = ImportBatchItem.__table__
ACTIONS = GuaranteeAction.__table__
LINK_RANGE = 50_000
# (table that names the legacy row, its columns → imported_records columns, the link that says "done")
LINK_TARGETS = (
    (ITEMS.name, {"guarantee_id": "migrated_guarantee_id", "batch_id": "import_batch_id"}, "migrated_guarantee_id"),
    (ACTIONS.name, {"guarantee_id": "migrated_guarantee_id", "id": "migrated_action_id"}, "migrated_action_id"),
)


def _link_sql(dialect: str, source: str, columns: dict, done: str) -> str:
    """Link the rows of an id range to what names them in `source` (by its legacy_record_id)."""
    r = RECORDS.name
    if dialect == "sqlite":  # an UPDATE ... FROM would scan imported_records once per joined row
        targets, values = ", ".join(columns.values()), ", ".join(f"s.{name}" for name in columns)
        named = f"FROM {source} AS s WHERE s.legacy_record_id = {r}.id"
        return (
            f"UPDATE {r} SET ({targets}) = (SELECT {values} {named}) "
            f"WHERE id >= ? AND id < ? AND {done} IS NULL AND EXISTS (SELECT 1 {named})"
        )
    assignments = ", ".join(f"{target} = s.{name}" for name, target in columns.items())
    return (
        f"UPDATE {r} SET {assignments} FROM {source} AS s WHERE s.legacy_record_id = {r}.id "
        f"AND {r}.id >= %s AND {r}.id < %s AND {r}.{done} IS NULL"
    )


def link(conn: Connection, dry_run: bool, summary) -> None:
    """Write the back-links of every legacy row whose item or action exists, by id range, one commit per range."""
    if dry_run:
        summary.links = summary.relinked + sum(summary.items.values()) + sum(summary.actions.values())
        return
    low, high = conn.execute(sa.select(sa.func.min(RECORDS.c.id), sa.func.max(RECORDS.c.id))).one()
    conn.commit()
    if low is None:
        return
    statements = [_link_sql(conn.dialect.name, *target) for target in LINK_TARGETS]
    for start in range(low, high + 1, LINK_RANGE):
        for statement in statements:
            summary.links += conn.exec_driver_sql(statement, (start, start + LINK_RANGE)).rowcount
        conn.commit()
