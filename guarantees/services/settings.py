"""The letters' letterhead and signatory, kept in the database and changed by an admin (not in the environment).

Each value is a row of `settings`; a value never set reads as its default, chosen to read well on a letter. The
logo is an optional PNG or JPEG image, its type checked from its first bytes (not from its name), its size
limited, stored in the same table.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from guarantees.extensions import db
from guarantees.models import Setting
from guarantees.models.base import utcnow
from guarantees.services.errors import ValidationFailed
from guarantees.services.transaction import unit_of_work

DEFAULTS = {
    "organisation_ar": "",
    "organisation_en": "",
    "department_ar": "الإدارة المالية",
    "department_en": "Finance Department",
    "signatory_ar": "مدير الإدارة المالية",
    "signatory_en": "Director of Finance",
}
TEXT_KEYS = tuple(DEFAULTS)
MAX_TEXT = 200
LOGO_KEY = "letter_logo"
MAX_LOGO_BYTES = 512 * 1024
SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


@dataclass(frozen=True)
class Letterhead:
    """What heads and signs every letter, in both languages."""

    organisation_ar: str
    organisation_en: str
    department_ar: str
    department_en: str
    signatory_ar: str
    signatory_en: str
    has_logo: bool
    logo_version: str | None = None  # changes with the logo, so a browser never shows an old one

    def organisation(self, lang: str) -> str:
        return self.organisation_ar if lang == "ar" else self.organisation_en

    def department(self, lang: str) -> str:
        return self.department_ar if lang == "ar" else self.department_en

    def signatory(self, lang: str) -> str:
        return self.signatory_ar if lang == "ar" else self.signatory_en


def letterhead() -> Letterhead:
    """The letterhead as set, each value not set (or blank) read as its default."""
    rows = {
        key: (value, updated_at)
        for key, value, updated_at in db.session.execute(
            sa.select(Setting.key, Setting.value, Setting.updated_at).where(Setting.key.in_((*TEXT_KEYS, LOGO_KEY)))
        )
    }
    texts = {key: (rows.get(key, (None,))[0] or "").strip() or default for key, default in DEFAULTS.items()}
    logo = rows.get(LOGO_KEY)
    version = logo[1].strftime("%Y%m%d%H%M%S%f") if logo and logo[1] else None
    return Letterhead(**texts, has_logo=logo is not None, logo_version=version)


def logo() -> tuple[bytes, str] | None:
    """The logo's bytes and media type, if one was uploaded."""
    found = db.session.get(Setting, LOGO_KEY)
    if found is None or not found.content:
        return None
    return found.content, found.value


def image_type(content: bytes) -> str | None:
    """image/png or image/jpeg, read from the file's first bytes; None for anything else."""
    return next((kind for magic, kind in SIGNATURES if content.startswith(magic)), None)


def save_letterhead(values: dict, *, user: str | None) -> Letterhead:
    """Store the letterhead's texts (a blank one goes back to its default), in one transaction."""
    cleaned = {}
    for key in TEXT_KEYS:
        text = " ".join(str(values.get(key) or "").split())
        if len(text) > MAX_TEXT:
            raise ValidationFailed(_("At most %(max)d characters.", max=MAX_TEXT), field=key)
        cleaned[key] = text or None
    with unit_of_work() as session:
        for key, text in cleaned.items():
            _put(session, key, text, None, user)
    return letterhead()


def save_logo(content: bytes, *, user: str | None) -> None:
    """Store a new logo: a PNG or JPEG image of at most MAX_LOGO_BYTES."""
    if not content:
        raise ValidationFailed(_("Choose an image file."), field="logo")
    if len(content) > MAX_LOGO_BYTES:
        raise ValidationFailed(_("The logo is larger than %(size)d KB.", size=MAX_LOGO_BYTES // 1024), field="logo")
    kind = image_type(content)
    if kind is None:
        raise ValidationFailed(_("The logo must be a PNG or JPEG image."), field="logo")
    with unit_of_work() as session:
        _put(session, LOGO_KEY, kind, content, user)


def remove_logo(*, user: str | None) -> None:
    """Letters go without a logo from now on."""
    with unit_of_work() as session:
        session.execute(sa.delete(Setting).where(Setting.key == LOGO_KEY))


def _put(session, key: str, value: str | None, content: bytes | None, user: str | None) -> None:
    found = session.get(Setting, key)
    if found is None:
        session.add(Setting(key=key, value=value, content=content, updated_by=user, updated_at=utcnow()))
    else:
        found.value, found.content, found.updated_by, found.updated_at = value, content, user, utcnow()
