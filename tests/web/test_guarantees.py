"""The guarantee list: active search, filters, sorting, paging, export and bulk actions."""

import json
import re
from datetime import timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from guarantees.clock import today
from guarantees.extensions import db
from guarantees.models import ActionSession, DictionaryMerge, Guarantee, GuaranteeAction
from guarantees.models.dictionary import Bank
from guarantees.services import actions
from tests.web.conftest import csrf_from

SCRIPT = "<script>alert(1)</script>"


def test_list_is_a_full_page_and_htmx_gets_only_the_table(editor, make_guarantee):
    make_guarantee("OG/CC056181", raw_supplier_name="Lana Medical")
    page = editor.get("/guarantees")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "OG/CC056181" in html
    assert "HX-Request" in page.headers["Vary"]
    assert 'hx-trigger="input changed delay:300ms, search"' in html and 'hx-push-url="true"' in html
    part = editor.get("/guarantees?q=og/cc056181", htmx=True)
    fragment = part.get_data(as_text=True)
    assert part.status_code == 200 and "<html" not in fragment.lower() and 'id="results"' in fragment
    assert "OG/CC056181" in fragment and "HX-Request" in part.headers["Vary"]


def test_boosted_and_history_restore_requests_get_the_full_page(editor):
    for header in ("HX-Boosted", "HX-History-Restore-Request"):
        response = editor.client.get("/guarantees", headers={"HX-Request": "true", header: "true"})
        assert "<html" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    ["og/cc 056181", "lana", "LANA MEDICAL", "riyad", "c/0016", "PO-77", "الرياض"],
)
def test_search_covers_number_supplier_bank_contract_and_po_case_insensitively(editor, make_guarantee, query):
    make_guarantee("OG/CC056181", raw_supplier_name="Lana Medical", raw_bank_name="Riyad Bank بنك الرياض")
    make_guarantee("X-1", raw_supplier_name="Other", raw_bank_name="SNB", contract_number="Z9", po_number="PO-77")
    html = editor.get("/guarantees?" + "q=" + query, htmx=True).get_data(as_text=True)
    shown = set(re.findall(r">\s*(X-1|OG/CC056181)\s*<", html))  # as text of an element (a CSRF token may hold "X-1")
    assert shown == {"X-1" if query == "PO-77" else "OG/CC056181"}, shown


def test_search_finds_the_display_name_of_a_matched_supplier(app, editor, make_guarantee):
    guarantee = make_guarantee("G-DISP")
    db.session.execute(
        sa.text("UPDATE guarantees SET supplier_display_name = 'Gulf Supplies' WHERE id = :id"), {"id": guarantee.id}
    )
    db.session.commit()
    assert "G-DISP" in editor.get("/guarantees?q=gulf", htmx=True).get_data(as_text=True)


def test_search_treats_percent_and_underscore_literally(editor, make_guarantee):
    make_guarantee("A-1", raw_supplier_name="Plain")
    html = editor.get("/guarantees?q=%25", htmx=True).get_data(as_text=True)
    assert "A-1" not in html and "No guarantee matches" in html


def test_filters_status_match_bank_batch_and_expiry_window(editor, make_guarantee):
    soon = make_guarantee("SOON", expiry_date=(today() + timedelta(days=10)).isoformat(), raw_bank_name="Alpha Bank")
    make_guarantee("LATER", expiry_date=(today() + timedelta(days=200)).isoformat(), raw_bank_name="Beta Bank")
    make_guarantee("NEAR", expiry_date=(today() + timedelta(days=20)).isoformat(), raw_bank_name="Beta Bank")
    html = editor.get("/guarantees?days=30", htmx=True).get_data(as_text=True)
    assert "SOON" in html and "NEAR" in html and "LATER" not in html
    actions.release(soon.id, user="tester")
    html = editor.get("/guarantees?days=30", htmx=True).get_data(as_text=True)
    assert "NEAR" in html and "SOON" not in html  # a released guarantee no longer expires
    html = editor.get("/guarantees?status=active", htmx=True).get_data(as_text=True)
    assert "LATER" in html and "SOON" not in html
    html = editor.get("/guarantees?match=needs_review", htmx=True).get_data(as_text=True)
    assert "LATER" in html and "SOON" in html
    html = editor.get("/guarantees?bank=Beta+Bank", htmx=True).get_data(as_text=True)
    assert "LATER" in html and "SOON" not in html
    html = editor.get(f"/guarantees?batch={soon.import_batch_id}", htmx=True).get_data(as_text=True)
    assert "LATER" in html and "SOON" in html
    assert "No guarantee matches" in editor.get("/guarantees?batch=999", htmx=True).get_data(as_text=True)


