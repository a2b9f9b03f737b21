"""Import batches and the rows they list, for the batch pages."""

import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee, ImportBatch, ImportBatchItem
from guarantees.models.batch import BATCH_TYPES
from guarantees.repositories.pages import Page, paginate

PER_PAGE = 50


def list_batches(*, batch_type: str | None = None, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """Batches, newest first, optionally of one type."""
    query = sa.select(ImportBatch).order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc())
    if batch_type in BATCH_TYPES:
        query = query.where(ImportBatch.batch_type == batch_type)
    return paginate(query, page, per_page)


def get_batch(batch_id: int) -> ImportBatch | None:
    """One batch by id."""
    return db.session.get(ImportBatch, batch_id)


def batch_rows(batch_id: int, *, page: int = 1, per_page: int = 100) -> Page:
    """A batch's rows in file order, each with the guarantee it touched: Page of (item, guarantee)."""
    query = (
        sa.select(ImportBatchItem, Guarantee)
        .join(Guarantee, Guarantee.id == ImportBatchItem.guarantee_id)
        .where(ImportBatchItem.batch_id == batch_id)
        .order_by(ImportBatchItem.row_number, ImportBatchItem.id)
    )
    return paginate(query, page, per_page, scalars=False)


def extendable_guarantee_ids(batch_id: int) -> tuple[list[int], int]:
    """The batch's guarantees an extension can apply to (active, with an expiry date), and how many others it has."""
    ids = sa.select(ImportBatchItem.guarantee_id).where(ImportBatchItem.batch_id == batch_id).distinct().subquery()
    rows = db.session.execute(
        sa.select(Guarantee.id, Guarantee.status, Guarantee.expiry_date)
        .where(Guarantee.id.in_(sa.select(ids.c.guarantee_id)))
        .order_by(Guarantee.id)
    ).all()
    eligible = [row.id for row in rows if row.status == "active" and row.expiry_date is not None]
    return eligible, len(rows) - len(eligible)


def guarantee_ids_in_batch(batch_id: int, candidates: list[int]) -> list[int]:
    """Those of `candidates` that are rows of the batch (a form cannot act on guarantees outside it)."""
    if not candidates:
        return []
    found = set(
        db.session.scalars(
            sa.select(ImportBatchItem.guarantee_id).where(
                ImportBatchItem.batch_id == batch_id, ImportBatchItem.guarantee_id.in_(candidates)
            )
        )
    )
    return [gid for gid in dict.fromkeys(candidates) if gid in found]
