"""What an issue is about to send, as the confirmation step shows it before anything irreversible: how many letters,
to which banks, the total amount per currency, and the warnings (expired guarantees, banks without an address, new
expiry dates in the past); and the fingerprint of exactly that, which the issue checks again, so that a draft, a
date or a guarantee changed in between is refused instead of sent unseen."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from guarantees.domain import expiry
from guarantees.extensions import db
from guarantees.models import Guarantee, GuaranteeAction
from guarantees.repositories.actions import Addressee, guarantee_addressee, session_actions

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Letter:
    """One letter the confirmation lists."""

    action_type: str
    number: str
    bank: Addressee
    amount: Decimal | None
    currency: str
    current_expiry: date | None
    new_expiry: date | None
    expired: bool  # the guarantee has expired (on the register's day)
    override_reason: str | None


@dataclass(frozen=True)
class Confirmation:
    """The letters an issue would send, what they add up to, and what the user should know first."""

    letters: tuple[Letter, ...]
    fingerprint: str
    today: date

    @property
    def count(self) -> int:
        return len(self.letters)

    @property
    def kinds(self) -> list[tuple[str, int]]:
        """(action type, how many letters), in the order extension, reduction, release."""
        return [
            (kind, n)
            for kind in ("extension", "reduction", "release")
            if (n := sum(1 for letter in self.letters if letter.action_type == kind))
        ]

    @property
    def banks(self) -> list[tuple[Addressee, int]]:
        """Each bank the letters go to, with its number of letters, by name."""
        found: dict[tuple[str, str], list] = {}
        for letter in self.letters:
            key = (letter.bank.name_en, letter.bank.name_ar)
            found.setdefault(key, [letter.bank, 0])[1] += 1
        return [(bank, n) for _key, (bank, n) in sorted(found.items())]

    @property
    def totals(self) -> list[tuple[str, Decimal]]:
        """The letters' amounts added up, one total per currency (letters without an amount add nothing)."""
        sums: dict[str, Decimal] = {}
        for letter in self.letters:
            if letter.amount is not None:
                sums[letter.currency] = sums.get(letter.currency, Decimal(0)) + letter.amount
        return sorted(sums.items())

    @property
    def expired(self) -> list[Letter]:
        """Letters other than releases for guarantees that have expired."""
        return [letter for letter in self.letters if letter.expired and letter.action_type != "release"]

    @property
    def no_address(self) -> list[Addressee]:
        """The banks without an address: their letters would carry the bank's name alone."""
        return [bank for bank, _n in self.banks if not bank.has_address]

    @property
    def past_dates(self) -> list[Letter]:
        """Extensions whose new expiry date is not after today."""
        return [
            letter
            for letter in self.letters
            if letter.action_type == "extension" and letter.new_expiry is not None and letter.new_expiry <= self.today
        ]

    @property
    def has_warnings(self) -> bool:
        return bool(self.expired or self.no_address or self.past_dates)


def _amount(value) -> str:
    return "" if value is None else str(Decimal(value).quantize(_CENT))


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def fingerprint(pairs: Iterable[tuple[GuaranteeAction, Guarantee]]) -> str:
    """A short digest of exactly what would be issued: each action (id, type, new date or amount, override) and
    its guarantee's id and version; any change to one of them gives another."""
    parts = sorted(
        "|".join(
            (
                str(action.id or 0),
                str(guarantee.id),
                str(guarantee.version),
                action.action_type,
                _day(action.new_expiry_date) if action.action_type == "extension" else "",
                _amount(action.new_amount) if action.action_type == "reduction" else "",
                action.override_reason or "",
            )
        )
        for action, guarantee in pairs
    )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def _letter(action: GuaranteeAction, guarantee: Guarantee, today: date) -> Letter:
    return Letter(
        action_type=action.action_type,
        number=guarantee.guarantee_number,
        bank=guarantee_addressee(guarantee),
        amount=action.new_amount if action.action_type == "reduction" else guarantee.amount,
        currency=guarantee.currency or "SAR",
        current_expiry=guarantee.expiry_date,
        new_expiry=action.new_expiry_date if action.action_type == "extension" else None,
        expired=expiry.state(guarantee.status, guarantee.expiry_date, today) == expiry.EXPIRED,
        override_reason=action.override_reason,
    )


def build(pairs: list[tuple[GuaranteeAction, Guarantee]], today: date) -> Confirmation:
    """The confirmation of these (action, guarantee) pairs: drafts, or an action planned and not yet written."""
    return Confirmation(
        letters=tuple(_letter(action, guarantee, today) for action, guarantee in pairs),
        fingerprint=fingerprint(pairs),
        today=today,
    )


def for_session(session_id: int, today: date) -> Confirmation:
    """What issuing every draft of a session would send."""
    drafts = [action for action in session_actions(session_id) if action.action_status == "draft"]
    return build([(action, action.guarantee) for action in drafts], today)


def for_draft(action_id: int, today: date) -> Confirmation | None:
    """What issuing one draft would send (None when there is no such draft)."""
    action = db.session.get(GuaranteeAction, action_id)
    if action is None or action.action_status != "draft":
        return None
    return build([(action, action.guarantee)], today)
