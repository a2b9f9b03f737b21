"""Dictionary files in and out: preview, one transaction, blank never erases, round trips, matching again."""

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee, NameAlias
from guarantees.models.dictionary import Bank, BankDetail, Supplier
from guarantees.models.legacy import ImportedRecord
from guarantees.services import dictionary_import as service
from guarantees.services.dictionary_import import BadFile, NothingToImport
from tests.conftest import build_xlsx

BANK_HEADERS_EN = ["Bank name (Arabic)", "Bank name (English)", "Short code", "Aliases", "Department",
                   "Address line 1", "Address line 2", "E-mail", "SWIFT"]  # fmt: skip
BANK_HEADERS_AR = ["الاسم بالعربية", "الاسم بالإنجليزية", "الرمز", "الأسماء البديلة", "الإدارة", "العنوان 1",
                   "العنوان 2", "البريد الإلكتروني", "سويفت"]  # fmt: skip
BANKS = [
    ["بنك الرياض", "Riyad Bank", "RIBL", "RB; بنك رياض", "مركز تمويل التجارة", "ص.ب. 22622، الرياض 11416", "",
     "tf@riyad.example", "RIBLSARI"],
    ["البنك العربي الوطني", "Arab National Bank", "ANB", "", "مركز عمليات التجارة", "ص.ب. 56921، الرياض 11564",
     "المملكة العربية السعودية", "", ""],
]  # fmt: skip
SUPPLIERS = [
    ["Official name", "Short name", "Aliases"],
    ["Lana Medical Company", "Lana Medical", "LMC; لانا الطبية"],
    ["Gulf Cables", "", ""],
]


def csv_bytes(rows, encoding="utf-8-sig"):
    return "\n".join(",".join(f'"{cell}"' if "," in cell else cell for cell in row) for row in rows).encode(encoding)


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def bank(name_en):
    return db.session.scalar(sa.select(Bank).where(Bank.official_name_en == name_en))


