"""The dual-write adapter: the only code that writes the legacy tables.

Every new-table write that the legacy system would have recorded is mirrored here, in the same
transaction, and linked both ways (legacy row → migrated_* / import_batch_id; new row →
legacy_record_id / legacy_session_id). With dual-write off nothing is written here, except the
supplier and bank dictionaries: tables of the legacy schema that both systems use, written here
always, in the legacy system's conventions.

Whether dual-write is on is read here only (`dual_write_on`): the `dual_write` row of `settings`, which
`flask legacy retire` writes (off, who, when) and triggers keep off; without that row, the DUAL_WRITE
environment variable (the default, on).
"""

from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from guarantees.clock import today
from guarantees.database import insert_or_get
from guarantees.models import Guarantee, GuaranteeAction, ImportBatch, LegacyDaySession, Setting
from guarantees.models.base import utcnow
from guarantees.models.dictionary import Bank, Supplier
from guarantees.models.legacy import ImportedRecord, ImportSession
from guarantees.models.legacy_archive import DUAL_WRITE_SETTING, OFF

SESSION_TYPES = {"excel_import": "excel", "manual_batch": "manual", "text_paste": "smart_paste"}
# Anything else an action changes (a reduction, a void restoring what it voided) is a `modification` row.
ACTION_RECORD_TYPES = {"extension": "extension_action", "release": "release_action"}
# The dictionary columns the register edits (the rest are the legacy system's bookkeeping, set here).
SUPPLIER_FIELDS = ("official_name", "display_name")
BANK_FIELDS = (
    "official_name", "official_name_en", "official_name_ar", "short_code", "department",
    "address_line_1", "address_line_2", "contact_email",
)  # fmt: skip
DICTIONARY_FIELDS = {Supplier: SUPPLIER_FIELDS, Bank: BANK_FIELDS}
NORMALISED_COLUMN = {Supplier: "normalized_name", Bank: "normalized_key"}


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def dictionary_stamp() -> str:
    """Dictionary rows keep the legacy text timestamps; the microseconds make every edit change the version."""
    return utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")


def legacy_values(guarantee: Guarantee | dict, record_type: str) -> dict:
    """A legacy imported_records row carrying a guarantee's values as the legacy system stored them."""
    get = guarantee.get if isinstance(guarantee, dict) else lambda name: getattr(guarantee, name, None)
    amount = get("amount")
    return {
        "raw_supplier_name": get("raw_supplier_name"),
        "raw_bank_name": get("raw_bank_name"),
        "amount": None if amount is None else f"{amount:.2f}",
        "guarantee_number": get("guarantee_number"),
        "issue_date": _text(get("issue_date")),
        "expiry_date": _text(get("expiry_date")),
        "match_status": get("match_status"),
        "supplier_id": get("supplier_id"),
        "bank_id": get("bank_id"),
        "created_at": _text(utcnow()),
        "contract_number": get("contract_number") or get("po_number"),
        "type": get("type"),
        "comment": get("comment"),
        "bank_display": get("bank_display"),
        "supplier_display_name": get("supplier_display_name"),
        "related_to": get("related_to"),
        "record_type": record_type,
    }


def dual_write_setting(session: Session) -> Setting | None:
    """The `dual_write` row of settings (None until `flask legacy retire` writes it)."""
    return session.get(Setting, DUAL_WRITE_SETTING)


def dual_write_on(session: Session) -> bool:
    """Whether the legacy tables are written: the database's setting, else the DUAL_WRITE default."""
    found = dual_write_setting(session)
    if found is not None and found.value:
        return found.value != OFF
    return bool(current_app.config["DUAL_WRITE"])


