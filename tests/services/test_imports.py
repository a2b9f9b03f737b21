"""The import service: outcomes per row, one batch per file in one transaction, dual-write, duplicates, errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from guarantees.extensions import db
from guarantees.importer import REASON_HEADER
from guarantees.models import Guarantee, ImportBatch, ImportBatchItem
from guarantees.models.dictionary import Bank, Supplier
from guarantees.models.legacy import ImportedRecord, ImportSession
from guarantees.services import actions, import_rows, import_writes
from guarantees.services import imports as service
from guarantees.services.dualwrite import DualWriteAdapter
from guarantees.services.errors import Conflict, ValidationFailed

HEADER = [
    "BANK GUARANTEE NUMBER",
    "SUPPLIER",
    "BANK NAME",
    "AMOUNT",
    "EXPIRY DATE",
    "CONTRACT NO.",
    "PO NO.",
    "TYPE",
    "COMMENT",
]
WRITTEN = (Guarantee, ImportBatch, ImportBatchItem, ImportedRecord, ImportSession)

ROW_G1 = ["G-1", "Lana Medical", "Riyad Bank", 1000, date(2026, 1, 31), "C/1", None, "FINAL", None]
ROW_G2 = ["G-2", "Noor Trading", "SNB", 2000, date(2026, 2, 28), None, 421378.0, None, "for extension"]


def count(model, *where) -> int:
    """Rows of a model's table (matching `where`)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def counts() -> dict[str, int]:
    """Rows of every table an import writes, by table name."""
    return {model.__tablename__: count(model) for model in WRITTEN}


@pytest.fixture(name="error_files")
def error_files_fixture(app):
    """The error workbooks written under the app's UPLOAD_FOLDER."""

    def listing() -> list[Path]:
        folder = Path(app.config["UPLOAD_FOLDER"]) / "errors"
        return sorted(folder.glob("*.xlsx")) if folder.is_dir() else []

    return listing


def guarantee(number: str) -> Guarantee:
    db.session.expire_all()
    return db.session.scalar(sa.select(Guarantee).where(Guarantee.guarantee_number == number))


def items(batch_id: int) -> list[ImportBatchItem]:
    query = sa.select(ImportBatchItem).where(ImportBatchItem.batch_id == batch_id).order_by(ImportBatchItem.row_number)
    return db.session.scalars(query).all()


def test_new_update_unchanged_and_error_rows_with_their_diffs(app, xlsx_bytes):
    first = service.commit(xlsx_bytes([HEADER, ROW_G1, ROW_G2]), "first.xlsx", user="clerk")
    assert first.preview.counts == {"new": 2, "update": 0, "unchanged": 0, "error": 0}
    assert first.error_workbook is None

    second = xlsx_bytes(
        [
            HEADER,
            ["g-1 ", None, None, 1500, None, None, None, None, "checked"],
            ["G-2", "Noor Trading", "SNB", 2000, date(2026, 2, 28), None, "421378", None, None],
            ["G-3", "New Co", None, 10, None, None, None, None, None],
            ["G-4", "X Co", "Y Bank", "abc", None, None, None, None, None],
        ]
    )
    preview = service.evaluate(second, "second.xlsx")
    assert preview.counts == {"new": 0, "update": 1, "unchanged": 1, "error": 2}
    update, unchanged, no_bank, bad_amount = preview.rows
    assert (update.outcome, update.guarantee_number, update.row_number) == ("update", "G-1", 2)
    assert update.changes == {"amount": ("1000.00", "1500.00"), "comment": (None, "checked")}
    assert (unchanged.outcome, unchanged.changes, unchanged.notes) == ("unchanged", {}, [])
    assert (no_bank.outcome, no_bank.reason) == ("error", "bank: required for a new guarantee")
    assert bad_amount.outcome == "error" and bad_amount.reason.startswith("amount: 'abc'")
    assert [e["row"] for e in preview.as_json()["errors"]] == [4, 5]

    result = service.commit(second, "second.xlsx", user="clerk")
    g1, g2 = guarantee("G-1"), guarantee("G-2")
    assert (g1.amount, g1.comment, g1.version) == (Decimal("1500.00"), "checked", 2)
    assert (g2.version, g2.po_number, g2.related_to) == (1, "421378", "purchase_order")
    assert [(i.row_number, i.outcome, i.changes) for i in items(result.batch_id)] == [
        (2, "updated", {"amount": ["1000.00", "1500.00"], "comment": [None, "checked"]}),
        (3, "unchanged", {}),
    ]
    assert count(Guarantee) == 2 and result.error_workbook is not None


