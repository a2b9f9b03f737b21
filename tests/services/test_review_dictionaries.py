"""Dictionary upkeep: merging duplicates (locked guarantees included), editing entries, forgetting aliases."""

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import DictionaryMerge, Guarantee, NameAlias
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
        "lana2": Supplier(official_name="LANA MEDICAL CO. (DUPLICATE)"),
        "gulf": Supplier(official_name="Gulf Cables"),
        "riyad": Bank(official_name="Riyad Bank", short_code="RIBL"),
        "riyad2": Bank(official_name="Riyadh Bank KSA", short_code="RB"),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    return {name: row.id for name, row in rows.items()}


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_merge_repoints_guarantees_including_a_locked_one(make_guarantee, dictionary):
    free = make_guarantee("G1", raw_supplier_name="LANA MEDICAL CO. (DUPLICATE)", raw_bank_name="Riyad Bank")
    locked = make_guarantee("G2", raw_supplier_name="LANA MEDICAL CO. (DUPLICATE)", raw_bank_name="Riyad Bank")
    kept = make_guarantee("G3", raw_supplier_name="Gulf Cables", raw_bank_name="Riyad Bank")
    assert free.supplier_id == locked.supplier_id == dictionary["lana2"]
    actions.extend(locked.id, user="clerk")
    db.session.add(
        NameAlias(entity="supplier", entity_id=dictionary["lana2"], raw_name="LMC Dup", normalized_name="lmc dup")
    )
    db.session.commit()
    legacy_before = count(ImportedRecord)

    assert review.merge("supplier", dictionary["lana2"], dictionary["lana"], user="chief") == 2

    db.session.expire_all()
    merge = db.session.scalar(sa.select(DictionaryMerge))
    assert (merge.entity, merge.from_id, merge.into_id, merge.merged_by) == (
        "supplier",
        dictionary["lana2"],
        dictionary["lana"],
        "chief",
    )
    for guarantee_id in (free.id, locked.id):
        found = db.session.get(Guarantee, guarantee_id)
        assert (found.supplier_id, found.supplier_display_name) == (dictionary["lana"], "Lana Medical")
    assert db.session.get(Guarantee, locked.id).is_locked
    assert db.session.get(Guarantee, kept.id).supplier_id == dictionary["gulf"]
    # Both re-pointed guarantees are edits for the legacy side; the merged entry stays for legacy rows.
    assert count(ImportedRecord) == legacy_before + 2
    assert db.session.get(Supplier, dictionary["lana2"]) is not None
    # Aliases follow, and the merged entry's own name now leads to the kept one.
    aliases = dict(db.session.execute(sa.select(NameAlias.normalized_name, NameAlias.entity_id)).all())
    assert aliases["lmc dup"] == dictionary["lana"]
    matcher = repo.matcher_for(db.session)
    assert matcher.match("LANA MEDICAL CO. (DUPLICATE)", "RIBL").supplier_id == dictionary["lana"]
    # Hidden from pickers and the matcher's candidates.
    assert dictionary["lana2"] not in {c.id for c in repo.search("supplier", "lana")}
    assert dictionary["lana2"] not in {e.id for e in matcher.entries["supplier"]}
    assert [row.entry.id for row in repo.dictionary_page("supplier").items].count(dictionary["lana2"]) == 0
    shown = repo.dictionary_page("supplier", show_merged=True).items
    assert {row.entry.id: row.merged_into for row in shown}[dictionary["lana2"]] == dictionary["lana"]


def test_a_locked_guarantee_cannot_be_repointed_without_a_merge_row(make_guarantee, dictionary):
    locked = make_guarantee("G1", raw_supplier_name="Gulf Cables", raw_bank_name="Riyad Bank")
    assert (locked.supplier_id, locked.bank_id) == (dictionary["gulf"], dictionary["riyad"])
    actions.extend(locked.id, user="clerk")
    for column, value in (("supplier_id", dictionary["lana"]), ("bank_id", dictionary["riyad2"])):
        with pytest.raises(sa.exc.IntegrityError, match="locked"):
            db.session.execute(
                sa.text(f"UPDATE guarantees SET {column} = :v WHERE id = :id"), {"v": value, "id": locked.id}
            )
        db.session.rollback()
    assert db.session.get(Guarantee, locked.id).supplier_id == dictionary["gulf"]


