"""The reports' views and queries against figures worked out by hand, on both databases."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.repositories import reports
from guarantees.repositories.reports import ReportFilters
from guarantees.services import actions, voids

DAY = date(2026, 1, 15)
VIEWS = {"report_exposure", "report_exposure_months", "report_action_activity", "report_import_activity"}


def lines(found) -> list[tuple]:
    return [(line.label, line.currency, line.count, line.amount) for line in found]


@pytest.fixture
def register(app, make_guarantee):
    """Active, expired, released and far-off guarantees of two banks, two suppliers, two currencies."""
    app.config["TODAY"] = DAY
    lana, noor = "Lana Medical", "Noor Trading"

    def enter(number, bank, supplier, amount, expiry, kind=None, currency="SAR"):
        fields = {"raw_bank_name": bank, "raw_supplier_name": supplier, "amount": amount, "expiry_date": expiry,
                  "currency": currency, **({"type": kind} if kind else {})}  # fmt: skip
        return make_guarantee(number, **fields)

    enter("G1", "Riyad Bank", lana, "1000.10", "2026-02-10", "FINAL")
    enter("G2", "Riyad Bank", noor, "2000.20", "2026-03-05", "bid")
    enter("G3", "Riyad Bank", lana, "500.00", "2026-02-20", "advance_payment", currency="USD")
    enter("G4", "SNB", lana, "300.30", "2027-06-01", "Maintenance")
    enter("G5", "SNB", noor, "999.00", "2026-01-14")  # expired the day before the register's day
    released = enter("G6", "SNB", noor, "50.00", "2026-04-01")
    enter("G7", "Riyad Bank", noor, "10.00", "2028-03-01")  # beyond the 24 months of the month report
    actions.release(released.id, user="chief")
    return app


def test_the_views_exist_on_both_databases(app):
    assert set(sa.inspect(db.engine).get_view_names()) >= VIEWS
    assert VIEWS.isdisjoint(sa.inspect(db.engine).get_table_names())


def test_exposure_by_bank_supplier_and_type(register):
    everything = ReportFilters()
    assert lines(reports.exposure_by_bank(everything)) == [
        ("Riyad Bank", "SAR", 3, Decimal("3010.30")),
        ("SNB", "SAR", 1, Decimal("300.30")),
        ("Riyad Bank", "USD", 1, Decimal("500.00")),
    ]
    assert lines(reports.exposure_by_supplier(everything)) == [
        ("Noor Trading", "SAR", 2, Decimal("2010.20")),
        ("Lana Medical", "SAR", 2, Decimal("1300.40")),
        ("Lana Medical", "USD", 1, Decimal("500.00")),
    ]
    assert lines(reports.exposure_by_type(everything)) == [
        ("bid", "SAR", 1, Decimal("2000.20")),
        ("performance", "SAR", 1, Decimal("1000.10")),
        ("other", "SAR", 2, Decimal("310.30")),
        ("advance_payment", "USD", 1, Decimal("500.00")),
    ]


def test_exposure_by_month_covers_the_next_24_months(register):
    found = reports.exposure_by_month(ReportFilters())
    assert [line.key for line in found[:3]] == ["2026-01", "2026-02", "2026-03"] and found[23].key == "2027-12"
    assert len(found) == 48 and {line.currency for line in found} == {"SAR", "USD"}
    held = [(line.key, line.currency, line.count, line.amount) for line in found if line.count]
    assert held == [
        ("2026-02", "SAR", 1, Decimal("1000.10")),
        ("2026-03", "SAR", 1, Decimal("2000.20")),
        ("2027-06", "SAR", 1, Decimal("300.30")),
        ("2026-02", "USD", 1, Decimal("500.00")),
    ]


def test_filters_narrow_every_exposure(register):
    riyad = ReportFilters(bank="riyad")
    assert [(line.label, line.currency) for line in reports.exposure_by_bank(riyad)] == [
        ("Riyad Bank", "SAR"),
        ("Riyad Bank", "USD"),
    ]
    assert lines(reports.exposure_by_supplier(ReportFilters(bank="RIYAD", supplier="noor"))) == [
        ("Noor Trading", "SAR", 2, Decimal("2010.20"))
    ]
    february = ReportFilters(date_from=date(2026, 2, 1), date_to=date(2026, 2, 28))
    assert lines(reports.exposure_by_bank(february)) == [
        ("Riyad Bank", "SAR", 1, Decimal("1000.10")),
        ("Riyad Bank", "USD", 1, Decimal("500.00")),
    ]
    assert [(line.key, line.count) for line in reports.exposure_by_month(february)] == [
        ("2026-02", 1),
        ("2026-02", 1),
    ]
    assert reports.exposure_by_bank(ReportFilters(bank="100%_")) == []


def test_activity_by_month_and_user(app, make_guarantee, xlsx_bytes):
    from guarantees.services import imports

    app.config["TODAY"] = date(2025, 12, 10)
    first = make_guarantee("A1", user="clerk")
    second = make_guarantee("A2", user="clerk", raw_bank_name="SNB")
    actions.extend(first.id, user="clerk")
    actions.reduce(second.id, "100.00", user="clerk")
    app.config["TODAY"] = date(2026, 1, 5)
    third = make_guarantee("A3", user="chief", raw_bank_name="SNB")
    release = actions.release(third.id, user="chief")
    extension = actions.extend(second.id, user="chief")
    actions.start_session([first.id], "extension", user="clerk")  # a draft: not counted
    # The release is voided (prepared by clerk, issued by chief): no release done, one void by clerk in January.
    voids.issue(voids.prepare(release.id, reason="wrong guarantee", user="clerk").id, user="chief")
    voids.prepare(extension.id, reason="not yet", user="chief")  # a void not issued: the extension still counts
    header = ["BANK GUARANTEE NUMBER", "SUPPLIER", "BANK NAME", "AMOUNT", "EXPIRY DATE"]
    rows = [["X1", "Lana", "Riyad Bank", 10, "2027-01-01"], ["A1", None, None, None, None, None]]
    imports.commit(xlsx_bytes([header, *rows]), "list.xlsx", user="clerk")

    def table(filters):
        return [(line.month.isoformat()[:7], line.user, line.actions["extension"], line.actions["reduction"],
                 line.actions["release"], line.actions["void"], line.batches, line.rows)
                for line in reports.activity(filters)]  # fmt: skip

    assert table(ReportFilters()) == [
        ("2026-01", "chief", 1, 0, 0, 0, 1, 1),
        ("2026-01", "clerk", 0, 0, 0, 1, 1, 2),
        ("2025-12", "clerk", 1, 1, 0, 0, 1, 2),
    ]
    assert table(ReportFilters(date_from=date(2026, 1, 1))) == [
        ("2026-01", "chief", 1, 0, 0, 0, 1, 1),
        ("2026-01", "clerk", 0, 0, 0, 1, 1, 2),
    ]
    # Bank and supplier narrow the actions (as their letters named the bank); batches are not narrowed.
    assert table(ReportFilters(bank="snb")) == [
        ("2026-01", "chief", 1, 0, 0, 0, 1, 1),
        ("2026-01", "clerk", 0, 0, 0, 1, 1, 2),
        ("2025-12", "clerk", 0, 1, 0, 0, 1, 2),
    ]
    months = reports.activity_by_month(reports.activity(ReportFilters()))
    assert [(item.month, item.actions, item.rows) for item in months] == [
        (date(2025, 12, 1), {"extension": 1, "reduction": 1, "release": 0, "void": 0}, 2),
        (date(2026, 1, 1), {"extension": 1, "reduction": 0, "release": 0, "void": 1}, 3),
    ]
