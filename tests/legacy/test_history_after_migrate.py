"""Legacy rows on the guarantee page after `flask legacy load` and `migrate`: every spelling, every time format."""

import re

import pytest

from tests.legacy.conftest import _row

SESSIONS = [(1, "excel", "2025-12-19 09:00:00"), (2, "daily_actions", "2025-12-20T09:00:00+03:00")]


@pytest.fixture
def page_of(app, make_user):
    """page_of(number) → the guarantee page's HTML, read by a signed-in viewer (status checked by the caller)."""
    make_user("reader", "viewer")
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    client.post("/login", data={"csrf_token": token, "username": "reader", "password": "pw-reader"})

    def read(number: str):
        from guarantees.extensions import db
        from guarantees.models import Guarantee

        guarantee_id = db.session.query(Guarantee.id).filter_by(guarantee_number=number).scalar()
        return client.get(f"/guarantees/{guarantee_id}")

    return read


def _migrate(cli, legacy_file, rows):
    code, output, _ = cli("load", str(legacy_file(rows=rows, sessions=SESSIONS)))
    assert code == 0, output
    code, output, _ = cli("migrate")
    assert code == 0, output


def test_an_unmigrated_row_spelt_with_a_thin_space_is_on_its_guarantees_page(cli, legacy_file, page_of):
    rows = [
        _row(1, 1, "TS 100", "2025-12-19 09:00:01", raw_supplier_name="Gulf", raw_bank_name="SNB", amount="5"),
        # a renewal request has no counterpart: the page finds it by its number, whatever its spaces
        _row(2, 2, "ts\u2009100\u00a0", "2025-12-20 09:00:00", record_type="renewal_request"),
    ]
    _migrate(cli, legacy_file, rows)
    response = page_of("TS100")
    assert response.status_code == 200
    assert "Legacy row 2" in response.get_data(as_text=True)


def test_a_row_stamped_with_an_offset_sorts_by_its_instant_on_the_page(cli, legacy_file, page_of):
    rows = [
        _row(1, 1, "OFF-1", "2025-12-19T10:05:00+03:00", raw_supplier_name="Gulf", raw_bank_name="SNB", amount="5"),
        _row(2, 2, "OFF-1", "2025-12-19T07:30:00Z", record_type="renewal_request"),
        _row(3, 2, "OFF-1", "2025-12-19 07:00:00", record_type="renewal_request"),
    ]
    _migrate(cli, legacy_file, rows)
    response = page_of("OFF-1")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # 07:00 (naive), then the import at 07:05 UTC (10:05+03:00), then 07:30 UTC
    row3, imported, row2 = html.index("Legacy row 3"), html.index("Imported"), html.index("Legacy row 2")
    assert row3 < imported < row2
