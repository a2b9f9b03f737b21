"""A guarantee's timeline: new-table history and legacy rows merged, each fact once, oldest first."""

import pytest

from guarantees.extensions import db
from guarantees.models import GuaranteeAction, ImportBatch, ImportBatchItem, ImportedRecord
from guarantees.repositories import history
from guarantees.services import actions, letters
from guarantees.services import guarantees as service

SCRIPT = "<script>alert(1)</script>"


def legacy_row(**values) -> ImportedRecord:
    """A row the legacy system wrote (no link to the new tables unless given)."""
    row = ImportedRecord(
        session_id=values.pop("session_id", 7),
        raw_supplier_name=values.pop("raw_supplier_name", "Lana Medical"),
        raw_bank_name=values.pop("raw_bank_name", "Riyad Bank"),
        amount=values.pop("amount", "25200"),
        created_at=values.pop("created_at", "2024-03-01 09:00:00"),
        record_type=values.pop("record_type", "import"),
        **values,
    )
    db.session.add(row)
    db.session.commit()
    return row


def life(make_guarantee, **fields):
    """Create, edit, extend, release: the four facts of a short life."""
    guarantee = make_guarantee("TL-1", amount="1000", expiry_date="2026-06-01", **fields)
    service.update(guarantee.id, {"amount": "900", "comment": "checked"}, expected_version=1, user="editor-a")
    actions.extend(guarantee.id, user="editor-b", notes="yearly")
    actions.release(guarantee.id, user="editor-c")
    return guarantee


def test_create_edit_extend_release_in_order_with_their_diffs(make_guarantee):
    guarantee = life(make_guarantee)
    entries = history.timeline(guarantee)
    assert [(e.kind, e.title, e.source) for e in entries] == [
        ("import", "created", "new"),
        ("edit", "edit", "new"),
        ("action", "extension", "new"),
        ("action", "release", "new"),
    ]
    created, edit, extension, release = entries
    assert ("guarantee_number", None, "TL-1") in created.changes and created.batch.batch_type == "manual_batch"
    assert created.user == "tester"
    assert sorted(edit.changes) == [("amount", "1000.00", "900.00"), ("comment", None, "checked")]
    assert edit.user == "editor-a"
    assert extension.changes == [("expiry_date", "2026-06-01", "2027-06-01")] and extension.user == "editor-b"
    assert extension.detail == "yearly" and extension.action.action_status == "issued"
    assert release.changes == [("status", "active", "released")] and release.user == "editor-c"
    assert [e.at for e in entries] == sorted(e.at for e in entries)


def test_the_page_shows_the_timeline_in_order(viewer, make_guarantee):
    guarantee = life(make_guarantee, raw_supplier_name=SCRIPT)
    html = viewer.get(f"/guarantees/{guarantee.id}").get_data(as_text=True)
    timeline = html[html.index('<ol class="timeline">') :]
    positions = [timeline.index(text) for text in ("Imported", "Edited", "Extension", "Release")]
    assert positions == sorted(positions)
    assert '<del dir="auto">1000.00</del> → <ins dir="auto">900.00</ins>' in timeline
    assert '<del dir="auto">2026-06-01</del> → <ins dir="auto">2027-06-01</ins>' in timeline
    assert "manual_batch" not in timeline and "Manual entries of" in timeline
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in timeline


def test_dual_written_legacy_rows_do_not_appear_twice(make_guarantee):
    guarantee = life(make_guarantee)
    rows = history.legacy_rows(guarantee)
    assert sorted(row["record_type"] for row in rows) == [
        "extension_action",
        "import",
        "modification",
        "release_action",
    ]
    assert all(row["has_counterpart"] for row in rows)
    assert [e.kind for e in history.timeline(guarantee)].count("legacy") == 0


def test_a_legacy_row_without_counterpart_appears_once(make_guarantee):
    guarantee = make_guarantee("LG-7")
    by_number = legacy_row(guarantee_number=" lg-7\u00a0", created_at="2023-01-05 10:00:00", comment="old import")
    linked = legacy_row(guarantee_number="LG 7 OLD", migrated_guarantee_id=guarantee.id, record_type="release_action")
    legacy_row(guarantee_number="LG-8")  # another guarantee's row
    entries = history.timeline(guarantee)
    legacy = [e for e in entries if e.kind == "legacy"]
    assert [e.record["id"] for e in legacy] == [by_number.id, linked.id]
    assert entries[0].record["id"] == by_number.id  # 2023 comes before today's entry
    assert legacy[0].source == "legacy" and legacy[0].legacy_session == (7, None)
    assert ("comment", None, "old import") in legacy[0].changes
    # the timeline asks only for the rows no new row tells; the count covers them all
    count, untold = history.legacy_summary(guarantee)
    assert [row["id"] for row in untold] == [by_number.id, linked.id]
    everything = history.legacy_rows(guarantee)
    assert count == len(everything) and untold == [row for row in everything if not row["has_counterpart"]]


