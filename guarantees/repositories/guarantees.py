"""The guarantee list: search, filters, sorting and paging, kept in the URL; one guarantee; today's entries."""

import json
from dataclasses import dataclass, field, replace
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql

from guarantees.clock import today
from guarantees.domain.text import clean_text, normalise_number
from guarantees.extensions import db
from guarantees.importer.values import strip_invisible
from guarantees.models import DictionaryMerge, Guarantee, ImportBatch, ImportBatchItem
from guarantees.models.dictionary import Bank
from guarantees.models.guarantee import MATCH_STATUSES, STATUSES
from guarantees.repositories.pages import Page, clamp

PER_PAGE = 50
MAX_DAYS = 3650
SORTS = {
    "number": Guarantee.guarantee_number,
    "supplier": sa.func.coalesce(Guarantee.supplier_display_name, Guarantee.raw_supplier_name),
    "bank": sa.func.coalesce(Guarantee.bank_display, Guarantee.raw_bank_name),
    "amount": Guarantee.amount,
    "expiry": Guarantee.expiry_date,
    "status": Guarantee.status,
    "match": Guarantee.match_status,
    "created": Guarantee.created_at,
}
DEFAULT_SORT = "expiry"


@dataclass(frozen=True)
class ListParams:
    """What the list shows: every value comes from, and goes back to, the URL."""

    q: str = ""
    status: str = ""
    match: str = ""
    bank: str = ""
    batch: int | None = None
    days: int | None = None
    sort: str = DEFAULT_SORT
    order: str = "asc"
    page: int = 1
    ids: tuple[int, ...] = field(default=())

    def query(self, **changes) -> dict:
        """URL parameters of these params (with `changes`), leaving out defaults."""
        params = replace(self, **changes)
        values = {
            "q": params.q,
            "status": params.status,
            "match": params.match,
            "bank": params.bank,
            "batch": params.batch,
            "days": params.days,
            "sort": params.sort if params.sort != DEFAULT_SORT else None,
            "order": params.order if params.order != "asc" else None,
            "page": params.page if params.page != 1 else None,
        }
        return {key: value for key, value in values.items() if value not in (None, "")}

    def sorted_by(self, column: str) -> dict:
        """URL parameters for a click on a column header: that column, flipping the order when already sorted."""
        order = "desc" if self.sort == column and self.order == "asc" else "asc"
        return self.query(sort=column, order=order, page=1)


def _integer(raw: str | None, name: str, problems: list[str], *, low: int, high: int) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        problems.append(_("Ignored %(name)s=%(value)s: not a whole number.", name=name, value=raw))
        return None
    if not low <= value <= high:
        problems.append(_("Ignored %(name)s=%(value)s: out of range.", name=name, value=raw))
        return None
    return value


def parse_params(args) -> tuple[ListParams, list[str]]:
    """ListParams from request args; values that make no sense are dropped, with a message saying so."""
    problems: list[str] = []
    status = args.get("status", "")
    if status and status not in STATUSES:
        problems.append(_("Ignored an unknown status."))
        status = ""
    match = args.get("match", "")
    if match and match not in MATCH_STATUSES:
        problems.append(_("Ignored an unknown match status."))
        match = ""
    sort = args.get("sort", DEFAULT_SORT)
    if sort not in SORTS:
        problems.append(_("Ignored an unknown sort column."))
        sort = DEFAULT_SORT
    order = args.get("order", "asc")
    if order not in ("asc", "desc"):
        order = "asc"
    ids = []
    for raw in args.getlist("ids"):
        try:
            ids.append(int(raw))
        except ValueError:
            problems.append(_("Ignored a selection that is not a guarantee."))
    params = ListParams(
        q=_text(args.get("q"), 200),
        status=status,
        match=match,
        bank=_text(args.get("bank"), 500),
        batch=_integer(args.get("batch"), "batch", problems, low=1, high=2**31 - 1),
        days=_integer(args.get("days"), "days", problems, low=0, high=MAX_DAYS),
        sort=sort,
        order=order,
        page=_integer(args.get("page"), "page", problems, low=1, high=10**6) or 1,
        ids=tuple(dict.fromkeys(ids)),
    )
    return params, problems


