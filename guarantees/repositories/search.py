"""How the guarantee list is walked: which path a search takes to its page, and how many matches it counts.

The WHERE, the search index's candidates and the order are defined in `list_query.py`; this module only
chooses how to read them. Every path gives the page a plain scan would (tests/engine/test_search_index.py).

- No search term, or one shorter than a trigram (the index cannot help): the matches are counted up to
  COUNT_CAP + 1. Within the cap, the page is read in order (an index such as (expiry_date, id) serves it).
  Past the cap, the page is read in order as well, the count shown as "more than"; on PostgreSQL a descending
  order is first tried as a walk (see `_walk`), since an index read backwards puts the blanks first.
- A search term: the index collects the first SORT_MAX + 1 matches (its own order, about the order guarantees
  were added in) and sorts their ids. When that is all of them, the page is a slice of those ids, counted
  exactly up to COUNT_CAP.
- A broader term (more than SORT_MAX matches): a walk along the list's order, checking each row, when the
  order has an index and the density of the first matches says the page fills within WALK_MAX rows; failing
  that, the matches are taken through the index and sorted, bounded by the sort key of the collected
  matches' `wanted`-th row when it has one (`_sorted_matches`).
"""

import json

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql

from guarantees.extensions import db
from guarantees.models import Guarantee
from guarantees.repositories.list_query import (
    Index,
    ListParams,
    behind_the_index,
    candidates,
    conditions,
    dialect,
    filters,
    narrowed,
    ordered,
    search_text,
    sort_key,
)
from guarantees.repositories.pages import Page, clamp

PER_PAGE = 50
COUNT_CAP = 2000  # counted exactly up to here; beyond it the list says "more than" and pages on
# Up to this many matches are collected through the index and sorted, and a result that fits is paged from
# their ids. Each costs a row read (1.5 µs on SQLite, 2-3 µs on PostgreSQL, a heap page each).
SORT_MAX = 5000
# A broader search reads its page along the list's order, checking each row (about 1-1.5 µs a row): cheaper
# than sorting its matches when they are dense, as they then are, unless the order follows the term.
WALK_MAX = 8000  # rows a walk may read
WALK_SLACK = 2  # rows it may read per row the density of the first matches predicts
# Orders an index holds, with the id: (expiry_date, id), (amount, id), the unique number, the supplier and
# bank sort keys of revision 0007; on SQLite also the status and match indexes, whose entries end with the id.
WALKABLE_SORTS = {"expiry", "number", "amount", "supplier", "bank"}
WALKABLE_SORTS_SQLITE = WALKABLE_SORTS | {"status", "match"}


def _rows(query) -> list[Guarantee]:
    # The list shows names from the guarantee's own columns: the supplier and bank rows are not joined in.
    query = query.options(orm.lazyload(Guarantee.supplier), orm.lazyload(Guarantee.bank))
    return list(db.session.scalars(query).unique().all())


def _count_to_cap(source, where: list) -> int:
    """How many rows of `source` meet `where`, counting no further than COUNT_CAP + 1."""
    matching = sa.select(sa.literal(1)).select_from(source).where(*where).limit(COUNT_CAP + 1)
    return db.session.scalar(sa.select(sa.func.count()).select_from(matching.subquery())) or 0


