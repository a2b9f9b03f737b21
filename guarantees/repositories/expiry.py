"""The SQL form of `domain.expiry`: which rows are active, expired or released on a given day.

Tested against `domain.expiry.state()` row by row on both databases, so the two cannot drift. "Not released" is
written `status = 'active'` (the column's CHECK allows only the two), so that the (status, expiry_date, id) index
serves each condition as one range.
"""

from datetime import date, timedelta

import sqlalchemy as sa

from guarantees.domain import expiry
from guarantees.models import Guarantee, GuaranteeAction


def expired(today: date, table=Guarantee):
    """Not released and past its expiry date."""
    return sa.and_(table.status == expiry.ACTIVE, table.expiry_date < today)


def in_state(state: str, today: date, table=Guarantee):
    """The condition for one of `expiry.STATES`."""
    if state == expiry.RELEASED:
        return table.status == expiry.RELEASED
    if state == expiry.EXPIRED:
        return expired(today, table)
    return sa.and_(table.status == expiry.ACTIVE, sa.or_(table.expiry_date.is_(None), table.expiry_date >= today))


def expiring_within(days: int, today: date, table=Guarantee):
    """Not released and expiring from today through `days` days ahead (0: today only)."""
    return sa.and_(table.status == expiry.ACTIVE, table.expiry_date.between(today, today + timedelta(days=days)))


def state_case(today: date, table=Guarantee):
    """The state as a SQL expression (for exports and sorting)."""
    return sa.case(
        (table.status == expiry.RELEASED, expiry.RELEASED),
        (table.expiry_date < today, expiry.EXPIRED),
        else_=expiry.ACTIVE,
    )


def no_extension_prepared(table=Guarantee):
    """No draft extension waits for this guarantee (the expiry worklist's 'nothing done yet')."""
    drafts = sa.select(GuaranteeAction.id).where(
        GuaranteeAction.guarantee_id == table.id,
        GuaranteeAction.action_type == "extension",
        GuaranteeAction.action_status == "draft",
    )
    return ~drafts.exists()
