"""Forms of the batch pages: the list's filter and page, a batch's page of rows, actions started from a batch."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import AnyOf, InputRequired

from guarantees.forms.guarantees import MAX_PAGE, IdsField, PostForm, QueryForm, WholeNumberField, choice
from guarantees.repositories.batches import BATCH_TYPES

CHOICES = ("extend_all", "extend_selected", "release_selected")


class BatchListForm(QueryForm):
    """The batches' list: ?type= and ?page=; a bad value is dropped with a message."""

    type = StringField(validators=choice(BATCH_TYPES, _l("Ignored an unknown batch type.")))
    page = WholeNumberField(high=MAX_PAGE)


class BatchRowsForm(QueryForm):
    """One batch's page of rows."""

    page = WholeNumberField(high=MAX_PAGE)


class BatchActionsForm(PostForm):
    """Extend all of a batch's guarantees, or extend / release those selected (checkboxes `guarantee_id`)."""

    do = StringField(
        validators=[
            InputRequired(_l("Choose what to do with the guarantees.")),
            AnyOf(CHOICES, message=_l("Choose what to do with the guarantees.")),
        ]
    )
    guarantee_id = IdsField()

    def validate_guarantee_id(self, field):
        field.errors[:] = []  # a box that is not an id is left out; none at all is refused by the route

    @property
    def selected(self) -> list[int]:
        """The ids of the boxes ticked."""
        return list(self.guarantee_id.data or ())

    @property
    def action_type(self) -> str:
        """The action the choice prepares."""
        return "release" if self.do.data == "release_selected" else "extension"
