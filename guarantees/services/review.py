"""Review decisions and dictionary upkeep: choose an entry for a raw name, merge duplicates, edit entries.

Each function is one transaction. Anything that changes what the matcher knows tells the matcher cache
after the commit, so the next unit of work in this process matches with it (other processes see the
dictionary version change). Supplier and bank rows are written by the dual-write adapter only.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from guarantees.database import insert_or_get
from guarantees.domain.fields import match_status
from guarantees.domain.swift import parse_swift
from guarantees.domain.text import clean_text
from guarantees.matching import ENTITIES, entry_names, normalise_name
from guarantees.models import DictionaryMerge, Guarantee, MatchDecision, NameAlias
from guarantees.models.base import utcnow
from guarantees.models.dictionary import Bank, BankDetail, Supplier
from guarantees.repositories import matching as repo
from guarantees.repositories import review_groups as groups_repo
from guarantees.services.dualwrite import BANK_FIELDS, SUPPLIER_FIELDS, DualWriteAdapter
from guarantees.services.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from guarantees.services.transaction import unit_of_work

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LIMITS = {"short_code": 20, "contact_email": 200}
_MAX_TEXT = 300


def _entity(entity: str) -> str:
    if entity not in ENTITIES:
        raise ValidationFailed(_("Unknown dictionary “%(entity)s”.", entity=entity), field="entity")
    return entity


def _live_entry(session: Session, entity: str, entity_id: int, what: str = "entry"):
    row = repo.get_entry(entity, entity_id)
    if row is None:
        raise NotFound(_("No such entry (%(what)s #%(id)d).", what=what, id=entity_id))
    merged = session.scalar(
        sa.select(DictionaryMerge.into_id).where(DictionaryMerge.entity == entity, DictionaryMerge.from_id == row.id)
    )
    if merged is not None:
        raise RuleViolation(
            _("%(name)s was merged into #%(into)d: choose that entry instead.", name=row.label, into=merged)
        )
    return row


def _stale_aliases(session: Session, entity: str, key: str) -> list[NameAlias]:
    """Learned names stored under an earlier normalisation that fold to `key` now (their stored text or their raw
    name normalised as matching does today), oldest first."""
    stored = session.execute(
        sa.select(NameAlias.id, NameAlias.normalized_name, NameAlias.raw_name)
        .where(NameAlias.entity == entity, NameAlias.normalized_name != key)
        .order_by(NameAlias.id)
    )
    ids = [alias_id for alias_id, normalized, raw in stored if key in (normalise_name(normalized), normalise_name(raw))]
    if not ids:
        return []
    return list(session.scalars(sa.select(NameAlias).where(NameAlias.id.in_(ids)).order_by(NameAlias.id)))


def _learn(session: Session, entity: str, raw_name: str, entity_id: int, user: str | None) -> None:
    """Remember that `raw_name` means this entry (a newer decision replaces an older one).

    A name is stored and looked up by normalise_name as it is now. A name learned under an earlier normalisation
    (which folded less) is the same name when it folds to the same key: it is found, stored under the current key,
    and re-pointed with the others, rather than learned a second time."""
    key = normalise_name(raw_name)
    if not key:
        return

    def find():
        return session.scalar(sa.select(NameAlias).where(NameAlias.entity == entity, NameAlias.normalized_name == key))

    alias = find()
    stale = _stale_aliases(session, entity, key)
    if alias is None and stale:
        alias = stale.pop(0)
        alias.normalized_name = key
        session.flush()
    if alias is None:
        alias = insert_or_get(
            session,
            lambda: NameAlias(
                entity=entity, entity_id=entity_id, raw_name=raw_name, normalized_name=key, created_by=user
            ),
            find,
        )
    for same in (alias, *stale):
        if same.entity_id != entity_id:
            same.entity_id = entity_id
            same.raw_name = raw_name
            same.created_by = user


def apply_choice(entity: str, raw_name: str, chosen_id: int, *, user: str | None) -> int:
    """Match every unmatched guarantee with this raw name (as matching folds it) to the chosen entry.

    Writes one MatchDecision per guarantee and an alias for the name; returns how many guarantees changed.
    """
    _entity(entity)
    key = normalise_name(raw_name)
    if not key:
        raise ValidationFailed(_("There is no name to match."), field="raw_name")
    with unit_of_work() as session:
        chosen = _live_entry(session, entity, chosen_id)
        count = _decide(session, entity, raw_name, chosen, _unmatched(session, entity, key), user)
    if count:
        repo.dictionaries_changed()
    return count


def _unmatched(session: Session, entity: str, key: str) -> list[int]:
    """Ids of the guarantees without an entry of this kind whose raw name folds to `key`."""
    raw_column = Guarantee.raw_supplier_name if entity == "supplier" else Guarantee.raw_bank_name
    id_column = Guarantee.supplier_id if entity == "supplier" else Guarantee.bank_id
    candidates = session.execute(
        sa.select(Guarantee.id, raw_column).where(id_column.is_(None), raw_column.is_not(None))
    )
    return [gid for gid, raw in candidates if normalise_name(raw) == key]


def _decide(session: Session, entity: str, raw_name: str, chosen, ids: list[int], user: str | None) -> int:
    """The one way a review decision is written: these guarantees get the chosen entry (one MatchDecision and one
    dual-written edit each) and the name is learned as an alias of the entry. Returns how many changed."""
    if not ids:
        return 0
    id_field = f"{entity}_id"
    display_field = "supplier_display_name" if entity == "supplier" else "bank_display"
    adapter = DualWriteAdapter(session)
    for guarantee in session.scalars(sa.select(Guarantee).where(Guarantee.id.in_(ids)).order_by(Guarantee.id)):
        previous = getattr(guarantee, id_field)
        setattr(guarantee, id_field, chosen.id)
        setattr(guarantee, display_field, chosen.label)
        guarantee.match_status = match_status(guarantee.supplier_id, guarantee.bank_id)
        session.flush()
        session.add(
            MatchDecision(
                guarantee_id=guarantee.id,
                entity=entity,
                raw_name=getattr(guarantee, f"raw_{entity}_name"),
                previous_id=previous,
                chosen_id=chosen.id,
                legacy_record_id=adapter.record_edit(guarantee),
                decided_by=user,
            )
        )
    _learn(session, entity, raw_name, chosen.id, user)
    return len(ids)


def apply_plan(choices: list[tuple[str, str, int]], *, user: str | None, expected: str) -> groups_repo.Plan:
    """Apply a previewed bulk decision: each (kind, raw name, entry id) as a single decision would be, all in one
    transaction. `expected` is the fingerprint the preview showed: when what the choices would change is no longer
    what was previewed (someone decided a name meanwhile, a guarantee changed), nothing is applied (Conflict)."""
    if not choices:
        raise ValidationFailed(_("Choose at least one name."), field="decision")
    with unit_of_work() as session:
        current = groups_repo.plan(choices)
        if current.fingerprint != expected:
            raise Conflict(_("The names to review changed since this preview: nothing was applied. Check it again."))
        if not current.decisions:
            raise RuleViolation(_("Nothing left to match under these names."))
        for decision in current.decisions:
            chosen = _live_entry(session, decision.entity, decision.chosen_id)
            ids = [gid for gid, _version in decision.guarantees]
            _decide(session, decision.entity, decision.raw_name, chosen, ids, user)
    repo.dictionaries_changed()
    return current


def add_entry_and_apply(entity: str, raw_name: str, data: dict, *, user: str | None) -> tuple[Supplier | Bank, int]:
    """Add a dictionary entry for a name nothing fits and match the name's waiting guarantees to it, in one
    transaction; the entry is checked as the dictionary pages check it. Returns the entry and how many changed."""
    _entity(entity)
    key = normalise_name(raw_name)
    if not key:
        raise ValidationFailed(_("There is no name to match."), field="raw_name")
    with unit_of_work() as session:
        entry = _write_supplier(session, None, data) if entity == "supplier" else _write_bank(session, None, data, user)
        count = _decide(session, entity, raw_name, entry, _unmatched(session, entity, key), user)
    repo.dictionaries_changed()
    return entry, count


def merge(entity: str, from_id: int, into_id: int, *, user: str | None) -> int:
    """Merge a duplicate entry into another: guarantees and aliases re-pointed, the entry kept but hidden.

    Returns how many guarantees were re-pointed. The merge row is written first: the database lets a
    locked guarantee change its supplier or bank only along a recorded merge.
    """
    _entity(entity)
    if from_id == into_id:
        raise ValidationFailed(_("An entry cannot be merged into itself."), field="into_id")
    column = getattr(Guarantee, f"{entity}_id")
    display_field = "supplier_display_name" if entity == "supplier" else "bank_display"
    with unit_of_work() as session:
        source = _live_entry(session, entity, from_id, "merged entry")
        target = _live_entry(session, entity, into_id, "kept entry")
        session.add(DictionaryMerge(entity=entity, from_id=source.id, into_id=target.id, merged_by=user))
        session.flush()
        ids = list(session.scalars(sa.select(Guarantee.id).where(column == source.id).order_by(Guarantee.id)))
        if ids:
            session.execute(
                sa.update(Guarantee)
                .where(column == source.id)
                .values(
                    {
                        column: target.id,
                        display_field: target.label,
                        Guarantee.version: Guarantee.version + 1,
                        Guarantee.updated_at: utcnow(),
                    }
                ),
                execution_options={"synchronize_session": False},
            )
            session.expire_all()
            adapter = DualWriteAdapter(session)
            for guarantee in session.scalars(sa.select(Guarantee).where(Guarantee.id.in_(ids)).order_by(Guarantee.id)):
                adapter.record_edit(guarantee)
        session.execute(
            sa.update(NameAlias)
            .where(NameAlias.entity == entity, NameAlias.entity_id == source.id)
            .values(entity_id=target.id)
        )
        # The merged entry's own names keep meaning something: they now lead to the kept entry.
        names = entry_names(entity, source)
        if isinstance(source, Bank) and source.short_code:
            names.append(source.short_code)
        kept = {normalise_name(name) for name in entry_names(entity, target)}
        for name in names:
            if normalise_name(name) not in kept:
                _learn(session, entity, name, target.id, user)
        if entity == "bank":
            _carry_swift(session, source.id, target.id, user)
    repo.dictionaries_changed()
    return len(ids)


def _carry_swift(session: Session, from_id: int, into_id: int, user: str | None) -> None:
    """A merged bank's SWIFT/BIC goes to the kept bank, unless the kept bank has one of its own."""
    source = session.get(BankDetail, from_id)
    if source is None or not source.swift_bic:
        return
    _set_swift(session, into_id, source.swift_bic, user, keep_existing=True)


