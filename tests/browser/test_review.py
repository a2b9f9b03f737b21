"""The review queue in a real browser: search the dictionary with htmx, choose, and the name leaves the queue."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from guarantees.extensions import db
from guarantees.models import Guarantee
from guarantees.models.dictionary import Bank, Supplier
from guarantees.services import guarantees
from tests.browser.conftest import wait_for_htmx

pytestmark = pytest.mark.browser


def dictionary() -> dict[str, int]:
    rows = {
        "lana": Supplier(official_name="Lana Medical Company", display_name="Lana Medical"),
        "gulf": Supplier(official_name="Gulf Cables and Electrical Industries"),
        "almarai": Supplier(official_name="شركة المراعي", display_name="Almarai"),
        "riyad": Bank(official_name="Riyad Bank", official_name_ar="بنك الرياض", short_code="RIBL"),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    return {name: row.id for name, row in rows.items()}


def enter(number: str, supplier: str, bank: str = "Riyad Bank") -> int:
    data = {"guarantee_number": number, "raw_supplier_name": supplier, "raw_bank_name": bank, "amount": "1000"}
    return guarantees.create(data, user="tester").id


def supplier_of(number: str):
    return db.session.execute(
        sa.select(Guarantee.supplier_id, Guarantee.match_status).where(Guarantee.guarantee_number == number)
    ).one()


def test_pick_a_supplier_with_the_search_and_the_name_leaves_the_queue(sign_in, live_server, in_app, shot):
    ids = in_app(dictionary)
    in_app(enter, "RV-1", "Mar3i Dairy")
    in_app(enter, "RV-2", "MAR3I  DAIRY.")
    in_app(enter, "RV-3", "Zeta Unknown Works")
    page = sign_in("clerk")
    page.goto(f"{live_server.url}/review")
    wait_for_htmx(page)
    groups = page.locator("#review-list > li[data-entity=supplier]")
    expect(groups).to_have_count(2)
    group = groups.filter(has_text="2 guarantees")
    expect(group.locator("h3")).to_have_text("MAR3I DAIRY.")

    # Active search (folded away under the row): typing asks the server for options, folded as matching folds
    # names (ى/ي).
    group.locator("details.more > summary").click()
    group.get_by_label("Search the dictionary").fill("المراعى")
    option = group.locator(".options button", has_text="Almarai")
    expect(option).to_be_visible()
    shot(page, "search")
    option.click()

    expect(groups).to_have_count(1)
    expect(page.locator("#toasts")).to_contain_text("2 guarantees matched")
    expect(page.locator("#review-summary")).to_contain_text("1 supplier name")
    shot(page, "applied")
    assert in_app(supplier_of, "RV-1") == (ids["almarai"], "ready")
    assert in_app(supplier_of, "RV-2") == (ids["almarai"], "ready")
    assert in_app(supplier_of, "RV-3") == (None, "needs_review")

    # Enter in the search box must not choose anything by itself.
    remaining = groups.first
    remaining.locator("details.more > summary").click()
    remaining.get_by_label("Search the dictionary").fill("gulf")
    expect(remaining.locator(".options button", has_text="Gulf Cables")).to_be_visible()
    remaining.get_by_label("Search the dictionary").press("Enter")
    page.wait_for_timeout(300)
    expect(groups).to_have_count(1)
    assert in_app(supplier_of, "RV-3") == (None, "needs_review")
