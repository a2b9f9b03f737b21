"""The guarantee list: search, filters, sorting and paging, kept in the URL; one guarantee; today's entries."""

import json
from dataclasses import dataclass, field, replace
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from guarantees.clock import today
from guarantees.extensions import db
from guarantees.importer.values import strip_invisible
from guarantees.models import Bank, DictionaryMerge, Guarantee, ImportBatch, ImportBatchItem
from guarantees.models.guarantee import MATCH_STATUSES, STATUSES
from guarantees.text import clean_text, normalise_number

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


# The text the search index holds for each guarantee (revision 0006): the searched columns joined by line
# breaks. PostgreSQL uses its trigram index only for this very expression, so it must stay as the index has it.
SEARCH_TEXT = (
    "(coalesce(guarantees.guarantee_number, '') || chr(10) || coalesce(guarantees.raw_supplier_name, '') || chr(10) || "
    "coalesce(nullif(guarantees.supplier_display_name, guarantees.raw_supplier_name), '') || chr(10) || "
    "coalesce(guarantees.raw_bank_name, '') || chr(10) || "
    "coalesce(nullif(guarantees.bank_display, guarantees.raw_bank_name), '') || chr(10) || "
    "coalesce(guarantees.contract_number, '') || chr(10) || coalesce(guarantees.po_number, ''))"
)
TRIGRAM = 3  # a trigram index cannot look up fewer characters: shorter searches scan
FTS_END = 6  # SQLite: a term longer than twice this is looked up by its first and last characters
COUNT_CAP = 2000  # counted exactly up to here; beyond it the list says "more than" and pages on
WALK_ABOVE = 5_000  # SQLite: above this many index candidates a broad search walks the list's order
# Orders an index can walk (expiry_date, guarantee_number, amount, status, match_status, each with the id).
# PostgreSQL walks an ascending index backwards only as DESC NULLS FIRST, so there it serves "asc" alone.
WALKABLE_SORTS = {"expiry", "number", "amount", "status", "match"}


@dataclass(frozen=True)
class _Index:
    """How the search index narrows the rows down to a superset of the matches."""

    condition: object  # a WHERE condition on guarantees
    source: object  # the FROM that lets the index drive a query that stops early (capped count)
    driver: object  # the condition on that FROM


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
    folded; a long one costs a pass over every one of its trigrams, frequent ones included, so a long term
    asks for its two ends instead (a superset, which the exact conditions then narrow)."""
    if len(term) <= 2 * FTS_END:
        return _fts_phrase(term)
    return f"({_fts_phrase(term[:FTS_END])} AND {_fts_phrase(term[-FTS_END:])})"


def _index(params: ListParams) -> _Index | None:
    """The search index's candidates for `params.q`; None when the index cannot help (no q, or too short)."""
    terms = _terms(params) if params.q else []
    if not terms or any(len(term) < TRIGRAM for term in terms):
        return None
    if _dialect() == "postgresql":
        names = [f"term_{n}" for n in range(len(terms))]
        clause = " OR ".join(f"{SEARCH_TEXT} ILIKE :{name}" for name in names)
        likes = {name: _like(term) for name, term in zip(names, terms, strict=True)}
        condition = sa.text(f"({clause})").bindparams(**likes)
        return _Index(condition=condition, source=Guarantee.__table__, driver=condition)
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


def _filters(params: ListParams) -> list:
    conditions = []
    if params.q:
        pattern = _like(params.q)
        columns = (
            Guarantee.raw_supplier_name,
            Guarantee.supplier_display_name,
            Guarantee.raw_bank_name,
            Guarantee.bank_display,
            Guarantee.contract_number,
            Guarantee.po_number,
        )
        matches = [column.ilike(pattern, escape="\\") for column in columns]
        number = normalise_number(params.q)
        matches.append(Guarantee.guarantee_number.ilike(_like(number or params.q), escape="\\"))
        conditions.append(sa.or_(*matches))
    if params.status:
        conditions.append(Guarantee.status == params.status)
    if params.match:
        conditions.append(Guarantee.match_status == params.match)
    if params.bank:
        # The bank as the list shows it, or matched to the dictionary bank of that name whatever its spelling.
        matched = sa.select(Bank.id).where(_bank_label() == params.bank)
        shown = sa.func.coalesce(Guarantee.bank_display, Guarantee.raw_bank_name) == params.bank
        conditions.append(sa.or_(Guarantee.bank_id.in_(matched), shown))
    if params.batch:
        conditions.append(
            sa.or_(
                Guarantee.import_batch_id == params.batch,
                Guarantee.id.in_(
                    sa.select(ImportBatchItem.guarantee_id).where(ImportBatchItem.batch_id == params.batch)
                ),
            )
        )
    if params.days is not None:
        start = today()
        conditions.append(Guarantee.expiry_date.between(start, start + timedelta(days=params.days)))
    if params.ids:
        conditions.append(Guarantee.id.in_(params.ids))
    return conditions