def test_a_blank_cell_never_erases_a_known_value(app, xlsx_bytes):
    service.commit(xlsx_bytes([HEADER, ROW_G1]), "first.xlsx", user="clerk")
    preview = service.evaluate(
        xlsx_bytes([HEADER, ["G-1", None, None, None, None, None, None, None, None]]), "blank.xlsx"
    )
    assert [row.outcome for row in preview.rows] == ["unchanged"]
    service.commit(
        xlsx_bytes([HEADER, ["G-1", "", " ", None, None, None, None, None, "new comment"]]), "b.xlsx", user="c"
    )
    g1 = guarantee("G-1")
    assert (g1.raw_supplier_name, g1.raw_bank_name, g1.amount) == ("Lana Medical", "Riyad Bank", Decimal("1000.00"))
    assert (g1.expiry_date, g1.contract_number, g1.type, g1.comment) == (
        date(2026, 1, 31),
        "C/1",
        "FINAL",
        "new comment",
    )


def test_a_new_guarantee_needs_supplier_and_bank_a_known_one_only_its_number(app, xlsx_bytes):
    preview = service.evaluate(xlsx_bytes([HEADER, ["N-1", None, None, 5, None, None, None, None, "x"]]), "n.xlsx")
    assert preview.rows[0].reason == "supplier and bank: required for a new guarantee"
    service.commit(xlsx_bytes([HEADER, ["N-1", "S", "B", 3, None, None, None, None, None]]), "n.xlsx", user="c")
    preview = service.evaluate(xlsx_bytes([HEADER, ["N-1", None, None, 5, None, None, None, None, None]]), "n2.xlsx")
    assert [(r.outcome, r.changes) for r in preview.rows] == [("update", {"amount": ("3.00", "5.00")})]


def test_a_locked_guarantee_keeps_its_protected_fields(app, make_guarantee, xlsx_bytes, before_expiry):
    locked = make_guarantee("L-1")
    other = make_guarantee("L-2")
    actions.extend(locked.id, user="clerk")
    actions.extend(other.id, user="clerk")
    data = xlsx_bytes(
        [
            HEADER,
            # Supplier, amount and expiry differ (kept), the comment too (applied).
            ["L-1", "Somebody Else", None, 99, date(2026, 6, 1), None, None, None, "for release"],
            # Only protected fields differ: nothing to apply.
            ["L-2", None, "Other Bank", 1, None, None, None, None, None],
        ]
    )
    version_before = guarantee("L-2").version
    preview = service.evaluate(data, "locked.xlsx")
    update, unchanged = preview.rows
    assert (update.outcome, update.changes) == ("update", {"comment": (None, "for release")})
    assert len(update.notes) == 1
    assert all(word in update.notes[0] for word in ("raw_supplier_name", "amount", "expiry_date", "extension"))
    assert (unchanged.outcome, unchanged.changes) == ("unchanged", {})
    assert "raw_bank_name" in unchanged.notes[0] and "amount" in unchanged.notes[0]

    service.commit(data, "locked.xlsx", user="clerk")
    g1, g2 = guarantee("L-1"), guarantee("L-2")
    assert (g1.raw_supplier_name, g1.amount, g1.expiry_date) == (
        "Lana Medical Company",
        Decimal("25200.00"),
        date(2027, 6, 1),
    )
    assert g1.comment == "for release" and g1.is_locked
    assert (g2.raw_bank_name, g2.amount, g2.version) == ("Riyad Bank", Decimal("25200.00"), version_before)


