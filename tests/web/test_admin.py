"""Admin pages: the supplier and bank dictionaries; admins only, CSRF, escaping, bad input answered in place."""

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import DictionaryMerge, Guarantee, NameAlias
from guarantees.models.dictionary import Bank, BankDetail, Supplier
from guarantees.services import actions

# The guarantees these tests extend expire on 2026-06-01: the register's day is fixed before that.
pytestmark = pytest.mark.usefixtures("before_expiry")


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture
def dictionary(app):
    rows = {
        "lana": Supplier(official_name="Lana Medical Company", display_name="Lana Medical"),
        "lana2": Supplier(official_name="Lana Medical Co (old entry)"),
        "riyad": Bank(official_name="Riyad Bank", short_code="RIBL"),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    return {name: row.id for name, row in rows.items()}


@pytest.mark.parametrize(
    "path", ["/admin", "/admin/suppliers", "/admin/banks", "/admin/suppliers/1/edit", "/admin/banks/1/merge"]
)
def test_admin_pages_are_refused_to_editors(editor, dictionary, path):
    assert editor.get(path).status_code == 403


def test_admin_pages_are_refused_to_viewers(viewer, dictionary):
    assert viewer.get("/admin/suppliers").status_code == 403
    assert viewer.get("/admin/banks", htmx=True).status_code == 403


def test_writes_are_for_admins_only(editor, dictionary):
    assert editor.post("/admin/suppliers", {"official_name": "New"}).status_code == 403
    assert (
        editor.post(f"/admin/suppliers/{dictionary['lana']}/merge", {"into_id": dictionary["lana2"]}).status_code == 403
    )
    assert count(Supplier) == 2 and count(DictionaryMerge) == 0


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get("/admin/suppliers")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_nav_links_admin_for_admins(admin):
    assert 'href="/admin/users"' in admin.get("/").get_data(as_text=True)
    tabs = admin.get("/admin/suppliers").get_data(as_text=True)
    assert 'href="/admin/users"' in tabs and 'href="/admin/banks"' in tabs


def test_the_nav_has_no_admin_link_for_editors(editor):
    page = editor.get("/").get_data(as_text=True)
    assert 'href="/admin' not in page and 'href="/review"' in page


def test_admin_writes_need_the_csrf_token(admin, dictionary):
    assert admin.post("/admin/suppliers", {"official_name": "New"}, csrf=False).status_code == 400
    assert admin.post(f"/admin/banks/{dictionary['riyad']}", {"official_name": "X"}, csrf=False).status_code == 400
    merge = {"into_id": dictionary["lana"]}
    assert admin.post(f"/admin/suppliers/{dictionary['lana2']}/merge", merge, csrf=False).status_code == 400
    assert count(Supplier) == 2 and count(DictionaryMerge) == 0


def test_add_and_edit_a_bank_with_its_arabic_name(admin, dictionary):
    response = admin.post(
        "/admin/banks",
        {
            "official_name": "مصرف الراجحي",
            "official_name_en": "Al Rajhi Bank",
            "official_name_ar": "مصرف الراجحي",
            "short_code": "rjhi",
            "department": "إدارة الضمانات",
            "address_line_1": "ص.ب 28",
            "contact_email": "lg@alrajhi.example",
        },
    )
    assert response.status_code == 303
    bank = db.session.scalar(sa.select(Bank).where(Bank.short_code == "RJHI"))
    assert bank.official_name_ar == "مصرف الراجحي" and bank.department == "إدارة الضمانات"
    page = admin.get("/admin/banks?q=" + "الراجحى").get_data(as_text=True)  # found with a folded letter
    assert '<div dir="auto">مصرف الراجحي</div>' in page and "RJHI" in page
    # Inline edit: the form in place of the row, then the row again.
    form = admin.get(f"/admin/banks/{bank.id}/edit", htmx=True).get_data(as_text=True)
    assert form.startswith(f'<tr id="bank-{bank.id}" class="editing">') and 'value="مصرف الراجحي"' in form
    saved = admin.post(
        f"/admin/banks/{bank.id}",
        {
            "official_name": "مصرف الراجحي",
            "official_name_en": "Al Rajhi Bank",
            "short_code": "RJHI",
            "address_line_2": "الرياض",
        },
        htmx=True,
    )
    assert saved.status_code == 200 and saved.get_data(as_text=True).startswith(f'<tr id="bank-{bank.id}"')
    db.session.expire_all()
    assert db.session.get(Bank, bank.id).address_line_2 == "الرياض"
    # Refusals come back inline.
    clash = admin.post(f"/admin/banks/{bank.id}", {"official_name": "مصرف الراجحي", "short_code": "ribl"}, htmx=True)
    assert clash.status_code == 422 and "short code" in clash.get_data(as_text=True)
    full = admin.get(f"/admin/banks/{bank.id}/edit")
    assert full.status_code == 200 and "<html" in full.get_data(as_text=True)


def swift_of(bank_id: int) -> str | None:
    db.session.expire_all()
    detail = db.session.get(BankDetail, bank_id)
    return detail.swift_bic if detail else None


def test_a_bank_s_swift_bic_is_added_shown_edited_and_cleared_by_the_import_s_rule(admin, dictionary):
    response = admin.post(
        "/admin/banks", {"official_name": "Al Rajhi Bank", "short_code": "RJHI", "swift_bic": " rjhi sari "}
    )
    assert response.status_code == 303
    bank = db.session.scalar(sa.select(Bank).where(Bank.short_code == "RJHI"))
    assert swift_of(bank.id) == "RJHISARI"  # spaces dropped, upper case, as the dictionary import keeps it
    listing = admin.get("/admin/banks").get_data(as_text=True)
    assert '<th scope="col">SWIFT/BIC</th>' in listing and '<td dir="ltr">RJHISARI</td>' in listing
    form = admin.get(f"/admin/banks/{bank.id}/edit", htmx=True).get_data(as_text=True)
    assert 'name="swift_bic"' in form and 'value="RJHISARI"' in form
    data = {"official_name": "Al Rajhi Bank", "short_code": "RJHI"}
    saved = admin.post(f"/admin/banks/{bank.id}", {**data, "swift_bic": "RJHISARIXXX"}, htmx=True)
    assert saved.status_code == 200 and '<td dir="ltr">RJHISARIXXX</td>' in saved.get_data(as_text=True)
    assert swift_of(bank.id) == "RJHISARIXXX"
    for bad in ("RJHI", "RJHI SA", "RJHISARIX", "12HISARI", "RJHISA-RI"):
        refused = admin.post(f"/admin/banks/{bank.id}", {**data, "swift_bic": bad}, htmx=True)
        assert refused.status_code == 422 and "is not a SWIFT/BIC code" in refused.get_data(as_text=True), bad
        refused = admin.post("/admin/banks", {"official_name": "Another Bank", "swift_bic": bad})
        assert refused.status_code == 422 and "is not a SWIFT/BIC code" in refused.get_data(as_text=True), bad
    assert swift_of(bank.id) == "RJHISARIXXX" and count(Bank) == 2
    assert admin.post(f"/admin/banks/{bank.id}", data, htmx=True).status_code == 200  # a blank field clears it
    assert swift_of(bank.id) is None
    assert admin.post(f"/admin/banks/{dictionary['riyad']}", {"official_name": "Riyad Bank"}).status_code == 303
    assert swift_of(dictionary["riyad"]) is None  # none given, none stored


def test_a_bank_merge_carries_the_swift_bic_unless_the_kept_bank_has_one(admin, make_guarantee, dictionary):
    banks = {name: Bank(official_name=name) for name in ("Samba Financial Group", "SABB", "Alawwal Bank")}
    db.session.add_all(banks.values())
    db.session.flush()
    db.session.add_all(
        [
            BankDetail(bank_id=banks["Samba Financial Group"].id, swift_bic="SAMBSARI"),
            BankDetail(bank_id=banks["SABB"].id, swift_bic="SABBSARI"),
            BankDetail(bank_id=banks["Alawwal Bank"].id, swift_bic="AAALSARI"),
        ]
    )
    db.session.commit()
    ids = {name: bank.id for name, bank in banks.items()}
    locked = make_guarantee("G1", raw_supplier_name="Lana Medical Company", raw_bank_name="Samba Financial Group")
    assert locked.bank_id == ids["Samba Financial Group"]
    actions.extend(locked.id, user="clerk")
    # The kept bank has none: it takes the merged bank's.
    response = admin.post(f"/admin/banks/{ids['Samba Financial Group']}/merge", {"into_id": dictionary["riyad"]})
    assert response.status_code == 303
    assert swift_of(dictionary["riyad"]) == "SAMBSARI"
    assert db.session.get(Guarantee, locked.id).bank_id == dictionary["riyad"]
    # The kept bank has its own: it keeps it.
    assert admin.post(f"/admin/banks/{ids['Alawwal Bank']}/merge", {"into_id": ids["SABB"]}).status_code == 303
    assert swift_of(ids["SABB"]) == "SABBSARI"
    assert swift_of(ids["Alawwal Bank"]) == "AAALSARI"  # the merged entry keeps its row as it was


def test_names_are_escaped(admin, make_guarantee):
    response = admin.post("/admin/suppliers", {"official_name": "<script>alert('x')</script> Trading"})
    assert response.status_code == 303
    page = admin.get("/admin/suppliers").get_data(as_text=True)
    assert "<script>alert(" not in page and "&lt;script&gt;alert(" in page
    make_guarantee("G1", raw_supplier_name="<img src=x onerror=alert(1)>", raw_bank_name="Riyad Bank")
    review = admin.get("/review").get_data(as_text=True)
    assert "<img src=x" not in review and "&lt;img src=x onerror=alert(1)&gt;" in review


def test_supplier_list_search_is_an_htmx_fragment(admin, dictionary):
    response = admin.get("/admin/suppliers?q=lana", htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and 'id="dictionary-table"' in body
    assert "2 entries" in body
    assert "1 entry" in admin.get("/admin/suppliers?q=old+entry", htmx=True).get_data(as_text=True)


def test_aliases_are_shown_and_can_be_removed(admin, dictionary):
    db.session.add(
        NameAlias(entity="supplier", entity_id=dictionary["lana"], raw_name="LMC Est", normalized_name="lmc")
    )
    db.session.commit()
    alias_id = db.session.scalar(sa.select(NameAlias.id))
    page = admin.get("/admin/suppliers").get_data(as_text=True)
    assert "LMC Est" in page
    response = admin.post(f"/admin/aliases/{alias_id}/delete", htmx=True)
    assert response.status_code == 200 and "LMC Est" not in response.get_data(as_text=True)
    assert count(NameAlias) == 0
    assert admin.post(f"/admin/aliases/{alias_id}/delete").status_code == 404


def test_merge_needs_a_confirmation_and_repoints_locked_guarantees(admin, make_guarantee, dictionary):
    found = make_guarantee("G1", raw_supplier_name="Lana Medical Co (old entry)", raw_bank_name="Riyad Bank")
    assert found.supplier_id == dictionary["lana2"]
    actions.extend(found.id, user="clerk")
    picker = admin.get(f"/admin/suppliers/{dictionary['lana2']}/merge?q=lana").get_data(as_text=True)
    assert f'name="into" value="{dictionary["lana"]}"' in picker
    assert f'name="into" value="{dictionary["lana2"]}"' not in picker  # not into itself
    confirm = admin.get(f"/admin/suppliers/{dictionary['lana2']}/merge?into={dictionary['lana']}")
    text = confirm.get_data(as_text=True)
    assert (
        confirm.status_code == 200 and "1 guarantee will point at the kept entry" in text and "1 of them locked" in text
    )
    assert count(DictionaryMerge) == 0  # nothing happens before the confirmation
    response = admin.post(f"/admin/suppliers/{dictionary['lana2']}/merge", {"into_id": dictionary["lana"]})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Guarantee, found.id).supplier_id == dictionary["lana"]
    assert count(DictionaryMerge) == 1
    listing = admin.get("/admin/suppliers").get_data(as_text=True)
    assert f'id="supplier-{dictionary["lana2"]}"' not in listing
    assert "merged into" in admin.get("/admin/suppliers?merged=1").get_data(as_text=True)
    again = admin.post(f"/admin/suppliers/{dictionary['lana']}/merge", {"into_id": dictionary["lana2"]})
    assert again.status_code == 422 and "merged" in again.get_data(as_text=True)


def test_dictionary_writes_go_through_the_adapter_with_the_legacy_stamps(admin, dictionary):
    assert admin.post("/admin/suppliers", {"official_name": "Gulf Cables"}).status_code == 303
    added = db.session.scalar(sa.select(Supplier).where(Supplier.official_name == "Gulf Cables"))
    assert added.is_confirmed == 1 and added.normalized_name == "gulf cables"
    assert len(added.created_at) == len("2026-01-01 00:00:00.000000") and added.updated_at


@pytest.mark.parametrize(
    "query",
    ["page=abc", "page=99999999999999999999999", "page=-3", "merged=maybe&page=0", "q=" + "x" * 500],
)
def test_bad_list_parameters_are_dropped_and_said(admin, dictionary, query):
    response = admin.get("/admin/suppliers?" + query, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'role="alert"' in body and "Ignored:" in body
    assert 'id="dictionary-table"' in body


def test_the_add_form_can_be_prefilled_from_the_review_queue(admin, dictionary):
    page = admin.get("/admin/banks?name=Bank+of+Nowhere").get_data(as_text=True)
    assert 'value="Bank of Nowhere"' in page


@pytest.mark.parametrize(
    "data",
    [{"official_name": ""}, {"official_name": "x" * 301}, {"official_name": "New Bank", "short_code": "x" * 21}],
)
def test_refused_entries_are_answered_in_place(admin, dictionary, data):
    response = admin.post("/admin/banks", data)
    assert response.status_code == 422 and 'aria-invalid="true"' in response.get_data(as_text=True)
    assert count(Bank) == 1


@pytest.mark.parametrize("into_id", ["", "abc", "0", "99999999999999999999", str(2**31)])
def test_a_merge_without_a_real_entry_to_keep_writes_nothing(admin, dictionary, into_id):
    response = admin.post(f"/admin/suppliers/{dictionary['lana2']}/merge", {"into_id": into_id})
    assert response.status_code == 422 and "Choose the entry to keep." in response.get_data(as_text=True)
    assert count(DictionaryMerge) == 0


@pytest.mark.parametrize("into", ["abc", "-1", "99999999999999999999", "424242"])
def test_the_merge_page_refuses_an_impossible_entry_to_keep(admin, dictionary, into):
    response = admin.get(f"/admin/suppliers/{dictionary['lana2']}/merge?into={into}")
    assert response.status_code == 422 and "Choose another entry to keep." in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/admin/suppliers/99999999999999999999/edit", "/admin/banks/4242/merge"])
def test_impossible_entry_ids_are_not_found(admin, dictionary, path):
    assert admin.get(path).status_code == 404
    assert admin.post("/admin/aliases/99999999999999999999/delete").status_code == 404