def _set_swift(session: Session, bank_id: int, code: str | None, user: str | None, *, keep_existing=False) -> None:
    """Store a bank's SWIFT/BIC in bank_details (None clears it; keep_existing: only where there is none)."""
    detail = session.get(BankDetail, bank_id)
    if detail is None:
        if code:
            session.add(BankDetail(bank_id=bank_id, swift_bic=code, updated_by=user))
    elif detail.swift_bic != code and not (keep_existing and detail.swift_bic):
        detail.swift_bic, detail.updated_by = code, user


def _text_fields(data: dict, fields: tuple[str, ...]) -> dict:
    values = {}
    for name in fields:
        value = clean_text(data.get(name))
        if value is not None and len(value) > _LIMITS.get(name, _MAX_TEXT):
            raise ValidationFailed(
                _("Too long (at most %(max)d characters).", max=_LIMITS.get(name, _MAX_TEXT)), field=name
            )
        values[name] = value
    if not values.get("official_name"):
        raise ValidationFailed(_("The official name is required."), field="official_name")
    return values


def _duplicate(session: Session, entity: str, entity_id: int | None, names: list[str]) -> Supplier | Bank | None:
    """A live entry (other than this one) already known by one of these names."""
    wanted = {normalise_name(name).replace(" ", "") for name in names} - {""}
    merged = set(session.scalars(sa.select(DictionaryMerge.from_id).where(DictionaryMerge.entity == entity)))
    for row in session.scalars(sa.select(repo.MODELS[entity])):
        if row.id == entity_id or row.id in merged:
            continue
        if any(normalise_name(name).replace(" ", "") in wanted for name in entry_names(entity, row)):
            return row
    return None


