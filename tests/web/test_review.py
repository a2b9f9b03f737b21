"""The review queue: grouped raw names, the htmx picker, applying a choice, roles and CSRF."""

import re

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee, MatchDecision, NameAlias
from guarantees.models.dictionary import Bank, Supplier
from guarantees.models.legacy import ImportedRecord
from guarantees.repositories.matching import decisions_for


@pytest.fixture
def dictionary(app):
    rows = {
        "lana": Supplier(official_name="Lana Medical Company", display_name="Lana Medical"),
        "gulf": Supplier(official_name="Gulf Cables"),
        "merged": Supplier(official_name="Lana Medical Duplicate Entry"),
        "riyad": Bank(official_name="Riyad Bank", official_name_ar="بنك الرياض", short_code="RIBL"),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    return {name: row.id for name, row in rows.items()}


@pytest.fixture
def queue(make_guarantee, dictionary):
    """Three guarantees waiting for their supplier under two spellings of one name, one under another name."""
    made = [
        make_guarantee("G1", raw_supplier_name="Lana Med. Est.", raw_bank_name="Riyad Bank"),
        make_guarantee("G2", raw_supplier_name="LANA MED", raw_bank_name="Riyad Bank"),
        make_guarantee("G3", raw_supplier_name="Zeta <script>alert(1)</script>", raw_bank_name="بنك الرياض"),
        make_guarantee("G4", raw_supplier_name="Lana Medical", raw_bank_name="Bank of Nowhere"),
    ]
    return {g.guarantee_number: g.id for g in made}


def test_the_queue_groups_unmatched_names_with_counts_and_candidates(viewer, queue, dictionary):
    response = viewer.get("/review")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in page
    groups = re.findall(r'<h3 class="raw-name" dir="auto">([^<]*)</h3>', page)
    assert groups[0] == "LANA MED"  # the largest group first, whatever its kind
    assert sorted(groups[1:]) == ["Bank of Nowhere", "Zeta &lt;script&gt;alert(1)&lt;/script&gt;"]
    assert "<script>alert(1)" not in page
    assert "2 guarantees" in page
    assert "Lana Medical" in page  # the best candidate of "Lana Med"
    assert "Editors match names." in page  # a viewer sees the queue but no choice buttons
    assert 'name="chosen_id"' not in page


def test_the_queue_as_htmx_is_a_fragment(editor, queue):
    response = editor.get("/review", htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and 'id="review-queue"' in body
    assert 'hx-trigger="input changed delay:300ms, search"' in body and 'name="chosen_id"' in body
    assert "HX-Request" in response.headers.get("Vary", "")


def test_search_returns_picker_options(editor, dictionary):
    response = editor.get("/review/search?entity=supplier&q=lana", htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert f'name="chosen_id" value="{dictionary["lana"]}"' in body
    assert f'value="{dictionary["gulf"]}"' not in body
    banks = editor.get("/review/search?entity=bank&q=" + "بنك الرياض", htmx=True).get_data(as_text=True)
    assert f'value="{dictionary["riyad"]}"' in banks
    nothing = editor.get("/review/search?entity=bank&q=zzzz", htmx=True).get_data(as_text=True)
    assert "No entry matches" in nothing
    assert editor.get("/review/search?entity=customer&q=x", htmx=True).status_code == 404


def test_search_hides_merged_entries(editor, dictionary):
    from guarantees.services import review

    review.merge("supplier", dictionary["merged"], dictionary["lana"], user="chief")
    body = editor.get("/review/search?entity=supplier&q=duplicate", htmx=True).get_data(as_text=True)
    assert f'value="{dictionary["merged"]}"' not in body


def test_applying_a_choice_matches_every_guarantee_with_that_name(app, editor, queue, dictionary):
    legacy_before = db.session.scalar(sa.select(sa.func.count()).select_from(ImportedRecord))
    response = editor.post(
        "/review/apply",
        {"entity": "supplier", "raw_name": "Lana Med. Est.", "chosen_id": dictionary["lana"], "index": "supplier-1"},
        htmx=True,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 guarantees matched" in response.headers["HX-Trigger"]
    assert 'id="review-summary"' in body and 'hx-swap-oob="true"' in body  # the counts follow out of band
    db.session.expire_all()
    for number in ("G1", "G2"):
        found = db.session.get(Guarantee, queue[number])
        assert (found.supplier_id, found.supplier_display_name, found.match_status) == (
            dictionary["lana"],
            "Lana Medical",
            "ready",
        )
    assert db.session.get(Guarantee, queue["G3"]).supplier_id is None
    decisions = db.session.scalars(sa.select(MatchDecision)).all()
    assert {(d.guarantee_id, d.decided_by) for d in decisions} == {
        (queue["G1"], "editor-user"),
        (queue["G2"], "editor-user"),
    }
    assert db.session.scalar(sa.select(NameAlias.normalized_name)) == "lana med"
    modifications = db.session.scalars(
        sa.select(ImportedRecord.migrated_guarantee_id).where(ImportedRecord.record_type == "modification")
    ).all()
    assert sorted(modifications) == sorted([queue["G1"], queue["G2"]])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportedRecord)) == legacy_before + 2
    assert [entry["kind"] for entry in decisions_for(db.session, queue["G1"])] == ["decision"]
    # The name is gone from the queue.
    page = editor.get("/review").get_data(as_text=True)
    assert ">LANA MED</h3>" not in page and "Also written" not in page


def test_applying_without_htmx_redirects_to_the_queue(editor, queue, dictionary):
    response = editor.post(
        "/review/apply", {"entity": "bank", "raw_name": "Bank of Nowhere", "chosen_id": dictionary["riyad"]}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/review")
    assert "1 guarantee matched" in editor.get("/review").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Guarantee, queue["G4"]).match_status == "ready"


def test_a_refused_choice_shows_the_group_again_with_the_reason(editor, queue, dictionary):
    response = editor.post(
        "/review/apply",
        {"entity": "supplier", "raw_name": "Lana Med. Est.", "chosen_id": "99999", "index": "supplier-1"},
        htmx=True,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="group-supplier-1"' in body and 'role="alert"' in body
    assert "error" in response.headers["HX-Trigger"]
    missing = editor.post("/review/apply", {"entity": "supplier", "raw_name": "Lana Med. Est."}, htmx=True)
    assert missing.status_code == 422 and "Choose an entry" in missing.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchDecision)) == 0


def test_a_viewer_cannot_apply(viewer, queue, dictionary):
    response = viewer.post(
        "/review/apply", {"entity": "supplier", "raw_name": "LANA MED", "chosen_id": dictionary["lana"]}
    )
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchDecision)) == 0


