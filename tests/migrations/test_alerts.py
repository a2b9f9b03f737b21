"""The alert tables' database rules, in plain SQL on both databases: announcements are append-only and unique."""

from datetime import date, timedelta

import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.services import alerts
from tests.migrations.test_triggers import refused


def test_announcements_are_append_only_and_announced_once(app, make_user, make_guarantee):
    make_user("clerk", "editor")
    guarantee_id = make_guarantee("AL-1", expiry_date=(date.today() + timedelta(days=4)).isoformat()).id
    alerts.send()
    db.session.remove()
    assert refused("UPDATE alert_announcements SET threshold = 30")
    assert refused("DELETE FROM alert_announcements")
    row = db.session.execute(sa.text("SELECT expiry_date, recipient, run_id FROM alert_announcements")).one()
    db.session.remove()
    insert = (
        "INSERT INTO alert_announcements (guarantee_id, expiry_date, threshold, recipient, run_id, announced_at) "
        "VALUES (:g, :e, :t, :r, :run, CURRENT_TIMESTAMP)"
    )
    values = {"g": guarantee_id, "e": row.expiry_date, "r": row.recipient, "run": row.run_id}
    assert refused(insert, **values, t=7)  # the same guarantee, expiry, threshold and recipient
    assert refused(insert, **values, t=-1)  # no negative threshold
    assert not refused(insert, **values, t=30)
    assert db.session.scalar(sa.text("SELECT count(*) FROM alert_announcements")) == 2
