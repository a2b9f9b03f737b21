"""`flask legacy rollback --yes`: back to the legacy-only schema, with proof that no legacy row changed.

A checksum of every legacy row (its legacy columns only, in id order) is taken before; Flask-Migrate
downgrades to revision 0001_legacy (dropping the new tables and the transition columns); the checksum
is taken again and must be the same, row count and digest.

It refuses, changing nothing, when the new tables hold rows the legacy tables lack (written while dual-write was
off, or after `flask legacy retire`): they would be lost. And once the legacy tables were archived (dropped), there
is nothing to roll back to. No option overrides either.
"""

import hashlib
import json
import time

import sqlalchemy as sa
from flask_migrate import downgrade
from sqlalchemy.engine import Engine

from guarantees.legacy.retire import archive_record, describe_missing, missing_counterparts
from guarantees.models.dictionary import Bank, Supplier
from guarantees.models.legacy import LEGACY_RECORD_COLUMNS, ImportSession

LEGACY_REVISION = "0001_legacy"
LEGACY_COLUMNS = {
    "import_sessions": [c.name for c in ImportSession.__table__.columns],
    "imported_records": list(LEGACY_RECORD_COLUMNS),
    "suppliers": [c.name for c in Supplier.__table__.columns],
    "banks": [c.name for c in Bank.__table__.columns],
}


class RollbackFailed(Exception):
    """The downgrade could not run, or legacy rows differ afterwards."""


class RollbackRefused(RollbackFailed):
    """Rolling back would lose data or has nothing to roll back to; nothing was changed."""

    def __init__(self, message: str, missing: dict | None = None) -> None:
        super().__init__(message)
        self.missing = missing or {}


def refusal(engine: Engine) -> None:
    """RollbackRefused if the legacy tables were archived, or the new tables hold rows they lack."""
    with engine.connect() as conn:
        archived = archive_record(conn)
        if archived:
            raise RollbackRefused(
                f"The legacy tables were archived on {archived['archived_at']:%Y-%m-%d %H:%M} to "
                f"{archived['file_name']} and dropped: there is nothing to roll back to. Nothing was changed."
            )
        if not sa.inspect(conn).has_table("guarantees"):
            return
        missing = missing_counterparts(conn)
    if missing:
        total = sum(entry["count"] for entry in missing.values())
        raise RollbackRefused(
            f"Refusing to roll back: the new tables hold {total} rows the legacy tables lack "
            f"({describe_missing(missing)}), written while dual-write was off; a rollback would drop them for good. "
            "Nothing was changed.",
            missing,
        )


def checksums(engine: Engine) -> dict[str, dict]:
    """Per legacy table: its row count and a SHA-256 of its legacy columns, row by row in id order."""
    result = {}
    with engine.connect() as conn:
        for table, columns in LEGACY_COLUMNS.items():
            digest, count = hashlib.sha256(), 0
            query = (
                sa.select(*(sa.column(name) for name in columns)).select_from(sa.table(table)).order_by(sa.column("id"))
            )
            for row in conn.execute(query.execution_options(yield_per=10_000)):
                digest.update(json.dumps(list(row), ensure_ascii=False, default=str).encode())
                digest.update(b"\n")
                count += 1
            result[table] = {"rows": count, "sha256": digest.hexdigest()}
    return result


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        try:
            return conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
        except sa.exc.DBAPIError as error:
            raise RollbackFailed("The database has no alembic_version table: it was never upgraded.") from error


def rollback(engine: Engine) -> dict:
    """Downgrade to the legacy-only revision; the report says whether every legacy row is unchanged."""
    started = time.perf_counter()
    revision = current_revision(engine)
    if revision != LEGACY_REVISION:
        refusal(engine)
    before = checksums(engine)
    engine.dispose()  # the downgrade drops tables: no connection of ours may hold a lock on them
    if revision != LEGACY_REVISION:
        try:
            downgrade(revision=LEGACY_REVISION)
        except Exception as error:
            raise RollbackFailed(f"The downgrade to {LEGACY_REVISION} failed: {error}") from error
    after_revision = current_revision(engine)
    after = checksums(engine)
    differ = [table for table in LEGACY_COLUMNS if before[table] != after[table]]
    return {
        "ok": not differ and after_revision == LEGACY_REVISION,
        "from_revision": revision,
        "revision": after_revision,
        "already_rolled_back": revision == LEGACY_REVISION,
        "before": before,
        "after": after,
        "differ": differ,
        "seconds": round(time.perf_counter() - started, 3),
    }