def test_legacy_rows_carried_by_migrated_items_and_actions_appear_once(app, make_guarantee):
    guarantee = make_guarantee("MG-1")
    imported = legacy_row(guarantee_number="MG-1", created_at="2022-02-02 08:00:00")
    released = legacy_row(guarantee_number="MG-1", record_type="release_action", created_at="2022-05-05 08:00:00")
    batch = ImportBatch(batch_type="excel_import", origin="legacy", legacy_session_id=7, description="old.xlsx")
    db.session.add(batch)
    db.session.flush()
    db.session.add(
        ImportBatchItem(
            batch_id=batch.id,
            guarantee_id=guarantee.id,
            outcome="created",
            changes={"amount": [None, "25200.00"]},
            legacy_record_id=imported.id,
        )
    )
    db.session.add(
        GuaranteeAction(
            guarantee_id=guarantee.id,
            guarantee_number="MG-1",
            action_type="release",
            action_status="issued",
            is_locked=True,
            origin="legacy",
            legacy_record_id=released.id,
        )
    )
    db.session.commit()
    entries = history.timeline(guarantee)
    assert [e.kind for e in entries].count("legacy") == 0
    sources = {(e.kind, e.source) for e in entries}
    assert ("import", "legacy") in sources and ("action", "legacy") in sources and ("import", "new") in sources


def test_letter_prints_of_this_guarantee_appear(make_guarantee):
    guarantee = make_guarantee("LP-1")
    other = make_guarantee("LP-2")
    action = actions.extend(guarantee.id, user="clerk")
    other_action = actions.extend(other.id, user="clerk")
    letters.log_print([other_action.id, action.id], language="ar", user="printer")
    letters.log_print([other_action.id], language="en", user="printer")
    prints = [e for e in history.timeline(guarantee) if e.kind == "print"]
    assert len(prints) == 1 and prints[0].user == "printer" and prints[0].detail == str(action.id)


def test_history_without_dual_write_is_still_complete(app, make_guarantee):
    app.config["DUAL_WRITE"] = False
    guarantee = life(make_guarantee)
    assert history.legacy_rows(guarantee) == []
    assert [e.kind for e in history.timeline(guarantee)] == ["import", "edit", "action", "action"]


@pytest.mark.parametrize("extra_actions", [0, 6])
def test_the_timeline_takes_a_constant_number_of_queries(make_guarantee, extra_actions, count_queries):
    guarantee = make_guarantee("QC-1", amount="100000")
    for step in range(extra_actions):
        actions.reduce(guarantee.id, str(99000 - step * 1000), user="clerk")
        service.update(guarantee.id, {"comment": f"step {step}"}, expected_version=2 + 2 * step, user="clerk")
        legacy_row(guarantee_number="QC-1")
    db.session.expire_all()
    guarantee = db.session.get(type(guarantee), guarantee.id)
    with count_queries() as seen:
        entries = history.timeline(guarantee)
    assert len(entries) == 1 + 3 * extra_actions
    assert seen["n"] <= 6  # items, edits, actions, prints, legacy rows (+ BEGIN on SQLite)


def test_the_page_takes_the_same_number_of_queries_for_a_long_history(viewer, make_guarantee, count_queries):
    counts = []
    for number, steps in (("QP-1", 1), ("QP-2", 6)):
        guarantee = make_guarantee(number, amount="100000")
        for step in range(steps):
            actions.reduce(guarantee.id, str(99000 - step * 1000), user="clerk")
        db.session.expire_all()
        with count_queries() as seen:
            assert viewer.get(f"/guarantees/{guarantee.id}").status_code == 200
        counts.append(seen["n"])
    assert counts[0] == counts[1]


def test_review_decision_shows_once_on_the_timeline(app, editor, make_guarantee):
    from guarantees.extensions import db
    from guarantees.models import Supplier
    from guarantees.services import review

    supplier = Supplier(official_name="Zeta Medical Trading", display_name="Zeta Medical")
    db.session.add(supplier)
    db.session.commit()
    g = make_guarantee("DEC-1", raw_supplier_name="Northern Star Supplies")
    assert g.supplier_id is None
    assert review.apply_choice("supplier", "Northern Star Supplies", supplier.id, user="reviewer") == 1
    html = editor.get(f"/guarantees/{g.id}").get_data(as_text=True)
    assert html.count("Supplier chosen in review") == 1
    assert "Zeta Medical" in html
    assert "Legacy row " not in html  # its dual-written legacy row is linked, so not shown a second time