def save_supplier(supplier_id: int | None, data: dict, *, user: str | None) -> Supplier:
    """Add a supplier (supplier_id None) or edit one; refused when another supplier has the same name."""
    with unit_of_work() as session:
        supplier = _write_supplier(session, supplier_id, data)
    repo.dictionaries_changed()
    return supplier


def _write_supplier(session: Session, supplier_id: int | None, data: dict) -> Supplier:
    values = _text_fields(data, SUPPLIER_FIELDS)
    supplier = None if supplier_id is None else _live_entry(session, "supplier", supplier_id)
    other = _duplicate(session, "supplier", supplier_id, [v for v in values.values() if v])
    if other is not None:
        raise ValidationFailed(
            _("Supplier #%(id)d (%(name)s) has this name already.", id=other.id, name=other.label),
            field="official_name",
        )
    normalized = normalise_name(values["official_name"])
    return DualWriteAdapter(session).save_entry(Supplier, supplier, values, normalized=normalized)


def save_bank(bank_id: int | None, data: dict, *, user: str | None) -> Bank:
    """Add a bank (bank_id None) or edit one: names, short code, SWIFT/BIC and the address block its letters
    carry."""
    with unit_of_work() as session:
        bank = _write_bank(session, bank_id, data, user)
    repo.dictionaries_changed()
    return bank


