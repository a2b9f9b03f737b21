"""The register of the banks' answers (/bank-answers): every issued letter with what we asked, what the bank
granted, its letter and the proof, in its state (confirmed, waiting N days, voided); filters, pages, the .xlsx,
and the attachments of a session's actions on its page."""

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from guarantees.repositories import actions as action_repo
from guarantees.services import actions, attachments, bank_answers, voids
from guarantees.web import bank_answers as web
from tests.sample_files import pdf_bytes

pytestmark = pytest.mark.usefixtures("before_expiry", "issue_clock")


@pytest.fixture(autouse=True)
def store(app, tmp_path):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "attachments")


@pytest.fixture
def letters(make_guarantee, app, issue_clock):
    """An extension the bank confirmed to another date, with its letter attached; a reduction issued three days
    earlier and still waiting; a release voided; an extension to a bank whose name reads like a formula."""
    issue_clock[0] = datetime(2026, 1, 12, 8, 0)
    reduced = make_guarantee("LA-RED", raw_bank_name="Alinma Bank")
    reduction = actions.reduce(reduced.id, "20000", user="clerk")
    issue_clock[0] = datetime(2026, 1, 15, 8, 0)
    extended = make_guarantee("LA-EXT", raw_bank_name="Riyad Bank")
    extension = actions.extend(extended.id, user="clerk")
    bank_answers.record(
        extension.id,
        answer_date=date(2026, 1, 15),
        bank_reference="RB/77",
        granted_expiry=date(2027, 3, 31),
        user="clerk",
        upload=bank_answers.Upload("amendment.pdf", io.BytesIO(pdf_bytes())),
    )
    other = attachments.add(
        guarantee_id=extended.id, filename="request.pdf", stream=io.BytesIO(pdf_bytes("our request")),
        user="clerk", action_id=extension.id,
    )  # fmt: skip
    released = make_guarantee("LA-REL", raw_bank_name="Riyad Bank")
    release = actions.release(released.id, user="clerk")
    voids.issue(voids.prepare(release.id, reason="sent in error", user="clerk").id, user="checker")
    formula = make_guarantee("LA-F", raw_bank_name='=HYPERLINK("http://x")')
    odd = actions.extend(formula.id, user="clerk")
    app.config["TODAY"] = date(2026, 1, 15)
    return {"reduction": reduction, "extension": extension, "release": release, "odd": odd, "other": other}


def rows(html: str) -> dict[str, str]:
    """The table's rows by guarantee number."""
    found = {}
    for part in html.split("<tr data-letter=")[1:]:
        row = part[: part.index("</tr>")]
        number = row.split('#bank-letters">')[1].split("<")[0]
        found[number] = row
    return found