def test_bank_menu_comes_from_the_dictionary_and_the_filter_follows_matches(editor, make_guarantee):
    riyad = Bank(official_name="Riyad Bank", official_name_ar="بنك الرياض", short_code="RIBL")
    old = Bank(official_name="Riyad Bank Old Entry", short_code="RB2")
    db.session.add_all([riyad, old])
    db.session.flush()
    db.session.add(DictionaryMerge(entity="bank", from_id=old.id, into_id=riyad.id))
    db.session.commit()
    matched = make_guarantee("MATCHED", raw_bank_name="بنك الرياض")
    assert matched.bank_id == riyad.id
    # a guarantee that still shows a legacy spelling, but points at the bank
    db.session.execute(sa.update(Guarantee).where(Guarantee.id == matched.id).values(bank_display="بنك الرياض"))
    db.session.commit()
    make_guarantee("OTHER", raw_bank_name="Unknown Bank Ltd")
    page = editor.get("/guarantees").get_data(as_text=True)
    menu = page[page.index('name="bank"') : page.index("</select>", page.index('name="bank"'))]
    assert ">Riyad Bank</option>" in menu and "Old Entry" not in menu and "Unknown Bank" not in menu
    html = editor.get("/guarantees?bank=Riyad+Bank", htmx=True).get_data(as_text=True)
    assert "MATCHED" in html and "OTHER" not in html
    html = editor.get("/guarantees?bank=Unknown+Bank+Ltd", htmx=True).get_data(as_text=True)
    assert "OTHER" in html and "MATCHED" not in html


def test_sorting_and_links_keep_the_filters(editor, make_guarantee):
    make_guarantee("B-2", amount="20")
    make_guarantee("A-1", amount="30")
    make_guarantee("C-3", amount="10")
    html = editor.get("/guarantees?sort=amount&order=desc&q=-", htmx=True).get_data(as_text=True)
    assert html.index("A-1") < html.index("B-2") < html.index("C-3")
    html = editor.get("/guarantees?sort=number&q=-", htmx=True).get_data(as_text=True)
    assert html.index("A-1") < html.index("B-2") < html.index("C-3")
    # The column header flips the order and keeps the search.
    assert "/guarantees?q=-&amp;sort=number&amp;order=desc" in html


def test_paging_is_fifty_per_page_and_keeps_params(editor, make_guarantee):
    for number in range(55):
        make_guarantee(f"P{number:03d}")
    html = editor.get("/guarantees?sort=number&q=P", htmx=True).get_data(as_text=True)
    assert "P049" in html and "P050" not in html and "55 guarantees" in html
    assert "/guarantees?q=P&amp;sort=number&amp;page=2" in html
    html = editor.get("/guarantees?sort=number&q=P&page=2", htmx=True).get_data(as_text=True)
    assert "P050" in html and "P054" in html and "P049" not in html


@pytest.mark.parametrize(
    "query",
    [
        "page=abc", "page=0", "page=-1", "page=99999", "page=1e9", "sort=drop%20table", "order=sideways",
        "days=-5", "days=abc", "days=99999999", "batch=x", "batch=0", "status=frozen", "match=maybe", "ids=x",
        "q=" + "x" * 5000, "bank=%00",
    ],
)  # fmt: skip
def test_bad_query_params_never_fail(editor, make_guarantee, query):
    make_guarantee("OK-1")
    for path in ("/guarantees?", "/guarantees/export?"):
        response = editor.get(path + query)
        assert response.status_code == 200, (path, query, response.status_code)
    html = editor.get("/guarantees?" + query).get_data(as_text=True)
    assert "<html" in html


def test_a_bad_param_is_explained(editor):
    html = editor.get("/guarantees?days=abc", htmx=True).get_data(as_text=True)
    assert "Ignored days=abc" in html