def _swift_field(data: dict) -> str | None:
    """The SWIFT/BIC a form gave (blank: none), checked by the import's rule."""
    text = clean_text(data.get("swift_bic"))
    if not text:
        return None
    try:
        return parse_swift(text)
    except ValueError:
        raise ValidationFailed(
            _("“%(value)s” is not a SWIFT/BIC code (8 or 11 letters and digits).", value=text), field="swift_bic"
        ) from None


def _write_bank(session: Session, bank_id: int | None, data: dict, user: str | None = None) -> Bank:
    """A bank's columns written by the dual-write adapter; its SWIFT/BIC, when the data names one (a blank clears
    it), in bank_details."""
    values = _text_fields(data, BANK_FIELDS)
    swift = _swift_field(data)
    if values["short_code"]:
        values["short_code"] = values["short_code"].upper()
    if values["contact_email"] and not _EMAIL.match(values["contact_email"]):
        raise ValidationFailed(_("That is not an e-mail address."), field="contact_email")
    bank = None if bank_id is None else _live_entry(session, "bank", bank_id)
    names = [values[name] for name in ("official_name", "official_name_en", "official_name_ar") if values[name]]
    other = _duplicate(session, "bank", bank_id, names)
    if other is not None:
        raise ValidationFailed(
            _("Bank #%(id)d (%(name)s) has this name already.", id=other.id, name=other.label),
            field="official_name",
        )
    if values["short_code"]:
        merged = sa.select(DictionaryMerge.from_id).where(DictionaryMerge.entity == "bank")
        clash = session.scalar(
            sa.select(Bank).where(
                sa.func.upper(Bank.short_code) == values["short_code"],
                Bank.id != (bank_id or 0),
                Bank.id.not_in(merged),
            )
        )
        if clash is not None:
            raise ValidationFailed(
                _("Bank #%(id)d (%(name)s) has this short code.", id=clash.id, name=clash.label), field="short_code"
            )
    normalized = normalise_name(values["official_name"])
    bank = DualWriteAdapter(session).save_entry(Bank, bank, values, normalized=normalized)
    if "swift_bic" in data:
        _set_swift(session, bank.id, swift, user)
    return bank


def delete_alias(alias_id: int, *, user: str | None) -> tuple[str, int]:
    """Forget a learned alias (the next import of that name goes through matching again); its (entity, entry id)."""
    with unit_of_work() as session:
        alias = repo.get_alias(alias_id)
        if alias is None:
            raise NotFound(_("No such alias."))
        owner = (alias.entity, alias.entity_id)
        session.delete(alias)
    repo.dictionaries_changed()
    return owner
