"""Voids through the web: prepared by one editor, issued by another, refused with the reason when the preparer
tries or a later action depends on the voided one; shown struck through with the void beside it."""

from datetime import date

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee, GuaranteeAction
from guarantees.services import actions

pytestmark = pytest.mark.usefixtures("before_expiry", "issue_clock")


def the_void(action_id: int) -> GuaranteeAction | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(GuaranteeAction).where(GuaranteeAction.voids_action_id == action_id))


def test_prepared_by_one_editor_issued_by_another(signed_in, make_guarantee):
    first, second = signed_in("editor", "preparer"), signed_in("editor", "checker")
    g = make_guarantee("WV-1")
    extension = actions.extend(g.id, user="clerk")
    response = first.post(f"/bank-answers/actions/{extension.id}/void", data={"reason": "wrong date"}, htmx=True)
    assert response.status_code == 204
    void = the_void(extension.id)
    assert (void.action_status, void.created_by, void.notes) == ("draft", "preparer", "wrong date")
    page = first.get(f"/guarantees/{g.id}").get_data(as_text=True)
    assert "You prepared this void" in page and f'id="issue-void-{void.id}"' not in page
    refused = first.post(f"/bank-answers/voids/{void.id}/issue", htmx=True)
    assert refused.status_code == 409 and "Four-eyes" in refused.get_data(as_text=True)
    assert the_void(extension.id).action_status == "draft"
    page = second.get(f"/guarantees/{g.id}").get_data(as_text=True)
    assert f'id="issue-void-{void.id}"' in page
    assert second.post(f"/bank-answers/voids/{void.id}/issue").status_code == 303
    assert db.session.get(Guarantee, g.id).expiry_date == date(2026, 6, 1)
    page = second.get(f"/guarantees/{g.id}").get_data(as_text=True)
    assert "<del>" in page and "Voided on" in page and f'data-voided-by="{void.id}"' in page
    assert f'data-voids="{extension.id}"' in page  # the timeline's void names the action


def test_refusals_say_why(signed_in, make_guarantee, viewer):
    first = signed_in("editor", "preparer")
    g = make_guarantee("WV-2")
    early = actions.extend(g.id, user="clerk")
    later = actions.extend(g.id, user="clerk")
    response = first.post(f"/bank-answers/actions/{early.id}/void", data={"reason": "x"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 409 and later.reference in body and 'id="bank-letters"' in body
    missing = first.post(f"/bank-answers/actions/{later.id}/void", data={"reason": ""}, htmx=True)
    assert missing.status_code == 422 and "reason" in missing.get_data(as_text=True)
    assert viewer.post(f"/bank-answers/actions/{later.id}/void", data={"reason": "x"}).status_code == 403
    assert first.post("/bank-answers/actions/999999/void", data={"reason": "x"}).status_code == 404
    assert the_void(early.id) is None and the_void(later.id) is None


def test_a_prepared_void_is_withdrawn(signed_in, make_guarantee):
    first = signed_in("editor", "preparer")
    g = make_guarantee("WV-3")
    release = actions.release(g.id, user="clerk")
    first.post(f"/bank-answers/actions/{release.id}/void", data={"reason": "not sent"})
    void = the_void(release.id)
    assert first.post(f"/bank-answers/voids/{void.id}/discard").status_code == 303
    assert the_void(release.id) is None
