"""Matching reads: the matcher wired into the register (entry, edits, imports, thresholds, learned aliases, the
cache), the review queue, and ids no row can have."""

import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from guarantees.extensions import db
from guarantees.models import Guarantee
from guarantees.models.dictionary import Bank, Supplier
from guarantees.repositories import matching as repo
from guarantees.repositories.matching import matcher_for
from guarantees.services import guarantees, review


@pytest.fixture
def dictionary(app):
    """Suppliers and banks as a legacy load leaves them; their ids by short name."""
    rows = {
        "lana": Supplier(official_name="Lana Medical Company", display_name="Lana Medical"),
        "noor": Supplier(official_name="Al Noor Trading Est"),
        "nour": Supplier(official_name="Al Nour Trading Co"),
        "almarai": Supplier(official_name="شركة المراعي", display_name="Almarai"),
        "riyad": Bank(official_name="Riyad Bank", official_name_ar="بنك الرياض", short_code="RIBL"),
        "snb": Bank(official_name="The Saudi National Bank", official_name_ar="البنك الأهلي السعودي", short_code="SNB"),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    return {name: row.id for name, row in rows.items()}


def entry(make_guarantee, supplier, bank, **fields):
    return make_guarantee(raw_supplier_name=supplier, raw_bank_name=bank, **fields)


def test_exact_dictionary_names_make_a_ready_guarantee(make_guarantee, dictionary):
    found = entry(make_guarantee, "  LANA MEDICAL CO. ", "بنك الرياض")
    assert found.match_status == "ready"
    assert (found.supplier_id, found.bank_id) == (dictionary["lana"], dictionary["riyad"])
    assert (found.supplier_display_name, found.bank_display) == ("Lana Medical", "Riyad Bank")


def test_a_bank_short_code_is_enough(make_guarantee, dictionary):
    found = entry(make_guarantee, "شركه المراعى", "snb")
    assert (found.match_status, found.supplier_id, found.bank_id) == ("ready", dictionary["almarai"], dictionary["snb"])


def test_a_typo_within_the_threshold_is_ready(make_guarantee, dictionary):
    found = entry(make_guarantee, "Lana Medicall Company", "Riyadh Bank")
    assert (found.match_status, found.supplier_id, found.bank_id) == ("ready", dictionary["lana"], dictionary["riyad"])


def test_an_ambiguous_name_needs_review_and_keeps_its_candidates(app, make_guarantee, dictionary):
    found = entry(make_guarantee, "Al Nor Trading", "Riyad Bank")
    assert (found.match_status, found.supplier_id, found.supplier_display_name) == ("needs_review", None, None)
    assert found.bank_id == dictionary["riyad"]  # the bank half is kept: only the supplier goes to review
    match = matcher_for(db.session).match("Al Nor Trading", "Riyad Bank")
    assert {c.id for c in match.supplier_candidates[:2]} == {dictionary["noor"], dictionary["nour"]}
    assert match.as_fields()["match_status"] == "needs_review"


def test_an_unknown_bank_keeps_the_guarantee_in_review(make_guarantee, dictionary):
    found = entry(make_guarantee, "Lana Medical Company", "Bank of Nowhere")
    assert (found.match_status, found.supplier_id, found.bank_id) == ("needs_review", dictionary["lana"], None)


def test_thresholds_come_from_the_settings(app, make_guarantee, dictionary):
    app.config["MATCH_MIN_SCORE"] = 99
    strict = entry(make_guarantee, "Lana Medicall Company", "Riyad Bank")
    assert (strict.match_status, strict.supplier_id) == ("needs_review", None)
    app.config["MATCH_MIN_SCORE"] = None  # unset: the default applies again
    default = entry(make_guarantee, "Lana Medicall Company", "Riyad Bank")
    assert (default.match_status, default.supplier_id) == ("ready", dictionary["lana"])
    app.config["MATCH_MIN_MARGIN"] = 100  # no fuzzy match can lead by that much
    assert entry(make_guarantee, "Lana Medicall Company", "Riyad Bank").match_status == "needs_review"


def test_editing_a_raw_name_matches_again(make_guarantee, dictionary):
    found = entry(make_guarantee, "Somebody Else", "Riyad Bank")
    assert found.match_status == "needs_review"
    edited = guarantees.update(
        found.id, {"raw_supplier_name": "Lana Medical"}, expected_version=found.version, user="clerk"
    )
    assert (edited.match_status, edited.supplier_id) == ("ready", dictionary["lana"])


def test_the_matcher_is_built_once_until_a_dictionary_changes(app, dictionary):
    first = matcher_for(db.session)
    assert matcher_for(db.session) is first
    # A change made behind the services' back (another process, a legacy load) is seen at once.
    db.session.add(Supplier(official_name="Gulf Cables and Electrical Industries"))
    db.session.commit()
    second = matcher_for(db.session)
    assert second is not first
    assert second.match("Gulf Cables & Electrical Industries", "SNB").match_status == "ready"
    # So is a renamed entry (its updated_at moves), and a rename through the admin service.
    db.session.execute(
        sa.update(Supplier)
        .where(Supplier.id == dictionary["noor"])
        .values(official_name="Noor Al Huda Contracting", updated_at="2099-01-01 00:00:00")
    )
    db.session.commit()
    assert matcher_for(db.session).match("Noor Al Huda Contracting", "SNB").supplier_id == dictionary["noor"]
    review.save_supplier(dictionary["nour"], {"official_name": "Nour Medical Supplies"}, user="chief")
    assert matcher_for(db.session).match("Nour Medical Supplies", "SNB").supplier_id == dictionary["nour"]


def test_a_new_supplier_is_matched_by_the_next_entry(make_guarantee, dictionary):
    assert entry(make_guarantee, "Gulf Cables", "SNB").match_status == "needs_review"
    review.save_supplier(None, {"official_name": "Gulf Cables"}, user="chief")
    assert entry(make_guarantee, "Gulf Cables", "SNB").match_status == "ready"


def test_a_review_decision_teaches_the_next_entry(make_guarantee, dictionary):
    first = entry(make_guarantee, "Lana Med. Est.", "Riyad Bank")
    assert first.match_status == "needs_review"
    assert review.apply_choice("supplier", "Lana Med. Est.", dictionary["lana"], user="clerk") == 1
    second = entry(make_guarantee, "LANA MED EST", "Riyad Bank")
    assert (second.match_status, second.supplier_id) == ("ready", dictionary["lana"])
    assert second.supplier_display_name == "Lana Medical"


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_alias_learning_across_two_imports(app, dictionary):
    service = pytest.importorskip("guarantees.services.imports")
    header = ["Guarantee Number", "Supplier", "Bank", "Amount", "Expiry Date"]
    first = _xlsx([header, ["IMP-1", "Lana Med. Est.", "Riyad Bank", 1000, "2026-06-01"]])
    service.commit(first, "first.xlsx", user="clerk")
    imported = db.session.scalar(sa.select(Guarantee).where(Guarantee.guarantee_number == "IMP-1"))
    assert (imported.match_status, imported.supplier_id) == ("needs_review", None)

    assert review.apply_choice("supplier", "Lana Med. Est.", dictionary["lana"], user="clerk") == 1

    second = _xlsx([header, ["IMP-2", "lana med est", "RIBL", 2000, "2026-07-01"]])
    result = service.commit(second, "second.xlsx", user="clerk")
    assert result.batch_id
    again = db.session.scalar(sa.select(Guarantee).where(Guarantee.guarantee_number == "IMP-2"))
    assert (again.match_status, again.supplier_id, again.bank_id) == ("ready", dictionary["lana"], dictionary["riyad"])


def test_the_queue_groups_unmatched_names_with_candidates(app, make_guarantee, dictionary):
    make_guarantee("G1", raw_supplier_name="Lana Med Co", raw_bank_name="Bank X")
    make_guarantee("G2", raw_supplier_name="LANA MED.", raw_bank_name="Bank X")
    make_guarantee("G3", raw_supplier_name="Zeta Works", raw_bank_name="Riyad Bank")
    make_guarantee("G4", raw_supplier_name="Lana Medical", raw_bank_name="Riyad Bank")  # ready: not queued
    queue = repo.review_queue()
    assert [(g.raw_name, g.count) for g in queue.supplier] == [("LANA MED.", 2), ("Zeta Works", 1)]
    assert sorted(queue.supplier[0].spellings) == ["LANA MED.", "Lana Med Co"]
    assert queue.supplier[0].candidates[0].id == dictionary["lana"]
    assert [(g.raw_name, g.count) for g in queue.bank] == [("Bank X", 2)]
    assert queue.totals == {"supplier": 2, "bank": 1}
    assert queue.rows == {"supplier": 3, "bank": 2} and queue.nameless == {"supplier": 0, "bank": 0}


def test_a_group_is_found_again_by_any_spelling_of_its_name(make_guarantee, dictionary):
    make_guarantee("G1", raw_supplier_name="Lana Med Co", raw_bank_name="Riyad Bank")
    group = repo.review_group("supplier", "LANA  MED. CO")
    assert group is not None and group.count == 1 and group.candidates[0].id == dictionary["lana"]
    assert repo.review_group("supplier", "   ") is None
    assert repo.review_group("supplier", "Nobody Waits Under This Name") is None


@pytest.mark.parametrize("entity_id", [0, -1, 2**31, 10**30])
def test_ids_no_row_can_have_find_nothing(app, dictionary, entity_id):
    assert repo.get_entry("supplier", entity_id) is None
    assert repo.dictionary_row("bank", entity_id) is None
    assert repo.get_alias(entity_id) is None
    assert repo.label("supplier", entity_id) is None
