"""A guarantee's timeline (DESIGN §6): new-table history and the legacy rows that have no new counterpart.

Five queries whatever the length of the history: batch items, inline edits, actions, letter prints and
legacy rows (the latter flagged in SQL when a new row already tells their story).
"""

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import defer

from guarantees.extensions import db
from guarantees.models import (
    ActionSession,
    Guarantee,
    GuaranteeAction,
    GuaranteeEdit,
    ImportBatch,
    ImportBatchItem,
    ImportedRecord,
    ImportSession,
    LetterPrint,
    LetterPrintAction,
)
from guarantees.models.legacy import LEGACY_RECORD_COLUMNS, TRANSITION_COLUMNS
from guarantees.models.matching import MatchDecision
from guarantees.repositories.matching import decisions_for

# Order of entries recorded in the same instant: a row is imported before it is edited, acted on, printed.
KIND_ORDER = {"legacy": 0, "import": 1, "edit": 2, "decision": 2, "action": 3, "print": 4}
RAW_COLUMNS = LEGACY_RECORD_COLUMNS + TRANSITION_COLUMNS
_SPACES = ("\u00a0", "\t", "\r", "\n", "\u200b", "\u202f", "\u3000")


@dataclass
class Entry:
    """One line of the timeline."""

    kind: str  # import | edit | action | print | legacy
    source: str  # new | legacy
    at: datetime | None
    user: str | None
    title: str
    changes: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    batch: ImportBatch | None = None
    session: "SessionRef | None" = None
    action: sa.Row | None = None  # a guarantee_actions row
    print: LetterPrint | None = None
    record: dict | None = None
    legacy_session: tuple[int | None, str | None] | None = None
    detail: str | None = None
    sequence: int = 0
    legacy_record_id: int | None = None

    @property
    def sort_key(self):
        return (self.at or datetime.min, KIND_ORDER[self.kind], self.sequence)


def _normalised_number(column):
    """SQL for the legacy number as the register stores numbers: no spaces of any kind, upper case."""
    expression = sa.func.replace(column, " ", "")
    for space in _SPACES:
        expression = sa.func.replace(expression, space, "")
    return sa.func.upper(expression)


def parse_legacy_time(text: str | None) -> datetime | None:
    """A legacy created_at (text, several formats) as a datetime; None when it cannot be read."""
    if not text:
        return None
    text = str(text).strip()
    try:
        return datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        pass
    try:
        return datetime.combine(date.fromisoformat(text[:10].replace("/", "-")), datetime.min.time())
    except ValueError:
        return None


def _of_guarantee(record, guarantee: Guarantee):
    """Legacy rows linked to `guarantee`, or unlinked and carrying its number."""
    return sa.or_(
        record.c.migrated_guarantee_id == guarantee.id,
        # A linked row always carries its own guarantee's number: look by number only among the
        # unlinked ones, so both branches are index lookups rather than a scan of every legacy row.
        sa.and_(
            record.c.migrated_guarantee_id.is_(None),
            _normalised_number(record.c.guarantee_number) == guarantee.guarantee_number,
        ),
    )


def _has_counterpart(record):
    """SQL: a new-table row already tells this legacy row's story."""
    return sa.or_(
        sa.exists().where(ImportBatchItem.legacy_record_id == record.c.id),
        sa.exists().where(GuaranteeAction.legacy_record_id == record.c.id),
        sa.exists().where(GuaranteeEdit.legacy_record_id == record.c.id),
        sa.exists().where(MatchDecision.legacy_record_id == record.c.id),
        sa.and_(
            record.c.migrated_action_id.is_not(None),
            sa.exists().where(GuaranteeAction.id == record.c.migrated_action_id),
        ),
    )