def _text(raw: str | None, limit: int) -> str:
    """Search text as stored text is: no control characters or bidi marks, spaces folded."""
    return (clean_text(strip_invisible(raw or "")) or "")[:limit]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# The searched columns, each matched against q, and the guarantee number against q as numbers are stored
# (upper-case, no spaces). This is the definition of a match; every index only narrows the rows down.
NAME_COLUMNS = ("raw_supplier_name", "supplier_display_name", "raw_bank_name", "bank_display")
CODE_COLUMNS = ("contract_number", "po_number")
TRIGRAM = 3  # a trigram index cannot look up fewer characters: shorter searches scan
FTS_END = 16  # SQLite: a term longer than twice this is looked up by its first and last characters
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
# SQLite: the virtual generated columns revision 0007 indexes (an ORDER BY must name them to use the index).
SQLITE_SORT_COLUMNS = {"supplier": "supplier_sort", "bank": "bank_sort"}

# PostgreSQL: guarantees.search_text (revision 0007) holds the searched columns joined by line breaks,
# lower-cased, spaces, hyphens, slashes and dots turned into the letters below, so that pg_trgm takes
# "CN-2025-2" or "Riyad Bank" as one word and looks up its three-character pieces. A term is mapped the same
# way: a row containing the term then contains the mapped term, so the trigram index, and LIKE on that column,
# give a superset of the matches that is cheap to check.
SEPARATORS = " -/."
AS_LETTERS = "ёабв"
_AS_LETTERS = str.maketrans(SEPARATORS, AS_LETTERS)


@dataclass(frozen=True)
class _Index:
    """How the search index narrows the rows down to a superset of the matches."""

    condition: object  # a WHERE condition on guarantees
    source: object  # the FROM that lets the index drive a query that stops early (the first matches)
    driver: object  # the condition on that FROM
    terms: tuple[str, ...] = ()  # PostgreSQL: the patterns of search_text, for walks that check each row


def _terms(params: ListParams) -> list[str]:
    terms: dict[str, str] = {}
    for term in (params.q, normalise_number(params.q)):
        if term:
            terms.setdefault(term.lower(), term)
    return list(terms.values())


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _fts_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _fts_query(term: str) -> str:
    """FTS5 trigram query for rows containing `term`. A phrase in double quotes matches as a substring, case
    folded. The whole term is the most precise, and its frequent trigrams cost milliseconds, not more; a very
    long one asks for its two ends instead (a superset, which the exact conditions then narrow)."""
    if len(term) <= 2 * FTS_END:
        return _fts_phrase(term)
    return f"({_fts_phrase(term[:FTS_END])} AND {_fts_phrase(term[-FTS_END:])})"


def _search_text(column, patterns) -> object:
    """PostgreSQL: `column` (search_text, or a subquery's copy of it) contains one of the mapped terms (LIKE
    patterns escaped with backslashes, PostgreSQL's default escape, which pg_trgm reads too)."""
    return sa.or_(*(column.like(sa.func.lower(pattern)) for pattern in patterns))


def _index(params: ListParams) -> _Index | None:
    """The search index's candidates for `params.q`; None when the index cannot help (no q, or too short)."""
    terms = _terms(params) if params.q else []
    if not terms or any(len(term) < TRIGRAM for term in terms):
        return None
    if _dialect() == "postgresql":
        patterns = tuple(_like(term.translate(_AS_LETTERS)) for term in terms)
        condition = _search_text(sa.literal_column("guarantees.search_text", sa.Text), patterns)
        return _Index(condition=condition, source=Guarantee.__table__, driver=condition, terms=patterns)
    phrases = " OR ".join(_fts_query(term) for term in terms)
    fts = sa.table("guarantees_search", sa.column("rowid"))
    match = sa.text("guarantees_search MATCH :phrases").bindparams(phrases=phrases)
    return _Index(
        condition=Guarantee.id.in_(sa.select(fts.c.rowid).where(match)),
        source=fts.join(Guarantee.__table__, Guarantee.id == fts.c.rowid),
        driver=match,
    )


