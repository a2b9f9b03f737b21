"""Guarantees: manual entry into today's batch, field-level edits with optimistic concurrency, the list's export."""

from io import BytesIO

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook

from guarantees.clock import today
from guarantees.domain import expiry, labels
from guarantees.domain import fields as rules
from guarantees.domain.fields import EDITABLE_FIELDS
from guarantees.domain.guarantee_types import chosen_type
from guarantees.importer.error_workbook import safe_cell
from guarantees.models import Guarantee, GuaranteeEdit, ImportBatchItem
from guarantees.repositories.matching import matcher_for
from guarantees.services.batches import count_rows, todays_batch
from guarantees.services.dualwrite import DualWriteAdapter
from guarantees.services.errors import Conflict, DuplicateNumber, LockedField, NotFound, ValidationFailed
from guarantees.services.fields import check_dates, display, new_amount_problem, parse_field
from guarantees.services.transaction import unit_of_work

ENTRY_FIELDS = ("guarantee_number", *EDITABLE_FIELDS)
MATCHED_BY = ("raw_supplier_name", "raw_bank_name")
# The list's export: its columns in order, each headed by the field's label.
EXPORT_COLUMNS = (
    "guarantee_number", "supplier_label", "raw_supplier_name", "bank_label", "raw_bank_name", "amount", "currency",
    "issue_date", "expiry_date", "days_left", "contract_number", "po_number", "type", "status", "match_status",
    "comment", "import_batch_id",
)  # fmt: skip
# Columns whose stored value is a state: exported as its label, as the page shows it.
EXPORT_STATES = ("status", "match_status")


def _existing_id(session, number: str) -> int | None:
    return session.scalar(sa.select(Guarantee.id).where(Guarantee.guarantee_number == number))


def _duplicate(number: str, guarantee_id: int) -> DuplicateNumber:
    return DuplicateNumber(
        _("Guarantee %(number)s is already in the register.", number=number), guarantee_id=guarantee_id
    )


def parse_entry(data: dict) -> dict:
    """The stored values of a manual entry; ValidationFailed on the first bad field."""
    values = {field: parse_field(field, data.get(field)) for field in ENTRY_FIELDS if field in data}
    values["guarantee_number"] = parse_field("guarantee_number", data.get("guarantee_number"))
    if "type" in values:  # a type chosen from the standard list is stored as that type's text
        values["type"] = chosen_type(values["type"], None)
    for field in ("raw_supplier_name", "raw_bank_name"):
        if not values.get(field):
            message = _("%(field)s is required for a new guarantee.", field=labels.field_label(field))
            raise ValidationFailed(message, field=field)
    problem = new_amount_problem(values.get("amount"))
    if problem:
        raise ValidationFailed(problem, field="amount")
    check_dates(values.get("issue_date"), values.get("expiry_date"))
    if values.get("related_to") is None:
        if values.get("po_number"):
            values["related_to"] = "purchase_order"
        elif values.get("contract_number"):
            values["related_to"] = "contract"
    return values


def create(data: dict, *, user: str | None) -> Guarantee:
    """Enter one guarantee by hand: it joins today's manual batch (created on first use)."""
    values = parse_entry(data)
    with unit_of_work() as session:
        number = values["guarantee_number"]
        existing = _existing_id(session, number)
        if existing:
            raise _duplicate(number, existing)
        batch = todays_batch(session, user=user)
        match = matcher_for(session).match(values.get("raw_supplier_name"), values.get("raw_bank_name"))
        guarantee = Guarantee(
            **{**values, "currency": values.get("currency") or "SAR"},
            **match.as_fields(),
            status="active",
            is_locked=False,
            import_batch_id=batch.id,
            import_type="manual",
            import_date=today(),
            created_by=user,
        )
        try:
            with session.begin_nested():
                session.add(guarantee)
                session.flush()
        except sa.exc.IntegrityError as error:
            existing = _existing_id(session, number)
            if existing:
                raise _duplicate(number, existing) from error
            raise
        fields = {**values, **match.as_fields()}
        (legacy_id,) = DualWriteAdapter(session).record_items(batch, [(fields, guarantee.id, "import")])
        row_number = session.scalar(
            sa.select(sa.func.count()).select_from(ImportBatchItem).where(ImportBatchItem.batch_id == batch.id)
        )
        session.add(
            ImportBatchItem(
                batch_id=batch.id,
                row_number=row_number + 1,
                guarantee_id=guarantee.id,
                outcome="created",
                changes={k: [None, display(v)] for k, v in fields.items() if v is not None},
                raw={k: display(v) for k, v in data.items() if k in ENTRY_FIELDS},
                legacy_record_id=legacy_id,
                created_by=user,
            )
        )
        count_rows(session, batch, total=1, ready=1 if match.match_status == "ready" else 0)
    return guarantee


