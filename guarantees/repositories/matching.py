"""Reads for matching: the review queue, dictionary pages, pickers, and decisions on a guarantee's timeline."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from guarantees.extensions import db
from guarantees.matching import normalise_name
from guarantees.models import DictionaryMerge, Guarantee, MatchDecision, NameAlias, User
from guarantees.models.dictionary import Bank, Supplier
from guarantees.repositories.pages import Page
from guarantees.services.matching import MODELS, Choice, matcher_for

PER_PAGE = 50
MAX_GROUPS = 300
RAW_COLUMNS = {"supplier": Guarantee.raw_supplier_name, "bank": Guarantee.raw_bank_name}
ID_COLUMNS = {"supplier": Guarantee.supplier_id, "bank": Guarantee.bank_id}


@dataclass
class ReviewGroup:
    """Unmatched guarantees sharing one raw name (as matching folds it), with the matcher's ranked candidates."""

    entity: str
    key: str
    raw_name: str
    count: int = 0
    spellings: list[str] = field(default_factory=list)
    candidates: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class ReviewQueue:
    """Both halves of the queue: groups shown, and per kind how many names and guarantees wait."""

    supplier: list[ReviewGroup]
    bank: list[ReviewGroup]
    totals: dict[str, int]  # names waiting
    rows: dict[str, int]  # guarantees waiting
    nameless: dict[str, int]  # guarantees without a name of that kind (fixed by editing them)


def review_groups(entity: str, *, candidates: bool = True) -> list[ReviewGroup]:
    """Unmatched raw names of one kind, most guarantees first (the group of empty names has the key '')."""
    raw, entity_id = RAW_COLUMNS[entity], ID_COLUMNS[entity]
    rows = db.session.execute(
        sa.select(raw, sa.func.count())
        .where(Guarantee.match_status == "needs_review", entity_id.is_(None))
        .group_by(raw)
    ).all()
    groups: dict[str, ReviewGroup] = {}
    for name, count in sorted(rows, key=lambda row: (-row[1], row[0] or "")):
        key = normalise_name(name or "")
        group = groups.setdefault(key, ReviewGroup(entity, key, name or ""))
        group.count += count
        group.spellings.append(name or "")
    ranked = sorted(groups.values(), key=lambda g: (-g.count, g.key))
    if candidates:
        matcher = matcher_for(db.session)
        for group in ranked[:MAX_GROUPS]:
            if group.key:
                group.candidates = matcher.choices(entity, matcher.match_one(entity, group.raw_name))
    return ranked


def review_queue(*, candidates: bool = True) -> ReviewQueue:
    """The review page: unmatched supplier names and unmatched bank names (without candidates: counts only)."""
    shown, totals, rows, nameless = {}, {}, {}, {}
    for entity in ("supplier", "bank"):
        groups = review_groups(entity, candidates=candidates)
        named = [group for group in groups if group.key]
        shown[entity] = named[:MAX_GROUPS]
        totals[entity] = len(named)
        rows[entity] = sum(group.count for group in named)
        nameless[entity] = sum(group.count for group in groups if not group.key)
    return ReviewQueue(shown["supplier"], shown["bank"], totals, rows, nameless)


def review_group(entity: str, key: str) -> ReviewGroup | None:
    """One group of the queue by its folded name (after a failed choice, to show it again)."""
    if not key:
        return None
    group = next((group for group in review_groups(entity, candidates=False) if group.key == key), None)
    if group is not None:
        matcher = matcher_for(db.session)
        group.candidates = matcher.choices(entity, matcher.match_one(entity, group.raw_name))
    return group


def search(entity: str, query: str, limit: int = 20) -> list[Choice]:
    """Dictionary entries a picker offers for what the user typed (merged-away entries never)."""
    return matcher_for(db.session).search(entity, query, limit)


def label(entity: str, entity_id: int | None) -> str | None:
    """The label of a dictionary entry, merged away or not."""
    if entity_id is None:
        return None
    row = db.session.get(MODELS[entity], entity_id)
    return row.label if row else None


def merged_into(entity: str) -> dict[int, int]:
    """Merged-away entries and the entry each was merged into."""
    rows = db.session.execute(
        sa.select(DictionaryMerge.from_id, DictionaryMerge.into_id).where(DictionaryMerge.entity == entity)
    )
    return dict(rows.all())


@dataclass
class DictionaryRow:
    """One entry of a dictionary page: the entry, its aliases, how many guarantees use it, and its merge."""

    entry: Supplier | Bank
    aliases: list[NameAlias] = field(default_factory=list)
    guarantees: int = 0
    merged_into: int | None = None


def _matches(entry: Supplier | Bank, key: str) -> bool:
    if isinstance(entry, Supplier):
        names = (entry.official_name, entry.display_name)
    else:
        names = (entry.official_name, entry.official_name_en, entry.official_name_ar, entry.short_code)
    compact = key.replace(" ", "")
    for name in names:
        folded = normalise_name(name or "")
        if folded and (key in folded or compact in folded.replace(" ", "")):
            return True
    return key == str(entry.id)


