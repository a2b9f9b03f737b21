"""Import batches and the rows they list, for the batch pages."""

from dataclasses import dataclass
from math import ceil

import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee, ImportBatch, ImportBatchItem
from guarantees.models.batch import BATCH_TYPES

PER_PAGE = 50


@dataclass(frozen=True)
class Page:
    """One page of a longer list."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(query: sa.Select, page: int, per_page: int = PER_PAGE, *, scalars: bool = True) -> Page:
    """Run `query` for one page (1-based; out-of-range pages are clamped) and count the whole."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0
    page = min(max(page, 1), max(1, ceil(total / per_page)))
    limited = query.limit(per_page).offset((page - 1) * per_page)
    rows = db.session.scalars(limited).all() if scalars else db.session.execute(limited).all()
    return Page(list(rows), page, per_page, total)


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
