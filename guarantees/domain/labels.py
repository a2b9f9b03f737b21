"""What the pages, letters and exports call each field and state: defined once, translated when shown."""

import re

from flask_babel import lazy_gettext as _l

from guarantees.domain.descriptions import DESCRIPTIONS
from guarantees.domain.fields import LOCK_REASONS

FIELD_LABELS = {
    "guarantee_number": _l("Guarantee number"),
    "raw_supplier_name": _l("Supplier"),
    "raw_bank_name": _l("Bank"),
    "contract_number": _l("Contract number"),
    "po_number": _l("PO number"),
    "amount": _l("Amount"),
    "currency": _l("Currency"),
    "issue_date": _l("Issue date"),
    "expiry_date": _l("Expiry date"),
    "type": _l("Type"),
    "comment": _l("Comment"),
    "related_to": _l("Related to"),
    "status": _l("Status"),
    "match_status": _l("Match status"),
    "supplier_id": _l("Supplier (dictionary)"),
    "bank_id": _l("Bank (dictionary)"),
    "supplier_display_name": _l("Supplier name shown"),
    "bank_display": _l("Bank name shown"),
    # Columns of the list's export beside the fields: the name the register shows, and the batch.
    "supplier_label": _l("Supplier (as shown)"),
    "bank_label": _l("Bank (as shown)"),
    "import_batch_id": _l("Batch"),
    "days_left": _l("Days left"),
}
# Aliases some pages use for a field (the import's mapping says "supplier" for the supplier column).
FIELD_LABELS["supplier"] = FIELD_LABELS["raw_supplier_name"]
FIELD_LABELS["bank"] = FIELD_LABELS["raw_bank_name"]

STATUS_LABELS = {
    "active": _l("active"),
    "expired": _l("expired"),
    "released": _l("released"),
    "ready": _l("ready"),
    "needs_review": _l("needs review"),
}
ACTION_TYPE_LABELS = {
    "extension": _l("Extension"),
    "release": _l("Release"),
    "reduction": _l("Reduction"),
    "modification": _l("Modification"),
    "void": _l("Void"),
}
ACTION_STATUS_LABELS = {"draft": _l("Draft"), "issued": _l("Issued")}
BATCH_TYPE_LABELS = {
    "excel_import": _l("Excel import"),
    "manual_batch": _l("Manual entry"),
    "text_paste": _l("Pasted text"),
}
# An import row's outcome, in the preview (new / update) and once written (created / updated).
OUTCOME_LABELS = {
    "created": _l("New"),
    "new": _l("New"),
    "updated": _l("Updated"),
    "update": _l("Update"),
    "unchanged": _l("Unchanged"),
    "error": _l("Error"),
}
ROLE_LABELS = {"viewer": _l("Viewer"), "editor": _l("Editor"), "admin": _l("Admin")}
LANGUAGE_LABELS = {"ar": _l("Arabic"), "en": _l("English")}

# The stored lock reasons (domain.fields.LOCK_REASONS) read back: the pattern of each, and what the pages say.
_LOCK_REASON_PATTERNS = {
    key: re.compile(re.escape(sentence).replace(re.escape("{kind}"), r"(?P<kind>\w+)"))
    for key, sentence in LOCK_REASONS.items()
}


def _lock_reason_messages(kind: str) -> dict:
    return {
        "action": _l("it has an issued %(kind)s letter", kind=kind),
        "legacy_action": _l("it has an issued %(kind)s letter (legacy system)", kind=kind),
        "legacy_ready": _l("it was matched (ready) in the legacy system"),
        "released": _l("it has been released"),
        "locked": _l("it is locked"),
    }


_ALL = {
    "field": FIELD_LABELS,
    "status": STATUS_LABELS,
    "action_type": ACTION_TYPE_LABELS,
    "action_status": ACTION_STATUS_LABELS,
    "batch_type": BATCH_TYPE_LABELS,
    "outcome": OUTCOME_LABELS,
    "role": ROLE_LABELS,
    "language": LANGUAGE_LABELS,
}


def label(kind: str, value: str | None) -> str:
    """The translated label of `value` among the labels of `kind`; the value itself when it has none."""
    found = _ALL[kind].get(value) if value is not None else None
    return str(found) if found is not None else (value or "")


def field_label(name: str) -> str:
    """A guarantee field's label, translated."""
    return label("field", name)


def state_label(value: str | None) -> str:
    """Any state a page shows in a badge (guarantee status, match status, action type or status, outcome)."""
    for kind in ("status", "action_type", "action_status", "outcome"):
        if value in _ALL[kind]:
            return label(kind, value)
    return value or ""


def lock_reason_label(stored: str | None) -> str:
    """A guarantee's stored lock reason, translated (a sentence no rule wrote is shown as it is)."""
    if not stored:
        return ""
    for key, pattern in _LOCK_REASON_PATTERNS.items():
        found = pattern.fullmatch(stored)
        if found:
            kind = found.groupdict().get("kind")
            return str(_lock_reason_messages(label("action_type", kind).lower() if kind else "")[key])
    return stored


# The descriptions the register writes (domain.descriptions), as each page shows them.
DESCRIPTION_MESSAGES = {
    "manual_batch": _l("Manual entries of %(day)s"),
    "text_paste": _l("Pasted entries of %(day)s"),
    "excel_import": _l("Excel import of %(file)s"),
    "actions": _l("Actions of %(day)s"),
    "extension": _l("Extensions of %(day)s"),
    "release": _l("Releases of %(day)s"),
    "reduction": _l("Reductions of %(day)s"),
    "modification": _l("Modifications of %(day)s"),
    "legacy_no_session": _l("Legacy rows without a session"),
    "legacy_missing_session": _l("Legacy session %(id)s (missing from import_sessions)"),
    "legacy_session": _l("Legacy %(kind)s session %(id)s"),
    "legacy_excel_import": _l("Legacy Excel import of %(day)s"),
    "legacy_manual_batch": _l("Legacy manual entries of %(day)s"),
    "legacy_text_paste": _l("Legacy pasted entries of %(day)s"),
    "legacy_excel_import_undated": _l("Legacy Excel import without a date"),
    "legacy_manual_batch_undated": _l("Legacy manual entries without a date"),
    "legacy_text_paste_undated": _l("Legacy pasted entries without a date"),
    "legacy_actions": _l("Legacy actions of %(day)s"),
    "legacy_actions_undated": _l("Legacy actions without a date"),
}
_DESCRIPTION_PATTERNS = {
    key: re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(sentence)))
    for key, sentence in DESCRIPTIONS.items()
}


def description_label(stored: str | None) -> str:
    """A batch's or session's stored description, translated when the register wrote it; a user's as typed."""
    if not stored:
        return ""
    for key, pattern in _DESCRIPTION_PATTERNS.items():
        found = pattern.fullmatch(stored)
        if found:
            return str(DESCRIPTION_MESSAGES[key] % found.groupdict())
    return stored
