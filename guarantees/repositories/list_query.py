"""The guarantee list's query: what the list shows (ListParams), what a match is, what the search index narrows
the rows down to, and the order. The planner in `search.py` decides how to walk it."""

from dataclasses import dataclass, field, replace

import sqlalchemy as sa
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BooleanClauseList

from guarantees.clock import today
from guarantees.domain.text import normalise_number
from guarantees.extensions import db
from guarantees.models import Guarantee, ImportBatchItem
from guarantees.models.dictionary import Bank
from guarantees.repositories import bank_answers, expiry

DEFAULT_SORT = "expiry"
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
ORDERS = ("asc", "desc")
TODO_EXTEND = "extend"
AWAITING_BANK = "bank"  # ?awaiting=bank: a letter waits for the bank's answer (repositories.bank_answers)


@dataclass(frozen=True)
class ListParams:
    """What the list shows, as typed values (built from the URL by forms.guarantees.GuaranteeListForm)."""

    q: str = ""
    status: str = ""
    match: str = ""
    bank: str = ""
    supplier: str = ""
    type: str = ""
    batch: int | None = None
    days: int | None = None
    todo: str = ""  # "extend": no extension prepared yet (the dashboard's expiry worklist)
    awaiting: str = ""  # "bank": a letter waits for the bank's answer (the dashboard's bank worklist)
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
            "supplier": params.supplier,
            "type": params.type,
            "batch": params.batch,
            "days": params.days,
            "todo": params.todo,
            "awaiting": params.awaiting,
            "sort": params.sort if params.sort != DEFAULT_SORT else None,
            "order": params.order if params.order != "asc" else None,
            "page": params.page if params.page != 1 else None,
        }
        return {key: value for key, value in values.items() if value not in (None, "")}

    def sorted_by(self, column: str) -> dict:
        """URL parameters for a click on a column header: that column, flipping the order when already sorted."""
        order = "desc" if self.sort == column and self.order == "asc" else "asc"
        return self.query(sort=column, order=order, page=1)


def like(text: str) -> str:
    """A LIKE pattern for rows containing `text` (backslash escapes)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# The searched columns, each matched against q, and the guarantee number against q as numbers are stored
# (upper-case, no spaces). This is the definition of a match; every index only narrows the rows down.
NAME_COLUMNS = ("raw_supplier_name", "supplier_display_name", "raw_bank_name", "bank_display")
CODE_COLUMNS = ("contract_number", "po_number")
TRIGRAM = 3  # a trigram index cannot look up fewer characters: shorter searches scan
FTS_END = 16  # SQLite: a term longer than twice this is looked up by its first and last characters
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
class Index:
    """How the search index narrows the rows down to a superset of the matches."""

    condition: object  # a WHERE condition on guarantees
    source: object  # the FROM that lets the index drive a query that stops early (the first matches)
    driver: object  # the condition on that FROM
    terms: tuple[str, ...] = ()  # PostgreSQL: the patterns of search_text, for walks that check each row


def dialect() -> str:
    """The database's dialect name: the index and the sort keys differ between SQLite and PostgreSQL."""
    return db.session.get_bind().dialect.name


def _terms(params: ListParams) -> list[str]:
    terms: dict[str, str] = {}
    for term in (params.q, normalise_number(params.q)):
        if term:
            terms.setdefault(term.lower(), term)
    return list(terms.values())


def _fts_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _fts_query(term: str) -> str:
    """FTS5 trigram query for rows containing `term`. A phrase in double quotes matches as a substring, case
    folded. The whole term is the most precise, and its frequent trigrams cost milliseconds, not more; a very
    long one asks for its two ends instead (a superset, which the exact conditions then narrow)."""
    if len(term) <= 2 * FTS_END:
        return _fts_phrase(term)
    return f"({_fts_phrase(term[:FTS_END])} AND {_fts_phrase(term[-FTS_END:])})"


def search_text(column, patterns) -> object:
    """PostgreSQL: `column` (search_text, or a subquery's copy of it) contains one of the mapped terms (LIKE
    patterns escaped with backslashes, PostgreSQL's default escape, which pg_trgm reads too)."""
    return sa.or_(*(column.like(sa.func.lower(pattern)) for pattern in patterns))


def candidates(params: ListParams) -> Index | None:
    """The search index's candidates for `params.q`; None when the index cannot help (no q, or too short)."""
    terms = _terms(params) if params.q else []
    if not terms or any(len(term) < TRIGRAM for term in terms):
        return None
    if dialect() == "postgresql":
        patterns = tuple(like(term.translate(_AS_LETTERS)) for term in terms)
        condition = search_text(sa.literal_column("guarantees.search_text", sa.Text), patterns)
        return Index(condition=condition, source=Guarantee.__table__, driver=condition, terms=patterns)
    phrases = " OR ".join(_fts_query(term) for term in terms)
    fts = sa.table("guarantees_search", sa.column("rowid"))
    match = sa.text("guarantees_search MATCH :phrases").bindparams(phrases=phrases)
    return Index(
        condition=Guarantee.id.in_(sa.select(fts.c.rowid).where(match)),
        source=fts.join(Guarantee.__table__, Guarantee.id == fts.c.rowid),
        driver=match,
    )


