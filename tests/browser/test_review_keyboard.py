"""The review page in a real browser: the keyboard flow with the focus kept after each swap (in English and in
Arabic), and the review of the real migrated legacy database cleared with a few bulk decisions, clicks counted."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from guarantees.extensions import db
from guarantees.models import Guarantee
from guarantees.models.dictionary import Bank, Supplier
from guarantees.services import guarantees
from tests.browser.conftest import wait_for_htmx, wait_until_processed
from tests.conftest import shared_fixture

pytestmark = pytest.mark.browser


def dictionary() -> dict[str, int]:
    rows = {
        "lana": Supplier(official_name="Lana Medical Company", display_name="Lana Medical"),
        "gulf": Supplier(official_name="Gulf Cables and Electrical Industries"),
        "gulf2": Supplier(official_name="Gulf Cable Electric Industries Trading"),
        "riyad": Bank(official_name="Riyad Bank", official_name_ar="بنك الرياض", short_code="RIBL"),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    return {name: row.id for name, row in rows.items()}


def enter(number: str, supplier: str, bank: str = "Riyad Bank") -> int:
    data = {"guarantee_number": number, "raw_supplier_name": supplier, "raw_bank_name": bank, "amount": "1000"}
    return guarantees.create(data, user="tester").id


def supplier_of(number: str):
    return db.session.scalar(sa.select(Guarantee.supplier_id).where(Guarantee.guarantee_number == number))


def candidates_of(raw: str) -> list[int]:
    from guarantees.repositories import review_groups

    group = review_groups.find_group("supplier", raw)
    return [choice.id for choice in group.candidates]


def focused_name(page) -> str:
    return page.evaluate("() => document.activeElement.closest('li[data-review-group]')?.getAttribute('aria-label')")


def test_the_keyboard_flow_keeps_the_focus_after_each_swap(sign_in, live_server, in_app, shot):
    ids = in_app(dictionary)
    for number, name in (("K1", "LANA MED"), ("K2", "LANA MED."), ("K3", "LANA MED"), ("K4", "Gulf Cable Electric Ind"),
                         ("K5", "Gulf Cable Electric Ind"), ("K6", "Zeta Unknown Works")):  # fmt: skip
        in_app(enter, number, name)
    gulf = in_app(candidates_of, "Gulf Cable Electric Ind")
    assert len(gulf) >= 2  # a second candidate for n to choose
    page = sign_in("clerk")
    page.goto(f"{live_server.url}/review")
    wait_for_htmx(page)
    groups = page.locator("#review-list > li")
    expect(groups).to_have_count(3)
    expect(page.locator("#review-keys")).to_contain_text("next candidate")

    page.keyboard.press("j")
    expect(groups.nth(0)).to_be_focused()
    page.keyboard.press("j")
    expect(groups.nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(groups.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("k")
    assert focused_name(page) == "LANA MED"

    # a accepts the proposal; the name leaves and the focus is on the next one.
    wait_until_processed(page, "#review-list > li form")
    page.keyboard.press("a")
    expect(groups).to_have_count(2)
    expect(page.locator("#toasts")).to_contain_text("3 guarantees matched")
    expect(groups.nth(0)).to_be_focused()
    assert focused_name(page) == "Gulf Cable Electric Ind"
    assert in_app(supplier_of, "K2") == ids["lana"]

    # n chooses the next candidate (the folded list opens), Enter accepts it.
    page.keyboard.press("n")
    second = groups.nth(0).locator("[data-candidate].selected")
    expect(second).to_have_attribute("value", str(gulf[1]))
    expect(second).to_be_visible()
    shot(page, "next-candidate")
    page.keyboard.press("Enter")
    expect(groups).to_have_count(1)
    expect(groups.nth(0)).to_be_focused()
    assert in_app(supplier_of, "K4") == gulf[1]

    # Keys are off while typing; s skips (the name stays, marked).
    groups.nth(0).locator("details.more > summary").click()
    search = groups.nth(0).get_by_label("Search the dictionary")
    search.fill("")
    search.press("j")
    search.press("a")
    expect(search).to_have_value("ja")
    expect(search).to_be_focused()
    expect(groups).to_have_count(1)
    groups.nth(0).focus()
    page.keyboard.press("s")
    expect(groups.nth(0)).to_have_class("review-group skipped")
    assert in_app(supplier_of, "K6") is None


def test_the_keys_work_on_the_arabic_page(sign_in, live_server, in_app):
    ids = in_app(dictionary)
    in_app(enter, "A1", "LANA MED")
    in_app(enter, "A2", "LANA MED")
    in_app(enter, "A3", "Gulf Cable Electric Ind")
    page = sign_in("clerk")
    page.goto(f"{live_server.url}/review?lang=ar")
    wait_for_htmx(page)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    groups = page.locator("#review-list > li")
    expect(groups).to_have_count(2)
    wait_until_processed(page, "#review-list > li form")
    page.keyboard.press("j")
    expect(groups.nth(0)).to_be_focused()
    page.keyboard.press("x")
    expect(groups.nth(0).locator("input[name=group]")).to_be_checked()
    page.keyboard.press("Enter")
    expect(groups).to_have_count(1)
    expect(groups.nth(0)).to_be_focused()
    assert in_app(supplier_of, "A2") == ids["lana"]


@pytest.mark.slow
def test_the_migrated_legacy_review_is_cleared_with_a_few_bulk_decisions(sign_in, live_server, in_app, shot):
    legacy = shared_fixture("legacy", "bgl-2025-12-17.sqlite")
    runner = live_server.app.test_cli_runner()
    for args in (["legacy", "load", str(legacy)], ["legacy", "migrate"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output

    def waiting() -> int:
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Guarantee)
            .where(
                Guarantee.match_status == "needs_review",
                sa.or_(Guarantee.supplier_id.is_(None), Guarantee.bank_id.is_(None)),
            )
        )

    assert in_app(waiting) > 100
    page = sign_in("clerk")
    page.goto(f"{live_server.url}/review")
    wait_for_htmx(page)
    clicks = 0

    def click(locator) -> None:
        nonlocal clicks
        clicks += 1
        locator.click()

    def apply() -> None:
        box = page.locator("#review-preview-box")
        expect(box.locator("[data-decision]").first).to_be_visible()
        click(box.locator("#apply-bulk"))
        expect(page.locator("#review-preview-box")).to_have_count(0)

    # Every untied proposal at 80 % or more at once.
    page.fill("#threshold", "80")
    click(page.locator("#preview-threshold"))
    shot(page, "threshold-preview")
    apply()
    # Then what is left, a page at a time: names without a proposal get a new entry, the rest are ticked.
    for _ in range(10):
        groups = page.locator("#review-list > li")
        if groups.count() == 0:
            break
        bare = groups.filter(has_not=page.locator("[data-candidate]"))
        for _ in range(bare.count()):
            row = bare.nth(0)
            click(row.locator("details.add-entry > summary"))
            click(row.get_by_role("button", name="Add and match"))
            expect(row).to_have_count(0)
        if page.locator("#review-list > li").count() == 0:
            continue
        click(page.locator("input[data-select-all]"))
        click(page.locator("#preview-selected"))
        apply()
    expect(page.locator("#review-queue")).to_contain_text("Nothing to review.")
    expect(page.locator("#review-summary")).to_contain_text("0 supplier names")
    expect(page.locator("#review-summary")).to_contain_text("0 bank names")
    shot(page, "cleared")
    assert in_app(waiting) == 0
    assert clicks <= 15, clicks
