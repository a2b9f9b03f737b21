"""The sign-in form, where to go afterwards, and a user's own new password."""

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from guarantees.forms.users import password_length
from guarantees.services.users import MAX_PASSWORD, MAX_USERNAME


class LoginForm(FlaskForm):
    """Username and password (CSRF checked); the name is trimmed."""

    username = StringField(
        _l("Username"), validators=[DataRequired(), Length(max=MAX_USERNAME)], filters=[lambda v: v.strip() if v else v]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD)])


class NextForm(FlaskForm):
    """Where to go after signing in (?next=): a local path only, never another site."""

    class Meta:
        csrf = False

    next = StringField(validators=[Optional(), Length(max=2000)])

    def validate_next(self, field) -> None:
        target = field.data or ""
        parts = urlsplit(target)
        if parts.netloc or parts.scheme or not target.startswith("/") or target.startswith("//") or "\\" in target:
            raise ValidationError(_l("Only a page of the register."))

    @property
    def target(self) -> str | None:
        """The local path asked for, or None (the caller's default) when absent or refused."""
        return self.next.data if self.validate() and self.next.data else None


class PasswordForm(FlaskForm):
    """A user's own new password: the current one, and the new one twice (the service checks the rules)."""

    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(), password_length()],
        render_kw={"autocomplete": "new-password"},
    )
    again = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
