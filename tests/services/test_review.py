"""Review decisions: one choice matches every unmatched guarantee with the name, audited, learned, dual-written."""

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee, MatchDecision, NameAlias
from guarantees.models.dictionary import Bank, Supplier
from guarantees.models.legacy import ImportedRecord
from guarantees.repositories import matching as repo
from guarantees.services import actions, review
from guarantees.services.errors import NotFound, RuleViolation, ValidationFailed

# The guarantees these tests extend expire on 2026-06-01: the register's day is fixed before that.
pytestmark = pytest.mark.usefixtures("before_expiry")


@pytest.fixture
def dictionary(app):
    rows = {
        "lana": Supplier(official_name="Lana Medical Company", display_name="Lana Medical"),
        "gulf": Supplier(official_name="Gulf Cables"),
        "riyad": Bank(official_name="Riyad Bank", official_name_en="Riyad Bank", short_code="RIBL"),
        "snb": Bank(official_name="The Saudi National Bank", short_code="SNB"),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    return {name: row.id for name, row in rows.items()}


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_a_choice_applies_to_every_unmatched_guarantee_with_that_name(make_guarantee, dictionary):
    one = make_guarantee("G1", raw_supplier_name="Lana Med. Est.", raw_bank_name="Riyad Bank")
    two = make_guarantee("G2", raw_supplier_name="LANA\u00a0MED  EST", raw_bank_name="Unknown Bank")
    other = make_guarantee("G3", raw_supplier_name="Somebody Else", raw_bank_name="Riyad Bank")
    legacy_before = count(ImportedRecord)

    changed = review.apply_choice("supplier", "Lana Med. Est.", dictionary["lana"], user="clerk")

    assert changed == 2
    db.session.expire_all()
    one, two, other = (db.session.get(Guarantee, g.id) for g in (one, two, other))
    assert (one.supplier_id, one.supplier_display_name, one.match_status) == (
        dictionary["lana"],
        "Lana Medical",
        "ready",
    )
    assert (two.supplier_id, two.match_status) == (dictionary["lana"], "needs_review")  # its bank is still unknown
    assert (other.supplier_id, other.match_status) == (None, "needs_review")
    decisions = db.session.scalars(sa.select(MatchDecision).order_by(MatchDecision.guarantee_id)).all()
    assert [(d.guarantee_id, d.entity, d.previous_id, d.chosen_id, d.decided_by) for d in decisions] == [
        (one.id, "supplier", None, dictionary["lana"], "clerk"),
        (two.id, "supplier", None, dictionary["lana"], "clerk"),
    ]
    assert [d.raw_name for d in decisions] == ["Lana Med. Est.", "LANA MED EST"]
    alias = db.session.scalar(sa.select(NameAlias))
    assert (alias.entity, alias.entity_id, alias.normalized_name, alias.created_by) == (
        "supplier",
        dictionary["lana"],
        "lana med",
        "clerk",
    )
    # Dual-write: each changed guarantee is an edit for the legacy side, carrying its new values.
    rows = db.session.scalars(
        sa.select(ImportedRecord).where(ImportedRecord.record_type == "modification").order_by(ImportedRecord.id)
    ).all()
    assert count(ImportedRecord) == legacy_before + 2
    assert [(r.migrated_guarantee_id, r.supplier_id, r.match_status) for r in rows] == [
        (one.id, dictionary["lana"], "ready"),
        (two.id, dictionary["lana"], "needs_review"),
    ]
    assert rows[0].supplier_display_name == "Lana Medical"


def test_the_bank_half_completes_a_guarantee(make_guarantee, dictionary):
    found = make_guarantee("G1", raw_supplier_name="Lana Medical", raw_bank_name="Bank Riyad KSA")
    assert found.match_status == "needs_review"
    assert review.apply_choice("bank", "bank riyad ksa", dictionary["riyad"], user="clerk") == 1
    db.session.expire_all()
    found = db.session.get(Guarantee, found.id)
    assert (found.match_status, found.bank_id, found.bank_display) == ("ready", dictionary["riyad"], "Riyad Bank")


def test_a_locked_guarantee_may_get_its_missing_supplier(make_guarantee, dictionary):
    found = make_guarantee("G1", raw_supplier_name="Lana Med. Est.", raw_bank_name="Riyad Bank")
    actions.extend(found.id, user="clerk")
    assert db.session.get(Guarantee, found.id).is_locked
    assert review.apply_choice("supplier", "Lana Med. Est.", dictionary["lana"], user="clerk") == 1
    db.session.expire_all()
    assert db.session.get(Guarantee, found.id).match_status == "ready"


def test_decisions_are_listed_for_the_timeline(app, make_guarantee, dictionary):
    found = make_guarantee("G1", raw_supplier_name="Lana Med. Est.", raw_bank_name="Bank Riyad KSA")
    review.apply_choice("supplier", "Lana Med. Est.", dictionary["lana"], user="clerk")
    review.apply_choice("bank", "Bank Riyad KSA", dictionary["riyad"], user="chief")
    entries = repo.decisions_for(db.session, found.id)
    with app.test_request_context("/"):
        texts = [(str(e["title"]), str(e["detail"])) for e in entries]
    assert [(e["kind"], e["source"], e["user"]) for e in entries] == [
        ("decision", "new", "clerk"),
        ("decision", "new", "chief"),
    ]
    assert texts == [
        ("Supplier chosen in review", "“Lana Med. Est.” is Lana Medical"),
        ("Bank chosen in review", "“Bank Riyad KSA” is Riyad Bank"),
    ]
    assert entries[0]["at"] is not None and entries[0]["at"] <= entries[1]["at"]
    assert repo.decisions_for(db.session, found.id + 1000) == []


def test_a_new_decision_for_a_learned_name_replaces_the_alias(make_guarantee, dictionary):
    make_guarantee("G1", raw_supplier_name="LMC", raw_bank_name="Riyad Bank")
    # An alias learned after this guarantee was entered (from another decision) pointed elsewhere.
    db.session.add(NameAlias(entity="supplier", entity_id=dictionary["gulf"], raw_name="LMC", normalized_name="lmc"))
    db.session.commit()
    assert review.apply_choice("supplier", "LMC", dictionary["lana"], user="chief") == 1
    alias = db.session.scalar(sa.select(NameAlias))
    assert (alias.entity_id, alias.created_by) == (dictionary["lana"], "chief")


def test_a_name_learned_under_the_earlier_normalisation_is_found_not_learned_again(make_guarantee, dictionary):
    make_guarantee("G1", raw_supplier_name="The LMC Trading & Co.", raw_bank_name="Riyad Bank")
    make_guarantee("G2", raw_supplier_name="مؤسسة لمى وشركاه", raw_bank_name="Riyad Bank")
    # Stored before normalise_name dropped a leading 'the', '& Co.' and 'وشركاه': their old keys.
    gulf = dictionary["gulf"]
    stored = [("the LMC trading & co", "the lmc trading and co"), ("لمى وشركاه", "لمي وشركاه"),
              ("LMC Trading Co", "lmc trading co")]  # fmt: skip
    for raw, old_key in stored:
        db.session.add(NameAlias(entity="supplier", entity_id=gulf, raw_name=raw, normalized_name=old_key))
    db.session.commit()
    assert review.apply_choice("supplier", "The LMC Trading & Co.", dictionary["lana"], user="chief") == 1
    assert review.apply_choice("supplier", "مؤسسة لمى وشركاه", dictionary["lana"], user="chief") == 1
    aliases = db.session.scalars(sa.select(NameAlias).order_by(NameAlias.id)).all()
    assert len(aliases) == 3  # found and re-pointed, none stored a second time
    assert {alias.entity_id for alias in aliases} == {dictionary["lana"]}
    assert [alias.normalized_name for alias in aliases] == ["lmc trading", "لمي", "lmc trading co"]
    # The matcher reads them as the same learned name: each spelling of it leads to the chosen entry.
    assert repo.matcher_for(db.session).match_one("supplier", "the lmc trading").entity_id == dictionary["lana"]
    assert repo.matcher_for(db.session).match_one("supplier", "لمى").entity_id == dictionary["lana"]


def test_nothing_left_to_match_changes_nothing(make_guarantee, dictionary):
    make_guarantee("G1", raw_supplier_name="Lana Medical", raw_bank_name="Riyad Bank")
    assert review.apply_choice("supplier", "Not In The Register", dictionary["lana"], user="clerk") == 0
    assert count(MatchDecision) == 0 and count(NameAlias) == 0


def test_bad_choices_are_refused_before_anything_is_written(make_guarantee, dictionary):
    make_guarantee("G1", raw_supplier_name="Lana Med. Est.", raw_bank_name="Riyad Bank")
    with pytest.raises(NotFound):
        review.apply_choice("supplier", "Lana Med. Est.", 9999, user="clerk")
    with pytest.raises(ValidationFailed):
        review.apply_choice("customer", "Lana Med. Est.", dictionary["lana"], user="clerk")
    with pytest.raises(ValidationFailed):
        review.apply_choice("supplier", "  ", dictionary["lana"], user="clerk")
    review.merge("supplier", dictionary["gulf"], dictionary["lana"], user="chief")
    with pytest.raises(RuleViolation, match="merged"):
        review.apply_choice("supplier", "Lana Med. Est.", dictionary["gulf"], user="clerk")
    assert count(MatchDecision) == 0
    assert db.session.scalar(sa.select(Guarantee.supplier_id)) is None


def test_without_dual_write_no_legacy_row_is_written(make_app, database, make_user):
    app = make_app(database, DUAL_WRITE=False)
    with app.app_context():
        from guarantees.services import guarantees

        db.session.add(Supplier(official_name="Lana Medical Company"))
        db.session.commit()
        supplier_id = db.session.scalar(sa.select(Supplier.id))
        guarantees.create(
            {"guarantee_number": "G1", "raw_supplier_name": "LME", "raw_bank_name": "Some Bank", "amount": "10"},
            user="clerk",
        )
        assert review.apply_choice("supplier", "LME", supplier_id, user="clerk") == 1
        assert count(ImportedRecord) == 0 and count(MatchDecision) == 1
        db.session.remove()
