"""Match raw supplier and bank names to the dictionaries and say whether a guarantee is ready."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from guarantees.models import Bank, Supplier
from guarantees.text import clean_text


@dataclass(frozen=True)
class NameMatch:
    supplier_id: int | None
    bank_id: int | None
    supplier_display_name: str | None
    bank_display: str | None

    @property
    def match_status(self) -> str:
        return "ready" if self.supplier_id and self.bank_id else "needs_review"

    def as_fields(self) -> dict:
        return {
            "supplier_id": self.supplier_id,
            "bank_id": self.bank_id,
            "supplier_display_name": self.supplier_display_name,
            "bank_display": self.bank_display,
            "match_status": self.match_status,
        }


def _key(text: str | None) -> str:
    return (clean_text(text) or "").casefold()


class DictionaryMatcher:
    """Exact matching on folded names and bank short codes, built once per import or request."""

    def __init__(self, session: Session) -> None:
        self.suppliers: dict[str, tuple[int, str]] = {}
        for s in session.scalars(sa.select(Supplier)):
            for name in (s.official_name, s.display_name):
                if name:
                    self.suppliers.setdefault(_key(name), (s.id, s.label))
        self.banks: dict[str, tuple[int, str]] = {}
        for b in session.scalars(sa.select(Bank)):
            for name in (b.official_name, b.official_name_en, b.official_name_ar, b.short_code):
                if name:
                    self.banks.setdefault(_key(name), (b.id, b.label))

    def match(self, raw_supplier: str | None, raw_bank: str | None) -> NameMatch:
        supplier = self.suppliers.get(_key(raw_supplier)) if raw_supplier else None
        bank = self.banks.get(_key(raw_bank)) if raw_bank else None
        return NameMatch(
            supplier_id=supplier[0] if supplier else None,
            bank_id=bank[0] if bank else None,
            supplier_display_name=supplier[1] if supplier else None,
            bank_display=bank[1] if bank else None,
        )


def matcher_for(session: Session) -> DictionaryMatcher:
    """The matcher to use for this unit of work."""
    return DictionaryMatcher(session)
