"""The reports page: every role reads it, tables and charts per currency, filters, .xlsx exports, print layout;
and the standard type shown and chosen on the guarantee pages."""

from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from guarantees.extensions import db
from guarantees.models import Guarantee

DAY = date(2026, 1, 15)
SCRIPT = '<script>alert("x")</script>'


@pytest.fixture
def held(app, make_guarantee):
    app.config["TODAY"] = DAY
    make_guarantee("R1", raw_bank_name="Riyad Bank", amount="1234567.50", expiry_date="2026-02-10", type="FINAL")
    make_guarantee("R2", raw_bank_name=f"=HYPERLINK(1) {SCRIPT}", amount="10", expiry_date="2026-03-01",
                   currency="USD", type="Maintenance")  # fmt: skip
    return app


def test_a_viewer_reads_every_report_with_its_chart(viewer, held):
    response = viewer.get("/reports")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'href="/reports"' in html  # in the navigation
    for table in ("bank", "supplier", "type", "month", "activity"):
        assert f'id="report-{table}"' in html and f'href="/reports/{table}.xlsx"' in html
    assert html.count("<svg") >= 6 and "1,234,567.50 SAR" in html and "10.00 USD" in html
    assert "Performance (final)" in html and "Riyad Bank" in html
    assert SCRIPT not in html and "&lt;script&gt;" in html  # names are text in the tables and the charts
    assert "css/reports.css" in html


def test_the_arabic_page_mirrors_the_charts(viewer, held):
    html = viewer.get("/reports?lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in html and "نهائي (حسن التنفيذ)" in html
    assert 'text-anchor="start" font-size="12"' in html  # the bars' labels sit right of the bars


def test_filters_narrow_the_page_and_bad_values_are_dropped(viewer, held):
    html = viewer.get("/reports?bank=riyad&from=2026-02-01&to=2026-02-28").get_data(as_text=True)
    assert "1,234,567.50 SAR" in html and "10.00 USD" not in html
    assert 'href="/reports/bank.xlsx?from=2026-02-01&amp;to=2026-02-28&amp;bank=riyad"' in html
    response = viewer.get("/reports?from=soon&to=2026-13-45")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Ignored from=soon: not a date." in text and "Ignored to=2026-13-45: not a date." in text


def test_an_export_holds_numbers_dates_and_no_formula(viewer, held):
    response = viewer.get("/reports/bank.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Bank", "Currency", "Guarantees", "Total amount")
    assert rows[1] == ("Riyad Bank", "SAR", 1, 1234567.5)
    assert sheet["D2"].number_format == "#,##0.00" and sheet["C2"].data_type == "n"
    assert sheet["A3"].value.startswith("=HYPERLINK") and sheet["A3"].data_type == "s" and sheet["A3"].quotePrefix
    month = load_workbook(BytesIO(viewer.get("/reports/month.xlsx").data)).active
    assert month["A2"].is_date and month["A2"].value.date() == date(2026, 1, 1)
    assert month["A3"].value.date() == date(2026, 2, 1) and month["D3"].value == 1234567.5
    activity = load_workbook(BytesIO(viewer.get("/reports/activity.xlsx").data)).active
    assert [cell.value for cell in activity[1]][:2] == ["Month", "User"] and activity["A2"].is_date
    assert viewer.get("/reports/nothing.xlsx").status_code == 404


def test_the_page_prints_on_a4(app):
    css = (Path(app.static_folder) / "css" / "reports.css").read_text()
    assert "@page { size: A4" in css and "@media print" in css


def test_signed_out_users_are_sent_to_sign_in(client, app):
    assert client.get("/reports").status_code == 302


def test_the_guarantee_page_and_list_show_the_type_label(editor, held):
    typed = db.session.query(Guarantee).filter_by(guarantee_number="R2").one()
    html = editor.get(f"/guarantees/{typed.id}").get_data(as_text=True)
    assert "Other (as written: Maintenance)" in html
    listing = editor.get("/guarantees").get_data(as_text=True)
    assert "Performance (final)" in listing and "Maintenance" in listing


def test_the_inline_edit_of_the_type_is_a_choice_of_the_list(editor, held):
    guarantee = db.session.query(Guarantee).filter_by(guarantee_number="R1").one()
    form = editor.get(f"/guarantees/{guarantee.id}/fields/type/edit", htmx=True).get_data(as_text=True)
    assert '<select name="value"' in form and '<option value="performance" selected>' in form
    response = editor.post(
        f"/guarantees/{guarantee.id}/fields/type",
        data={"value": "retention", "version": guarantee.version},
        htmx=True,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(Guarantee, guarantee.id)
    assert (saved.type, saved.type_code) == ("RETENTION", "retention")


def test_the_entry_form_offers_the_standard_types(editor):
    html = editor.get("/batches/today").get_data(as_text=True)
    assert '<select id="entry-type" name="type"' in html and '<option value="advance_payment"' in html
    editor.post("/batches/today", data={"guarantee_number": "E1", "raw_supplier_name": "Lana", "raw_bank_name": "SNB",
                                        "amount": "5", "type": "bid"}, htmx=True)  # fmt: skip
    saved = db.session.query(Guarantee).filter_by(guarantee_number="E1").one()
    assert (saved.type, saved.type_code, saved.amount) == ("BID", "bid", Decimal("5.00"))