def protected_fields(guarantee: Guarantee) -> frozenset[str]:
    """Fields that inline editing may not change on this guarantee."""
    return rules.protected_fields(status=guarantee.status, is_locked=guarantee.is_locked)


def update(guarantee_id: int, changes: dict, *, expected_version: int, user: str | None) -> Guarantee:
    """Edit fields of a guarantee: each change audited, the version checked, locked fields refused."""
    with unit_of_work() as session:
        guarantee = session.get(Guarantee, guarantee_id)
        if guarantee is None:
            raise NotFound(_("No such guarantee."))
        if guarantee.version != expected_version:
            raise Conflict(
                _(
                    "Guarantee %(number)s was changed by someone else since you opened it (version %(expected)s, "
                    "now %(version)s). Your change was not saved; the current values are shown.",
                    number=guarantee.guarantee_number,
                    expected=expected_version,
                    version=guarantee.version,
                ),
                current={f: display(getattr(guarantee, f)) for f in EDITABLE_FIELDS},
            )
        protected = protected_fields(guarantee)
        parsed = {}
        for field, raw in changes.items():
            if field not in EDITABLE_FIELDS:
                raise ValidationFailed(_("%(field)s cannot be edited.", field=labels.field_label(field)), field=field)
            value = parse_field(field, raw)
            if field == "type":  # the same standard type chosen again keeps the text it was imported with
                value = chosen_type(value, guarantee.type)
            if value == getattr(guarantee, field):
                continue
            if field in protected:
                reason = rules.lock_reason_text(status=guarantee.status, lock_reason=guarantee.lock_reason)
                message = _("This field cannot change because %(reason)s.", reason=labels.lock_reason_label(reason))
                raise LockedField(message, field=field)
            if value is None and field in MATCHED_BY:
                raise ValidationFailed(_("Supplier and bank cannot be emptied."), field=field)
            parsed[field] = value
        if not parsed:
            return guarantee
        if "issue_date" in parsed or "expiry_date" in parsed:
            check_dates(
                parsed.get("issue_date", guarantee.issue_date),
                parsed.get("expiry_date", guarantee.expiry_date),
                field="expiry_date" if "expiry_date" in parsed else "issue_date",
            )
        old_values = {field: display(getattr(guarantee, field)) for field in parsed}
        for field, value in parsed.items():
            setattr(guarantee, field, value)
        if set(parsed) & set(MATCHED_BY):
            match = matcher_for(session).match(guarantee.raw_supplier_name, guarantee.raw_bank_name)
            for field, value in match.as_fields().items():
                setattr(guarantee, field, value)
        session.flush()
        legacy_id = DualWriteAdapter(session).record_edit(guarantee)
        session.add_all(
            GuaranteeEdit(
                guarantee_id=guarantee.id,
                field=field,
                old_value=old_values[field],
                new_value=display(value),
                edited_by=user,
                legacy_record_id=legacy_id,
            )
            for field, value in parsed.items()
        )
    return guarantee


def _export_value(guarantee: Guarantee, name: str):
    # The state and days left as the pages show them on the register's day (expired is derived, not stored).
    if name == "status":
        return labels.state_label(expiry.state(guarantee.status, guarantee.expiry_date, today()))
    if name == "days_left":
        return expiry.days_left(guarantee.expiry_date, today()) if guarantee.status != expiry.RELEASED else None
    value = getattr(guarantee, name)
    return labels.state_label(value) if name in EXPORT_STATES else value


def export_workbook(rows) -> bytes:
    """An .xlsx of guarantees; any text a spreadsheet could run as a formula is written as text."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(_l("Guarantees")))
    sheet.append([safe_cell(labels.field_label(name), sheet) for name in EXPORT_COLUMNS])
    for guarantee in rows:
        sheet.append([safe_cell(_export_value(guarantee, name), sheet) for name in EXPORT_COLUMNS])
    out = BytesIO()
    book.save(out)
    return out.getvalue()
