"""A guarantee's fields and which of them a lock protects (DESIGN §3).

The triggers of migration 0002 keep their own literal copy of IDENTIFYING_FIELDS and LINK_FIELDS (a
migration never imports the application); a test holds that copy equal to this one.
"""

# The dictionaries a raw supplier or bank name is matched against.
ENTITIES = ("supplier", "bank")
STATUSES = ("active", "released")
MATCH_STATUSES = ("ready", "needs_review")


def match_status(supplier_id: int | None, bank_id: int | None) -> str:
    """A guarantee is ready once it is matched to a supplier and a bank of the dictionaries; until then it waits
    for review."""
    return "ready" if supplier_id and bank_id else "needs_review"


# Fields that identify a guarantee: frozen once it is locked (the database refuses the change).
IDENTIFYING_FIELDS = (
    "guarantee_number", "raw_supplier_name", "raw_bank_name", "contract_number", "po_number", "issue_date", "type",
)  # fmt: skip
# The dictionary entries a guarantee is matched to: on a locked guarantee, set once and then frozen.
LINK_FIELDS = ("supplier_id", "bank_id")
# Fields that change on a locked guarantee only together with the action that records it.
ACTION_FIELDS = ("expiry_date", "amount", "status")
# Fields staff may edit inline or an import may set.
EDITABLE_FIELDS = (
    "raw_supplier_name", "raw_bank_name", "contract_number", "po_number", "amount", "currency",
    "issue_date", "expiry_date", "type", "comment", "related_to",
)  # fmt: skip
# What neither an edit, an import nor a migration changes on a locked guarantee.
LOCKED_FIELDS = frozenset((*IDENTIFYING_FIELDS, *LINK_FIELDS, *ACTION_FIELDS, "currency", "related_to"))


def protected_fields(*, status: str | None, is_locked: bool, fields=EDITABLE_FIELDS) -> frozenset[str]:
    """Which of `fields` a guarantee in this state keeps whatever an edit or an import says."""
    if status == "released":
        return frozenset(fields)
    if is_locked:
        return LOCKED_FIELDS.intersection(fields)
    return frozenset()


# Why a guarantee is locked, as stored on it (guarantees.lock_reason, in the source language; the pages show
# it translated through labels.lock_reason_label, which reads these same sentences back).
LOCK_REASONS = {
    "action": "it has an issued {kind} letter",
    "legacy_action": "it has an issued {kind} letter (legacy system)",
    "legacy_ready": "it was matched (ready) in the legacy system",
    "released": "it has been released",
    "locked": "it is locked",
}


def lock_reason(key: str, kind: str | None = None) -> str:
    """The stored sentence for a lock of this kind (`kind`: the action type, for the action locks)."""
    return LOCK_REASONS[key].format(kind=kind)


def lock_reason_text(*, status: str | None, lock_reason: str | None) -> str:
    """Why a protected field cannot change, as the refusal says it."""
    if status == "released":
        return LOCK_REASONS["released"]
    return lock_reason or LOCK_REASONS["locked"]