def _ordered(query, params: ListParams):
    column = SORTS[params.sort]
    # NULLs last either way, on both databases; the id keeps pages stable. Plain column keys (no CASE)
    # let an index such as (expiry_date, id) serve the order instead of a sort of the whole table.
    if params.order == "desc":
        return query.order_by(column.desc().nulls_last(), Guarantee.id.desc())
    return query.order_by(column.asc().nulls_last(), Guarantee.id.asc())


@dataclass
class Page:
    items: list[Guarantee]
    total: int  # with `more`, a lower bound: more than this many match
    page: int
    pages: int  # with `more`, this page and the next if there is one
    more: bool = False


def _count_to_cap(source, conditions: list) -> int:
    """How many rows of `source` meet `conditions`, counting no further than COUNT_CAP + 1."""
    matching = sa.select(sa.literal(1)).select_from(source).where(*conditions).limit(COUNT_CAP + 1)
    return db.session.scalar(sa.select(sa.func.count()).select_from(matching.subquery())) or 0


def _page(params: ListParams, conditions: list, total: int) -> Page:
    """The page of an exactly counted result (total <= COUNT_CAP)."""
    pages = max(1, -(-total // PER_PAGE))
    page = min(params.page, pages)
    query = _ordered(sa.select(Guarantee).where(*conditions), params)
    items = db.session.scalars(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).unique().all()
    return Page(items=list(items), total=total, page=page, pages=pages)


def _page_past_cap(params: ListParams, conditions: list) -> Page:
    """A page of a result of more than COUNT_CAP: whether there is a next page is all that is known."""
    query = _ordered(sa.select(Guarantee).where(*conditions), params)
    offset = (params.page - 1) * PER_PAGE
    items = list(db.session.scalars(query.limit(PER_PAGE + 1).offset(offset)).unique().all())
    pages = params.page + (1 if len(items) > PER_PAGE else 0)
    return Page(items=items[:PER_PAGE], total=COUNT_CAP, page=params.page, pages=pages, more=True)


def _walkable(params: ListParams) -> bool:
    return params.sort in WALKABLE_SORTS and (params.order == "asc" or _dialect() == "sqlite")


def search(params: ListParams) -> Page:
    """One page of the guarantees matching `params`, and how many match.

    Counting tens of thousands of matches would cost more than the page itself, and no one pages through
    them: past COUNT_CAP the count says "more than", and where an index holds the list's order the page is
    read along it, which finds its rows early because matches are dense."""
    candidates = _index(params)
    filters = _filters(params)
    if candidates is not None and _dialect() == "sqlite":
        return _search_fts(params, candidates, filters)
    if candidates is None:
        total = _count_to_cap(Guarantee.__table__, filters)
    else:
        total = _count_to_cap(candidates.source, [candidates.driver, *filters])
    if total <= COUNT_CAP:
        return _page(params, _narrowed(candidates, filters), total)
    return _page_past_cap(params, filters if _walkable(params) else _narrowed(candidates, filters))


def _search_fts(params: ListParams, candidates: _Index, filters: list) -> Page:
    """SQLite with the FTS index: its candidates are read once. Up to WALK_ABOVE of them, the count and the
    page both work from that list (a few thousand rowid lookups); beyond it the result is so broad that the
    count stops at the cap and the page walks the list's order where an index holds it."""
    fts = sa.table("guarantees_search", sa.column("rowid"))
    found = db.session.scalars(sa.select(fts.c.rowid).where(candidates.driver).limit(WALK_ABOVE + 1)).all()
    hinted = _behind_the_index(filters)
    if len(found) <= WALK_ABOVE:
        listed = sa.select(sa.column("value", sa.Integer)).select_from(sa.func.json_each(json.dumps(list(found))))
        conditions = [Guarantee.id.in_(listed), *hinted]
        total = _count_to_cap(Guarantee.__table__, conditions)
        if total <= COUNT_CAP:
            return _page(params, conditions, total)
        return _page_past_cap(params, conditions)
    total = _count_to_cap(candidates.source, [candidates.driver, *hinted])
    if total <= COUNT_CAP:
        return _page(params, [candidates.condition, *hinted], total)
    return _page_past_cap(params, filters if _walkable(params) else [candidates.condition, *hinted])


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