def test_the_same_number_twice_in_a_file_the_later_row_wins(app, xlsx_bytes):
    data = xlsx_bytes(
        [
            HEADER,
            ["D-1", "Supplier", "Bank", 100, None, None, None, None, None],
            ["d 1", None, None, None, None, None, None, None, None],  # another number: D1
            ["d-1", "Supplier", "Bank", 200, None, None, None, None, "later"],
            ["D-1", "Supplier", "Bank", 200, None, None, None, None, None],
        ]
    )
    preview = service.evaluate(data, "twice.xlsx")
    assert [(r.guarantee_number, r.outcome) for r in preview.rows] == [
        ("D-1", "new"),
        ("D1", "error"),
        ("D-1", "update"),
        ("D-1", "unchanged"),
    ]
    assert preview.rows[2].changes == {"amount": ("100.00", "200.00"), "comment": (None, "later")}
    assert preview.rows[2].notes == ["D-1 is also on row 2: the later row wins"]

    result = service.commit(data, "twice.xlsx", user="clerk")
    d1 = guarantee("D-1")
    assert (d1.amount, d1.comment, d1.version) == (Decimal("200.00"), "later", 1)
    assert [(i.row_number, i.outcome, i.guarantee_id) for i in items(result.batch_id)] == [
        (2, "created", d1.id),
        (4, "updated", d1.id),
        (5, "unchanged", d1.id),
    ]
    # Each legacy row carries the guarantee as that row left it.
    records = db.session.scalars(sa.select(ImportedRecord).order_by(ImportedRecord.id)).all()
    by_id = {r.id: r for r in records}
    assert [(by_id[i.legacy_record_id].amount, by_id[i.legacy_record_id].comment) for i in items(result.batch_id)] == [
        ("100.00", None),
        ("200.00", "later"),
        ("200.00", "later"),
    ]


def test_one_batch_for_the_file_with_items_linked_both_ways_to_legacy_rows(app, xlsx_bytes):
    db.session.add_all([Supplier(official_name="Lana Medical"), Bank(official_name="Riyad Bank", short_code="RIBL")])
    db.session.commit()
    data = xlsx_bytes([HEADER, ROW_G1, ROW_G2, ["G-3", None, None, None, None, None, None, None, None]])
    result = service.commit(data, "list.xlsx", user="clerk")
    batch = db.session.get(ImportBatch, result.batch_id)
    assert (batch.batch_type, batch.filename, batch.file_sha256) == ("excel_import", "list.xlsx", result.preview.sha256)
    assert (batch.batch_date, batch.created_by, batch.total_records, batch.ready_records) == (
        date.today(),
        "clerk",
        2,
        1,
    )
    assert count(ImportBatch) == 1
    g1, g2 = guarantee("G-1"), guarantee("G-2")
    assert (g1.match_status, g2.match_status) == ("ready", "needs_review")
    assert g1.supplier_id is not None and g1.import_batch_id == batch.id and g1.import_type == "excel"
    assert [(r.outcome, r.guarantee_id) for r in result.preview.rows[:2]] == [("new", g1.id), ("new", g2.id)]

    session = db.session.get(ImportSession, batch.legacy_session_id)
    assert (session.session_type, session.record_count) == ("excel", 2)
    batch_items = items(batch.id)
    assert [i.guarantee_id for i in batch_items] == [g1.id, g2.id]
    assert batch_items[0].changes["amount"] == [None, "1000.00"] and batch_items[0].raw["SUPPLIER"] == "Lana Medical"
    for item in batch_items:
        record = db.session.get(ImportedRecord, item.legacy_record_id)
        assert (record.migrated_guarantee_id, record.import_batch_id) == (item.guarantee_id, batch.id)
        assert (record.session_id, record.record_type) == (batch.legacy_session_id, "import")
    assert db.session.get(ImportedRecord, batch_items[1].legacy_record_id).contract_number == "421378"