def test_a_bank_merge_repoints_the_bank(make_guarantee, dictionary):
    found = make_guarantee("G1", raw_supplier_name="Lana Medical", raw_bank_name="Riyadh Bank KSA")
    actions.extend(found.id, user="clerk")
    assert review.merge("bank", dictionary["riyad2"], dictionary["riyad"], user="chief") == 1
    db.session.expire_all()
    found = db.session.get(Guarantee, found.id)
    assert (found.bank_id, found.bank_display) == (dictionary["riyad"], "Riyad Bank")
    assert repo.matcher_for(db.session).match("Lana Medical", "RB").bank_id == dictionary["riyad"]  # its code too


def test_merges_that_make_no_sense_are_refused(dictionary):
    with pytest.raises(ValidationFailed):
        review.merge("supplier", dictionary["lana"], dictionary["lana"], user="chief")
    with pytest.raises(NotFound):
        review.merge("supplier", dictionary["lana"], 9999, user="chief")
    review.merge("supplier", dictionary["lana2"], dictionary["lana"], user="chief")
    with pytest.raises(RuleViolation, match="merged"):
        review.merge("supplier", dictionary["lana2"], dictionary["gulf"], user="chief")
    with pytest.raises(RuleViolation, match="merged"):
        review.merge("supplier", dictionary["gulf"], dictionary["lana2"], user="chief")
    assert count(DictionaryMerge) == 1


def test_save_bank_with_arabic_names_and_its_letter_address(dictionary):
    bank = review.save_bank(
        None,
        {
            "official_name": "مصرف الراجحي",
            "official_name_en": "Al Rajhi Bank",
            "official_name_ar": "مصرف الراجحي",
            "short_code": " rjhi ",
            "department": "إدارة الضمانات",
            "address_line_1": "ص.ب 28",
            "address_line_2": "الرياض 11411",
            "contact_email": "guarantees@alrajhi.example",
        },
        user="chief",
    )
    stored = db.session.get(Bank, bank.id)
    assert (stored.official_name_ar, stored.short_code, stored.label) == ("مصرف الراجحي", "RJHI", "Al Rajhi Bank")
    assert stored.updated_at and stored.normalized_key
    assert repo.matcher_for(db.session).match("Lana Medical", "مصرف الراجحى").bank_id == bank.id
    edited = review.save_bank(bank.id, {"official_name": "مصرف الراجحي", "short_code": "RJHI"}, user="chief")
    assert edited.contact_email is None and edited.official_name_en is None


def test_save_refuses_duplicates_bad_emails_and_missing_names(dictionary):
    with pytest.raises(ValidationFailed, match="official name"):
        review.save_supplier(None, {"official_name": "  "}, user="chief")
    with pytest.raises(ValidationFailed, match="Supplier #"):
        review.save_supplier(None, {"official_name": "lana medical co"}, user="chief")
    with pytest.raises(ValidationFailed, match="short code"):
        review.save_bank(None, {"official_name": "New Bank", "short_code": "ribl"}, user="chief")
    with pytest.raises(ValidationFailed, match="e-mail"):
        review.save_bank(None, {"official_name": "New Bank", "contact_email": "not-an-address"}, user="chief")
    # An entry may keep its own name when edited.
    review.save_supplier(dictionary["lana"], {"official_name": "Lana Medical Company", "display_name": "LMC"}, user="x")
    assert db.session.get(Supplier, dictionary["lana"]).display_name == "LMC"
    assert count(Supplier) == 3 and count(Bank) == 2


def test_deleting_an_alias_unteaches_it(make_guarantee, dictionary):
    make_guarantee("G1", raw_supplier_name="LMC", raw_bank_name="Riyad Bank")
    review.apply_choice("supplier", "LMC", dictionary["lana"], user="clerk")
    assert make_guarantee("G2", raw_supplier_name="LMC", raw_bank_name="Riyad Bank").match_status == "ready"
    alias = db.session.scalar(sa.select(NameAlias))
    review.delete_alias(alias.id, user="chief")
    assert make_guarantee("G3", raw_supplier_name="LMC", raw_bank_name="Riyad Bank").match_status == "needs_review"
    with pytest.raises(NotFound):
        review.delete_alias(alias.id, user="chief")
