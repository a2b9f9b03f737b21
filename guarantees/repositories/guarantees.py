"""Guarantees: one guarantee, the banks the list filters by, today's manual entries (the list's search: search.py)."""

import sqlalchemy as sa

from guarantees.clock import today
from guarantees.domain.ids import is_id
from guarantees.extensions import db
from guarantees.models import DictionaryMerge, Guarantee, ImportBatch, ImportBatchItem
from guarantees.models.dictionary import Bank
from guarantees.repositories.list_query import bank_label


def bank_choices() -> list[str]:
    """The banks the filter offers: the dictionary's live banks, by the label the matcher shows.

    Taken from the dictionary (tens of rows) rather than from the guarantees (a scan of the whole register on
    every page); a spelling that matched no bank is still found by the search box.
    """
    merged = sa.select(DictionaryMerge.from_id).where(DictionaryMerge.entity == "bank")
    label = bank_label()
    query = sa.select(label).where(label.is_not(None), Bank.id.not_in(merged)).distinct().order_by(label)
    return list(db.session.scalars(query))


def get(guarantee_id: int) -> Guarantee | None:
    """One guarantee (with its supplier and bank), or None."""
    if not is_id(guarantee_id):
        return None
    return db.session.get(Guarantee, guarantee_id)


def todays_manual_batch() -> ImportBatch | None:
    """Today's manual batch, if anything was entered today."""
    return db.session.scalar(
        sa.select(ImportBatch).where(ImportBatch.batch_type == "manual_batch", ImportBatch.batch_date == today())
    )


def batch_entries(batch_id: int, limit: int | None = None) -> list[tuple[ImportBatchItem, Guarantee]]:
    """The rows of a batch with their guarantees, newest first, the newest `limit` of them (one query)."""
    rows = db.session.execute(
        sa.select(ImportBatchItem, Guarantee)
        .join(Guarantee, Guarantee.id == ImportBatchItem.guarantee_id)
        .where(ImportBatchItem.batch_id == batch_id)
        .order_by(ImportBatchItem.row_number.desc(), ImportBatchItem.id.desc())
        .limit(limit)
    ).unique()
    return [(item, guarantee) for item, guarantee in rows]
