"""The settings page (admins only): the letterhead's texts and the logo, kept in the database."""

import io

import pytest

from guarantees.services import settings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def test_only_admins_reach_the_settings(admin, editor, viewer):
    assert admin.get("/admin/settings").status_code == 200
    assert editor.get("/admin/settings").status_code == 403
    assert viewer.post("/admin/settings/letterhead", data={"department_en": "X"}).status_code == 403


def test_defaults_read_well_when_nothing_is_set(app):
    head = settings.letterhead()
    assert (head.department_ar, head.department_en) == ("الإدارة المالية", "Finance Department")
    assert (head.signatory_ar, head.signatory_en) == ("مدير الإدارة المالية", "Director of Finance")
    assert head.organisation_en == "" and not head.has_logo


def test_the_letterhead_is_saved_and_a_blank_field_goes_back_to_its_default(admin):
    data = {"organisation_en": "  King  Faisal Hospital ", "department_ar": "إدارة الخزينة", "signatory_en": ""}
    response = admin.post("/admin/settings/letterhead", data=data)
    assert response.status_code == 303
    head = settings.letterhead()
    assert head.organisation_en == "King Faisal Hospital" and head.department_ar == "إدارة الخزينة"
    assert head.signatory_en == "Director of Finance"
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert 'value="King Faisal Hospital"' in page


def test_a_too_long_value_is_refused_inline(admin):
    response = admin.post("/admin/settings/letterhead", data={"department_en": "x" * 201})
    assert response.status_code == 422 and 'aria-invalid="true"' in response.get_data(as_text=True)
    assert settings.letterhead().department_en == "Finance Department"


@pytest.mark.parametrize(("content", "kind"), [(PNG, "image/png"), (JPEG, "image/jpeg")])
def test_a_logo_is_stored_and_served_with_its_type_and_nosniff(admin, viewer, content, kind):
    response = admin.post("/admin/settings/logo", data={"logo": (io.BytesIO(content), "logo.bin")})
    assert response.status_code == 303
    assert settings.letterhead().has_logo
    served = viewer.get("/admin/settings/logo")
    assert served.status_code == 200 and served.data == content
    assert served.headers["Content-Type"] == kind and served.headers["X-Content-Type-Options"] == "nosniff"
    assert admin.post("/admin/settings/logo/remove").status_code == 303
    assert viewer.get("/admin/settings/logo").status_code == 404


@pytest.mark.parametrize(
    "content", [b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", b"GIF89a" + b"\x00" * 20, PNG + b"\x00" * 2048]
)
def test_a_logo_that_is_not_a_small_png_or_jpeg_is_refused(admin, monkeypatch, content):
    # a small limit, so the test's upload stays in memory
    monkeypatch.setattr(settings, "MAX_LOGO_BYTES", 1024)
    monkeypatch.setattr("guarantees.forms.settings.MAX_LOGO_BYTES", 1024)
    response = admin.post("/admin/settings/logo", data={"logo": (io.BytesIO(content), "logo.png")})
    assert response.status_code == 422
    assert not settings.letterhead().has_logo


def test_the_admin_area_links_to_the_settings(admin):
    page = admin.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/settings"' in page
    assert 'href="/admin/settings" aria-current="page"' in admin.get("/admin/settings").get_data(as_text=True)