def test_list_escapes_names(editor, make_guarantee):
    make_guarantee("XSS-1", raw_supplier_name=SCRIPT)
    html = editor.get("/guarantees").get_data(as_text=True)
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_list_takes_two_queries_whatever_the_page_size(editor, make_guarantee, count_queries):
    make_guarantee("Q-1")
    db.session.expire_all()
    with count_queries() as few:
        editor.get("/guarantees?q=Q", htmx=True)
    for number in range(2, 13):
        make_guarantee(f"Q-{number}")
    db.session.expire_all()
    with count_queries() as many:
        html = editor.get("/guarantees?q=Q", htmx=True).get_data(as_text=True)
    assert "Q-12" in html
    assert few["n"] == many["n"] <= 5  # (BEGIN on SQLite,) the signed-in user, the count, the page, the thresholds


def read_back(response) -> list[list]:
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(BytesIO(response.data)).active
    return [[cell for cell in row] for row in sheet.iter_rows()]


def test_export_writes_the_filter_and_formula_looking_text_as_text(viewer, make_guarantee):
    make_guarantee("XL-1", raw_supplier_name=SCRIPT, comment="=1+2", contract_number="+966", type="@SUM(A1)")
    make_guarantee("XL-2", raw_supplier_name="Other", comment="-2")
    make_guarantee("NO-1", raw_supplier_name="Elsewhere")
    rows = read_back(viewer.get("/guarantees/export?q=XL&sort=number"))
    header = [cell.value for cell in rows[0]]
    assert header[:2] == ["Guarantee number", "Supplier (as shown)"]
    assert [row[0].value for row in rows[1:]] == ["XL-1", "XL-2"]
    cells = {cell.value: cell for row in rows[1:] for cell in row if isinstance(cell.value, str)}
    for text in (SCRIPT, "=1+2", "+966", "@SUM(A1)", "-2"):
        assert cells[text].data_type == "s", text
    amount = rows[1][header.index("Amount")]
    assert amount.data_type == "n" and amount.value == 25200


def test_export_of_the_selection(editor, make_guarantee):
    first = make_guarantee("S-1")
    make_guarantee("S-2")
    third = make_guarantee("S-3")
    rows = read_back(editor.post("/guarantees/export", data={"ids": [first.id, third.id], "q": "S"}))
    assert [row[0].value for row in rows[1:]] == ["S-1", "S-3"]
    rows = read_back(editor.get(f"/guarantees/export?ids={third.id}"))
    assert [row[0].value for row in rows[1:]] == ["S-3"]


def test_extend_selected_opens_a_draft_session(app, editor, make_guarantee, before_expiry):
    first, second = make_guarantee("E-1"), make_guarantee("E-2")
    response = editor.post("/guarantees/bulk", data={"ids": [first.id, second.id], "action": "extension"})
    session = db.session.scalar(sa.select(ActionSession))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/actions/{session.id}")
    drafts = db.session.scalars(sa.select(GuaranteeAction).order_by(GuaranteeAction.id)).all()
    assert [(d.guarantee_id, d.action_type, d.action_status) for d in drafts] == [
        (first.id, "extension", "draft"),
        (second.id, "extension", "draft"),
    ]
    assert drafts[0].created_by == "editor-user"


def test_release_selected_falls_back_to_the_list_without_the_actions_page(app, editor, make_guarantee, monkeypatch):
    guarantee = make_guarantee("R-1")
    monkeypatch.delitem(app.view_functions, "actions.show")
    response = editor.post(
        "/guarantees/bulk", data={"ids": [guarantee.id], "action": "release", "back": "/guarantees?q=R"}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/guarantees?q=R"
    assert "prepared with 1 drafts" in editor.get("/guarantees").get_data(as_text=True)


def test_bulk_refusals_are_flashed_and_nothing_is_written(editor, make_guarantee):
    released = make_guarantee("REL-1")
    actions.release(released.id, user="tester")
    for data, message in (
        ({"action": "extension"}, "Select at least one guarantee."),
        ({"ids": [released.id], "action": "release"}, "has been released"),
        ({"ids": [released.id], "action": "explode"}, "Choose extend or release."),
        ({"ids": ["abc"], "action": "release"}, "Select at least one guarantee."),
        ({"ids": [999999], "action": "release"}, "No such guarantee."),
    ):
        response = editor.post("/guarantees/bulk", data={**data, "back": "https://evil.example/"})
        assert response.status_code == 303 and response.headers["Location"] == "/guarantees"
        assert message in editor.get("/guarantees").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionSession)) == 0