class DualWriteAdapter:
    """Writes the legacy half of a change; a no-op when dual-write is off (`dual_write_on`)."""

    def __init__(self, session: Session, *, enabled: bool | None = None) -> None:
        self.session = session
        self._enabled = enabled

    @property
    def enabled(self) -> bool:
        """Read once, when first needed (the dictionaries, written always, never ask)."""
        if self._enabled is None:
            self._enabled = dual_write_on(self.session)
        return self._enabled

    def open_batch(self, batch: ImportBatch) -> None:
        """Give a batch its legacy import_sessions row (once)."""
        if not self.enabled or batch.legacy_session_id is not None:
            return
        legacy = ImportSession(
            session_type=SESSION_TYPES[batch.batch_type], record_count=0, created_at=_text(batch.created_at)
        )
        self.session.add(legacy)
        self.session.flush()
        batch.legacy_session_id = legacy.id

    def record_items(self, batch: ImportBatch, rows: list[tuple[dict, int, str]]) -> list[int | None]:
        """Legacy rows for imported rows: (guarantee values, guarantee id, record type) each; their ids, in order."""
        if not self.enabled or not rows:
            return [None] * len(rows)
        self.open_batch(batch)
        values = [
            {
                **legacy_values(fields, record_type),
                "session_id": batch.legacy_session_id,
                "migrated_guarantee_id": guarantee_id,
                "import_batch_id": batch.id,
            }
            for fields, guarantee_id, record_type in rows
        ]
        ids = self._allocate_ids(len(values))
        for row, new_id in zip(values, ids, strict=True):
            row["id"] = new_id
        # Plain executemany with every column named: one prepared statement, no per-row RETURNING.
        self.session.execute(sa.insert(ImportedRecord.__table__), values)
        self.session.execute(
            sa.update(ImportSession)
            .where(ImportSession.id == batch.legacy_session_id)
            .values(record_count=sa.func.coalesce(ImportSession.record_count, 0) + len(values))
        )
        return list(ids)

    def _allocate_ids(self, count: int) -> list[int]:
        """Ids for `count` new legacy rows, taken before the insert so the links are known without RETURNING."""
        if self.session.get_bind().dialect.name == "postgresql":
            return list(
                self.session.scalars(
                    sa.text(
                        "SELECT nextval(pg_get_serial_sequence('imported_records', 'id')) "
                        "FROM generate_series(1, :count)"
                    ),
                    {"count": count},
                )
            )
        # SQLite: a writing unit of work holds the database's write lock (BEGIN IMMEDIATE), so max(id) is ours.
        top = self.session.scalar(sa.select(sa.func.max(ImportedRecord.id))) or 0
        return list(range(top + 1, top + 1 + count))

    def reserve_id(self) -> int | None:
        """The id the next legacy row will take, so a new row can carry its link before either is written."""
        return self._allocate_ids(1)[0] if self.enabled else None

    def record_action(self, action: GuaranteeAction, guarantee: Guarantee) -> int | None:
        """The legacy row of an issued action, in the day's legacy session (with the id it reserved, if any)."""
        if not self.enabled:
            return None
        record_type = ACTION_RECORD_TYPES.get(action.action_type, "modification")
        values = legacy_values(guarantee, record_type)
        if action.action_type == "extension":
            values["expiry_date"] = _text(action.new_expiry_date)
        if action.action_type == "reduction":
            values["amount"] = f"{action.new_amount:.2f}"
        return self._day_row(
            values, id=action.legacy_record_id, migrated_action_id=action.id, migrated_guarantee_id=guarantee.id
        )

    def record_edit(self, guarantee: Guarantee) -> int | None:
        """The legacy `modification` row of an inline edit, carrying the guarantee's new values."""
        if not self.enabled:
            return None
        return self._day_row(legacy_values(guarantee, "modification"), migrated_guarantee_id=guarantee.id)

    def record_answer(self, guarantee: Guarantee, legacy_id: int | None) -> int | None:
        """The legacy `modification` row of a bank's answer that moved the expiry (the guarantee's new values),
        with the id the answer reserved and linked to the guarantee, as an inline edit's is (migrated_action_id
        stays the action's own row's: one legacy row per action)."""
        if not self.enabled:
            return None
        return self._day_row(legacy_values(guarantee, "modification"), id=legacy_id, migrated_guarantee_id=guarantee.id)

    def _day_row(self, values: dict, **links) -> int:
        session_id = self._day_session()
        record = ImportedRecord(**values, session_id=session_id, **links)
        self.session.add(record)
        self.session.flush()
        self.session.execute(
            sa.update(ImportSession)
            .where(ImportSession.id == session_id)
            .values(record_count=sa.func.coalesce(ImportSession.record_count, 0) + 1)
        )
        return record.id

    def _day_session(self) -> int:
        """The legacy session collecting today's actions and edits; created by whoever asks first."""
        day = today()
        found = self.session.get(LegacyDaySession, (day, "daily_actions"))
        if found:
            return found.import_session_id

        def make():
            legacy = ImportSession(session_type="daily_actions", record_count=0, created_at=_text(utcnow()))
            self.session.add(legacy)
            self.session.flush()
            return LegacyDaySession(day=day, purpose="daily_actions", import_session_id=legacy.id)

        def find():
            return self.session.scalar(
                sa.select(LegacyDaySession).where(
                    LegacyDaySession.day == day, LegacyDaySession.purpose == "daily_actions"
                )
            )

        return insert_or_get(self.session, make, find).import_session_id

    def save_entry(self, model: type[Supplier | Bank], entry, values: dict, *, normalized: str):
        """Add a dictionary entry (`entry` None) or edit one: the columns the register edits, its name as matching
        folds it (`normalized`), and the legacy system's bookkeeping columns."""
        if entry is None:
            entry = model(created_at=dictionary_stamp(), is_confirmed=1)
            self.session.add(entry)
        for name in DICTIONARY_FIELDS[model]:
            setattr(entry, name, values.get(name))
        setattr(entry, NORMALISED_COLUMN[model], normalized)
        entry.updated_at = dictionary_stamp()
        self.session.flush()
        return entry