def test_each_letter_with_what_the_bank_granted_and_the_proof(viewer, letters):
    html = viewer.get("/bank-answers").get_data(as_text=True)
    found = rows(html)
    assert set(found) == {"LA-RED", "LA-EXT", "LA-REL", "LA-F"}
    extension = found["LA-EXT"]
    assert 'data-state="confirmed"' in extension and "Confirmed" in extension
    assert "<mark data-differs><bdi>2027-03-31</bdi></mark>" in extension and "not the date asked" in extension
    assert "2027-06-01" in extension  # what we asked
    assert "RB/77" in extension and "2026-01-15" in extension
    assert "amendment.pdf" in extension and "request.pdf" in extension
    assert '<span class="badge">the bank' in extension
    assert f"/attachments/{letters['other'].id}" in extension
    reduction = found["LA-RED"]
    assert 'data-state="waiting"' in reduction and "Waiting 3 days" in reduction and "no file" in reduction
    release = found["LA-REL"]
    assert 'data-state="voided"' in release and "Voided" in release and "Waiting" not in release
    assert "sent in error" in release and "<del>" in release
    assert f'data-letter="{letters["extension"].id}"' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=waiting", {"LA-RED", "LA-F"}),
        ("state=confirmed", {"LA-EXT"}),
        ("state=voided", {"LA-REL"}),
        ("type=extension", {"LA-EXT", "LA-F"}),
        ("type=release&state=waiting", set()),
        ("bank=riyad", {"LA-EXT", "LA-REL"}),
        ("from=2026-01-13", {"LA-EXT", "LA-REL", "LA-F"}),
        ("to=2026-01-12", {"LA-RED"}),
        ("from=2026-01-12&to=2026-01-12&bank=alinma", {"LA-RED"}),
    ],
)
def test_filters(viewer, letters, query, expected):
    response = viewer.get(f"/bank-answers?{query}", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="answers-table"' in html and "<html" not in html
    assert set(rows(html)) == expected


def test_waiting_letters_are_oldest_first_and_bad_filters_are_dropped_with_a_message(viewer, letters):
    html = viewer.get("/bank-answers?state=waiting").get_data(as_text=True)
    assert list(rows(html)) == ["LA-RED", "LA-F"]
    bad = viewer.get("/bank-answers?state=lost&type=void&from=yesterday").get_data(as_text=True)
    assert "Ignored an unknown state." in bad and "Ignored an unknown kind of letter." in bad
    assert "Ignored from=yesterday: not a date." in bad
    assert len(rows(bad)) == 4


def test_pages(viewer, letters, monkeypatch):
    monkeypatch.setattr(web, "PER_PAGE", 3)
    first = viewer.get("/bank-answers").get_data(as_text=True)
    second = viewer.get("/bank-answers?page=2").get_data(as_text=True)
    assert len(rows(first)) == 3 and len(rows(second)) == 1
    assert set(rows(first)) | set(rows(second)) == {"LA-RED", "LA-EXT", "LA-REL", "LA-F"}
    assert "Page 1 of 2" in first and 'rel="next"' in first


def test_the_export_has_the_same_rows_dates_as_dates_and_no_formula(viewer, letters):
    response = viewer.get("/bank-answers/export.xlsx?type=extension")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    table = list(sheet.iter_rows(values_only=False))
    header = [cell.value for cell in table[0]]
    assert header[0] == "Guarantee number" and "Expiry granted" in header and "Proof" in header
    by_number = {row[0].value: row for row in table[1:]}
    assert set(by_number) == {"LA-EXT", "LA-F"}
    extension = {name: cell for name, cell in zip(header, by_number["LA-EXT"], strict=True)}
    assert extension["Expiry granted"].is_date and extension["Expiry granted"].value.date() == date(2027, 3, 31)
    assert extension["Expiry asked"].value.date() == date(2027, 6, 1)
    assert extension["Granted differs"].value == "yes" and extension["State"].value == "Confirmed"
    assert extension["Proof"].value == "amendment.pdf; request.pdf" and extension["Bank's reference"].value == "RB/77"
    odd = {name: cell for name, cell in zip(header, by_number["LA-F"], strict=True)}
    assert odd["Bank"].data_type == "s" and odd["Bank"].value.startswith("=HYPERLINK")
    assert odd["State"].value == "Waiting 0 days" and odd["Days waiting"].value == 0


def test_the_dashboard_links_the_page(viewer, letters):
    html = viewer.get("/").get_data(as_text=True)
    assert 'href="/bank-answers" data-link="answers"' in html


def test_the_session_page_lists_its_actions_attachments(editor, make_guarantee):
    first, second = make_guarantee("SA-1"), make_guarantee("SA-2")
    session = actions.start_session([first.id, second.id], "extension", user="clerk")
    drafts = action_repo.session_actions(session.id)
    one = next(action for action in drafts if action.guarantee_id == first.id)
    kept = attachments.add(
        guarantee_id=first.id, filename="scan.pdf", stream=io.BytesIO(pdf_bytes()), user="clerk", action_id=one.id
    )
    gone = attachments.add(
        guarantee_id=first.id, filename="wrong.pdf", stream=io.BytesIO(pdf_bytes("x")), user="clerk", action_id=one.id
    )
    attachments.hide(gone.id, reason="wrong file", user="clerk")
    html = editor.get(f"/actions/{session.id}").get_data(as_text=True)
    section = html[html.index('id="session-attachments"') :]
    section = section[: section.index("</section>")]
    assert "scan.pdf" in section and f"/attachments/{kept.id}" in section and "SA-1" in section
    assert "wrong.pdf" in section and "(hidden)" in section  # editors see a hidden one, marked


def test_the_page_reads_in_arabic(viewer, letters):
    html = viewer.get("/bank-answers?lang=ar").get_data(as_text=True)
    assert "ردود البنوك" in html and "ما منحه البنك" in html and "بانتظار الرد منذ 3 أيام" in html
    assert "ملغى" in html and "مؤكَّد" in html and "ليس التاريخ المطلوب" in html
