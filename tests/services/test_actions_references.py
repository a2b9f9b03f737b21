"""Each issued letter's reference number: given at issue in the same write, unique, never on a draft, frozen."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import GuaranteeAction
from guarantees.services import actions
from tests.migrations.test_triggers import refused

# The guarantees these tests extend expire on 2026-06-01: the register's day is fixed before that.
pytestmark = pytest.mark.usefixtures("before_expiry")

REFERENCE = re.compile(r"^BG/\d{4}/\d{6}$")


def stored(action_id: int) -> GuaranteeAction:
    db.session.expire_all()
    return db.session.get(GuaranteeAction, action_id)


def test_the_reference_is_the_year_and_the_action_id(app, make_guarantee):
    action = actions.extend(make_guarantee("R-1").id, user="clerk")
    found = stored(action.id)
    assert found.reference == f"BG/{found.issued_at.year}/{action.id:06d}"
    assert actions.letter_reference(123, date(2026, 3, 1)) == "BG/2026/000123"


def test_every_way_of_issuing_gives_a_reference(app, make_guarantee):
    extended = actions.extend(make_guarantee("R-E").id, user="clerk")
    reduced = actions.reduce(make_guarantee("R-D").id, "1000.00", user="clerk")
    released = actions.release(make_guarantee("R-L").id, user="clerk")
    app.config["FOUR_EYES"] = True
    ids = [make_guarantee(f"R-S{i}").id for i in range(3)]
    session = actions.start_session(ids, "extension", user="clerk")
    drafts = [a.id for a in db.session.scalars(sa.select(GuaranteeAction).filter_by(action_session_id=session.id))]
    assert [stored(i).reference for i in drafts] == [None, None, None]  # drafts have none
    actions.issue_session(session.id, user="chief")
    references = [stored(a.id).reference for a in (extended, reduced, released)] + [stored(i).reference for i in drafts]
    assert all(REFERENCE.match(r) for r in references), references
    assert len(set(references)) == len(references)


def test_a_draft_has_no_reference_and_a_reference_is_unique(app, make_guarantee):
    issued = actions.extend(make_guarantee("R-U1").id, user="clerk")
    session = actions.start_session([make_guarantee("R-U2").id], "release", user="clerk")
    (draft,) = db.session.scalars(sa.select(GuaranteeAction).filter_by(action_session_id=session.id)).all()
    assert draft.reference is None
    taken = stored(issued.id).reference
    assert refused("UPDATE guarantee_actions SET reference = :r WHERE id = :id", r=taken, id=draft.id)


@pytest.mark.parametrize("value", ["BG/2099/999999", None])
def test_plain_sql_cannot_change_an_issued_reference(app, make_guarantee, value):
    action = actions.release(make_guarantee("R-F").id, user="clerk")
    before = stored(action.id).reference
    db.session.remove()
    assert refused("UPDATE guarantee_actions SET reference = :r WHERE id = :id", r=value, id=action.id)
    assert stored(action.id).reference == before


def test_a_refused_issue_keeps_no_reference(app, make_guarantee):
    guarantee = make_guarantee("R-X")
    actions.release(guarantee.id, user="clerk")
    count = db.session.scalar(sa.select(sa.func.count()).select_from(GuaranteeAction))
    with pytest.raises(actions.RuleViolation):
        actions.release(guarantee.id, user="clerk")
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GuaranteeAction)) == count