def test_anonymous_users_are_sent_to_sign_in(client, queue):
    response = client.get("/review")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/review/apply", data={}).status_code in (302, 303, 400)
    htmx = client.get("/review/search?entity=supplier&q=x", headers={"HX-Request": "true"})
    assert htmx.status_code == 303 and "/login" in htmx.headers["HX-Redirect"]


def test_applying_without_the_csrf_token_is_refused(editor, queue, dictionary):
    response = editor.post(
        "/review/apply", {"entity": "supplier", "raw_name": "LANA MED", "chosen_id": dictionary["lana"]}, csrf=False
    )
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchDecision)) == 0


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"chosen_id": "abc"}, "Choose an entry"),
        ({"chosen_id": "99999999999999999999"}, "Choose an entry"),
        ({"chosen_id": str(2**31)}, "Choose an entry"),
        ({"chosen_id": "-4"}, "Choose an entry"),
        ({"entity": "customer"}, "Not a valid choice"),
        ({"raw_name": ""}, "There is no name to match."),
        ({"raw_name": "x" * 600}, "Field cannot be longer"),
    ],
)
def test_bad_choices_are_answered_in_place_and_change_nothing(editor, queue, dictionary, data, says):
    form = {"entity": "supplier", "raw_name": "Lana Med. Est.", "chosen_id": dictionary["lana"], "index": "supplier-1"}
    response = editor.post("/review/apply", {**form, **data}, htmx=True)
    assert response.status_code in (200, 422) and says in response.headers["HX-Trigger"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchDecision)) == 0
    plain = editor.post("/review/apply", {**form, **data})
    assert plain.status_code == 303 and says in editor.get("/review").get_data(as_text=True)


def test_a_broken_index_still_applies_the_choice(editor, queue, dictionary):
    form = {"entity": "supplier", "raw_name": "LANA MED", "chosen_id": dictionary["lana"], "index": '"><script>'}
    response = editor.post("/review/apply", form, htmx=True)
    assert response.status_code == 200 and "2 guarantees matched" in response.headers["HX-Trigger"]


@pytest.mark.parametrize(
    "query", ["exclude=abc", "exclude=99999999999999999999", "field=onclick", "q=" + "x" * 300, "field="]
)
def test_bad_search_parameters_give_options_not_errors(editor, dictionary, query):
    response = editor.get("/review/search?entity=supplier&" + query, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and 'name="onclick"' not in body
    options = editor.get(f"/review/search?entity=supplier&q=lana&{query}", htmx=True).get_data(as_text=True)
    if not query.startswith("q="):
        assert f'name="chosen_id" value="{dictionary["lana"]}"' in options  # the bad parameter alone is dropped


def test_search_leaves_out_the_excluded_entry_and_fills_the_asked_field(editor, dictionary):
    body = editor.get(
        f"/review/search?entity=supplier&q=lana&field=into&exclude={dictionary['lana']}", htmx=True
    ).get_data(as_text=True)
    assert f'value="{dictionary["lana"]}"' not in body and f'name="into" value="{dictionary["merged"]}"' in body
