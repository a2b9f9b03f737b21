"""Reads for matching: the dictionaries as a matcher (cached per dictionary version), the review queue,
dictionary pages, pickers, and decisions on a guarantee's timeline.

The matcher is built once per app and dictionary version (counts, highest ids, latest edit of the
dictionaries, aliases and merges, read in one query), so an import of many rows builds it once and a
change to a dictionary is seen by the next unit of work.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from threading import Lock

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from guarantees.domain.ids import is_id
from guarantees.extensions import db
from guarantees.matching import ENTITIES, Choice, DictionaryMatcher, Entry, MatchThresholds, entry_of, normalise_name
from guarantees.models import DictionaryMerge, Guarantee, MatchDecision, NameAlias
from guarantees.models.dictionary import Bank, BankDetail, Supplier
from guarantees.repositories.pages import Page

MODELS = {"supplier": Supplier, "bank": Bank}
_EXTENSION = "name_matchers"
PER_PAGE = 50
MAX_GROUPS = 300
RAW_COLUMNS = {"supplier": Guarantee.raw_supplier_name, "bank": Guarantee.raw_bank_name}
ID_COLUMNS = {"supplier": Guarantee.supplier_id, "bank": Guarantee.bank_id}


def merged_ids(session: Session, entity: str) -> set[int]:
    """Entries merged into another: hidden from the matcher and the pickers."""
    query = sa.select(DictionaryMerge.from_id).where(DictionaryMerge.entity == entity)
    return set(session.scalars(query))


def load_entries(session: Session, entity: str) -> list[Entry]:
    """The live (not merged-away) entries of a dictionary, in id order."""
    hidden = merged_ids(session, entity)
    model = MODELS[entity]
    return [
        entry_of(entity, row) for row in session.scalars(sa.select(model).order_by(model.id)) if row.id not in hidden
    ]


def load_aliases(session: Session, entity: str) -> dict[str, int]:
    """Learned names of one dictionary: normalised raw name → entry id (oldest first: of two names stored under
    normalisations that fold them to one key now, the later decision wins, as a newer decision replaces an older)."""
    query = (
        sa.select(NameAlias.normalized_name, NameAlias.entity_id)
        .where(NameAlias.entity == entity)
        .order_by(NameAlias.id)
    )
    return dict(session.execute(query).all())


def dictionary_version(session: Session) -> tuple:
    """What the matchers depend on, in one cheap query: a change to any dictionary changes it."""
    parts = []
    for table, stamp in ((Supplier, Supplier.updated_at), (Bank, Bank.updated_at)):
        parts += [
            sa.select(sa.func.count()).select_from(table).scalar_subquery(),
            sa.select(sa.func.max(table.id)).scalar_subquery(),
            sa.select(sa.func.max(stamp)).scalar_subquery(),
        ]
    for table in (NameAlias, DictionaryMerge):
        parts += [
            sa.select(sa.func.count()).select_from(table).scalar_subquery(),
            sa.select(sa.func.max(table.id)).scalar_subquery(),
        ]
    # An alias re-pointed to another entry keeps count and ids: its target ids change the sum.
    parts.append(sa.select(sa.func.coalesce(sa.func.sum(NameAlias.entity_id), 0)).scalar_subquery())
    return tuple(session.execute(sa.select(*parts)).one())


def build_matcher(session: Session, thresholds: MatchThresholds) -> DictionaryMatcher:
    """A matcher over the live entries and learned aliases of both dictionaries, as they are now."""
    entries = {entity: load_entries(session, entity) for entity in ENTITIES}
    aliases = {entity: load_aliases(session, entity) for entity in ENTITIES}
    return DictionaryMatcher(entries, aliases, thresholds)


class _MatcherCache:
    """The app's current matcher and the version it was built for."""

    def __init__(self) -> None:
        self.lock = Lock()
        self.generation = 0
        self.key: tuple | None = None
        self.matcher: DictionaryMatcher | None = None


