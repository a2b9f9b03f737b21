"""The review page grouped, paged and filtered; bulk decisions previewed then applied (and refused when stale); an
entry added from the page by an editor, unless an admin keeps that for admins."""

import re
from html import unescape

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee, MatchDecision
from guarantees.models.dictionary import Bank, Supplier
from tests.web.conftest import csrf_from


@pytest.fixture
def dictionary(app):
    rows = {
        "lana": Supplier(official_name="Lana Medical Company", display_name="Lana Medical"),
        "gulf": Supplier(official_name="Gulf Cables and Electrical Industries"),
        "riyad": Bank(official_name="Riyad Bank", official_name_ar="بنك الرياض", short_code="RIBL"),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    return {name: row.id for name, row in rows.items()}


@pytest.fixture
def waiting(make_guarantee, dictionary):
    made = [
        make_guarantee("W1", raw_supplier_name="Lana Med. Est.", raw_bank_name="Riyad Bank"),
        make_guarantee("W2", raw_supplier_name="LANA MED", raw_bank_name="Riyad Bank"),
        make_guarantee("W3", raw_supplier_name="Gulf Cable and Electric Ind", raw_bank_name="Riyad Bank"),
        make_guarantee("W4", raw_supplier_name="Zeta Unknown Works", raw_bank_name="Bank of Nowhere"),
    ]
    return {g.guarantee_number: g.id for g in made}


def names(page: str) -> list[str]:
    return [unescape(name) for name in re.findall(r'<h3 class="raw-name" dir="auto">([^<]*)</h3>', page)]


def hidden(html: str, name: str) -> list[str]:
    return [unescape(v) for v in re.findall(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)]


def decisions() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(MatchDecision))


def test_the_page_is_compact_filtered_and_paged(editor, make_guarantee, dictionary):
    for i in range(27):
        make_guarantee(f"P{i}", raw_supplier_name=f"Unknown Supplier Number {i:02d}", raw_bank_name="Riyad Bank")
    make_guarantee("B1", raw_supplier_name="Lana Medical", raw_bank_name="Bank of Nowhere")
    page = editor.get("/review").get_data(as_text=True)
    assert len(names(page)) == 25 and "Page 1 of 2" in page and "28 names" in page
    assert "<details" in page and 'id="review-keys"' in page and "js/review.js" in page
    second = editor.get("/review?page=2", htmx=True).get_data(as_text=True)
    assert "<html" not in second and len(names(second)) == 3
    assert set(names(page)).isdisjoint(names(second))
    assert names(editor.get("/review?kind=bank").get_data(as_text=True)) == ["Bank of Nowhere"]
    low = editor.get("/review?kind=supplier&band=none").get_data(as_text=True)
    assert len(names(low)) == 25 and "Bank of Nowhere" not in names(low)
    # Bad parameters are dropped, never an error.
    for query in ("kind=customer", "band=best", "page=abc", "page=99999999999", "page=-3"):
        response = editor.get(f"/review?{query}")
        assert response.status_code == 200 and len(names(response.get_data(as_text=True))) == 25


def test_bulk_accept_of_ticked_names_is_previewed_then_applied(editor, waiting, dictionary):
    token = editor.token
    response = editor.post(
        "/review/preview/selected",
        {"group": ["supplier:LANA MED", "supplier:Gulf Cable and Electric Ind", "supplier:Zeta Unknown Works"]},
        htmx=True,
    )
    preview = response.get_data(as_text=True)
    assert (
        response.status_code == 200 and "<html" not in preview and response.headers["HX-Retarget"] == "#review-preview"
    )
    assert "2 names will be matched" in preview and "3 guarantees change." in preview
    assert "Lana Medical" in preview and "Gulf Cables and Electrical Industries" in preview
    assert "1 ticked name has no proposal" in preview and "Zeta Unknown Works" in preview
    assert decisions() == 0  # a preview writes nothing
    chosen = hidden(preview, "decision")
    assert sorted(chosen) == sorted(
        [f"supplier:{dictionary['lana']}:LANA MED", f"supplier:{dictionary['gulf']}:Gulf Cable and Electric Ind"]
    )
    applied = editor.post("/review/bulk", {"decision": chosen, "confirm": hidden(preview, "confirm")[0]}, htmx=True)
    body = applied.get_data(as_text=True)
    assert applied.status_code == 200 and 'id="review-queue"' in body
    assert "2 names matched: 3 guarantees changed." in applied.headers["HX-Trigger"]
    assert "LANA MED" not in names(body) and "Zeta Unknown Works" in names(body)
    assert decisions() == 3 and editor.token == token
    db.session.expire_all()
    assert db.session.get(Guarantee, waiting["W1"]).match_status == "ready"


def test_bulk_accept_at_or_above_a_score(editor, waiting, dictionary):
    preview = editor.post("/review/preview/threshold", {"threshold": "80"}, htmx=True).get_data(as_text=True)
    assert hidden(preview, "decision") == [f"supplier:{dictionary['gulf']}:Gulf Cable and Electric Ind"] or (
        f"supplier:{dictionary['lana']}:LANA MED" in hidden(preview, "decision")
    )
    assert "Zeta Unknown Works" not in preview
    plain = editor.post("/review/preview/threshold", {"threshold": "100", "kind": "bank"})
    assert plain.status_code == 200 and "<html" in plain.get_data(as_text=True)
    assert "Nothing to apply" in plain.get_data(as_text=True)
    for bad in ("79", "101", "abc", ""):
        refused = editor.post("/review/preview/threshold", {"threshold": bad}, htmx=True)
        assert refused.status_code == 422 and "Give a score from 80 to 100." in refused.get_data(as_text=True)
    assert decisions() == 0


