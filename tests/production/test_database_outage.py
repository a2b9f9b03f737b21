"""PostgreSQL going away: a clear error page, no partial write, and recovery when it returns."""

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee, User
from guarantees.models.legacy import ImportedRecord
from guarantees.services.dualwrite import DualWriteAdapter
from tests.production.proxy import Proxy
from tests.web.conftest import Client


@pytest.fixture
def outage(backend, make_app):
    """An app that reaches a fresh PostgreSQL database through a proxy the test can cut."""
    if not hasattr(backend, "admin"):
        pytest.skip("the database going away is a PostgreSQL scenario")
    url = backend.fresh()
    real = sa.engine.make_url(url)
    proxy = Proxy((real.host or "127.0.0.1", real.port or 5432)).start()
    app = make_app(real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    with app.app_context():
        user = User(username="clerk", role="editor", active=True)
        user.set_password("pw-clerk")
        db.session.add(user)
        db.session.commit()
        client = Client(app.test_client(), user).sign_in()
    direct = sa.create_engine(url)
    yield app, client, proxy, direct
    direct.dispose()
    with app.app_context():
        db.engine.dispose()
    proxy.cut()
    backend.drop(url)


def count(engine, model):
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(model))


def test_pages_say_the_database_is_away_and_recover(outage):
    app, client, proxy, _ = outage
    proxy.cut()
    health = client.get("/health")
    assert health.status_code == 503 and health.json["database"] == "unavailable"
    page = client.get("/")
    assert page.status_code == 503
    assert "database is not answering" in page.get_data(as_text=True)
    assert "Traceback" not in page.get_data(as_text=True)
    proxy.start()
    assert client.get("/health").status_code == 200
    assert client.get("/").status_code == 200


def test_a_write_cut_midway_leaves_nothing(outage, monkeypatch):
    app, client, proxy, direct = outage
    original = DualWriteAdapter.record_items

    def cut_then_write(self, *args, **kwargs):
        proxy.cut()  # the new half is flushed; the legacy half is about to go out
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DualWriteAdapter, "record_items", cut_then_write)
    response = client.post(
        "/batches/today",
        {"guarantee_number": "CUT-1", "raw_supplier_name": "Supplier", "raw_bank_name": "Bank", "amount": "10"},
    )
    assert response.status_code == 503
    assert count(direct, Guarantee) == 0 and count(direct, ImportedRecord) == 0
    monkeypatch.setattr(DualWriteAdapter, "record_items", original)
    proxy.start()
    again = client.post(
        "/batches/today",
        {"guarantee_number": "CUT-1", "raw_supplier_name": "Supplier", "raw_bank_name": "Bank", "amount": "10"},
    )
    assert again.status_code in (200, 303)
    assert count(direct, Guarantee) == 1 and count(direct, ImportedRecord) == 1
