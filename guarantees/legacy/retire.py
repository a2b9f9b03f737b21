"""`flask legacy retire`: dual-write off for good (the guide's phase 6), once nothing would be lost by it.

Retiring refuses, changing nothing, unless `legacy verify` passes and every row of the new tables has its legacy
counterpart (`missing_counterparts`: the rows a rollback would lose). It then writes the `dual_write` setting
"off", with who and when, in one transaction; triggers keep it off. A second run says it is already retired.
The same counterpart check makes `flask legacy rollback` refuse once the new tables hold rows the legacy ones lack.
"""

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from guarantees.legacy.verify import archive_record, retirement, verify
from guarantees.models import Guarantee, GuaranteeAction, GuaranteeEdit, ImportBatch, ImportBatchItem, Setting
from guarantees.models.base import utcnow
from guarantees.models.legacy import ImportedRecord, ImportSession
from guarantees.models.legacy_archive import DUAL_WRITE_SETTING, OFF
from guarantees.models.matching import MatchDecision

MAX_EXAMPLES = 5
__all__ = ["RetireRefused", "archive_record", "describe_missing", "missing_counterparts", "retire", "retirement"]
R, S = ImportedRecord.__table__, ImportSession.__table__


class RetireRefused(Exception):
    """A precondition of retiring failed (the message says which); nothing was changed."""

    def __init__(self, message: str, report: dict) -> None:
        super().__init__(message)
        self.report = report


def _linked(column) -> sa.ColumnElement:
    """SQL: `column` (a legacy record id) names an existing legacy row."""
    return sa.exists().where(R.c.id == column)


def _kinds() -> dict[str, tuple[sa.Table, sa.ColumnElement, sa.ColumnElement]]:
    """Per kind of new-table row: its table, the condition of having no legacy counterpart, and what names it."""
    batch, item, guarantee = ImportBatch.__table__, ImportBatchItem.__table__, Guarantee.__table__
    action, edit, decision = GuaranteeAction.__table__, GuaranteeEdit.__table__, MatchDecision.__table__
    return {
        # an app batch has its import_sessions row; a migrated one, the legacy rows it was made of
        "batches": (batch, ~sa.exists().where(S.c.id == batch.c.legacy_session_id)
                    & ~sa.exists().where(R.c.import_batch_id == batch.c.id), batch.c.id),
        "batch items": (item, ~_linked(item.c.legacy_record_id), item.c.id),
        "guarantees": (guarantee, ~sa.exists().where(R.c.migrated_guarantee_id == guarantee.c.id),
                       guarantee.c.guarantee_number),
        # drafts are written to the legacy tables when issued, not before
        "issued actions": (action, (action.c.action_status == "issued") & ~_linked(action.c.legacy_record_id)
                           & ~sa.exists().where(R.c.migrated_action_id == action.c.id), action.c.id),
        "edits": (edit, ~_linked(edit.c.legacy_record_id), edit.c.id),
        "review decisions": (decision, ~_linked(decision.c.legacy_record_id), decision.c.id),
    }  # fmt: skip


def missing_counterparts(conn: Connection) -> dict[str, dict]:
    """New-table rows without their legacy counterpart, by kind: {kind: {"count": n, "examples": [...]}} for the
    kinds that have any (none: the legacy tables still tell everything the new ones hold)."""
    missing, present = {}, set(sa.inspect(conn).get_table_names())
    for kind, (table, condition, name) in _kinds().items():
        if table.name not in present:  # (a register at a revision before that table's)
            continue
        count = conn.scalar(sa.select(sa.func.count()).select_from(table).where(condition))
        if count:
            examples = list(conn.scalars(sa.select(name).where(condition).order_by(name).limit(MAX_EXAMPLES)))
            missing[kind] = {"count": count, "examples": examples}
    return missing


def describe_missing(missing: dict[str, dict]) -> str:
    """'3 guarantees (e.g. G-1, G-2), 1 issued actions (e.g. 7)'."""
    return ", ".join(
        f"{entry['count']} {kind} (e.g. {', '.join(map(str, entry['examples']))})" for kind, entry in missing.items()
    )


def retire(engine: Engine, *, user: str, dry_run: bool = False, progress: Callable[[str], None] | None = None) -> dict:
    """Check, then turn dual-write off (unless `dry_run`); the report. RetireRefused when a check fails."""
    say = progress or (lambda _step: None)
    with engine.connect() as conn:
        done = retirement(conn)
        archived = archive_record(conn)
    if done or archived:
        return {"ok": True, "already_retired": True, "dry_run": dry_run, **(done or {}), "archive": archived}
    say("verifying the legacy tables and their links (flask legacy verify)")
    report = verify(engine)
    result = {
        "ok": False,
        "already_retired": False,
        "dry_run": dry_run,
        "verify": {"ok": report["ok"], "problems": report["problems"], "counts": report["counts"]},
        "missing": {},
    }
    if not report["ok"]:
        raise RetireRefused(
            f"`flask legacy verify` fails ({'; '.join(report['problems'])}): dual-write stays on. Fix what it "
            "reports (run it for the details) before retiring.",
            result,
        )
    if not report["counts"].get("legacy_rows"):
        # phase 6 comes after phases 1-3: on a register whose legacy database was never loaded, retiring (and then
        # archiving, which drops the legacy tables) would leave nowhere to load it
        raise RetireRefused(
            "The legacy tables hold no rows: there is nothing to retire yet. Load and migrate the legacy database "
            "first (flask legacy load PATH, flask legacy migrate, flask legacy verify).",
            result,
        )
    say("checking that every new-table row has its legacy counterpart")
    # SQLite: the write lock first (BEGIN IMMEDIATE), so no write slips between the check and the switch. (On
    # PostgreSQL a write that read "on" before the switch writes both halves: its legacy rows exist either way.)
    with engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        result["missing"] = missing = missing_counterparts(conn)
        if missing:
            raise RetireRefused(
                f"The new tables hold rows the legacy tables lack: {describe_missing(missing)}. Dual-write was off "
                "while they were written; retiring would make the legacy tables stop short of them for good.",
                result,
            )
        now = utcnow()
        result.update(ok=True, retired_at=now, retired_by=user)
        if dry_run:
            conn.rollback()
            return result
        say("turning dual-write off")
        found = conn.execute(sa.select(Setting.key).where(Setting.key == DUAL_WRITE_SETTING)).first()
        values = {"value": OFF, "content": None, "updated_by": user, "updated_at": now}
        if found is None:
            conn.execute(sa.insert(Setting).values(key=DUAL_WRITE_SETTING, **values))
        else:
            conn.execute(sa.update(Setting).where(Setting.key == DUAL_WRITE_SETTING).values(**values))
    return result
