"""Admin pages: accounts and the supplier and bank dictionaries; admins only, CSRF, escaping."""

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import DictionaryMerge, Guarantee, NameAlias, User
from guarantees.models.dictionary import Bank, Supplier
from guarantees.services import actions


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
    "path", ["/admin/users", "/admin/suppliers", "/admin/banks", "/admin/suppliers/1/edit", "/admin/banks/1/merge"]
)
def test_admin_pages_are_refused_to_editors(editor, dictionary, path):
    assert editor.get(path).status_code == 403


def test_admin_pages_are_refused_to_viewers(viewer, dictionary):
    assert viewer.get("/admin/users").status_code == 403
    assert viewer.get("/admin/banks", htmx=True).status_code == 403


def test_writes_are_for_admins_only(editor, dictionary):
    assert editor.post("/admin/users", {"username": "x", "role": "admin", "password": "long-enough"}).status_code == 403
    assert editor.post("/admin/suppliers", {"official_name": "New"}).status_code == 403
    assert (
        editor.post(f"/admin/suppliers/{dictionary['lana']}/merge", {"into_id": dictionary["lana2"]}).status_code == 403
    )
    assert count(User) == 1 and count(Supplier) == 2 and count(DictionaryMerge) == 0


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_nav_links_admin_for_admins(admin):
    assert 'href="/admin/users"' in admin.get("/").get_data(as_text=True)


def test_the_nav_has_no_admin_link_for_editors(editor):
    page = editor.get("/").get_data(as_text=True)
    assert 'href="/admin/users"' not in page and 'href="/review"' in page


def test_create_an_account_with_a_role(admin):
    page = admin.get("/admin/users").get_data(as_text=True)
    assert page.count('<tr id="user-') == 1 and 'name="csrf_token"' in page
    response = admin.post("/admin/users", {"username": "clerk", "role": "editor", "password": "clerk-password-1"})
    assert response.status_code == 303
    created = db.session.scalar(sa.select(User).where(User.username == "clerk"))
    assert created.role == "editor" and created.active
    assert created.password_hash != "clerk-password-1" and created.check_password("clerk-password-1")
    assert "Account clerk created." in admin.get("/admin/users").get_data(as_text=True)
    again = admin.post("/admin/users", {"username": "clerk", "role": "viewer", "password": "clerk-password-1"})
    assert again.status_code == 422 and "exists already" in again.get_data(as_text=True)
    short = admin.post("/admin/users", {"username": "other", "role": "viewer", "password": "short"})
    assert short.status_code == 422 and 'aria-invalid="true"' in short.get_data(as_text=True)
    assert count(User) == 2


def test_change_a_role_and_disable_an_account(admin, make_user):
    clerk = make_user("clerk", "editor")
    response = admin.post(f"/admin/users/{clerk.id}/role", {"role": "viewer"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith(f'<tr id="user-{clerk.id}"') and "<html" not in body
    assert "toast" in response.headers["HX-Trigger"]
    response = admin.post(f"/admin/users/{clerk.id}/active", {"active": "0"}, htmx=True)
    assert response.status_code == 200 and "disabled" in response.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(User, clerk.id)
    assert (stored.role, stored.active) == ("viewer", False)
    assert not stored.is_active  # Flask-Login refuses to sign in an inactive user


def test_the_last_admin_keeps_the_role(admin):
    me = db.session.scalar(sa.select(User).where(User.username == "admin-user"))
    response = admin.post(f"/admin/users/{me.id}/role", {"role": "viewer"}, htmx=True)
    assert response.status_code == 422 and "at least one active admin" in response.get_data(as_text=True)
    plain = admin.post(f"/admin/users/{me.id}/active", {"active": "0"})
    assert plain.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, me.id).role == "admin" and db.session.get(User, me.id).active


def test_admin_writes_need_the_csrf_token(admin, dictionary):
    assert admin.post("/admin/suppliers", {"official_name": "New"}, csrf=False).status_code == 400
    assert (
        admin.post(
            "/admin/users", {"username": "x", "role": "viewer", "password": "long-enough"}, csrf=False
        ).status_code
        == 400
    )
    assert count(Supplier) == 2 and count(User) == 1


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
