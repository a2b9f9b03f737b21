"""Settings kept in the database and changed by an admin (not in the environment): the letters' letterhead and
signatory, and the expiry alerts' thresholds and recipients. Dual-write is shown here, not changed: only
`flask legacy retire` turns it off.

Each value is a row of `settings`; a value never set reads as its default, chosen to read well on a letter. The
logo is an optional PNG or JPEG image, its type checked from its first bytes (not from its name), its size
limited, stored in the same table.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from guarantees.domain import bank_answers, email, expiry
from guarantees.extensions import db
from guarantees.models import LegacyArchive, Setting
from guarantees.models.base import utcnow
from guarantees.services.dualwrite import dual_write_on, dual_write_setting
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


@dataclass(frozen=True)
class DualWriteStatus:
    """Whether the legacy tables are still written, and since when not (retired by `flask legacy retire`, or off
    by the DUAL_WRITE environment default); whether they were archived, when, by whom, to which file."""

    on: bool
    retired_at: datetime | None = None
    retired_by: str | None = None
    archived_at: datetime | None = None
    archived_by: str | None = None
    archive_file: str | None = None


def dual_write_status() -> DualWriteStatus:
    """What the settings page shows of dual-write (read-only: retiring is a command, with its checks)."""
    stored = dual_write_setting(db.session)
    archive = db.session.scalar(sa.select(LegacyArchive).order_by(LegacyArchive.id).limit(1))
    on = dual_write_on(db.session)
    retired = stored is not None and not on
    return DualWriteStatus(
        on=on,
        retired_at=stored.updated_at if retired else None,
        retired_by=stored.updated_by if retired else None,
        archived_at=archive.archived_at if archive else None,
        archived_by=archive.archived_by if archive else None,
        archive_file=archive.file_name if archive else None,
    )


ALERT_THRESHOLDS_KEY = "alert_thresholds"
ALERT_RECIPIENTS_KEY = "alert_recipients"
ALERT_ADDRESSES_KEY = "alert_addresses"
EDITORS, ADDRESS_LIST = "editors", "list"
RECIPIENT_CHOICES = (EDITORS, ADDRESS_LIST)


@dataclass(frozen=True)
class AlertSettings:
    """The days before expiry at which staff are warned (most distant first), and who is: every active editor
    and admin (e-mail to those with an address, in the app for all), or a list of addresses (e-mail only)."""

    thresholds: tuple[int, ...]
    recipients: str
    addresses: tuple[str, ...]

    @property
    def thresholds_text(self) -> str:
        return ", ".join(str(days) for days in self.thresholds)


def alert_settings() -> AlertSettings:
    """The alert settings as set; thresholds never set (or unreadable) are expiry.DEFAULT_THRESHOLDS."""
    keys = (ALERT_THRESHOLDS_KEY, ALERT_RECIPIENTS_KEY, ALERT_ADDRESSES_KEY)
    rows = dict(db.session.execute(sa.select(Setting.key, Setting.value).where(Setting.key.in_(keys))).all())
    try:
        thresholds = expiry.parse_thresholds(rows.get(ALERT_THRESHOLDS_KEY) or "")
    except ValueError:
        thresholds = expiry.DEFAULT_THRESHOLDS
    recipients = rows.get(ALERT_RECIPIENTS_KEY) if rows.get(ALERT_RECIPIENTS_KEY) in RECIPIENT_CHOICES else EDITORS
    try:
        addresses = email.parse_addresses(rows.get(ALERT_ADDRESSES_KEY) or "")
    except ValueError:
        addresses = ()
    return AlertSettings(thresholds, recipients, addresses)


def save_alert_settings(thresholds: str, recipients: str, addresses: str, *, user: str | None) -> AlertSettings:
    """Store the thresholds ('90, 60, 30, 7') and the recipients, in one transaction; a list needs an address."""
    try:
        days = expiry.parse_thresholds(thresholds or "")
    except ValueError as error:
        raise ValidationFailed(
            _("“%(part)s” is not a number of days from 1 to 3650.", part=str(error) or thresholds), field="thresholds"
        ) from None
    if recipients not in RECIPIENT_CHOICES:
        raise ValidationFailed(_("Choose who receives the alerts."), field="recipients")
    try:
        listed = email.parse_addresses(addresses or "")
    except email.TooManyAddresses:
        raise ValidationFailed(_("At most %(max)d addresses.", max=email.MAX_ADDRESSES), field="addresses") from None
    except ValueError as error:
        raise ValidationFailed(
            _("“%(address)s” is not an e-mail address.", address=str(error)), field="addresses"
        ) from None
    if recipients == ADDRESS_LIST and not listed:
        raise ValidationFailed(_("Give at least one address, or send the alerts to every editor."), field="addresses")
    with unit_of_work() as session:
        _put(session, ALERT_THRESHOLDS_KEY, ", ".join(map(str, days)), None, user)
        _put(session, ALERT_RECIPIENTS_KEY, recipients, None, user)
        _put(session, ALERT_ADDRESSES_KEY, ", ".join(listed) or None, None, user)
    return alert_settings()


DICTIONARY_ADDS_KEY = "dictionary_adds"
ADMINS_ONLY = "admins"


def dictionary_adds_admins_only() -> bool:
    """Whether only admins add dictionary entries (by default editors may, from the review page)."""
    return db.session.scalar(sa.select(Setting.value).where(Setting.key == DICTIONARY_ADDS_KEY)) == ADMINS_ONLY


def may_add_entries(user) -> bool:
    """Whether this user may add a dictionary entry from the review page: admins always, editors unless restricted."""
    if not user.can("editor"):
        return False
    return user.can("admin") or not dictionary_adds_admins_only()


def save_dictionary_adds(admins_only: bool, *, user: str | None) -> None:
    """Store who adds dictionary entries from the review page: admins only, or editors too."""
    with unit_of_work() as session:
        _put(session, DICTIONARY_ADDS_KEY, ADMINS_ONLY if admins_only else None, None, user)


BANK_WAIT_DAYS_KEY = "bank_answer_wait_days"


def bank_wait_days() -> int:
    """Days a letter may wait for the bank's answer before the digest names it (default 14)."""
    stored = db.session.scalar(sa.select(Setting.value).where(Setting.key == BANK_WAIT_DAYS_KEY))
    try:
        days = int(stored) if stored is not None else bank_answers.DEFAULT_WAIT_DAYS
    except ValueError:
        return bank_answers.DEFAULT_WAIT_DAYS
    return days if 1 <= days <= bank_answers.MAX_WAIT_DAYS else bank_answers.DEFAULT_WAIT_DAYS


def save_bank_wait_days(days: int | None, *, user: str | None) -> int:
    """Store the days a letter may wait for the bank's answer (1 to 365)."""
    if days is None or not 1 <= days <= bank_answers.MAX_WAIT_DAYS:
        raise ValidationFailed(
            _("Give a number of days from 1 to %(max)d.", max=bank_answers.MAX_WAIT_DAYS), field="wait_days"
        )
    with unit_of_work() as session:
        _put(session, BANK_WAIT_DAYS_KEY, str(days), None, user)
    return bank_wait_days()