def test_bulk_is_for_editors_with_a_token(client, viewer, editor, make_guarantee):
    guarantee = make_guarantee("V-1")
    data = {"ids": [guarantee.id], "action": "extension"}
    assert viewer.post("/guarantees/bulk", data=data).status_code == 403
    assert editor.post("/guarantees/bulk", data=data, csrf=False).status_code == 400
    token = csrf_from(client.get("/login").get_data(as_text=True))
    anonymous = client.post("/guarantees/bulk", data={**data, "csrf_token": token})
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionSession)) == 0


def test_viewers_see_no_bulk_action_buttons(viewer, editor, make_guarantee):
    make_guarantee("B-1")
    assert "Extend selected" not in viewer.get("/guarantees").get_data(as_text=True)
    assert "Extend selected" in editor.get("/guarantees").get_data(as_text=True)


def test_anonymous_list_and_export_go_to_sign_in(client):
    for path in ("/guarantees", "/guarantees/export"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.get("/guarantees", headers={"HX-Request": "true"})
    assert response.headers.get("HX-Redirect", "").startswith("/login")


def test_htmx_toasts_are_json(editor, make_guarantee):
    guarantee = make_guarantee("T-1")
    response = editor.confirmed(f"/guarantees/{guarantee.id}/release", data={"version": guarantee.version}, htmx=True)
    assert json.loads(response.headers["HX-Trigger"])["toast"]["message"] == "Release issued."


def test_a_broad_search_says_more_than_and_still_pages(editor, make_guarantee, monkeypatch):
    from guarantees.repositories import search as repository

    monkeypatch.setattr(repository, "COUNT_CAP", 3)
    monkeypatch.setattr(repository, "PER_PAGE", 2)
    for n in range(5):
        make_guarantee(f"WIDE-{n}", raw_supplier_name="Broad Supplier", expiry_date=f"2027-0{n + 1}-01")
    html = editor.get("/guarantees?q=broad", htmx=True).get_data(as_text=True)
    assert "More than 3 guarantees" in html and "WIDE-0" in html and "WIDE-1" in html and "WIDE-2" not in html
    assert 'rel="next"' in html and 'rel="prev"' not in html
    html = editor.get("/guarantees?q=broad&page=3", htmx=True).get_data(as_text=True)
    assert "WIDE-4" in html and 'rel="prev"' in html and 'rel="next"' not in html and "Page 3" in html


@pytest.mark.parametrize("sort", ["supplier", "bank"])
def test_a_broad_search_sorted_by_supplier_or_bank_pages_in_that_order(editor, make_guarantee, monkeypatch, sort):
    from guarantees.repositories import search as repository

    monkeypatch.setattr(repository, "COUNT_CAP", 3)
    monkeypatch.setattr(repository, "SORT_MAX", 3)  # past it the page is read along the sort key's index
    monkeypatch.setattr(repository, "PER_PAGE", 2)
    monkeypatch.setattr(repository, "WALK_MAX", 10**9)
    for n, letter in enumerate("CAEBD"):
        make_guarantee(f"KEY-{n}", raw_supplier_name=f"Broad Supplier {letter}", raw_bank_name=f"Broad Bank {letter}")
    make_guarantee("KEY-X", raw_supplier_name="Other", raw_bank_name="Other")
    seen = []
    for page in (1, 2, 3):
        html = editor.get(f"/guarantees?q=broad&sort={sort}&order=desc&page={page}", htmx=True).get_data(as_text=True)
        assert "More than 3 guarantees" in html and "KEY-X" not in html
        shown = [f"Broad {sort.title()} {letter}" for letter in "ABCDE" if f"Broad {sort.title()} {letter}" in html]
        seen += [label[-1] for label in sorted(shown, key=html.index)]
    assert seen == ["E", "D", "C", "B", "A"]


@pytest.mark.parametrize(
    "path",
    [
        "/guarantees/99999999999999999999", "/guarantees/2147483648", "/guarantees/0", "/guarantees/abc",
        "/guarantees/99999999999999999999/fields/amount", "/guarantees/99999999999999999999/fields/amount/edit",
    ],
)  # fmt: skip
def test_hostile_guarantee_ids_are_404(editor, path):
    assert editor.get(path).status_code == 404


def test_hostile_ids_in_writes_are_404_or_refused(editor, make_guarantee):
    guarantee = make_guarantee("HOST-1")
    for action in ("extend", "release", "reduce"):
        assert editor.post(f"/guarantees/{2**64}/{action}", data={"version": 1}).status_code == 404
    assert editor.post(f"/guarantees/{2**64}/fields/comment", data={"value": "x", "version": 1}).status_code in (
        404,
        405,
    )
    response = editor.post("/guarantees/bulk", data={"action": "release", "ids": [str(2**64), "-1", "1e3"]})
    assert response.status_code == 303
    assert "Select at least one guarantee." in editor.get("/guarantees").get_data(as_text=True)
    export = editor.post("/guarantees/export", data={"ids": [str(2**64), str(guarantee.id)], "page": "x" * 50})
    assert export.status_code == 200 and export.mimetype.endswith("spreadsheetml.sheet")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionSession)) == 0


