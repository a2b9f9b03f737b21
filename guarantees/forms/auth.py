"""The sign-in form, and where to go afterwards."""

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

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
