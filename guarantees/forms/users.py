"""Forms of the staff accounts page: a new account, another role, disable or enable, an e-mail address, a
password reset, sessions to end."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from guarantees.domain.email import MAX_ADDRESS
from guarantees.domain.labels import ROLE_LABELS
from guarantees.services.users import MAX_PASSWORD, MAX_USERNAME, MIN_PASSWORD, ROLES

# The domain's own message (domain.passwords), for a password refused by its length before the service sees it.
PASSWORD_LENGTH = _l("A password has %(min)d to %(max)d characters.")


def _roles() -> list[SelectChoice]:
    return [SelectChoice(role, ROLE_LABELS[role]) for role in ROLES]


def password_length(message=PASSWORD_LENGTH) -> Length:
    return Length(min=MIN_PASSWORD, max=MAX_PASSWORD, message=message)


class UserForm(FlaskForm):
    """A new account: username, role and a first password."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=MAX_USERNAME)])
    role = SelectField(_l("Role"), choices=_roles(), default="viewer")
    password = PasswordField(_l("Password"), validators=[DataRequired(), password_length()])


class RoleForm(FlaskForm):
    """Another role for an account."""

    role = SelectField(
        _l("Role"), choices=_roles(), validators=[InputRequired(_l("Choose a role."))], validate_choice=True
    )


class ActiveForm(FlaskForm):
    """Disable an account ("0") or enable it again ("1")."""

    active = SelectField(
        _l("Can sign in"),
        choices=[SelectChoice("1", _l("Enable")), SelectChoice("0", _l("Disable"))],
        validators=[InputRequired(_l("Say whether the account can sign in."))],
    )

    @property
    def enabled(self) -> bool:
        return self.active.data == "1"


class EmailForm(FlaskForm):
    """The address an account's expiry alerts are mailed to (blank: none); the service checks its form."""

    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=MAX_ADDRESS)])


class ResetPasswordForm(FlaskForm):
    """An admin's reset: a password typed for the account, or blank for a temporary one made by the register."""

    password = PasswordField(
        _l("New password (blank: a temporary one)"),
        validators=[Optional(), password_length()],
    )


class EndSessionsForm(FlaskForm):
    """End one session of an account (its id), or all of them (no id)."""

    session = StringField(validators=[Optional(), Regexp(r"^[0-9a-f]{64}$", message=_l("No such session."))])

    @property
    def session_id(self) -> str | None:
        return self.session.data or None