def _cache() -> _MatcherCache:
    return current_app.extensions.setdefault(_EXTENSION, _MatcherCache())


def dictionaries_changed() -> None:
    """Tell this process's cache that a dictionary changed (called after a commit that changed one)."""
    cache = _cache()
    with cache.lock:
        cache.generation += 1
        cache.key = cache.matcher = None


def matcher_for(session: Session) -> DictionaryMatcher:
    """The matcher for this unit of work: cached per app, rebuilt when the dictionaries or thresholds change."""
    cache = _cache()
    thresholds = MatchThresholds.from_config(current_app.config)
    with cache.lock:
        generation = cache.generation
    key = (generation, thresholds, dictionary_version(session))
    with cache.lock:
        if cache.key == key and cache.matcher is not None:
            return cache.matcher
    matcher = build_matcher(session, thresholds)
    with cache.lock:
        if cache.generation == generation:
            cache.key, cache.matcher = key, matcher
    return matcher


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
                group.candidates = matcher.candidates(entity, group.raw_name)
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


def review_group(entity: str, raw_name: str) -> ReviewGroup | None:
    """The group of the queue a raw name belongs to, as matching folds it (after a failed choice, to show it again)."""
    key = normalise_name(raw_name or "")
    if not key:
        return None
    group = next((group for group in review_groups(entity, candidates=False) if group.key == key), None)
    if group is not None:
        group.candidates = matcher_for(db.session).candidates(entity, group.raw_name)
    return group


def search(entity: str, query: str, limit: int = 20) -> list[Choice]:
    """Dictionary entries a picker offers for what the user typed (merged-away entries never)."""
    return matcher_for(db.session).search(entity, query, limit)


def label(entity: str, entity_id: int | None) -> str | None:
    """The label of a dictionary entry, merged away or not."""
    row = None if entity_id is None else get_entry(entity, entity_id)
    return row.label if row else None


def merged_into(entity: str) -> dict[int, int]:
    """Merged-away entries and the entry each was merged into."""
    rows = db.session.execute(
        sa.select(DictionaryMerge.from_id, DictionaryMerge.into_id).where(DictionaryMerge.entity == entity)
    )
    return dict(rows.all())


@dataclass
class DictionaryRow:
    """One entry of a dictionary page: the entry, its aliases, how many guarantees use it, its merge, and a bank's
    SWIFT/BIC (kept in bank_details)."""

    entry: Supplier | Bank
    aliases: list[NameAlias] = field(default_factory=list)
    guarantees: int = 0
    merged_into: int | None = None
    swift_bic: str | None = None


def _swift_codes(entity: str, ids: list[int]) -> dict[int, str]:
    """The SWIFT/BIC of each of these banks that has one (none for suppliers)."""
    if entity != "bank" or not ids:
        return {}
    query = sa.select(BankDetail.bank_id, BankDetail.swift_bic).where(
        BankDetail.bank_id.in_(ids), BankDetail.swift_bic.is_not(None)
    )
    return dict(db.session.execute(query).all())


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
    codes = _swift_codes(entity, ids)
    rows = [
        DictionaryRow(entry, aliases[entry.id], counts.get(entry.id, 0), merges.get(entry.id), codes.get(entry.id))
        for entry in shown
    ]
    return Page(rows, page, PER_PAGE, total)


def dictionary_row(entity: str, entity_id: int) -> DictionaryRow | None:
    """One entry of a dictionary page (for an inline swap)."""
    entry = get_entry(entity, entity_id)
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
    swift = _swift_codes(entity, [entity_id]).get(entity_id)
    return DictionaryRow(entry, aliases, count, merged_into(entity).get(entity_id), swift)


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
    """A dictionary entry by id (None for an id no row can have)."""
    return db.session.get(MODELS[entity], entity_id) if is_id(entity_id) else None


def get_alias(alias_id: int) -> NameAlias | None:
    """A learned alias by id (None for an id no row can have)."""
    return db.session.get(NameAlias, alias_id) if is_id(alias_id) else None


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