def test_writes_in_chunks_keep_every_row_and_link(app, xlsx_bytes, monkeypatch):
    monkeypatch.setattr(import_writes, "WRITE_CHUNK", 2)
    service.commit(xlsx_bytes([HEADER, ROW_G1]), "first.xlsx", user="clerk")
    rows = [["G-1", None, None, 7] + [None] * 5, ROW_G2, ["G-9", "S", None, 1] + [None] * 5]
    rows += [[f"C-{i}", "Supplier", "Bank", i] + [None] * 5 for i in range(1, 5)]
    result = service.commit(xlsx_bytes([HEADER, *rows]), "chunks.xlsx", user="clerk")
    batch_items = items(result.batch_id)
    assert [i.row_number for i in batch_items] == [2, 3, 5, 6, 7, 8]
    assert [i.outcome for i in batch_items] == ["updated"] + ["created"] * 5
    numbers = {g.id: g.guarantee_number for g in db.session.scalars(sa.select(Guarantee))}
    for item, number in zip(batch_items, ["G-1", "G-2", "C-1", "C-2", "C-3", "C-4"], strict=True):
        record = db.session.get(ImportedRecord, item.legacy_record_id)
        assert numbers[item.guarantee_id] == record.guarantee_number == number
        assert record.migrated_guarantee_id == item.guarantee_id
    assert guarantee("C-4").amount == Decimal("4.00") and count(Guarantee) == 6
    if db.engine.dialect.name == "sqlite":  # the search index is the FTS table its triggers write
        query = sa.text("SELECT rowid FROM guarantees_search WHERE guarantees_search MATCH 'supplier'")
        indexed = set(db.session.scalars(query))
        assert {numbers[i] for i in indexed} == {"C-1", "C-2", "C-3", "C-4"}


def test_nothing_legacy_is_written_when_dual_write_is_off(app, xlsx_bytes):
    app.config["DUAL_WRITE"] = False
    result = service.commit(xlsx_bytes([HEADER, ROW_G1, ROW_G2]), "list.xlsx", user="clerk")
    assert count(ImportedRecord) == 0 and count(ImportSession) == 0
    assert db.session.get(ImportBatch, result.batch_id).legacy_session_id is None
    assert [i.legacy_record_id for i in items(result.batch_id)] == [None, None]
    assert count(Guarantee) == 2


def test_a_failure_in_the_legacy_half_leaves_no_trace(app, xlsx_bytes, monkeypatch, error_files):
    service.commit(xlsx_bytes([HEADER, ROW_G1]), "first.xlsx", user="clerk")
    before = counts()

    def boom(self, batch, rows):
        raise RuntimeError("legacy table unavailable")

    monkeypatch.setattr(DualWriteAdapter, "record_items", boom)
    data = xlsx_bytes(
        [HEADER, ["G-1", None, None, 5, None, None, None, None, None], ROW_G2, ["G-9", "S", None, 1] + [None] * 5]
    )
    with pytest.raises(RuntimeError, match="legacy table unavailable"):
        service.commit(data, "second.xlsx", user="clerk")
    assert counts() == before
    assert guarantee("G-1").amount == Decimal("1000.00") and guarantee("G-2") is None
    assert error_files() == []


def test_a_failure_after_the_error_workbook_removes_it(app, xlsx_bytes, monkeypatch, error_files):
    written = service.write_errors

    def write_then_fail(preview, path):
        written(preview, path)
        assert error_files() == [path]
        raise OSError("disk full")

    monkeypatch.setattr(service, "write_errors", write_then_fail)
    with pytest.raises(OSError, match="disk full"):
        service.commit(xlsx_bytes([HEADER, ROW_G1, ["G-9", "S", None, 1] + [None] * 5]), "list.xlsx", user="clerk")
    assert error_files() == [] and count(Guarantee) == 0 and count(ImportBatch) == 0


