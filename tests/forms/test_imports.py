"""The import pages' forms on their own: what each accepts, what it refuses, and the values it hands on."""

import io

import pytest
from werkzeug.datastructures import FileStorage, MultiDict

from guarantees import create_app
from guarantees.forms.imports import (
    ConfirmForm,
    MappingForm,
    PreviewQueryForm,
    UploadForm,
    display_filename,
    first_error,
)
from tests.conftest import SECRET


@pytest.fixture(scope="module")
def form_app(tmp_path_factory):
    """An app for request contexts only: these forms never reach the database."""
    folder = tmp_path_factory.mktemp("forms")
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'unused.db'}",
            "SECRET_KEY": SECRET,
            "DEFAULT_LOCALE": "en",  # the messages as written (the product's default is Arabic)
            "UPLOAD_FOLDER": str(folder),
            "MAX_UPLOAD_BYTES": 1000,
        }
    )


@pytest.fixture
def posted(form_app):
    """posted(FormClass, data) -> the form bound to a POST of `data`, CSRF aside (the pages' tests cover it)."""
    contexts = []

    def bind(form_class, data):
        context = form_app.test_request_context(method="POST", data=data, content_type="multipart/form-data")
        context.push()
        contexts.append(context)
        return form_class(meta={"csrf": False})

    yield bind
    for context in reversed(contexts):
        context.pop()


def test_upload_needs_a_file(posted):
    form = posted(UploadForm, {})
    assert not form.validate() and first_error(form) == "Choose an .xlsx file to import."


def test_upload_refuses_an_empty_file(posted):
    form = posted(UploadForm, {"file": (io.BytesIO(b""), "list.xlsx")})
    assert not form.validate() and first_error(form) == "This file is empty."


def test_upload_reads_one_byte_past_the_limit_and_names_the_sheet(posted):
    form = posted(UploadForm, {"file": (io.BytesIO(b"x" * 5000), "../July.xlsx"), "sheet": "2025"})
    assert form.validate(), form.errors
    assert len(form.content) == 1001 and form.filename == "July.xlsx" and form.sheet.data == "2025"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("C:\\Users\\x\\July.xlsx", "July.xlsx"),
        ("a\u202ebad.xlsx", "abad.xlsx"),
        ("  many   spaces .xlsx", "many spaces .xlsx"),
        ("", "upload.xlsx"),
        (None, "upload.xlsx"),
        ("n" * 300, "n" * 200),
    ],
)
def test_display_filename(raw, shown):
    assert display_filename(raw) == shown


def test_upload_file_field_takes_a_file_storage(posted):
    form = posted(UploadForm, {"file": FileStorage(io.BytesIO(b"PK"), filename="a.xlsx")})
    assert form.validate() and form.content == b"PK"


@pytest.mark.parametrize(
    ("data", "stored", "expected"),
    [
        # another sheet starts over with its own detection
        ({"sheet": "B", "was-sheet": "A", "map-supplier": "X"}, ("A", {"bank": "Y"}), ("B", {})),
        # the same sheet: only what changed from what the page showed
        (
            {
                "sheet": "A",
                "was-sheet": "A",
                "map-supplier": "NAME",
                "was-supplier": "SUPPLIER",
                "map-bank": "BANK",
                "was-bank": "BANK",
            },
            ("A", None),
            ("A", {"supplier": "NAME"}),
        ),
        # an empty choice unmaps; earlier overrides are kept
        ({"map-comment": "", "was-comment": "NOTES"}, (None, {"bank": "Y"}), (None, {"bank": "Y", "comment": None})),
        # nothing sent: nothing changes
        ({}, (None, {"bank": "Y"}), (None, {"bank": "Y"})),
    ],
)
def test_mapping_choice(posted, data, stored, expected):
    form = posted(MappingForm, data)
    assert form.validate(), form.errors
    assert form.choice(*stored) == expected


def test_mapping_refuses_an_overlong_header(posted):
    form = posted(MappingForm, {"map-supplier": "X" * 501})
    assert not form.validate() and "500" in first_error(form)


@pytest.mark.parametrize(("data", "confirmed"), [({}, False), ({"confirm_duplicate": "1"}, True)])
def test_confirm(posted, data, confirmed):
    form = posted(ConfirmForm, data)
    assert form.validate() and form.confirm_duplicate.data is confirmed


@pytest.mark.parametrize(
    ("args", "outcome", "page", "valid"),
    [
        ({}, None, 1, True),
        ({"outcome": "error", "page": "3"}, "error", 3, True),
        ({"outcome": ""}, None, 1, True),
        ({"outcome": "bogus"}, None, 1, False),
        ({"page": "0"}, None, 1, False),
        ({"page": "-2"}, None, 1, False),
        ({"page": "abc"}, None, 1, False),
        ({"page": "9" * 20}, None, 1, False),
    ],
)
def test_preview_query(form_app, args, outcome, page, valid):
    with form_app.test_request_context():
        form = PreviewQueryForm(MultiDict(args), meta={"csrf": False})
        assert form.validate() is valid
        assert (form.chosen_outcome, form.chosen_page) == (outcome, page)
        assert (first_error(form) is None) is valid