def _page(params: ListParams, where: list, total: int) -> Page:
    """The page of an exactly counted result (total <= COUNT_CAP)."""
    page = clamp(params.page, total, PER_PAGE)
    query = ordered(sa.select(Guarantee).where(*where), params)
    items = _rows(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    return Page(items, page, PER_PAGE, total)


def _past_cap(params: ListParams, items: list[Guarantee]) -> Page:
    """A page of a result of more than COUNT_CAP (`items`: up to PER_PAGE + 1 rows): whether there is a next
    page is all that is known."""
    return Page(items[:PER_PAGE], params.page, PER_PAGE, COUNT_CAP, more=True, has_following=len(items) > PER_PAGE)


def _page_past_cap(params: ListParams, where: list) -> Page:
    query = ordered(sa.select(Guarantee).where(*where), params)
    offset = (params.page - 1) * PER_PAGE
    return _past_cap(params, _rows(query.limit(PER_PAGE + 1).offset(offset)))


def search(params: ListParams) -> Page:
    """One page of the guarantees matching `params`, and how many match (the paths: see the module's doc)."""
    exact = filters(params)
    found = candidates(params)
    if found is None:
        total = _count_to_cap(Guarantee.__table__, exact)
        if total <= COUNT_CAP:
            return _page(params, exact, total)
        if dialect() == "postgresql" and params.order == "desc":  # see _walk: the index read backwards
            items = _walk(params, None, density=None)
            if items is not None:
                return _past_cap(params, items)
        return _page_past_cap(params, exact)
    listed = _matches_in_order(params, found, exact)
    if len(listed) <= _collected():
        return _page_of(params, listed)
    items = _walk(params, found, density=_density(listed))
    if items is None:
        items = _sorted_matches(params, found, exact, listed)
    return _past_cap(params, items)


def _collected() -> int:
    """How many matches are collected: SORT_MAX, and never fewer than are counted."""
    return max(SORT_MAX, COUNT_CAP)


def _matches_in_order(params: ListParams, found: Index, exact: list) -> list[int]:
    """The ids of the first _collected() + 1 matches the index finds, in the list's order. The index reads them in
    its own order (rowid on SQLite, the heap's on PostgreSQL: both about the order guarantees were added in),
    and stops there; only then are they sorted."""
    first = (
        sa.select(Guarantee.id.label("id"), sort_key(params).label("sort_key"))
        .select_from(found.source)
        .where(found.driver, *behind_the_index(exact))
        .limit(_collected() + 1)
        .subquery("first_matches")
    )
    if params.order == "desc":
        order = (first.c.sort_key.desc().nulls_last(), first.c.id.desc())
    else:
        order = (first.c.sort_key.asc().nulls_last(), first.c.id.asc())
    # One value, not thousands of rows: each row would be a tracked Python object, and a search making that
    # many sets off the garbage collector's full passes (50 ms each in a process the size of the app's).
    if dialect() == "postgresql":
        listed = sa.select(postgresql.array_agg(postgresql.aggregate_order_by(first.c.id, *order)))
        return db.session.scalar(listed) or []  # no rows: NULL
    # SQLite aggregates the rows in the order the subquery gives them; its LIMIT keeps that ORDER BY from being
    # left out as insignificant.
    ids = sa.select(first.c.id).order_by(*order).limit(_collected() + 1).subquery("ordered")
    return json.loads(db.session.scalar(sa.select(sa.func.json_group_array(ids.c.id))))


def _page_of(params: ListParams, listed: list[int]) -> Page:
    """The page of a result whose ids are all in `listed`, in order."""
    if len(listed) <= COUNT_CAP:
        page = clamp(params.page, len(listed), PER_PAGE)
        start = (page - 1) * PER_PAGE
        return Page(_by_id(listed[start : start + PER_PAGE]), page, PER_PAGE, len(listed))
    start = (params.page - 1) * PER_PAGE
    return _past_cap(params, _by_id(listed[start : start + PER_PAGE + 1]))


def _by_id(ids: list[int]) -> list[Guarantee]:
    """The guarantees of `ids`, in that order."""
    if not ids:
        return []
    rows = {row.id: row for row in _rows(sa.select(Guarantee).where(Guarantee.id.in_(ids)))}
    return [rows[gid] for gid in ids if gid in rows]


def _sorted_matches(params: ListParams, found: Index, exact: list, listed: list[int]) -> list[Guarantee]:
    """The page of a broad search, its matches taken through the index and sorted, no further down the list's
    order than the collected matches reach.

    `listed` holds some of the matches, in order; the page and the row after it are the first `wanted` matches
    of all, so none of them comes after the `wanted`-th of `listed`: their sort keys are at most (or, descending,
    at least) that one's. That bound is indexed: PostgreSQL ANDs it with the trigram index before reading a row,
    and SQLite reads that stretch of the sort index, checking each entry against the FTS candidates before it
    reads its row. Without it, every match is read to sort them, tens of thousands when a name is sorted by name."""
    offset = (params.page - 1) * PER_PAGE
    wanted = offset + PER_PAGE + 1
    key = sort_key(params, indexed=True)
    bound = None
    if len(listed) >= wanted:
        bound = db.session.scalar(sa.select(key).select_from(Guarantee).where(Guarantee.id == listed[wanted - 1]))
    if bound is None:  # too few collected, or the bound is a blank, which sorts last either way
        query = ordered(sa.select(Guarantee).where(*narrowed(found, exact)), params, fenced=True)
        return _rows(query.limit(PER_PAGE + 1).offset(offset))
    # Written into the statement rather than bound: PostgreSQL then plans with the value (how far the stretch
    # reaches decides whether to AND the indexes), never with a generic plan kept for a prepared statement.
    value = sa.bindparam("bound", bound, type_=key.type, literal_execute=True)
    within = key >= value if params.order == "desc" else key <= value
    if dialect() == "sqlite" and params.sort in WALKABLE_SORTS_SQLITE:
        # The FTS candidates as a list to check index entries against (the unary + keeps SQLite from looking
        # each of them up instead), the rows read in the sort index's order within the bound.
        fts = sa.table("guarantees_search", sa.column("rowid"))
        member = sa.literal_column("+guarantees.id", sa.Integer).in_(sa.select(fts.c.rowid).where(found.driver))
        query = ordered(sa.select(Guarantee).where(member, within, *behind_the_index(exact)), params)
    else:
        query = sa.select(Guarantee).where(*narrowed(found, exact), within)
        query = ordered(query, params, fenced=True)
    return _rows(query.limit(PER_PAGE + 1).offset(offset))


def _density(ids: list[int]) -> float:
    """The share of guarantees that match, judged from the ids of the first matches the index read: it read
    them in about the order guarantees were added (ids), so they are that many among the first guarantees up to
    about the highest id. The 90th percentile stands for the highest: a row updated in place on PostgreSQL may
    have moved to a page the scan reaches early, and carry an id from far ahead."""
    ranked = sorted(ids)
    reached = ranked[int(len(ranked) * 0.9)] / 0.9
    return min(1.0, len(ranked) / max(reached, 1.0))


def _walk(params: ListParams, found: Index | None, density: float | None) -> list[Guarantee] | None:
    """The page of a broad search read along the list's order: rows are read in order and checked until the
    page (and one more row) is found, reading at most a budget of rows; None when the order has no index, when
    the matches look too sparse for the page to fill within WALK_MAX rows, or when the budget ran out (the order
    follows the term: a supplier's name sorted by supplier, a contract year by expiry).

    `density` is that of the first matches the index found, among the guarantees it read to find them; without
    a search term (`found` None) it is not known, and the walk may read WALK_MAX rows."""
    name = dialect()
    if params.sort not in (WALKABLE_SORTS_SQLITE if name == "sqlite" else WALKABLE_SORTS):
        return None
    offset = (params.page - 1) * PER_PAGE
    budget = WALK_MAX if density is None else int((offset + PER_PAGE + 1) * WALK_SLACK / density) + 1
    if budget > WALK_MAX:
        return None
    key = sort_key(params, indexed=True)
    terms = found.terms if found is not None else ()
    extra = [sa.literal_column("guarantees.search_text", sa.Text).label("search_text")] if terms else []
    inner = sa.select(*Guarantee.__table__.c, *extra, key.label("walk_key"))
    descending = params.order == "desc"
    if name == "postgresql" and descending:
        # An index read backwards gives DESC NULLS FIRST: the walk reads the rows with a key, which come first
        # in DESC NULLS LAST; a page that would reach the rows without one is not filled, and the caller sorts.
        inner = inner.where(key.is_not(None)).order_by(key.desc(), Guarantee.id.desc())
    elif descending:
        inner = inner.order_by(key.desc().nulls_last(), Guarantee.id.desc())
    else:
        inner = inner.order_by(key.asc().nulls_last(), Guarantee.id.asc())
    walked = inner.limit(budget).subquery("walked")
    g = orm.aliased(Guarantee, walked, name="walked")
    where = filters(params, g)
    if terms:  # the stored text first: one LIKE rules out most rows before the exact conditions
        where.insert(0, search_text(walked.c.search_text, terms))
    query = sa.select(g).where(*where)
    if name == "postgresql":
        # The planner knows the subquery's order, so this adds no sort and the walk still stops early.
        order = (walked.c.walk_key.desc(), walked.c.id.desc()) if descending else (walked.c.walk_key, walked.c.id)
        query = query.order_by(*order)
    # SQLite reads the subquery as a co-routine, in its order, row by row, and stops at the LIMIT: an ORDER BY
    # here would sort, reading the whole budget. (A subquery with a LIMIT is neither flattened into this query
    # nor given its WHERE.)
    query = query.limit(PER_PAGE + 1).offset(offset).options(orm.lazyload(g.supplier), orm.lazyload(g.bank))
    items = list(db.session.scalars(query).unique().all())
    return items if len(items) > PER_PAGE else None


def for_export(params: ListParams) -> list[Guarantee]:
    """Every guarantee matching `params` (the selection when ids are given), in the list's order."""
    query = ordered(sa.select(Guarantee).where(*conditions(params)), params)
    return list(db.session.scalars(query).unique().all())
