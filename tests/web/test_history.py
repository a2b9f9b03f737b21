"""A guarantee's timeline: new-table history and legacy rows merged, each fact once, oldest first."""

import re
from datetime import timedelta

import pytest

from guarantees.extensions import db
from guarantees.models import Guarantee, GuaranteeAction, GuaranteeEdit, ImportBatch, ImportBatchItem, MatchDecision
from guarantees.models.base import utcnow
from guarantees.models.legacy import ImportedRecord
from guarantees.repositories import history
from guarantees.services import actions, letters
from guarantees.services import guarantees as service

# The guarantees these tests extend expire on 2026-06-01: the register's day is fixed before that.
pytestmark = pytest.mark.usefixtures("before_expiry")

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
    arrow = '<span class="arrow" aria-hidden="true">→</span>'  # mirrored under right-to-left
    assert f'<del dir="auto">1000.00</del> {arrow} <ins dir="auto">900.00</ins>' in timeline
    assert f'<del dir="auto">2026-06-01</del> {arrow} <ins dir="auto">2027-06-01</ins>' in timeline
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
    assert seen["n"] <= 8  # items, edits, actions, prints, notes, attachments, legacy rows (+ BEGIN on SQLite)


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
    from guarantees.models.dictionary import Supplier
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


# -- the newest page and the earlier entries ----------------------------------------------------------------------

LEGACY_TIME_FORMATS = ("%Y-%m-%dT%H:%M:%S.%f", "%Y/%m/%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d")


def version_of(guarantee_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Guarantee, guarantee_id).version


def long_history(make_guarantee, rounds: int = 6) -> Guarantee:
    """A guarantee with more than `rounds` entries from every source, interleaved in time: saves (dual-written,
    of one and of two fields, and two-field saves without a legacy row), issued actions and their prints, batch
    items, review decisions, legacy rows no new row tells (times in several formats, one unreadable, one linked
    rather than found by number), and at the end entries of every kind recorded in the same instant."""
    guarantee = make_guarantee("PAGE-1", amount="100000", expiry_date="2026-06-01")
    service.update(
        guarantee.id, {"comment": "first", "po_number": "PO-1"}, expected_version=1, user="clerk"
    )  # two fields in one save, before the first letter locks the PO number
    batch = ImportBatch(batch_type="excel_import", description="repeats.xlsx", created_by="importer")
    db.session.add(batch)
    db.session.commit()
    legacy_row(guarantee_number="page -1", created_at="someday", comment="unreadable time")  # sorts first
    legacy_row(guarantee_number="OLD-1", migrated_guarantee_id=guarantee.id, created_at="2020-01-02 03:04:05")
    issued = []
    for step in range(rounds):
        service.update(guarantee.id, {"comment": f"note {step}"}, expected_version=version_of(guarantee.id), user="a")
        action = actions.reduce(guarantee.id, str(90000 - step * 1000), user="b", notes=f"cut {step}")
        issued.append(action.id)
        letters.log_print([action.id], language="ar" if step % 2 else "en", user="printer")
        at = utcnow()
        db.session.add_all(
            [
                ImportBatchItem(
                    batch_id=batch.id, guarantee_id=guarantee.id, outcome="unchanged", row_number=step, created_at=at
                ),
                MatchDecision(
                    guarantee_id=guarantee.id, entity="bank", raw_name=f"bank {step}", chosen_id=step + 1,
                    decided_by="reviewer", decided_at=at + timedelta(microseconds=1),
                ),
                GuaranteeEdit(
                    guarantee_id=guarantee.id, field="comment", old_value=None, new_value=f"plain {step}",
                    edited_by="c", edited_at=at + timedelta(microseconds=2),
                ),
                GuaranteeEdit(
                    guarantee_id=guarantee.id, field="type", old_value=None, new_value=f"kind {step}",
                    edited_by="c", edited_at=at + timedelta(microseconds=3),
                ),
            ]
        )  # fmt: skip
        db.session.commit()
        moment = utcnow().strftime(LEGACY_TIME_FORMATS[step % len(LEGACY_TIME_FORMATS)])
        legacy_row(guarantee_number=f" page\u00a0-{' ' if step % 2 else ''}1", created_at=moment, comment=f"old {step}")
    other = actions.extend(make_guarantee("PAGE-OTHER").id, user="b")
    letters.log_print([issued[0], other.id, issued[-1]], language="en", user="printer")  # shows this guarantee's two
    late = GuaranteeEdit(guarantee_id=guarantee.id, field="comment", new_value="found late", edited_by="migration")
    late.edited_at = utcnow() - timedelta(days=400)  # written last, with the time it happened: ids are not time
    db.session.add(late)
    db.session.commit()
    # One instant, every kind: the same time, and an edit and a decision with the same id as well.
    at = utcnow() + timedelta(seconds=5)
    same = 10**6
    db.session.add_all(
        [
            ImportBatchItem(batch_id=batch.id, guarantee_id=guarantee.id, outcome="unchanged", created_at=at),
            GuaranteeEdit(id=same, guarantee_id=guarantee.id, field="comment", new_value="tie", edited_at=at),
            MatchDecision(id=same, guarantee_id=guarantee.id, entity="supplier", chosen_id=1, decided_at=at),
            GuaranteeAction(
                guarantee_id=guarantee.id, guarantee_number="PAGE-1", action_type="extension", action_status="issued",
                is_locked=True, origin="legacy", created_at=at,
            ),
        ]
    )  # fmt: skip
    db.session.commit()
    legacy_row(guarantee_number="PAGE-1", created_at=at.isoformat(), comment="same instant")
    db.session.expire_all()
    return db.session.get(Guarantee, guarantee.id)


