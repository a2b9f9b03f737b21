"""The starter list of Saudi banks shipped with the register: complete for letters, and loaded into an empty install."""

import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.importer.dictionary_file import parse_swift, read_dictionary
from guarantees.models.dictionary import Bank, BankDetail
from guarantees.services import dictionary_import as service


def test_the_starter_file_reads_without_an_error_and_has_no_personal_data():
    found = read_dictionary("bank", service.starter_banks())
    assert len(found.rows) >= 30
    assert all(row.errors == [] for row in found.rows)
    codes = [row.values["short_name"] for row in found.rows]
    assert all(codes) and len(set(codes)) == len(codes)
    for row in found.rows:
        assert row.values.get("email") is None  # mailboxes are added by the admin, not shipped
        if row.values.get("swift_bic"):
            assert parse_swift(row.values["swift_bic"]) == row.values["swift_bic"]


def test_the_starter_list_loads_into_an_empty_install(app):
    assert service.is_empty("bank")
    result = service.apply("bank", service.starter_banks(), service.STARTER_BANKS.name, user="admin")

    total = len(result.preview.rows)
    assert result.preview.counts == {"new": total, "update": 0, "unchanged": 0, "error": 0}
    banks = db.session.scalars(sa.select(Bank)).all()
    assert len(banks) == total and not service.is_empty("bank")
    for bank in banks:
        assert bank.official_name_ar and bank.official_name_en, bank.id
        assert bank.address_line_1 or bank.address_line_2, bank.label
        assert bank.department and bank.short_code
    riyad = db.session.scalar(sa.select(Bank).where(Bank.official_name_en == "Riyad Bank"))
    assert db.session.get(BankDetail, riyad.id).swift_bic == "RIBLSARI"
    again = service.evaluate("bank", service.starter_banks(), service.STARTER_BANKS.name)
    assert again.counts["unchanged"] == total
