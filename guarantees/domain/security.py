"""The security log's kinds of event and the reasons a session ends: stored values and what the pages say."""

from flask_babel import lazy_gettext as _l

EVENT_LABELS = {
    "sign_in": _l("Signed in"),
    "sign_in_failed": _l("Sign-in failed"),
    "sign_in_refused": _l("Sign-in refused (too many failures)"),
    "sign_out": _l("Signed out"),
    "session_ended": _l("Session ended"),
    "account_created": _l("Account created"),
    "role_changed": _l("Role changed"),
    "account_disabled": _l("Account disabled"),
    "account_enabled": _l("Account enabled"),
    "password_changed": _l("Password changed"),
    "password_reset": _l("Password reset"),
    "export": _l("Data exported"),
}
EVENT_KINDS = tuple(EVENT_LABELS)

END_REASON_LABELS = {
    "logout": _l("signed out"),
    "idle": _l("idle too long"),
    "expired": _l("reached its maximum age"),
    "password": _l("password changed or reset"),
    "role": _l("role changed"),
    "disabled": _l("account disabled"),
    "admin": _l("ended by an admin"),
}
END_REASONS = tuple(END_REASON_LABELS)

# What an export took out of the register (the log's detail `source`; older events have none: the guarantee list).
EXPORT_SOURCE_LABELS = {
    "guarantees": _l("the guarantee list"),
    "report": _l("a report"),
    "bank_answers": _l("the banks' answers"),
    "suppliers": _l("the supplier dictionary"),
    "banks": _l("the bank dictionary"),
}
EXPORT_SOURCES = tuple(EXPORT_SOURCE_LABELS)

# Why a sign-in failed (the log's detail; the user is only ever told "wrong username or password").
FAILURE_LABELS = {
    "password": _l("wrong password"),
    "unknown": _l("no such account"),
    "disabled": _l("account disabled"),
}


def event_label(kind: str) -> str:
    found = EVENT_LABELS.get(kind)
    return str(found) if found is not None else kind


def end_reason_label(reason: str | None) -> str:
    found = END_REASON_LABELS.get(reason or "")
    return str(found) if found is not None else (reason or "")


def export_source_label(source: str | None) -> str:
    return str(EXPORT_SOURCE_LABELS[source or "guarantees"])


def failure_label(reason: str | None) -> str:
    found = FAILURE_LABELS.get(reason or "")
    return str(found) if found is not None else (reason or "")
