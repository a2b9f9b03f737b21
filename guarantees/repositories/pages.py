"""One page of a longer list: the one type every paginated page (guarantees, batches, review, preview) uses."""

from dataclasses import dataclass
from math import ceil

import sqlalchemy as sa

from guarantees.extensions import db


@dataclass(frozen=True)
class Page:
    """One page of a longer list (`page` is 1-based)."""

    items: list
    page: int
    per_page: int
    total: int  # with `more`, a lower bound: more than this many match
    more: bool = False
    # With `more` the end was not counted: whether a page follows this one is all that is known.
    has_following: bool = False

    @property
    def pages(self) -> int:
        if self.more:
            return self.page + (1 if self.has_following else 0)
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def clamp(page: int, total: int, per_page: int) -> int:
    """`page` moved into the range a list of `total` rows has (an out-of-range page shows the last one)."""
    return min(max(page, 1), max(1, ceil(total / per_page)))


def of_list(rows: list, page: int, per_page: int) -> Page:
    """The page of an in-memory list."""
    page = clamp(page, len(rows), per_page)
    start = (page - 1) * per_page
    return Page(rows[start : start + per_page], page, per_page, len(rows))


def paginate(query: sa.Select, page: int, per_page: int, *, scalars: bool = True) -> Page:
    """Run `query` for one page (out-of-range pages are clamped) and count the whole."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0
    page = clamp(page, total, per_page)
    limited = query.limit(per_page).offset((page - 1) * per_page)
    rows = db.session.scalars(limited).all() if scalars else db.session.execute(limited).all()
    return Page(list(rows), page, per_page, total)
