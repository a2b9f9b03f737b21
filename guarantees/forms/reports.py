"""The reports page's filters (a GET form): a date range, part of a bank's and of a supplier's name."""

from flask_babel import gettext as _
from wtforms import StringField
from wtforms.validators import ValidationError

from guarantees.forms.guarantees import QueryForm, search_text
from guarantees.repositories.reports import ReportFilters
from guarantees.services.errors import ValidationFailed
from guarantees.services.fields import parse_field

# The tables the page shows and exports, in its order.
TABLES = ("bank", "supplier", "type", "month", "activity")
PARAMETERS = {"date_from": "from", "date_to": "to"}  # the URL's names of the date fields


def _day(form, field):
    """A date as the register reads dates (2025-07-01, 01/07/2025, ...); anything else is dropped, said why."""
    field.parsed = None
    if not (field.data or "").strip():
        return
    try:
        field.parsed = parse_field("issue_date", field.data)
    except ValidationFailed:
        field.parsed = None
        raise ValidationError(
            _("Ignored %(name)s=%(value)s: not a date.", name=PARAMETERS[field.name], value=field.data[:40])
        ) from None


class ReportFilterForm(QueryForm):
    """?from=&to=&bank=&supplier= — bad values are dropped with a message; the rest narrow every report."""

    date_from = StringField("from", validators=[_day])
    date_to = StringField("to", validators=[_day])
    bank = StringField(filters=[search_text(200)])
    supplier = StringField(filters=[search_text(200)])

    def __init__(self, formdata, **kwargs):
        # The URL says from= and to= (short, and what a person types); the fields cannot be named so.
        if formdata is not None:
            formdata = formdata.copy()
            for name, short in PARAMETERS.items():
                if short in formdata and name not in formdata:
                    formdata[name] = formdata[short]
        super().__init__(formdata, **kwargs)

    def filters(self) -> ReportFilters:
        """The typed filters (a dropped value as none); a range given backwards is read the right way round."""
        start = None if self.date_from.errors else self.date_from.parsed
        end = None if self.date_to.errors else self.date_to.parsed
        if start and end and end < start:
            start, end = end, start
        return ReportFilters(
            date_from=start, date_to=end, bank=self.value("bank", ""), supplier=self.value("supplier", "")
        )


def report_filters(args) -> tuple[ReportFilters, list[str]]:
    """The filters from URL arguments (a MultiDict), and the problems of the values dropped."""
    form = ReportFilterForm(args)
    return form.filters(), form.problems()