def test_garbage_filters_say_what_they_dropped(editor, make_guarantee):
    make_guarantee("GF-1")
    query = "page=99999999999999999999&batch=%F0%9F%92%A3&status=%3Cb%3E&sort=id;drop&ids=x&days=1e5"
    response = editor.get("/guarantees?" + query, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "GF-1" in html
    for problem in ("Ignored page=", "Ignored batch=", "unknown status", "unknown sort column", "not a guarantee"):
        assert problem in html, problem
    assert "<b>" not in html


def test_expired_is_a_state_of_its_own_with_its_filter_badge_and_days_left(editor, make_guarantee):
    day = today()
    make_guarantee("LAPSED", expiry_date=(day - timedelta(days=3)).isoformat())
    make_guarantee("TODAY", expiry_date=day.isoformat())
    make_guarantee("WEEK", expiry_date=(day + timedelta(days=7)).isoformat())
    make_guarantee("FAR", expiry_date=(day + timedelta(days=400)).isoformat())
    released = make_guarantee("GONE", expiry_date=(day - timedelta(days=30)).isoformat())
    actions.release(released.id, user="tester")

    html = editor.get("/guarantees?status=expired", htmx=True).get_data(as_text=True)
    assert "LAPSED" in html and not any(n in html for n in ("TODAY", "WEEK", "FAR", "GONE"))
    assert 'class="badge badge-expired">expired<' in html
    assert "expired 3 days ago" in html and "days-expired" in html
    html = editor.get("/guarantees?status=active", htmx=True).get_data(as_text=True)
    assert all(n in html for n in ("TODAY", "WEEK", "FAR")) and "LAPSED" not in html and "GONE" not in html
    html = editor.get("/guarantees?status=released", htmx=True).get_data(as_text=True)
    assert "GONE" in html and "LAPSED" not in html

    html = editor.get("/guarantees?days=7", htmx=True).get_data(as_text=True)
    assert "TODAY" in html and "WEEK" in html and "FAR" not in html and "LAPSED" not in html
    assert "expires today" in html and "7 days left" in html and "days-urgent" in html


def test_supplier_and_type_filters(editor, make_guarantee):
    make_guarantee("S-1", raw_supplier_name="Lana Medical Company", type="Performance")
    make_guarantee("S-2", raw_supplier_name="شركة الخليج للتجارة", type="Bid bond")
    html = editor.get("/guarantees?supplier=lana", htmx=True).get_data(as_text=True)
    assert "S-1" in html and "S-2" not in html
    html = editor.get("/guarantees?supplier=الخليج", htmx=True).get_data(as_text=True)
    assert "S-2" in html and "S-1" not in html
    html = editor.get("/guarantees?type=bid", htmx=True).get_data(as_text=True)
    assert "S-2" in html and "S-1" not in html


def test_an_unknown_state_is_dropped_with_a_message(editor, make_guarantee):
    make_guarantee("ANY-1")
    html = editor.get("/guarantees?status=lapsed").get_data(as_text=True)
    assert "Ignored an unknown status." in html and "ANY-1" in html


def test_export_shows_the_state_and_days_left_as_the_list_does(viewer, make_guarantee):
    day = today()
    make_guarantee("EXP-1", expiry_date=(day - timedelta(days=2)).isoformat())
    make_guarantee("EXP-2", expiry_date=(day + timedelta(days=30)).isoformat())
    rows = read_back(viewer.get("/guarantees/export?q=EXP&sort=number"))
    header = [cell.value for cell in rows[0]]
    got = [(row[0].value, row[header.index("Status")].value, row[header.index("Days left")].value) for row in rows[1:]]
    assert got == [("EXP-1", "expired", -2), ("EXP-2", "active", 30)]