def test_a_file_imported_before_needs_a_confirmation(app, xlsx_bytes):
    data = xlsx_bytes([HEADER, ROW_G1, ROW_G2])
    first = service.commit(data, "list.xlsx", user="clerk")
    preview = service.evaluate(data, "copy.xlsx")
    assert [b["id"] for b in preview.duplicate_of] == [first.batch_id]
    assert preview.duplicate_of[0]["created_by"] == "clerk" and preview.duplicate_of[0]["filename"] == "list.xlsx"
    with pytest.raises(service.DuplicateFile) as refused:
        service.commit(data, "copy.xlsx", user="other")
    assert [b["id"] for b in refused.value.batches] == [first.batch_id]
    assert count(ImportBatch) == 1
    again = service.commit(data, "copy.xlsx", user="other", confirm_duplicate=True)
    assert again.preview.counts == {"new": 0, "update": 0, "unchanged": 2, "error": 0}
    assert count(ImportBatch) == 2 and len(items(again.batch_id)) == 2


def test_a_file_without_a_valid_row_is_refused_and_writes_nothing(app, xlsx_bytes, error_files):
    for rows in ([["X-1", "Supplier only", None, 1] + [None] * 5], []):
        with pytest.raises(service.NothingToImport, match="Nothing to import"):
            service.commit(xlsx_bytes([HEADER, *rows]), "bad.xlsx", user="clerk")
    assert sum(counts().values()) == 0 and error_files() == []


def test_bad_files_are_refused_as_bad_workbooks(app, xlsx_bytes):
    with pytest.raises(service.BadWorkbook, match="not an Excel workbook"):
        service.evaluate(b"number,supplier\n1,2\n", "list.csv")
    with pytest.raises(service.BadWorkbook, match="No header row"):
        service.commit(xlsx_bytes([["Name", "Value"], ["a", "b"]]), "x.xlsx", user="clerk")
    app.config["MAX_IMPORT_ROWS"] = 2
    with pytest.raises(service.BadWorkbook, match="at most 2 rows"):
        service.commit(xlsx_bytes([HEADER, ROW_G1, ROW_G2]), "x.xlsx", user="clerk")
    assert isinstance(service.BadWorkbook("x"), ValidationFailed)
    assert sum(counts().values()) == 0


def test_the_error_workbook_lists_rejected_rows_with_a_reason_and_no_formulas(app, xlsx_bytes, error_files):
    data = xlsx_bytes(
        [HEADER, ROW_G1, ["G-5", "@SUM(A1:A9)", "+cmd|' /C calc'!A0", "abc", None, "-2+3", None, None, None]]
    )
    result = service.commit(data, "list.xlsx", user="clerk")
    assert error_files() == [Path(result.error_workbook)]
    assert result.error_workbook.endswith(f"batch-{result.batch_id}-errors.xlsx")
    sheet = load_workbook(result.error_workbook).active
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == [*HEADER, REASON_HEADER]
    assert len(rows) == 2
    cells = {header: cell for header, cell in zip([*HEADER, REASON_HEADER], rows[1], strict=True)}
    assert cells["BANK GUARANTEE NUMBER"].value == "G-5"
    assert cells[REASON_HEADER].value.startswith("amount: 'abc'")
    for header, text in (("SUPPLIER", "@SUM(A1:A9)"), ("BANK NAME", "+cmd|' /C calc'!A0"), ("CONTRACT NO.", "-2+3")):
        assert (cells[header].value, cells[header].data_type) == (text, "s")

    stream = BytesIO()
    service.write_errors(result.preview, stream)
    assert load_workbook(BytesIO(stream.getvalue())).active.max_row == 2


