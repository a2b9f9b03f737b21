"""The fold of one guarantee number's legacy rows into a guarantee, its batch items and its actions.

Pure Python, no database: the rows of one number come in, ordered by (created_at, id); each field
takes the latest non-empty value among the import rows (a blank never erases a known value), each
import row becomes an item with the changes it brought, each action row an issued, locked action.
A number with action rows only is created from them.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from guarantees.domain.fields import LOCKED_FIELDS, match_status
from guarantees.domain.fields import lock_reason as lock_reason_for
from guarantees.domain.guarantee_types import type_code
from guarantees.legacy.rows import (
    ACTION,
    ACTION_TYPES,
    FIELDS,
    action_day,
    display,
    iso_day,
    row_values,
    timestamp,
)

MIGRATOR = "legacy-migration"
IMPORT_TYPE = {"excel_import": "excel", "manual_batch": "manual", "text_paste": "paste"}
# The cells of a legacy row that row_values reads (the key of its cache).
INPUT_COLUMNS = (
    "raw_supplier_name", "raw_bank_name", "comment", "supplier_display_name", "bank_display", "related_to",
    "contract_source", "contract_number", "type", "amount", "issue_date", "expiry_date", "supplier_id", "bank_id",
    "match_status",
)  # fmt: skip
# A row as the fold reads it: a plain tuple, as the chunk query yields it (its normalised number first), its input
# cells last.
ROW_COLUMNS = ("number", "id", "created_at", "kind", "record_type", "bkey", "row_number", *INPUT_COLUMNS)
NUMBER, ID, CREATED_AT, KIND, RECORD_TYPE, BKEY, ROW_NUMBER = range(7)
INPUT = len(ROW_COLUMNS) - len(INPUT_COLUMNS)
MATCH_STATUS = ROW_COLUMNS.index("match_status")
# Fields a migration may fill on a guarantee the register already holds when that guarantee is locked.
FILLABLE_WHEN_LOCKED = tuple(name for name in FIELDS if name not in LOCKED_FIELDS and name != "match_status")


@dataclass
class Context:
    """What the fold needs besides the rows: ids of batches and sessions, known suppliers and banks."""

    batches: dict[str, int]  # batch key → import_batches.id
    sessions: dict[str, int]  # action day → action_sessions.id
    suppliers: set[int]
    banks: set[int]
    now: datetime
    dropped: dict[str, int] = field(default_factory=dict)


@dataclass
class NumberPlan:
    """What one guarantee number becomes."""

    number: str
    guarantee: dict | None = None  # a new guarantee's values
    existing_id: int | None = None
    update: dict | None = None  # changes to a guarantee the register already holds
    # (batch_id, row_number, guarantee, outcome, changes as JSON text, legacy_record_id, created_by, created_at), as
    # import_batch_items takes them (migrate.ITEM_COLUMNS). No copy of the legacy row: the item names it
    # (legacy_record_id), and that row is frozen by trigger, so a copy could only ever repeat it.
    items: list[tuple] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)  # without guarantee_id
    ready_batches: list[int] = field(default_factory=list)  # the batch of each item whose row was ready


def _remember(row: tuple, ctx: Context, cache: dict) -> tuple[dict, tuple]:
    """row_values of a row and the names of the values it dropped, remembered per distinct set of cells:
    re-imports of a number repeat the same cells."""
    key = row[INPUT:]
    dropped: dict = {}
    cells = dict(zip(INPUT_COLUMNS, key, strict=True))
    found = cache[key] = (row_values(cells, ctx.suppliers, ctx.banks, dropped), tuple(dropped))
    return found


# The changes an item records are JSON text, {name: [old, new]} with each value as display() shows it, written
# straight from the values with the C string encoder: the text to_json gives, without a dict and a list per change
# and an encoder call per row.
_quote = json.encoder.encode_basestring  # what to_json (ensure_ascii off) writes a string as
_KEYS = {name: _quote(name) for name in FIELDS}


def _json(value: object) -> str:
    """display(value) as JSON."""
    return "null" if value is None else _quote(display(value))


def _changes(state: dict, values: dict) -> str | None:
    """The changes `values` bring to `state`, as JSON text; None when they bring none."""
    get = state.get
    changes = [
        f"{_KEYS[name]}:[{_json(old)},{_json(value)}]" for name, value in values.items() if (old := get(name)) != value
    ]
    return f"{{{','.join(changes)}}}" if changes else None


def _created(values: dict) -> str:
    """The changes of the row that creates its guarantee, as JSON text: every value it states, from nothing."""
    return f"{{{','.join(f'{_KEYS[name]}:[null,{_json(v)}]' for name, v in values.items() if v is not None)}}}"


def _action(row: tuple, values: dict, state: dict, ctx: Context, number: str, when) -> dict:
    kind = ACTION_TYPES[row[RECORD_TYPE]]
    day = action_day(row[CREATED_AT])
    previous_expiry, previous_amount = state.get("expiry_date"), state.get("amount")
    new_expiry = values.get("expiry_date", previous_expiry) if kind == "extension" else previous_expiry
    supplier = values.get("supplier_display_name") or values.get("raw_supplier_name")
    bank = values.get("bank_display") or values.get("raw_bank_name")
    return {
        "guarantee_number": number, "action_type": kind, "action_session_id": ctx.sessions[day],
        "action_date": iso_day(day), "previous_expiry_date": previous_expiry, "new_expiry_date": new_expiry,
        "previous_amount": previous_amount, "new_amount": values.get("amount", previous_amount),
        "notes": values.get("comment"), "supplier_id": values.get("supplier_id", state.get("supplier_id")),
        "bank_id": values.get("bank_id", state.get("bank_id")),
        "supplier_display_name": supplier or state.get("supplier_display_name") or state.get("raw_supplier_name"),
        "bank_display": bank or state.get("bank_display") or state.get("raw_bank_name"),
        "action_status": "issued", "is_locked": True, "origin": "legacy", "legacy_record_id": row[ID],
        "created_by": MIGRATOR, "created_at": when, "issued_by": MIGRATOR, "issued_at": when,
    }  # fmt: skip


def plan_number(
    number: str, rows: list, existing: dict | None, ctx: Context, cache: dict, guarantee: int, stored: Callable
) -> NumberPlan:
    """Fold the rows of one number (ROW_COLUMNS tuples sorted by (created_at, id)); `existing` is the guarantee
    already held, if any; `cache` remembers row_values per set of cells (see _values). The items name the guarantee
    as `guarantee` and carry their created_at as `stored` gives it (as it is stored)."""
    plan = NumberPlan(number=number, existing_id=existing["id"] if existing else None)
    from_actions = all(row[KIND] == ACTION for row in rows)
    state: dict = {}
    first_import = None
    ready = False
    # A row without a readable created_at takes the number's earliest known one (never "now": a re-run
    # after a rollback must give the same result).
    stamps = [timestamp(row[CREATED_AT]) for row in rows]
    known = [stamp for stamp in stamps if stamp is not None]
    earliest, latest = (min(known), max(known)) if known else (ctx.now, ctx.now)
    batches, items, ready_batches = ctx.batches, plan.items, plan.ready_batches
    first_when = None
    applied = None  # the (cached, shared) values last folded into state: the same again changes nothing
    dropped_total = ctx.dropped
    for row, stamp in zip(rows, stamps, strict=True):
        when = stamp or earliest
        found = cache.get(row[INPUT:])  # _values, inlined: this loop runs once per legacy row
        if found is None:
            found = _remember(row, ctx, cache)
        values, dropped = found
        for name in dropped:
            dropped_total[name] = dropped_total.get(name, 0) + 1
        row_ready = row[MATCH_STATUS] == "ready"
        ready = ready or row_ready
        if row[KIND] == ACTION:
            plan.actions.append(_action(row, values, state, ctx, number, when))
            if from_actions:
                state.update(values)
                applied = values
            continue
        if first_import is None and existing is None:
            outcome, changes = "created", _created(values)
        elif values is applied:
            outcome, changes = "unchanged", "{}"
        else:
            changes = _changes(state, values)
            outcome, changes = ("updated", changes) if changes else ("unchanged", "{}")
        if first_import is None:
            first_import, first_when = row, when
        if values is not applied:
            state.update(values)
            applied = values
        batch_id = batches[row[BKEY]]
        if row_ready:
            ready_batches.append(batch_id)
        items.append((batch_id, row[ROW_NUMBER], guarantee, outcome, changes, row[ID], MIGRATOR, stored(when)))
    released = any(action["action_type"] == "release" for action in plan.actions)
    lock_reason = None
    if plan.actions:
        lock_reason = lock_reason_for("legacy_action", plan.actions[-1]["action_type"])
    elif ready:
        lock_reason = lock_reason_for("legacy_ready")
    if existing is None:
        plan.guarantee = _new_guarantee(number, state, first_import, released, lock_reason, ctx)
        created = first_when or earliest
        plan.guarantee.update(import_date=created.date(), created_at=created, updated_at=max(latest, created))
    else:
        plan.update = _merge(existing, state, released, lock_reason, ctx)
    return plan


def _match_status(state: dict) -> str:
    """The legacy team's "ready" stands (those guarantees are locked as they were); any other guarantee follows
    the register's rule, so one already matched to a supplier and a bank does not wait for a review that has
    nothing to show."""
    if state.get("match_status") == "ready":
        return "ready"
    return match_status(state.get("supplier_id"), state.get("bank_id"))


def _new_guarantee(number, state, first_import, released, lock_reason, ctx: Context) -> dict:
    batch_key = first_import[BKEY] if first_import else None
    return {
        "guarantee_number": number, **{name: state.get(name) for name in FIELDS if name != "match_status"},
        "type_code": type_code(state.get("type")),
        "match_status": _match_status(state), "currency": "SAR",
        "status": "released" if released else "active", "is_locked": lock_reason is not None,
        "lock_reason": lock_reason, "import_batch_id": ctx.batches[batch_key] if batch_key else None,
        "import_type": IMPORT_TYPE[batch_key.split("|")[0]] if batch_key else "action", "import_date": None,
        "version": 1, "created_by": MIGRATOR, "created_at": None, "updated_at": None,
    }  # fmt: skip


def _merge(existing: dict, state: dict, released: bool, lock_reason: str | None, ctx: Context) -> dict | None:
    """A guarantee the app created before the migration keeps its values; legacy values fill its gaps."""
    fillable = FILLABLE_WHEN_LOCKED if existing["is_locked"] else [name for name in FIELDS if name != "match_status"]
    update = {name: state[name] for name in fillable if existing[name] is None and state.get(name) is not None}
    if "type" in update:
        update["type_code"] = type_code(update["type"])
    if released and existing["status"] != "released":
        update["status"] = "released"
    if lock_reason and not existing["is_locked"]:
        update["is_locked"] = True
        update["lock_reason"] = lock_reason
    if not update:
        return None
    update["version"] = existing["version"] + 1
    update["updated_at"] = ctx.now
    return update