def _conditions(params: ListParams) -> list:
    """The WHERE of the list: the search index narrows the rows down first, where it can; the exact conditions
    then decide, so the result is the same either way."""
    return _narrowed(_index(params), _filters(params))


def _narrowed(candidates: _Index | None, filters: list) -> list:
    if candidates is None:
        return filters
    return [candidates.condition, *_behind_the_index(filters)]


def _behind_the_index(conditions: list) -> list:
    """SQLite: mark the other filters as unselective, so that the planner enters through the search index
    rather than through, say, the status index, whether or not ANALYZE has run (PostgreSQL has statistics)."""
    if _dialect() != "sqlite":
        return conditions
    return [sa.func.likelihood(condition, sa.literal_column("0.9")) for condition in conditions]


def _contains(column, pattern: str):
    if _dialect() == "sqlite":
        # SQLite's LIKE folds the case of ASCII letters only, as its lower() does: the rows of
        # lower(x) LIKE lower(y), for a third of the time per row.
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")


def _filters(params: ListParams, g=Guarantee) -> list:
    """The exact conditions of `params`, on the guarantees table or on `g`, a subquery's copy of it."""
    conditions = []
    if params.q:
        pattern = _like(params.q)
        names = [_contains(getattr(g, name), pattern) for name in NAME_COLUMNS]
        codes = [_contains(getattr(g, name), pattern) for name in CODE_COLUMNS]
        number = normalise_number(params.q)
        codes.append(_contains(g.guarantee_number, _like(number or params.q)))
        # The same condition in any order; the columns the term most likely matches come first, as a row stops
        # at the first that does.
        matches = codes + names if any(c.isdigit() for c in params.q) else names + codes
        conditions.append(sa.or_(*matches))
    if params.status:
        conditions.append(g.status == params.status)
    if params.match:
        conditions.append(g.match_status == params.match)
    if params.bank:
        # The bank as the list shows it, or matched to the dictionary bank of that name whatever its spelling.
        matched = sa.select(Bank.id).where(_bank_label() == params.bank)
        shown = sa.func.coalesce(g.bank_display, g.raw_bank_name) == params.bank
        conditions.append(sa.or_(g.bank_id.in_(matched), shown))
    if params.batch:
        conditions.append(
            sa.or_(
                g.import_batch_id == params.batch,
                g.id.in_(sa.select(ImportBatchItem.guarantee_id).where(ImportBatchItem.batch_id == params.batch)),
            )
        )
    if params.days is not None:
        start = today()
        conditions.append(g.expiry_date.between(start, start + timedelta(days=params.days)))
    if params.ids:
        conditions.append(g.id.in_(params.ids))
    return conditions


def _sort_key(params: ListParams, *, indexed: bool = False):
    """The list's sort column; `indexed`: as its index has it (on SQLite, the generated sort columns)."""
    if indexed and params.sort in SQLITE_SORT_COLUMNS and _dialect() == "sqlite":
        return sa.literal_column(f"guarantees.{SQLITE_SORT_COLUMNS[params.sort]}", sa.Text)
    return SORTS[params.sort]


def _ordered(query, params: ListParams, *, fenced: bool = False):
    """`query` in the list's order: NULLs last either way, on both databases; the id keeps pages stable.

    Plain column keys (no CASE) let an index such as (expiry_date, id) serve the order instead of a sort of
    the whole table. `fenced`: for rows the search index narrows down, the key is wrapped so that no index can
    serve it, and the database sorts those rows rather than walk an index looking for them."""
    column = _sort_key(params, indexed=not fenced)
    if fenced:
        column = sa.func.coalesce(column, column)
    if params.order == "desc":
        return query.order_by(column.desc().nulls_last(), Guarantee.id.desc())
    return query.order_by(column.asc().nulls_last(), Guarantee.id.asc())


