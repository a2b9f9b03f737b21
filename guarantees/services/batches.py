"""Import batches: today's manual batch, found or created race-safely."""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from guarantees.clock import today
from guarantees.database import insert_or_get
from guarantees.domain.descriptions import describe
from guarantees.models import ImportBatch
from guarantees.services.dualwrite import DualWriteAdapter


def todays_batch(session: Session, *, user: str | None, batch_type: str = "manual_batch") -> ImportBatch:
    """The daily batch of `batch_type` for today, created on first use; the unique index settles races."""
    day = today()

    def find():
        return session.scalar(
            sa.select(ImportBatch).where(ImportBatch.batch_type == batch_type, ImportBatch.batch_date == day)
        )

    batch = find()
    if batch is None:
        batch = insert_or_get(
            session,
            lambda: ImportBatch(
                batch_type=batch_type,
                batch_date=day,
                description=describe(batch_type, day=day.isoformat()),
                total_records=0,
                ready_records=0,
                created_by=user,
            ),
            find,
        )
    DualWriteAdapter(session).open_batch(batch)
    return batch


def count_rows(session: Session, batch: ImportBatch, *, total: int, ready: int) -> None:
    """Add to a batch's counters in SQL, so that concurrent writers never lose an increment."""
    session.execute(
        sa.update(ImportBatch)
        .where(ImportBatch.id == batch.id)
        .values(total_records=ImportBatch.total_records + total, ready_records=ImportBatch.ready_records + ready)
    )
