"""One transaction per service call: what a lost race and a broken rule become."""

import pytest
import sqlalchemy as sa

from guarantees.models import User
from guarantees.services.errors import Conflict
from guarantees.services.transaction import unit_of_work


def test_a_row_another_writer_wrote_first_is_a_conflict_and_nothing_is_written(app, make_user):
    make_user("twice", "editor")
    with pytest.raises(Conflict, match="same moment"), unit_of_work() as session:
        session.add(User(username="bystander", role="viewer", active=True, password_hash="x"))
        session.add(User(username="twice", role="viewer", active=True, password_hash="x"))
        session.flush()
    names = app.extensions["sqlalchemy"].session.scalars(sa.select(User.username)).all()
    assert sorted(names) == ["twice"]


def test_a_broken_rule_stays_an_error_not_a_conflict(app, make_guarantee):
    g = make_guarantee("TX-1")
    with pytest.raises(sa.exc.IntegrityError), unit_of_work() as session:
        session.execute(sa.text("UPDATE guarantees SET currency = NULL WHERE id = :id"), {"id": g.id})
