"""Dual-write is all or nothing: a failure in either half leaves no trace in both."""

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee, GuaranteeAction, GuaranteeEdit, ImportBatch, ImportBatchItem
from guarantees.models.legacy import ImportedRecord, ImportSession
from guarantees.services import actions, guarantees
from guarantees.services.dualwrite import DualWriteAdapter

# The guarantees these tests extend expire on 2026-06-01: the register's day is fixed before that.
pytestmark = pytest.mark.usefixtures("before_expiry")


class LegacyDown(RuntimeError):
    pass


def boom(*args, **kwargs):
    raise LegacyDown("legacy half failed")


def totals():
    models = (Guarantee, GuaranteeAction, GuaranteeEdit, ImportBatch, ImportBatchItem, ImportedRecord, ImportSession)
    return {m.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in models}


def test_failed_legacy_half_of_manual_entry_leaves_nothing(monkeypatch, make_guarantee):
    before = totals()
    monkeypatch.setattr(DualWriteAdapter, "record_items", boom)
    with pytest.raises(LegacyDown):
        make_guarantee("F-1")
    db.session.remove()
    assert totals() == before


def test_failed_legacy_half_of_an_action_leaves_nothing(monkeypatch, make_guarantee):
    gid = make_guarantee("F-2").id
    before = totals()
    monkeypatch.setattr(DualWriteAdapter, "record_action", boom)
    with pytest.raises(LegacyDown):
        actions.extend(gid, user="clerk")
    db.session.remove()
    assert totals() == before
    fresh = db.session.get(Guarantee, gid)
    assert not fresh.is_locked and str(fresh.expiry_date) == "2026-06-01" and fresh.version == 1


def test_failed_legacy_half_of_an_edit_leaves_nothing(monkeypatch, make_guarantee):
    gid = make_guarantee("F-3").id
    before = totals()
    monkeypatch.setattr(DualWriteAdapter, "record_edit", boom)
    with pytest.raises(LegacyDown):
        guarantees.update(gid, {"comment": "x"}, expected_version=1, user="clerk")
    db.session.remove()
    assert totals() == before and db.session.get(Guarantee, gid).comment is None


def test_failed_new_half_leaves_no_legacy_row(monkeypatch, make_guarantee):
    g = make_guarantee("F-4")
    before = totals()
    original = DualWriteAdapter.record_edit

    def then_fail(self, guarantee):
        original(self, guarantee)
        raise LegacyDown("the new half fails after the legacy row was written")

    monkeypatch.setattr(DualWriteAdapter, "record_edit", then_fail)
    with pytest.raises(LegacyDown):
        guarantees.update(g.id, {"comment": "x"}, expected_version=1, user="clerk")
    db.session.remove()
    assert totals() == before