def _rows(query) -> list[Guarantee]:
    # The list shows names from the guarantee's own columns: the supplier and bank rows are not joined in.
    query = query.options(orm.lazyload(Guarantee.supplier), orm.lazyload(Guarantee.bank))
    return list(db.session.scalars(query).unique().all())


def _count_to_cap(source, conditions: list) -> int:
    """How many rows of `source` meet `conditions`, counting no further than COUNT_CAP + 1."""
    matching = sa.select(sa.literal(1)).select_from(source).where(*conditions).limit(COUNT_CAP + 1)
    return db.session.scalar(sa.select(sa.func.count()).select_from(matching.subquery())) or 0


def _page(params: ListParams, conditions: list, total: int) -> Page:
    """The page of an exactly counted result (total <= COUNT_CAP)."""
    page = clamp(params.page, total, PER_PAGE)
    query = _ordered(sa.select(Guarantee).where(*conditions), params)
    items = _rows(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    return Page(items, page, PER_PAGE, total)


def _past_cap(params: ListParams, items: list[Guarantee]) -> Page:
    """A page of a result of more than COUNT_CAP (`items`: up to PER_PAGE + 1 rows): whether there is a next
    page is all that is known."""
    return Page(items[:PER_PAGE], params.page, PER_PAGE, COUNT_CAP, more=True, has_following=len(items) > PER_PAGE)


def _page_past_cap(params: ListParams, conditions: list) -> Page:
    query = _ordered(sa.select(Guarantee).where(*conditions), params)
    offset = (params.page - 1) * PER_PAGE
    return _past_cap(params, _rows(query.limit(PER_PAGE + 1).offset(offset)))


def search(params: ListParams) -> Page:
    """One page of the guarantees matching `params`, and how many match.

    Counting tens of thousands of matches would cost more than the page itself, and no one pages through
    them: past COUNT_CAP the count says "more than". With a search term, the index collects up to SORT_MAX
    matches, sorted in the list's order: when that is all of them, the page is a slice of those ids. A broader
    search is read along the list's order (see _walk), or failing that its matches are sorted."""
    filters = _filters(params)
    candidates = _index(params)
    if candidates is None:
        total = _count_to_cap(Guarantee.__table__, filters)
        if total <= COUNT_CAP:
            return _page(params, filters, total)
        if _dialect() == "postgresql" and params.order == "desc":  # see _walk: the index read backwards
            items = _walk(params, None, density=None)
            if items is not None:
                return _past_cap(params, items)
        return _page_past_cap(params, filters)
    listed = _matches_in_order(params, candidates, filters)
    if len(listed) <= _collected():
        return _page_of(params, listed)
    items = _walk(params, candidates, density=_density(listed))
    if items is None:
        items = _sorted_matches(params, candidates, filters, listed)
    return _past_cap(params, items)


def _collected() -> int:
    """How many matches are collected: SORT_MAX, and never fewer than are counted."""
    return max(SORT_MAX, COUNT_CAP)


def _matches_in_order(params: ListParams, candidates: _Index, filters: list) -> list[int]:
    """The ids of the first _collected() + 1 matches the index finds, in the list's order. The index reads them in
    its own order (rowid on SQLite, the heap's on PostgreSQL: both about the order guarantees were added in),
    and stops there; only then are they sorted."""
    first = (
        sa.select(Guarantee.id.label("id"), _sort_key(params).label("sort_key"))
        .select_from(candidates.source)
        .where(candidates.driver, *_behind_the_index(filters))
        .limit(_collected() + 1)
        .subquery("first_matches")
    )
    if params.order == "desc":
        order = (first.c.sort_key.desc().nulls_last(), first.c.id.desc())
    else:
        order = (first.c.sort_key.asc().nulls_last(), first.c.id.asc())
    # One value, not thousands of rows: each row would be a tracked Python object, and a search making that
    # many sets off the garbage collector's full passes (50 ms each in a process the size of the app's).
    if _dialect() == "postgresql":
        listed = sa.select(postgresql.array_agg(postgresql.aggregate_order_by(first.c.id, *order)))
        return db.session.scalar(listed) or []  # no rows: NULL
    # SQLite aggregates the rows in the order the subquery gives them; its LIMIT keeps that ORDER BY from being
    # left out as insignificant.
    ordered = sa.select(first.c.id).order_by(*order).limit(_collected() + 1).subquery("ordered")
    return json.loads(db.session.scalar(sa.select(sa.func.json_group_array(ordered.c.id))))


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


def _sorted_matches(params: ListParams, candidates: _Index, filters: list, listed: list[int]) -> list[Guarantee]:
    """The page of a broad search, its matches taken through the index and sorted, no further down the list's
    order than the collected matches reach.

    `listed` holds some of the matches, in order; the page and the row after it are the first `wanted` matches
    of all, so none of them comes after the `wanted`-th of `listed`: their sort keys are at most (or, descending,
    at least) that one's. That bound is indexed: PostgreSQL ANDs it with the trigram index before reading a row,
    and SQLite reads that stretch of the sort index, checking each entry against the FTS candidates before it
    reads its row. Without it, every match is read to sort them, tens of thousands when a name is sorted by name."""
    offset = (params.page - 1) * PER_PAGE
    wanted = offset + PER_PAGE + 1
    key = _sort_key(params, indexed=True)
    bound = None
    if len(listed) >= wanted:
        bound = db.session.scalar(sa.select(key).select_from(Guarantee).where(Guarantee.id == listed[wanted - 1]))
    if bound is None:  # too few collected, or the bound is a blank, which sorts last either way
        query = _ordered(sa.select(Guarantee).where(*_narrowed(candidates, filters)), params, fenced=True)
        return _rows(query.limit(PER_PAGE + 1).offset(offset))
    # Written into the statement rather than bound: PostgreSQL then plans with the value (how far the stretch
    # reaches decides whether to AND the indexes), never with a generic plan kept for a prepared statement.
    value = sa.bindparam("bound", bound, type_=key.type, literal_execute=True)
    within = key >= value if params.order == "desc" else key <= value
    if _dialect() == "sqlite" and params.sort in WALKABLE_SORTS_SQLITE:
        # The FTS candidates as a list to check index entries against (the unary + keeps SQLite from looking
        # each of them up instead), the rows read in the sort index's order within the bound.
        fts = sa.table("guarantees_search", sa.column("rowid"))
        member = sa.literal_column("+guarantees.id", sa.Integer).in_(sa.select(fts.c.rowid).where(candidates.driver))
        query = _ordered(sa.select(Guarantee).where(member, within, *_behind_the_index(filters)), params)
    else:
        query = sa.select(Guarantee).where(*_narrowed(candidates, filters), within)
        query = _ordered(query, params, fenced=True)
    return _rows(query.limit(PER_PAGE + 1).offset(offset))


def _density(ids: list[int]) -> float:
    """The share of guarantees that match, judged from the ids of the first matches the index read: it read
    them in about the order guarantees were added (ids), so they are that many among the first guarantees up to
    about the highest id. The 90th percentile stands for the highest: a row updated in place on PostgreSQL may
    have moved to a page the scan reaches early, and carry an id from far ahead."""
    ranked = sorted(ids)
    reached = ranked[int(len(ranked) * 0.9)] / 0.9
    return min(1.0, len(ranked) / max(reached, 1.0))


def _walk(params: ListParams, candidates: _Index | None, density: float | None) -> list[Guarantee] | None:
    """The page of a broad search read along the list's order: rows are read in order and checked until the
    page (and one more row) is found, reading at most a budget of rows; None when the order has no index, when
    the matches look too sparse for the page to fill within WALK_MAX rows, or when the budget ran out (the order
    follows the term: a supplier's name sorted by supplier, a contract year by expiry).

    `density` is that of the first matches the index found, among the guarantees it read to find them; without
    a search term (`candidates` None) it is not known, and the walk may read WALK_MAX rows."""
    dialect = _dialect()
    if params.sort not in (WALKABLE_SORTS_SQLITE if dialect == "sqlite" else WALKABLE_SORTS):
        return None
    offset = (params.page - 1) * PER_PAGE
    budget = WALK_MAX if density is None else int((offset + PER_PAGE + 1) * WALK_SLACK / density) + 1
    if budget > WALK_MAX:
        return None
    key = _sort_key(params, indexed=True)
    terms = candidates.terms if candidates is not None else ()
    extra = [sa.literal_column("guarantees.search_text", sa.Text).label("search_text")] if terms else []
    inner = sa.select(*Guarantee.__table__.c, *extra, key.label("walk_key"))
    descending = params.order == "desc"
    if dialect == "postgresql" and descending:
        # An index read backwards gives DESC NULLS FIRST: the walk reads the rows with a key, which come first
        # in DESC NULLS LAST; a page that would reach the rows without one is not filled, and the caller sorts.
        inner = inner.where(key.is_not(None)).order_by(key.desc(), Guarantee.id.desc())
    elif descending:
        inner = inner.order_by(key.desc().nulls_last(), Guarantee.id.desc())
    else:
        inner = inner.order_by(key.asc().nulls_last(), Guarantee.id.asc())
    walked = inner.limit(budget).subquery("walked")
    g = orm.aliased(Guarantee, walked, name="walked")
    conditions = _filters(params, g)
    if terms:  # the stored text first: one LIKE rules out most rows before the exact conditions
        conditions.insert(0, _search_text(walked.c.search_text, terms))
    query = sa.select(g).where(*conditions)
    if dialect == "postgresql":
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
    query = _ordered(sa.select(Guarantee).where(*_conditions(params)), params)
    return list(db.session.scalars(query).unique().all())


def _bank_label():
    return sa.func.coalesce(Bank.official_name_en, Bank.official_name)


def bank_choices() -> list[str]:
    """The banks the filter offers: the dictionary's live banks, by the label the matcher shows.

    Taken from the dictionary (tens of rows) rather than from the guarantees (a scan of the whole register on
    every page); a spelling that matched no bank is still found by the search box.
    """
    merged = sa.select(DictionaryMerge.from_id).where(DictionaryMerge.entity == "bank")
    label = _bank_label()
    query = sa.select(label).where(label.is_not(None), Bank.id.not_in(merged)).distinct().order_by(label)
    return list(db.session.scalars(query))


def get(guarantee_id: int) -> Guarantee | None:
    """One guarantee (with its supplier and bank), or None."""
    return db.session.get(Guarantee, guarantee_id)


def todays_manual_batch() -> ImportBatch | None:
    """Today's manual batch, if anything was entered today."""
    return db.session.scalar(
        sa.select(ImportBatch).where(ImportBatch.batch_type == "manual_batch", ImportBatch.batch_date == today())
    )


def batch_entries(batch_id: int, limit: int | None = None) -> list[tuple[ImportBatchItem, Guarantee]]:
    """The rows of a batch with their guarantees, newest first, the newest `limit` of them (one query)."""
    rows = db.session.execute(
        sa.select(ImportBatchItem, Guarantee)
        .join(Guarantee, Guarantee.id == ImportBatchItem.guarantee_id)
        .where(ImportBatchItem.batch_id == batch_id)
        .order_by(ImportBatchItem.row_number.desc(), ImportBatchItem.id.desc())
        .limit(limit)
    ).unique()
    return [(item, guarantee) for item, guarantee in rows]
