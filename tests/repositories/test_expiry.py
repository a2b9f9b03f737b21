"""The SQL form of expiry (repositories.expiry) gives, row by row, the state domain.expiry gives."""

from datetime import date, timedelta

import sqlalchemy as sa

from guarantees.domain import expiry
from guarantees.extensions import db
from guarantees.models import Guarantee
from guarantees.repositories import expiry as sql

TODAY = date(2026, 12, 7)


def test_sql_state_agrees_with_the_domain(make_guarantee):
    days = (None, -400, -1, 0, 1, 7, 8, 30, 90, 91)
    for offset in days:
        for released in (False, True):
            number = f"EXP{offset}{'R' if released else ''}".replace("-", "M")
            expiry_date = None if offset is None else (TODAY + timedelta(days=offset)).isoformat()
            guarantee = make_guarantee(number, expiry_date=expiry_date)
            if released:
                db.session.execute(sa.update(Guarantee).where(Guarantee.id == guarantee.id).values(status="released"))
                db.session.commit()
    rows = db.session.execute(sa.select(Guarantee.id, Guarantee.status, Guarantee.expiry_date)).all()
    assert len(rows) == 2 * len(days)
    expected = {row.id: expiry.state(row.status, row.expiry_date, TODAY) for row in rows}
    by_case = dict(db.session.execute(sa.select(Guarantee.id, sql.state_case(TODAY))).all())
    assert by_case == expected
    for state in expiry.STATES:
        found = set(db.session.scalars(sa.select(Guarantee.id).where(sql.in_state(state, TODAY))))
        assert found == {id_ for id_, value in expected.items() if value == state}, state
    assert set(db.session.scalars(sa.select(Guarantee.id).where(sql.expired(TODAY)))) == {
        id_ for id_, value in expected.items() if value == "expired"
    }
    within = set(db.session.scalars(sa.select(Guarantee.id).where(sql.expiring_within(7, TODAY))))
    assert within == {
        row.id
        for row in rows
        if row.status != "released" and row.expiry_date and 0 <= expiry.days_left(row.expiry_date, TODAY) <= 7
    }
    assert len(within) == 3, rows  # 0, 1 and 7 days