def legacy_rows(guarantee: Guarantee, *, ids: list[int] | None = None) -> list[dict]:
    """Legacy imported_records rows of this guarantee (linked or by number), all columns, with their session
    type and whether a new-table row already carries them (one query); with `ids`, only those rows."""
    record = ImportedRecord.__table__
    query = (
        sa.select(
            *(record.c[name] for name in RAW_COLUMNS),
            ImportSession.session_type.label("legacy_session_type"),
            _has_counterpart(record).label("has_counterpart"),
        )
        .select_from(record)
        .outerjoin(ImportSession, ImportSession.id == record.c.session_id)
        .where(record.c.id.in_(ids) if ids is not None else _of_guarantee(record, guarantee))
        .order_by(record.c.created_at, record.c.id)
    )
    return [dict(row._mapping) for row in db.session.execute(query)]


def legacy_summary(guarantee: Guarantee) -> tuple[int, list[dict]]:
    """How many legacy rows refer to `guarantee`, and those of them no new-table row tells: all the timeline
    needs. One light query finds both; the full rows are read only when there are any (usually none)."""
    record = ImportedRecord.__table__
    rows = db.session.execute(
        sa.select(record.c.id, _has_counterpart(record)).where(_of_guarantee(record, guarantee))
    ).all()
    untold = [record_id for record_id, told in rows if not told]
    return len(rows), (legacy_rows(guarantee, ids=untold) if untold else [])


def _items(guarantee_id: int) -> list[Entry]:
    rows = db.session.execute(
        sa.select(ImportBatchItem, ImportBatch)
        .join(ImportBatch, ImportBatch.id == ImportBatchItem.batch_id)
        .where(ImportBatchItem.guarantee_id == guarantee_id)
    ).all()
    entries = []
    for item, batch in rows:
        changes = [(name, *_pair(value)) for name, value in (item.changes or {}).items()]
        entries.append(
            Entry(
                kind="import",
                source="legacy" if batch.origin == "legacy" else "new",
                at=item.created_at,
                user=item.created_by or batch.created_by,
                title=item.outcome,
                changes=changes,
                batch=batch,
                detail=str(item.row_number) if item.row_number is not None else None,
                sequence=item.id,
            )
        )
    return entries


def _pair(value) -> tuple[str | None, str | None]:
    if isinstance(value, list | tuple) and len(value) == 2:
        return (None if value[0] is None else str(value[0]), None if value[1] is None else str(value[1]))
    return (None, None if value is None else str(value))


def _same_save(entry: Entry, edit: GuaranteeEdit, legacy_id: int | None) -> bool:
    """Edits written by one save: same user and legacy row (or, without dual-write, within a second)."""
    if entry.user != edit.edited_by or entry.legacy_record_id != legacy_id:
        return False
    return legacy_id is not None or abs((edit.edited_at - entry.at).total_seconds()) < 1


def _edits(guarantee_id: int) -> list[Entry]:
    table = GuaranteeEdit.__table__
    # plain rows, not ORM objects: a long history has hundreds, and the timeline only reads them
    edits = db.session.execute(sa.select(table).where(table.c.guarantee_id == guarantee_id).order_by(table.c.id)).all()
    entries: list[Entry] = []
    for edit in edits:
        if entries and _same_save(entries[-1], edit, edit.legacy_record_id):
            entries[-1].changes.append((edit.field, edit.old_value, edit.new_value))
            continue
        entries.append(
            Entry(
                kind="edit",
                source="new",
                at=edit.edited_at,
                user=edit.edited_by,
                title="edit",
                changes=[(edit.field, edit.old_value, edit.new_value)],
                legacy_record_id=edit.legacy_record_id,
                sequence=edit.id,
            )
        )
    return entries


@dataclass(frozen=True)
class SessionRef:
    """The action session an entry links to: all the timeline shows of it."""

    id: int
    description: str | None


