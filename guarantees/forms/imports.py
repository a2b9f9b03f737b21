"""The Excel import pages' forms: the upload, the mapping correction, the confirmation, the preview's filters."""

import re
import unicodedata

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, Form, FormField, StringField
from wtforms.validators import AnyOf, Length, Optional, Regexp, ValidationError

from guarantees.services.imports import FIELDS, OUTCOMES

MAX_HEADER = 500  # a header or sheet name as the page shows it (the reader keeps shorter ones)
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def display_filename(raw: str | None) -> str:
    """The uploaded file's name as display text: no folders, no control or bidi-override characters, 200 at most."""
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = " ".join(_UNSAFE_NAME.sub("", name).split())[:200]
    return name or "upload.xlsx"


def first_error(form: Form) -> str | None:
    """The first problem of a form that did not validate, as one message for the page."""
    for field in form:
        errors = field.errors
        if isinstance(errors, dict):  # a FormField: its subform's errors by field
            errors = [message for messages in errors.values() for message in messages]
        if errors:
            return str(errors[0])
    return None


class UploadForm(FlaskForm):
    """A workbook to preview, and optionally the sheet to read (default: the one with a recognisable header)."""

    file = FileField(_l("Excel workbook (.xlsx)"), validators=[FileRequired(_l("Choose an .xlsx file to import."))])
    sheet = StringField(_l("Sheet"), validators=[Optional(), Length(max=MAX_HEADER)])
    content: bytes = b""

    def validate_file(self, field) -> None:
        # One byte over the limit is read, so that the reader refuses the file with the limit in its message.
        self.content = field.data.stream.read(int(current_app.config["MAX_UPLOAD_BYTES"]) + 1)
        if not self.content:
            raise ValidationError(_l("This file is empty."))

    @property
    def filename(self) -> str:
        return display_filename(self.file.data.filename)


def _columns_form(*extra: str) -> type[Form]:
    """A subform with one optional header text per import field (and the `extra` names)."""
    fields = {name: StringField(validators=[Optional(), Length(max=MAX_HEADER)]) for name in (*FIELDS, *extra)}
    return type("ColumnsForm", (Form,), fields)


class MappingForm(FlaskForm):
    """The mapping correction: the chosen sheet and headers (sheet, map-<field>) beside those the page showed
    (was-sheet, was-<field>), so that only what the user changed overrides the detection."""

    sheet = StringField(_l("Sheet"), validators=[Optional(), Length(max=MAX_HEADER)])
    map = FormField(_columns_form())
    was = FormField(_columns_form("sheet"))

    def choice(self, sheet: str | None, overrides: dict | None) -> tuple[str | None, dict[str, str | None]]:
        """The sheet and overrides to apply next: another sheet starts over with its own detection; on the same
        sheet, each field whose chosen header differs from the one shown is overridden (empty: not imported)."""
        chosen = self.sheet.data
        if chosen and chosen != (self.was["sheet"].data or ""):
            return chosen, {}
        overrides = dict(overrides or {})
        for name in FIELDS:
            field = self.map[name]
            if field.raw_data and (field.data or "") != (self.was[name].data or ""):
                overrides[name] = field.data or None
        return sheet, overrides


class ConfirmForm(FlaskForm):
    """The confirmation of an import; a file imported before needs the explicit tick."""

    confirm_duplicate = BooleanField(_l("I know this file was imported before; import it again."))


class DiscardForm(FlaskForm):
    """Dropping a pending upload: nothing but the CSRF token."""


class PreviewQueryForm(FlaskForm):
    """The preview's query parameters: which outcome to show, which page. Build it as
    PreviewQueryForm(request.args, meta={"csrf": False}); bad values fall back to every row, page 1."""

    outcome = StringField(
        _l("Show"),
        validators=[
            Optional(),
            AnyOf(OUTCOMES, message=_l("Show rows that are new, update, unchanged or error; showing every row.")),
        ],
    )
    page = StringField(
        _l("Page"), validators=[Optional(), Regexp(r"[1-9][0-9]{0,8}\Z", message=_l("Pages are numbered from 1."))]
    )

    @property
    def chosen_outcome(self) -> str | None:
        return self.outcome.data if self.outcome.data in OUTCOMES else None

    @property
    def chosen_page(self) -> int:
        return int(self.page.data) if self.page.data and not self.page.errors else 1