@pytest.mark.parametrize("headers", [BANK_HEADERS_EN, BANK_HEADERS_AR], ids=["english", "arabic"])
def test_banks_are_added_with_their_letter_address_swift_and_aliases(app, headers):
    result = service.apply("bank", build_xlsx([headers, *BANKS]), "banks.xlsx", user="chief")

    assert result.preview.counts == {"new": 2, "update": 0, "unchanged": 0, "error": 0}
    riyad = bank("Riyad Bank")
    assert (riyad.official_name, riyad.official_name_ar, riyad.short_code) == ("بنك الرياض", "بنك الرياض", "RIBL")
    assert (riyad.department, riyad.address_line_1, riyad.contact_email) == (
        "مركز تمويل التجارة",
        "ص.ب. 22622، الرياض 11416",
        "tf@riyad.example",
    )
    assert riyad.normalized_key and riyad.created_at and riyad.is_confirmed == 1  # the legacy bookkeeping
    assert db.session.get(BankDetail, riyad.id).swift_bic == "RIBLSARI"
    assert db.session.get(BankDetail, bank("Arab National Bank").id) is None
    aliases = db.session.scalars(sa.select(NameAlias.raw_name).where(NameAlias.entity_id == riyad.id)).all()
    assert sorted(aliases) == ["RB", "بنك رياض"]
    assert db.session.scalar(sa.select(NameAlias.created_by).limit(1)) == "chief"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_changes_nothing_for_both_dictionaries(app, fmt):
    service.apply("bank", csv_bytes([BANK_HEADERS_AR, *BANKS], "cp1256"), "banks.csv", user="chief")
    service.apply("supplier", build_xlsx(SUPPLIERS), "suppliers.xlsx", user="chief")
    db.session.add(Supplier(official_name='=HYPERLINK("http://x")'))  # formula-looking text stays text
    db.session.commit()
    for entity in ("bank", "supplier"):
        exported = service.export(entity, fmt)
        preview = service.evaluate(entity, exported, f"export.{fmt}")
        total = 2 if entity == "bank" else 3
        assert preview.counts == {"new": 0, "update": 0, "unchanged": total, "error": 0}, [
            row.as_json() for row in preview.rows
        ]
    text = service.export("supplier", "csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in text


def test_preview_says_new_update_unchanged_and_error_with_reasons(app):
    service.apply("bank", build_xlsx([BANK_HEADERS_EN, *BANKS]), "banks.xlsx", user="chief")
    db.session.add(Bank(official_name="Riyad Bank KSA", official_name_en="Riyadh Bank KSA", short_code="RBK"))
    db.session.add(Bank(official_name="Riyadh Bank KSA (copy)", official_name_en="RIYADH BANK KSA"))
    db.session.commit()
    rows = [
        ["Bank name", "Department", "SWIFT", "E-mail", "Aliases"],
        ["Riyad Bank", "إدارة الضمانات", "", "", "RB"],  # 2 update: department; RB already its alias
        ["Arab National Bank", "", "", "", ""],  # 3 unchanged
        ["Bank AlJazira", "", "bjazsaje", "", ""],  # 4 new
        ["Alinma Bank", "", "INMA", "", ""],  # 5 error: SWIFT
        ["Bank Albilad", "", "", "no-at-sign", ""],  # 6 error: e-mail
        ["BANK ALJAZIRA", "", "", "", ""],  # 7 error: same as row 4
        ["Riyadh Bank KSA", "", "", "", ""],  # 8 error: two entries
        ["Saudi Fransi", "", "", "", "ANB"],  # 9 error: the alias names Arab National Bank
    ]
    preview = service.evaluate("bank", build_xlsx(rows), "check.xlsx")

    outcomes = {row.row_number: row.outcome for row in preview.rows}
    assert outcomes == {2: "update", 3: "unchanged", 4: "new", 5: "error", 6: "error", 7: "error", 8: "error",
                        9: "error"}  # fmt: skip
    update = preview.rows[0]
    assert [(c.column, c.old, c.new) for c in update.changes] == [
        ("department", "مركز تمويل التجارة", "إدارة الضمانات")
    ]
    reasons = {row.row_number: row.reason for row in preview.errors}
    assert "is not a SWIFT/BIC code" in reasons[5]
    assert "is not an e-mail address" in reasons[6]
    assert "The same name as row 4 of the file." in reasons[7]
    assert "This row names 2 entries" in reasons[8] and "merge them first" in reasons[8]
    assert "The alias “ANB” already names" in reasons[9]
    assert preview.as_json()["counts"] == {"new": 1, "update": 1, "unchanged": 1, "error": 5}
    assert count(Bank) == 4  # the preview wrote nothing


def test_valid_rows_are_applied_in_one_transaction_and_error_rows_left_out(app):
    before = count(Bank)
    rows = [["Bank name", "SWIFT"], ["Bank AlJazira", "BJAZSAJE"], ["Alinma Bank", "bad"], ["Bank Albilad", ""]]
    result = service.apply("bank", build_xlsx(rows), "b.xlsx", user="chief")
    assert result.preview.counts == {"new": 2, "update": 0, "unchanged": 0, "error": 1}
    assert count(Bank) == before + 2
    assert bank("Alinma Bank") is None


def test_a_file_without_a_valid_row_is_refused_and_nothing_is_written(app):
    with pytest.raises(NothingToImport):
        service.apply("bank", build_xlsx([["Bank name", "SWIFT"], ["Alinma Bank", "bad"]]), "b.xlsx", user="u")
    with pytest.raises(NothingToImport):
        service.apply("bank", build_xlsx([["Bank name", "SWIFT"]]), "b.xlsx", user="u")
    with pytest.raises(BadFile):
        service.apply("bank", b"Amount\n1\n", "b.csv", user="u")
    assert count(Bank) == 0 and count(ImportedRecord) == 0


def test_a_blank_cell_never_erases_and_aliases_are_only_added(app):
    service.apply("bank", build_xlsx([BANK_HEADERS_EN, *BANKS]), "banks.xlsx", user="chief")
    rows = [["Bank name (English)", "Department", "E-mail", "SWIFT", "Aliases", "Address line 2"],
            ["Riyad Bank", "", "", "", "Riyad", "الرياض"]]  # fmt: skip
    result = service.apply("bank", build_xlsx(rows), "partial.xlsx", user="chief")

    assert result.preview.counts["update"] == 1
    db.session.expire_all()
    riyad = bank("Riyad Bank")
    assert (riyad.department, riyad.contact_email, riyad.address_line_2) == (
        "مركز تمويل التجارة",
        "tf@riyad.example",
        "الرياض",
    )
    assert db.session.get(BankDetail, riyad.id).swift_bic == "RIBLSARI"
    aliases = db.session.scalars(sa.select(NameAlias.raw_name).where(NameAlias.entity_id == riyad.id)).all()
    assert sorted(aliases) == ["RB", "Riyad", "بنك رياض"]


def test_supplier_names_in_two_languages_make_one_entry_and_an_alias(app):
    rows = [["اسم المورد بالعربي", "Supplier name (English)"], ["شركة لانا الطبية", "Lana Medical Company"]]
    service.apply("supplier", build_xlsx(rows), "s.xlsx", user="chief")
    supplier = db.session.scalar(sa.select(Supplier))
    assert supplier.official_name == "شركة لانا الطبية"
    assert db.session.scalars(sa.select(NameAlias.raw_name)).all() == ["Lana Medical Company"]
    again = service.evaluate("supplier", build_xlsx(rows), "s.xlsx")
    assert again.counts["unchanged"] == 1


def test_waiting_guarantees_are_matched_again_and_the_count_of_ready_ones_reported(app, make_guarantee):
    make_guarantee("G1", raw_supplier_name="Lana Medical Company", raw_bank_name="RIYAD BANK")
    make_guarantee("G2", raw_supplier_name="LMC", raw_bank_name="Riyad  Bank")
    make_guarantee("G3", raw_supplier_name="Gulf Cables", raw_bank_name="Unknown Bank")
    assert count(Guarantee, Guarantee.match_status == "needs_review") == 3

    banks = service.apply("bank", build_xlsx([BANK_HEADERS_EN, *BANKS]), "banks.xlsx", user="chief")
    assert (banks.names_matched, banks.became_ready) == (1, 0)  # the bank is matched; the suppliers still wait
    suppliers = service.apply("supplier", build_xlsx(SUPPLIERS), "suppliers.xlsx", user="chief")

    assert suppliers.became_ready == 2
    assert suppliers.as_json()["rematched"] == {"names": 3, "guarantees_ready": 2}
    db.session.expire_all()
    ready = db.session.scalars(sa.select(Guarantee.guarantee_number).where(Guarantee.match_status == "ready")).all()
    assert sorted(ready) == ["G1", "G2"]
    assert db.session.scalar(sa.select(Guarantee).where(Guarantee.guarantee_number == "G3")).supplier_id is not None


def test_an_unknown_dictionary_or_format_is_refused(app):
    from guarantees.services.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        service.evaluate("customer", b"Name\nX\n", "x.csv")
    with pytest.raises(ValidationFailed):
        service.export("bank", "pdf")
