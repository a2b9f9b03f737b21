"""The descriptions the register writes on batches and action sessions it names itself.

They are stored in the source language (the legacy migration finds its batches again by them, and the legacy
tables receive them), and shown translated: `labels.description_label` reads a stored description back through
the same sentences, so the words live here only. A description a user typed is shown as it is.
"""

DESCRIPTIONS = {
    "manual_batch": "Manual entries of {day}",
    "text_paste": "Pasted entries of {day}",
    "excel_import": "Excel import of {file}",
    "actions": "Actions of {day}",
    "extension": "Extensions of {day}",
    "release": "Releases of {day}",
    "reduction": "Reductions of {day}",
    "modification": "Modifications of {day}",
    "legacy_no_session": "Legacy rows without a session",
    "legacy_missing_session": "Legacy session {id} (missing from import_sessions)",
    "legacy_session": "Legacy {kind} session {id}",
    "legacy_excel_import": "Legacy Excel import of {day}",
    "legacy_manual_batch": "Legacy manual entries of {day}",
    "legacy_text_paste": "Legacy pasted entries of {day}",
    "legacy_excel_import_undated": "Legacy Excel import without a date",
    "legacy_manual_batch_undated": "Legacy manual entries without a date",
    "legacy_text_paste_undated": "Legacy pasted entries without a date",
    "legacy_actions": "Legacy actions of {day}",
    "legacy_actions_undated": "Legacy actions without a date",
}


def describe(key: str, **values) -> str:
    """The stored description of this kind: describe('manual_batch', day='2026-12-07')."""
    return DESCRIPTIONS[key].format(**values)