def test_preview_writes_nothing(app, xlsx_bytes):
    service.commit(xlsx_bytes([HEADER, ROW_G1]), "first.xlsx", user="clerk")
    before = counts()
    preview = service.evaluate(xlsx_bytes([HEADER, ["G-1", None, None, 7] + [None] * 5, ROW_G2]), "second.xlsx")
    assert preview.counts == {"new": 1, "update": 1, "unchanged": 0, "error": 0}
    db.session.rollback()
    assert counts() == before and guarantee("G-1").amount == Decimal("1000.00")


def test_matching_runs_once_per_distinct_name_pair(app, xlsx_bytes, monkeypatch):
    calls = []
    real = import_rows.matcher_for

    def spy(session):
        matcher = real(session)

        class Spy:
            def match(self, supplier, bank):
                calls.append((supplier, bank))
                return matcher.match(supplier, bank)

        return Spy()

    monkeypatch.setattr(import_rows, "matcher_for", spy)
    rows = [[f"M-{i}", "Lana Medical", "Riyad Bank" if i % 2 else "SNB", i] + [None] * 5 for i in range(1, 9)]
    service.commit(xlsx_bytes([HEADER, *rows]), "many.xlsx", user="clerk")
    assert sorted(calls) == [("Lana Medical", "Riyad Bank"), ("Lana Medical", "SNB")]


def test_a_concurrent_change_is_a_conflict_and_nothing_is_written(app, xlsx_bytes, monkeypatch):
    service.commit(xlsx_bytes([HEADER, ROW_G1]), "first.xlsx", user="clerk")
    before = counts()
    real = import_rows.load_stored

    def stale(session, numbers):
        found = real(session, numbers)
        for stored in found.values():
            stored["version"] -= 1  # as read before somebody else's edit
        return found

    monkeypatch.setattr(import_rows, "load_stored", stale)
    with pytest.raises(Conflict):
        service.commit(xlsx_bytes([HEADER, ["G-1", None, None, 5] + [None] * 5, ROW_G2]), "second.xlsx", user="clerk")
    assert counts() == before and guarantee("G-1").amount == Decimal("1000.00")


def test_a_number_added_meanwhile_is_a_conflict_and_nothing_is_written(app, xlsx_bytes, monkeypatch):
    service.commit(xlsx_bytes([HEADER, ROW_G1]), "first.xlsx", user="clerk")
    before = counts()
    # As if G-1 had been entered by somebody else after the file was read: the insert meets the unique number.
    monkeypatch.setattr(import_rows, "load_stored", lambda session, numbers: {})
    with pytest.raises(Conflict, match="added some of these guarantee numbers"):
        service.commit(
            xlsx_bytes([HEADER, ROW_G2, ["G-1", "Other", "Bank", 5] + [None] * 5]), "second.xlsx", user="clerk"
        )
    assert counts() == before and guarantee("G-2") is None


def test_values_too_long_for_their_column_are_errors(app, xlsx_bytes):
    preview = service.evaluate(xlsx_bytes([HEADER, ["T-1", "S", "B", 1, None, None, None, "X" * 51, None]]), "t.xlsx")
    assert preview.rows[0].outcome == "error" and "type:" in preview.rows[0].reason


def test_preview_json_summary(app, xlsx_bytes):
    preview = service.evaluate(xlsx_bytes([HEADER, ROW_G1, ["G-9", "S", None, 1] + [None] * 5]), "list.xlsx")
    data = preview.as_json(rows=True)
    assert (data["sheet"], data["header_row"], data["sheets"]) == ("Sheet1", 1, ["Sheet1"])
    assert data["columns"]["guarantee_number"] == "BANK GUARANTEE NUMBER" and "currency" not in data["columns"]
    assert data["headers"] == HEADER and data["ignored"] == []
    assert data["counts"] == {"new": 1, "update": 0, "unchanged": 0, "error": 1}
    assert data["errors"] == [{"row": 3, "reason": "bank: required for a new guarantee"}]
    assert data["rows"][0]["changes"]["expiry_date"] == [None, "2026-01-31"]
    assert data["rows"][0]["values"]["amount"] == "1000.00"