def described(entry: history.Entry) -> tuple:
    """All an entry shows."""
    return (
        entry.kind, entry.source, entry.at, entry.user, str(entry.title), entry.changes, entry.sequence,
        None if entry.detail is None else str(entry.detail), entry.batch, entry.session,
        entry.action.id if entry.action is not None else None, entry.print,
        entry.record["id"] if entry.record else None, entry.legacy_session,
    )  # fmt: skip


def test_the_newest_entries_are_the_end_of_the_whole_timeline(app, make_guarantee):
    guarantee = long_history(make_guarantee)
    with app.test_request_context("/"):  # decisions' titles are translated
        everything = [described(entry) for entry in history.timeline(guarantee)]
    kinds = [entry[0] for entry in everything]
    assert {kind: kinds.count(kind) for kind in set(kinds)} == {
        "import": 8, "edit": 15, "action": 7, "print": 7, "decision": 7, "legacy": 9,
    }  # fmt: skip
    assert everything[0][0] == "legacy" and everything[0][2] is None  # the unreadable time comes first
    instant = everything[-5:]  # one instant: in order of kind, and the edit before the decision with its id
    assert [entry[0] for entry in instant] == ["legacy", "import", "edit", "decision", "action"]
    assert len({entry[2] for entry in instant}) == 1 and instant[2][6] == instant[3][6]
    last_print = [entry for entry in everything if entry[0] == "print"][-1]
    assert last_print in everything[-10:] and len(last_print[7].split(", ")) == 2  # not the other guarantee's
    legacy_count = len(history.legacy_rows(guarantee))
    assert legacy_count > 9  # the dual-written rows are counted, not shown
    for limit in range(1, len(everything) + 2):
        newest = history.newest(guarantee, limit)
        with app.test_request_context("/"):
            assert [described(entry) for entry in newest.entries] == everything[-limit:], limit
        assert newest.earlier == max(0, len(everything) - limit)
        assert newest.legacy_count == legacy_count


def test_the_newest_page_and_the_earlier_entries_make_the_whole_timeline(viewer, make_guarantee, monkeypatch):
    from guarantees.web import guarantees as pages

    guarantee = long_history(make_guarantee)
    total = len(history.timeline(guarantee))
    for shown in (7, 20):
        monkeypatch.setattr(pages, "TIMELINE_SHOWN", shown)
        page = viewer.get(f"/guarantees/{guarantee.id}").get_data(as_text=True)
        newest = re.findall(r'<li class="kind-.*?</li>', page, re.S)
        assert len(newest) == shown and f"Show the {total - shown} earlier entries" in page
        assert f"Legacy rows as they were ({len(history.legacy_rows(guarantee))})" in page
        link = re.search(r'hx-get="([^"]*history=all[^"]*)"', page).group(1).replace("&amp;", "&")
        fragment = viewer.get(link, htmx=True).get_data(as_text=True)
        everything = re.findall(r'<li class="kind-.*?</li>', fragment, re.S)
        assert len(everything) == total and len(set(everything)) == total  # none lost, none twice
        assert everything[-shown:] == newest  # the page is the end of the whole timeline, in order
        assert "earlier entr" not in fragment
    assert "same instant" in page and "old 0" not in page and "unreadable time" in fragment


def test_saves_without_dual_write_are_paged_whole(app, make_guarantee):
    app.config["DUAL_WRITE"] = False
    guarantee = make_guarantee("PAGE-2")
    for user in ("a", "b", "a", "b"):
        fields = {"comment": f"note {version_of(guarantee.id)}", "po_number": f"PO-{version_of(guarantee.id)}"}
        service.update(guarantee.id, fields, expected_version=version_of(guarantee.id), user=user)
    start = utcnow() + timedelta(seconds=10)
    for seconds in (0, 0.5, 0.9, 1.2, 1.7, 2.1, 2.3, 3.5):  # one save: within a second of its first edit
        edit = GuaranteeEdit(guarantee_id=guarantee.id, field="comment", new_value=f"at {seconds}", edited_by="c")
        edit.edited_at = start + timedelta(seconds=seconds)
        db.session.add(edit)
        db.session.commit()
    late = GuaranteeEdit(guarantee_id=guarantee.id, field="type", new_value="found late", edited_by="migration")
    late.edited_at = start - timedelta(days=400)  # the last id, the oldest time
    db.session.add(late)
    db.session.commit()
    everything = [described(entry) for entry in history.timeline(guarantee)]
    assert everything[0][3] == "migration"
    assert [len(entry[5]) for entry in everything][2:] == [2, 2, 2, 2, 3, 3, 1, 1]
    for limit in range(1, len(everything) + 2):
        newest = history.newest(guarantee, limit)
        assert [described(entry) for entry in newest.entries] == everything[-limit:]
        assert newest.earlier == max(0, len(everything) - limit) and newest.legacy_count == 0


def test_legacy_rows_are_found_by_any_spelling_of_the_number(make_guarantee):
    guarantee = make_guarantee("A_1%B\\2")
    linked = [row["id"] for row in history.legacy_rows(guarantee)]  # its dual-written row
    spellings = ("a_1%b\\2", " A _1 %B\\2\u00a0", "a\u200b_1%\tb\\2")
    found = [legacy_row(guarantee_number=spelling).id for spelling in spellings]
    for other in ("AX1%B\\2", "A_1%B2", "A_1XB\\2", "A_1%B\\"):  # what LIKE wildcards alone would match
        legacy_row(guarantee_number=other)
    assert sorted(row["id"] for row in history.legacy_rows(guarantee)) == sorted(linked + found)
    assert history.legacy_summary(guarantee)[0] == len(linked) + 3
    assert [entry.record["id"] for entry in history.newest(guarantee, 10).entries if entry.kind == "legacy"] == found