def _actions(guarantee_id: int) -> list[Entry]:
    action_table, session_table = GuaranteeAction.__table__, ActionSession.__table__
    # plain rows, not ORM objects: a long history has hundreds, and the timeline only reads them
    rows = db.session.execute(
        sa.select(action_table, session_table.c.description.label("session_description"))
        .outerjoin(session_table, session_table.c.id == action_table.c.action_session_id)
        .where(action_table.c.guarantee_id == guarantee_id)
    ).all()
    sessions: dict[int, SessionRef] = {}
    entries = []
    for action in rows:
        action_session = None
        if action.action_session_id is not None:
            action_session = sessions.setdefault(
                action.action_session_id, SessionRef(action.action_session_id, action.session_description)
            )
        changes = []
        if action.previous_expiry_date != action.new_expiry_date:
            changes.append(("expiry_date", _day(action.previous_expiry_date), _day(action.new_expiry_date)))
        if action.previous_amount != action.new_amount:
            changes.append(("amount", _text(action.previous_amount), _text(action.new_amount)))
        if action.action_type == "release":
            changes.append(("status", "active", "released"))
        entries.append(
            Entry(
                kind="action",
                source="legacy" if action.origin == "legacy" else "new",
                at=action.issued_at or action.created_at,
                user=action.issued_by or action.created_by,
                title=action.action_type,
                changes=changes,
                session=action_session,
                action=action,
                detail=action.notes,
                sequence=action.id,
            )
        )
    return entries


def _prints(action_ids: list[int]) -> list[Entry]:
    """The prints of these actions, through the link table: the ids each print covered here, without
    reading every print's full list of ids."""
    if not action_ids:
        return []
    rows = db.session.execute(
        sa.select(LetterPrint, LetterPrintAction.action_id)
        .join(LetterPrintAction, LetterPrintAction.letter_print_id == LetterPrint.id)
        .where(LetterPrintAction.action_id.in_(action_ids))
        .options(defer(LetterPrint.action_ids))
        .order_by(LetterPrint.id, LetterPrintAction.action_id)
    ).all()
    covered: dict[int, list[int]] = {}
    prints: dict[int, LetterPrint] = {}
    for letter_print, action_id in rows:
        prints[letter_print.id] = letter_print
        covered.setdefault(letter_print.id, []).append(action_id)
    return [
        Entry(
            kind="print",
            source="new",
            at=letter_print.printed_at,
            user=letter_print.printed_by,
            title="print",
            print=letter_print,
            detail=", ".join(str(i) for i in covered[letter_print.id]),
            sequence=letter_print.id,
        )
        for letter_print in prints.values()
    ]


def _legacy(rows: list[dict]) -> list[Entry]:
    return [
        Entry(
            kind="legacy",
            source="legacy",
            at=parse_legacy_time(row["created_at"]),
            user=None,
            title=row["record_type"] or "import",
            changes=[
                (name, None, row[name])
                for name in (
                    "guarantee_number",
                    "raw_supplier_name",
                    "raw_bank_name",
                    "amount",
                    "expiry_date",
                    "contract_number",
                    "type",
                    "comment",
                )
                if row[name] not in (None, "")
            ],  # fmt: skip
            record=row,
            legacy_session=(row["session_id"], row["legacy_session_type"]),
            sequence=row["id"] or 0,
        )
        for row in rows
        if not row["has_counterpart"]
    ]


def _day(value) -> str | None:
    return value.isoformat() if value else None


def _text(value) -> str | None:
    return None if value is None else str(value)


def timeline(guarantee: Guarantee, legacy: list[dict] | None = None) -> list[Entry]:
    """Everything that happened to `guarantee`, oldest first, each legacy fact once."""
    actions = _actions(guarantee.id)
    entries = [*_items(guarantee.id), *_edits(guarantee.id), *actions]
    entries += _prints([entry.action.id for entry in actions])
    entries += [Entry(**decision) for decision in decisions_for(db.session, guarantee.id)]
    entries += _legacy(legacy_rows(guarantee) if legacy is None else legacy)
    return sorted(entries, key=lambda entry: entry.sort_key)
