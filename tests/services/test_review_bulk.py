"""The review page's reads and bulk decisions: groups counted and paged, filtered by kind and score band; a previewed
plan applied in one transaction, refused when the data moved since; an entry added and applied at once."""

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee, MatchDecision, NameAlias
from guarantees.models.dictionary import Bank, Supplier
from guarantees.models.legacy import ImportedRecord
from guarantees.repositories import review_groups as groups
from guarantees.services import review
from guarantees.services.errors import Conflict, ValidationFailed


@pytest.fixture
def dictionary(app):
    rows = {
        "lana": Supplier(official_name="Lana Medical Company", display_name="Lana Medical"),
        "gulf": Supplier(official_name="Gulf Cables and Electrical Industries"),
        "riyad": Bank(official_name="Riyad Bank", official_name_ar="بنك الرياض", short_code="RIBL"),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    return {name: row.id for name, row in rows.items()}


@pytest.fixture
def waiting(make_guarantee, dictionary):
    """Guarantees waiting for review: 3 under two spellings of one supplier name, 2 under a misspelt Gulf Cables,
    1 under an unknown supplier, and 2 under an unknown bank."""
    made = [
        make_guarantee("W1", raw_supplier_name="Lana Med. Est.", raw_bank_name="Riyad Bank"),
        make_guarantee("W2", raw_supplier_name="LANA MED", raw_bank_name="Riyad Bank"),
        make_guarantee("W3", raw_supplier_name="LANA MED", raw_bank_name="Bank of Nowhere"),
        make_guarantee("W4", raw_supplier_name="Gulf Cable and Electric Ind", raw_bank_name="Riyad Bank"),
        make_guarantee("W5", raw_supplier_name="Gulf Cable and Electric Ind", raw_bank_name="Riyad Bank"),
        make_guarantee("W6", raw_supplier_name="Zeta Unknown Works", raw_bank_name="Bank of Nowhere"),
    ]
    return {g.guarantee_number: g.id for g in made}


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_groups_are_counted_largest_first_across_both_kinds(waiting):
    page = groups.group_page()
    assert [(g.entity, g.raw_name, g.count) for g in page.groups] == [
        ("supplier", "LANA MED", 3),
        ("bank", "Bank of Nowhere", 2),
        ("supplier", "Gulf Cable and Electric Ind", 2),
        ("supplier", "Zeta Unknown Works", 1),
    ]
    assert page.groups[0].spellings == ["LANA MED", "Lana Med. Est."]
    assert (page.names, page.guarantees, page.total, page.pages) == (
        {"supplier": 3, "bank": 1},
        {"supplier": 6, "bank": 2},
        4,
        1,
    )
    assert page.groups[0].proposal.label == "Lana Medical"


def test_kind_and_score_band_filter_the_groups(waiting):
    assert [g.raw_name for g in groups.group_page(kind="bank").groups] == ["Bank of Nowhere"]
    suppliers = groups.group_page(kind="supplier").groups
    bands = {g.raw_name: g.band for g in suppliers}
    assert bands["Zeta Unknown Works"] == "none" and bands["LANA MED"] != "none"
    for band in groups.BANDS:
        shown = groups.group_page(kind="supplier", band=band)
        assert {g.raw_name for g in shown.groups} == {name for name, b in bands.items() if b == band}
        assert shown.total == len(shown.groups)
        assert all(groups.band_of(g.proposal.score if g.proposal else None) == band for g in shown.groups)
    assert groups.band_of(95) == "high" and groups.band_of(94.9) == "mid" and groups.band_of(80) == "mid"
    assert groups.band_of(79.9) == "low" and groups.band_of(None) == "none"


def test_pages_hold_25_groups_and_an_out_of_range_page_shows_the_last(app, make_guarantee, dictionary, count_queries):
    for i in range(30):
        for j in range(1 + i % 3):
            make_guarantee(f"P{i}-{j}", raw_supplier_name=f"Unknown Supplier Number {i:02d}")
    first = groups.group_page(kind="supplier")
    assert (len(first.groups), first.total, first.pages) == (25, 30, 2)
    assert [g.count for g in first.groups] == sorted((g.count for g in first.groups), reverse=True)
    last = groups.group_page(kind="supplier", page=99)
    assert (last.page, len(last.groups)) == (2, 5)
    assert {g.key for g in first.groups}.isdisjoint(g.key for g in last.groups)
    # Counted in the database: one grouped query per kind, not one per guarantee or per group.
    db.session.expire_all()
    with count_queries() as seen:
        groups.group_page(kind="supplier", page=2)
    assert seen["n"] <= 6


def test_a_plan_applies_in_one_transaction_and_teaches_each_name(waiting, dictionary):
    chosen, left_out = groups.proposals(groups.group_page(kind="supplier").groups)
    assert [g.raw_name for g in left_out] == ["Zeta Unknown Works"]
    plan = groups.plan(chosen)
    assert [(d.raw_name, d.chosen_id, d.count) for d in plan.decisions] == [
        ("LANA MED", dictionary["lana"], 3),
        ("Gulf Cable and Electric Ind", dictionary["gulf"], 2),
    ]
    legacy_before = count(ImportedRecord)

    done = review.apply_plan(chosen, user="clerk", expected=plan.fingerprint)

    assert done.count == 5
    db.session.expire_all()
    numbers = dict(db.session.execute(sa.select(Guarantee.guarantee_number, Guarantee.supplier_id)).all())
    assert numbers == {
        "W1": dictionary["lana"],
        "W2": dictionary["lana"],
        "W3": dictionary["lana"],
        "W4": dictionary["gulf"],
        "W5": dictionary["gulf"],
        "W6": None,
    }
    # Exactly what a single decision writes: a decision per guarantee, an alias per name, a legacy edit each.
    assert count(MatchDecision, MatchDecision.decided_by == "clerk") == 5
    assert set(db.session.scalars(sa.select(NameAlias.normalized_name))) == {
        "lana med",
        "gulf cable and electric ind",
    }
    assert count(ImportedRecord) == legacy_before + 5
    assert db.session.get(Guarantee, waiting["W3"]).match_status == "needs_review"  # its bank still waits
    assert [g.raw_name for g in groups.group_page(kind="supplier").groups] == ["Zeta Unknown Works"]


def test_a_plan_that_no_longer_matches_the_data_is_refused_and_changes_nothing(waiting, dictionary):
    chosen, _ = groups.proposals(groups.group_page(kind="supplier").groups)
    plan = groups.plan(chosen)
    # Meanwhile, in another tab, someone decides one of the previewed names.
    review.apply_choice("supplier", "Lana Med. Est.", dictionary["gulf"], user="other")
    decisions = count(MatchDecision)
    with pytest.raises(Conflict, match="changed since this preview"):
        review.apply_plan(chosen, user="clerk", expected=plan.fingerprint)
    assert count(MatchDecision) == decisions
    assert db.session.get(Guarantee, waiting["W4"]).supplier_id is None
    # A new guarantee under a previewed name also changes what the plan would do.
    fresh = groups.plan(chosen)
    assert fresh.fingerprint != plan.fingerprint and [d.count for d in fresh.decisions] == [2]
    with pytest.raises(ValidationFailed):
        review.apply_plan([], user="clerk", expected=fresh.fingerprint)


def test_a_threshold_takes_only_untied_proposals_at_or_above_it(waiting, dictionary):
    everything = groups.all_groups()
    high, _ = groups.proposals(everything, 95)
    assert all(
        g.proposal.score >= 95 for g in everything if (g.entity, g.raw_name, g.proposal and g.proposal.id) in high
    )
    assert ("supplier", "Zeta Unknown Works") not in {(e, n) for e, n, _ in high}
    loose, _ = groups.proposals(everything, 80)
    assert set(high) <= set(loose)


def test_an_entry_added_from_the_review_is_applied_to_its_name_at_once(waiting):
    entry, changed = review.add_entry_and_apply(
        "bank", "Bank of Nowhere", {"official_name": "Bank of Nowhere", "short_code": "bon"}, user="clerk"
    )
    assert changed == 2 and entry.short_code == "BON"
    db.session.expire_all()
    assert {
        g.bank_id for g in db.session.scalars(sa.select(Guarantee).where(Guarantee.raw_bank_name == "Bank of Nowhere"))
    } == {entry.id}
    assert count(NameAlias, NameAlias.entity == "bank") == 1
    # The dictionary's own checks hold: a second entry of that name is refused, nothing written.
    banks = count(Bank)
    with pytest.raises(ValidationFailed, match="has this name already"):
        review.add_entry_and_apply("bank", "Bank of Nowhere", {"official_name": "bank of nowhere"}, user="clerk")
    assert count(Bank) == banks