def conditions(params: ListParams) -> list:
    """The WHERE of the list: the search index narrows the rows down first, where it can; the exact conditions
    then decide, so the result is the same either way."""
    return narrowed(candidates(params), filters(params))


def narrowed(found: Index | None, exact: list) -> list:
    """`exact` behind the index's candidates `found` (when there are any)."""
    if found is None:
        return exact
    return [found.condition, *behind_the_index(exact)]


def behind_the_index(exact: list) -> list:
    """SQLite: mark the other filters as unselective, so that the planner enters through the search index
    rather than through, say, the status index, whether or not ANALYZE has run (PostgreSQL has statistics)."""
    if dialect() != "sqlite":
        return exact
    return [sa.func.likelihood(term, sa.literal_column("0.9")) for condition in exact for term in _and_terms(condition)]


def _and_terms(condition):
    """The terms of an AND, each on its own: SQLite looks through likelihood(a AND b) and would use an index
    for a and b, so each term gets its own hint."""
    if isinstance(condition, BooleanClauseList) and condition.operator is operators.and_:
        for clause in condition.clauses:
            yield from _and_terms(clause)
    else:
        yield condition


def _contains(column, pattern: str):
    if dialect() == "sqlite":
        # SQLite's LIKE folds the case of ASCII letters only, as its lower() does: the rows of
        # lower(x) LIKE lower(y), for a third of the time per row.
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")


def bank_label():
    """A dictionary bank's label, as the matcher shows it."""
    return sa.func.coalesce(Bank.official_name_en, Bank.official_name)


def filters(params: ListParams, g=Guarantee) -> list:
    """The exact conditions of `params`, on the guarantees table or on `g`, a subquery's copy of it."""
    exact = []
    if params.q:
        pattern = like(params.q)
        names = [_contains(getattr(g, name), pattern) for name in NAME_COLUMNS]
        codes = [_contains(getattr(g, name), pattern) for name in CODE_COLUMNS]
        number = normalise_number(params.q)
        codes.append(_contains(g.guarantee_number, like(number or params.q)))
        # The same condition in any order; the columns the term most likely matches come first, as a row stops
        # at the first that does.
        matches = codes + names if any(c.isdigit() for c in params.q) else names + codes
        exact.append(sa.or_(*matches))
    if params.status:
        exact.append(expiry.in_state(params.status, today(), g))
    if params.match:
        exact.append(g.match_status == params.match)
    if params.bank:
        # The bank as the list shows it, or matched to the dictionary bank of that name whatever its spelling.
        matched = sa.select(Bank.id).where(bank_label() == params.bank)
        shown = sa.func.coalesce(g.bank_display, g.raw_bank_name) == params.bank
        exact.append(sa.or_(g.bank_id.in_(matched), shown))
    if params.batch:
        exact.append(
            sa.or_(
                g.import_batch_id == params.batch,
                g.id.in_(sa.select(ImportBatchItem.guarantee_id).where(ImportBatchItem.batch_id == params.batch)),
            )
        )
    if params.supplier:
        exact.append(_contains(sa.func.coalesce(g.supplier_display_name, g.raw_supplier_name), like(params.supplier)))
    if params.type:
        exact.append(_contains(g.type, like(params.type)))
    if params.days is not None:
        exact.append(expiry.expiring_within(params.days, today(), g))
    if params.todo == TODO_EXTEND:
        exact.append(expiry.no_extension_prepared(g))
    if params.awaiting == AWAITING_BANK:
        exact.append(bank_answers.guarantee_awaiting(g))
    if params.ids:
        exact.append(g.id.in_(params.ids))
    return exact


def sort_key(params: ListParams, *, indexed: bool = False):
    """The list's sort column; `indexed`: as its index has it (on SQLite, the generated sort columns)."""
    if indexed and params.sort in SQLITE_SORT_COLUMNS and dialect() == "sqlite":
        return sa.literal_column(f"guarantees.{SQLITE_SORT_COLUMNS[params.sort]}", sa.Text)
    return SORTS[params.sort]


def ordered(query, params: ListParams, *, fenced: bool = False):
    """`query` in the list's order: NULLs last either way, on both databases; the id keeps pages stable.

    Plain column keys (no CASE) let an index such as (expiry_date, id) serve the order instead of a sort of
    the whole table. `fenced`: for rows the search index narrows down, the key is wrapped so that no index can
    serve it, and the database sorts those rows rather than walk an index looking for them."""
    column = sort_key(params, indexed=not fenced)
    if fenced:
        column = sa.func.coalesce(column, column)
    if params.order == "desc":
        return query.order_by(column.desc().nulls_last(), Guarantee.id.desc())
    return query.order_by(column.asc().nulls_last(), Guarantee.id.asc())
