"""The search planner: which path a search takes to its page, and that each gives the plain scan's page."""

import pytest

from guarantees.repositories import list_query, search
from guarantees.repositories.list_query import ListParams


@pytest.fixture
def wide(make_guarantee):
    """Seven guarantees of one supplier (a broad search), two of another, expiries in the order of the numbers."""
    for n in range(7):
        make_guarantee(f"W-{n}", raw_supplier_name="Wide Supplier", expiry_date=f"2027-0{n + 1}-01")
    for n in range(2):
        make_guarantee(f"N-{n}", raw_supplier_name="Narrow Trading", expiry_date=f"2028-0{n + 1}-01")


@pytest.fixture
def taken(monkeypatch):
    """The paths the planner took (small limits, so that seven matches are a broad search)."""
    seen = []
    monkeypatch.setattr(search, "PER_PAGE", 2)
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    monkeypatch.setattr(search, "SORT_MAX", 3)
    for name in ("_page", "_page_past_cap", "_page_of", "_walk", "_sorted_matches"):
        original = getattr(search, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            seen.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(search, name, spy)
    return seen


def numbers(page) -> list[str]:
    return [g.guarantee_number for g in page.items]


def test_no_term_counts_to_the_cap_and_reads_the_page_in_order(wide, taken):
    page = search.search(ListParams(sort="number"))
    assert page.more and page.total == 3 and numbers(page) == ["N-0", "N-1"]
    assert "_page_past_cap" in taken and "_page_of" not in taken


def test_a_short_term_cannot_use_the_index(wide, taken):
    assert list_query.candidates(ListParams(q="wi")) is None
    page = search.search(ListParams(q="N-"))  # "N-" is shorter than a trigram
    assert "_page" in taken and page.total == 2 and numbers(page) == ["N-0", "N-1"]


def test_a_narrow_term_is_paged_from_the_collected_ids(wide, taken):
    page = search.search(ListParams(q="narrow"))
    assert taken == ["_page_of"] and page.total == 2 and not page.more


def test_a_broad_term_walks_the_order_when_the_matches_are_dense(wide, taken, monkeypatch):
    monkeypatch.setattr(search, "WALK_MAX", 10**6)
    page = search.search(ListParams(q="wide"))
    assert taken == ["_walk"] and page.more and numbers(page) == ["W-0", "W-1"] and page.has_following


def test_a_broad_term_sorts_its_matches_when_a_walk_cannot_serve(wide, taken, monkeypatch):
    monkeypatch.setattr(search, "WALK_MAX", 0)  # no budget: the walk gives up at once
    page = search.search(ListParams(q="wide", sort="expiry", order="desc", page=2))
    assert taken == ["_walk", "_sorted_matches"] and numbers(page) == ["W-4", "W-3"]


def test_an_order_without_an_index_is_never_walked(wide, taken, monkeypatch):
    monkeypatch.setattr(search, "WALK_MAX", 10**6)
    page = search.search(ListParams(q="wide", sort="created"))
    assert taken == ["_walk", "_sorted_matches"] and len(page.items) == 2


@pytest.mark.parametrize("page_number", [1, 2, 3, 4])
def test_every_path_gives_the_same_pages(wide, monkeypatch, page_number):
    monkeypatch.setattr(search, "PER_PAGE", 2)
    plain = numbers(search.search(ListParams(q="wide", page=page_number)))
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    monkeypatch.setattr(search, "SORT_MAX", 3)
    for walk_max in (0, 10**6):
        monkeypatch.setattr(search, "WALK_MAX", walk_max)
        assert numbers(search.search(ListParams(q="wide", page=page_number))) == plain


def test_an_out_of_range_page_of_a_counted_result_shows_the_last(wide):
    page = search.search(ListParams(q="narrow", page=10**6))
    assert page.page == 1 and numbers(page) == ["N-0", "N-1"]


def test_export_is_every_match_or_the_selection_in_the_lists_order(wide, app):
    everything = search.for_export(ListParams(q="wide", sort="number", order="desc"))
    assert [g.guarantee_number for g in everything] == [f"W-{n}" for n in range(6, -1, -1)]
    ids = tuple(g.id for g in everything[:2])
    assert [g.guarantee_number for g in search.for_export(ListParams(ids=ids))] == ["W-5", "W-6"]