def test_a_stale_preview_is_refused_and_shown_again(editor, waiting, dictionary):
    preview = editor.post(
        "/review/preview/selected", {"group": ["supplier:LANA MED", "supplier:Gulf Cable and Electric Ind"]}, htmx=True
    ).get_data(as_text=True)
    # A second tab decides one of the previewed names first.
    editor.post("/review/apply", {"entity": "supplier", "raw_name": "LANA MED", "chosen_id": dictionary["gulf"]})
    before = decisions()
    response = editor.post(
        "/review/bulk", {"decision": hidden(preview, "decision"), "confirm": hidden(preview, "confirm")[0]}, htmx=True
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 409 and response.headers["HX-Retarget"] == "#review-preview"
    assert "changed since this preview: nothing was applied" in body
    assert decisions() == before
    assert hidden(body, "decision") == [f"supplier:{dictionary['gulf']}:Gulf Cable and Electric Ind"]
    assert hidden(body, "confirm")[0] != hidden(preview, "confirm")[0]
    # The fresh preview applies.
    again = editor.post("/review/bulk", {"decision": hidden(body, "decision"), "confirm": hidden(body, "confirm")[0]})
    assert again.status_code == 303 and decisions() == before + 1


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({}, "Preview the decisions first."),
        ({"decision": "supplier:1:X"}, "Preview the decisions first."),
        ({"decision": "customer:1:X", "confirm": "abc"}, "not understood"),
        ({"decision": "supplier:abc:X", "confirm": "abc"}, "not understood"),
        ({"decision": "supplier:99999999999:X", "confirm": "abc"}, "not understood"),
        ({"decision": "supplier:1:", "confirm": "abc"}, "not understood"),
    ],
)
def test_bad_bulk_requests_are_answered_and_change_nothing(editor, waiting, data, says):
    response = editor.post("/review/bulk", data, htmx=True)
    assert response.status_code == 422 and says in response.get_data(as_text=True)
    nothing = editor.post("/review/preview/selected", {}, htmx=True)
    assert nothing.status_code == 422 and "Tick at least one name." in nothing.get_data(as_text=True)
    assert decisions() == 0


def test_bulk_needs_an_editor_and_the_csrf_token(viewer, editor, waiting, dictionary):
    choice = {"decision": f"supplier:{dictionary['lana']}:LANA MED", "confirm": "x"}
    assert viewer.post("/review/bulk", choice).status_code == 403
    assert viewer.post("/review/preview/selected", {"group": "supplier:LANA MED"}).status_code == 403
    assert editor.post("/review/bulk", choice, csrf=False).status_code == 400
    page = viewer.get("/review").get_data(as_text=True)
    assert 'id="review-bulk"' not in page and 'name="group"' not in page
    assert decisions() == 0


def add(client, **data):
    form = {"entity": "bank", "raw_name": "Bank of Nowhere", "official_name": "Bank of Nowhere", "index": "bank-2"}
    return client.post("/review/add-entry", {**form, **data}, htmx=True)


def test_an_editor_adds_an_entry_from_the_review_page(editor, waiting):
    page = editor.get("/review").get_data(as_text=True)
    assert "Not in the dictionary? Add it" in page and 'action="/review/add-entry"' in page
    response = add(editor, official_name_en="Bank of Nowhere", short_code="bon")
    assert response.status_code == 200
    assert "Bank of Nowhere added to the dictionary; 1 guarantee matched to it." in response.headers["HX-Trigger"]
    bank = db.session.scalar(sa.select(Bank).where(Bank.short_code == "BON"))
    assert bank is not None
    db.session.expire_all()
    assert db.session.get(Guarantee, waiting["W4"]).bank_id == bank.id
    # A refusal shows the group again with the reason and the form open; nothing is added.
    refused = add(editor, raw_name="Zeta Unknown Works", entity="supplier", official_name="Lana Medical")
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "has this name already" in body and '<details class="add-entry" open>' in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Supplier)) == 2
    blank = add(editor, raw_name="Zeta Unknown Works", entity="supplier", official_name="")
    assert blank.status_code == 422 and "The official name is required." in blank.headers["HX-Trigger"]


def test_admins_may_keep_adding_entries_for_themselves(app, admin, editor, viewer, waiting):
    settings = admin.get("/admin/settings").get_data(as_text=True)
    assert "Only admins add dictionary entries" in settings
    response = admin.client.post("/review/settings", data={"csrf_token": csrf_from(settings), "admins_only": "y"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/settings")
    assert re.search(r"<input checked id=\"admins_only\"", admin.get("/admin/settings").get_data(as_text=True))
    page = editor.get("/review").get_data(as_text=True)
    assert "Not in the dictionary? Add it" not in page
    assert add(editor).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bank)) == 1
    assert "Not in the dictionary? Add it" in admin.get("/review").get_data(as_text=True)
    assert add(admin).status_code == 200
    assert editor.post("/review/settings", {"admins_only": ""}).status_code == 403
    assert viewer.post("/review/add-entry", {"entity": "bank"}).status_code == 403