def dictionary_page(entity: str, *, q: str = "", page: int = 1, show_merged: bool = False) -> Page:
    """A dictionary's entries for its admin page, searched as matching folds names; Page of DictionaryRow."""
    model = MODELS[entity]
    merges = merged_into(entity)
    entries = list(db.session.scalars(sa.select(model).order_by(model.id)))
    key = normalise_name(q)
    if key:
        entries = [entry for entry in entries if _matches(entry, key)]
    if not show_merged:
        entries = [entry for entry in entries if entry.id not in merges]
    entries.sort(key=lambda entry: (entry.id in merges, entry.label.casefold(), entry.id))
    total = len(entries)
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    shown = entries[(page - 1) * PER_PAGE : page * PER_PAGE]
    ids = [entry.id for entry in shown]
    aliases: dict[int, list[NameAlias]] = defaultdict(list)
    counts: dict[int, int] = {}
    if ids:
        for alias in db.session.scalars(
            sa.select(NameAlias)
            .where(NameAlias.entity == entity, NameAlias.entity_id.in_(ids))
            .order_by(NameAlias.raw_name, NameAlias.id)
        ):
            aliases[alias.entity_id].append(alias)
        column = ID_COLUMNS[entity]
        counts = dict(
            db.session.execute(sa.select(column, sa.func.count()).where(column.in_(ids)).group_by(column)).all()
        )
    rows = [DictionaryRow(entry, aliases[entry.id], counts.get(entry.id, 0), merges.get(entry.id)) for entry in shown]
    return Page(rows, page, PER_PAGE, total)


def dictionary_row(entity: str, entity_id: int) -> DictionaryRow | None:
    """One entry of a dictionary page (for an inline swap)."""
    entry = db.session.get(MODELS[entity], entity_id)
    if entry is None:
        return None
    aliases = list(
        db.session.scalars(
            sa.select(NameAlias)
            .where(NameAlias.entity == entity, NameAlias.entity_id == entity_id)
            .order_by(NameAlias.raw_name, NameAlias.id)
        )
    )
    column = ID_COLUMNS[entity]
    count = db.session.scalar(sa.select(sa.func.count()).where(column == entity_id)) or 0
    return DictionaryRow(entry, aliases, count, merged_into(entity).get(entity_id))


def usage(entity: str, entity_id: int) -> tuple[int, int]:
    """How many guarantees point at an entry, and how many of those are locked."""
    column = ID_COLUMNS[entity]
    total, locked = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((Guarantee.is_locked, 1), else_=0)), 0)).where(
            column == entity_id
        )
    ).one()
    return total, locked


def get_entry(entity: str, entity_id: int) -> Supplier | Bank | None:
    """A dictionary entry by id."""
    return db.session.get(MODELS[entity], entity_id)


def get_user(user_id: int) -> User | None:
    """One staff account by id."""
    return db.session.get(User, user_id)


def list_users() -> list[User]:
    """Every staff account, by name."""
    return list(db.session.scalars(sa.select(User).order_by(sa.func.lower(User.username))))


def decisions_for(session: Session, guarantee_id: int) -> list[dict]:
    """A guarantee's review decisions as timeline entries (kind 'decision'), oldest first.

    Title and detail are lazy strings, translated when the timeline is rendered.
    """
    decisions = session.scalars(
        sa.select(MatchDecision).where(MatchDecision.guarantee_id == guarantee_id).order_by(MatchDecision.id)
    ).all()
    names: dict[tuple[str, int], str] = {}
    for entity, model in (("supplier", Supplier), ("bank", Bank)):
        ids = {i for d in decisions if d.entity == entity for i in (d.previous_id, d.chosen_id) if i is not None}
        if ids:
            for row in session.scalars(sa.select(model).where(model.id.in_(ids))):
                names[(entity, row.id)] = row.label
    entries = []
    for decision in decisions:
        chosen = names.get((decision.entity, decision.chosen_id), f"#{decision.chosen_id}")
        title = _l("Supplier chosen in review") if decision.entity == "supplier" else _l("Bank chosen in review")
        raw = decision.raw_name or ""
        if decision.previous_id is None:
            detail = _l("“%(raw)s” is %(chosen)s", raw=raw, chosen=chosen)
        else:
            previous = names.get((decision.entity, decision.previous_id), f"#{decision.previous_id}")
            detail = _l("“%(raw)s” is %(chosen)s (was %(previous)s)", raw=raw, chosen=chosen, previous=previous)
        entries.append(
            {
                "kind": "decision",
                "at": decision.decided_at,
                "user": decision.decided_by,
                "source": "new",
                "title": title,
                "detail": detail,
                "sequence": decision.id,
            }
        )
    return entries
