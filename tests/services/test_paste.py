"""Pasted rows: previewed with the import's rules, confirmed into the day's text_paste batch (one per day, reused,
race-safe), through the dual-write adapter like an import."""

from __future__ import annotations

import multiprocessing
import traceback
from datetime import date

import pytest
import sqlalchemy as sa

from guarantees.clock import today
from guarantees.extensions import db
from guarantees.models import Guarantee, ImportBatch, ImportBatchItem
from guarantees.models.legacy import ImportedRecord, ImportSession
from guarantees.services import imports, paste
from guarantees.services.imports import BadWorkbook, NothingToImport
from tests.conftest import shared_fixture
from tests.importer.test_paste import clipboard_text

HEADER = "BANK GUARANTEE NUMBER\tSUPPLIER\tBANK NAME\tAMOUNT\tEXPIRY DATE\tCOMMENT\r\n"


def pasted(*rows: str, header: str = HEADER) -> str:
    return header + "".join(f"{row}\r\n" for row in rows)


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def confirm(text: str, user: str = "clerk"):
    """Paste, preview, confirm: the import's result."""
    upload, job = paste.receive(text, user=user)
    assert job is None
    return upload.commit(user=user, confirm_duplicate=False)


@pytest.mark.parametrize("name", ["July.xlsx", "6-2025-PO.xlsx", "ضمانات للتمديد يناير 2025.xlsx"])
def test_the_preview_of_real_rows_copied_from_excel_is_the_imports(app, name):
    path = shared_fixture("xlsx", name)
    upload, _job = paste.receive(clipboard_text(path, rows=12), user="clerk")
    kept = upload.preview()
    excel = imports.evaluate(path, name)
    assert kept.columns.keys() == excel.columns.keys()
    mine = kept.page(None, 1, 100).items
    theirs = [row for row in excel.rows if row.row_number <= 13]
    assert len(mine) == len(theirs) == 12
    for row, expected in zip(mine, theirs, strict=True):
        assert (row.row_number, row.outcome, row.guarantee_number, row.reason) == (
            expected.row_number, expected.outcome, expected.guarantee_number, expected.reason,
        )  # fmt: skip
        assert row.values == {k: v for k, v in expected.values.items() if k in row.values}
        assert row.values.keys() == {k for k in ("supplier", "bank", "amount", "currency", "expiry_date")
                                     if expected.values.get(k) is not None}  # fmt: skip
    assert count(ImportBatch) == 0 and count(Guarantee) == 0  # a preview writes nothing


def test_confirming_writes_the_valid_rows_into_the_days_text_paste_batch(app):
    result = confirm(pasted("jlg 1\tAcme\tRiyad Bank\t1,000.00\t01/06/2026\t", "JLG2\tBeta\tSNB\t2000\t\tللتمديد",
                            "JLG3\tGamma\t\t300\t\t"))  # fmt: skip
    assert result.preview.counts == {"new": 2, "update": 0, "unchanged": 0, "error": 1}
    batch = db.session.get(ImportBatch, result.batch_id)
    assert (batch.batch_type, batch.batch_date, batch.total_records, batch.origin) == ("text_paste", today(), 2, "app")
    assert batch.description == f"Pasted entries of {today().isoformat()}"
    guarantees = db.session.scalars(sa.select(Guarantee).order_by(Guarantee.guarantee_number)).all()
    assert [(g.guarantee_number, g.import_type, g.import_batch_id) for g in guarantees] == [
        ("JLG1", "paste", batch.id), ("JLG2", "paste", batch.id),
    ]  # fmt: skip
    assert guarantees[0].expiry_date == date(2026, 6, 1) and guarantees[1].comment == "للتمديد"
    items = db.session.scalars(sa.select(ImportBatchItem).order_by(ImportBatchItem.row_number)).all()
    assert [(i.row_number, i.outcome) for i in items] == [(1, "created"), (2, "created")]
    assert {i.created_by for i in items} == {"clerk"}
    assert items[0].raw["BANK GUARANTEE NUMBER"] == "jlg 1"
    # Dual-write: one legacy paste session for the batch, one linked legacy row per written row.
    session = db.session.get(ImportSession, batch.legacy_session_id)
    assert (session.session_type, session.record_count) == ("smart_paste", 2)
    records = db.session.scalars(sa.select(ImportedRecord).order_by(ImportedRecord.id)).all()
    assert [r.guarantee_number for r in records] == ["JLG1", "JLG2"]
    assert {(r.session_id, r.import_batch_id, r.record_type) for r in records} == {(session.id, batch.id, "import")}
    assert [i.legacy_record_id for i in items] == [r.id for r in records]


def test_a_second_paste_the_same_day_joins_the_same_batch_numbered_after_the_first(app, make_guarantee):
    first = confirm(pasted("G1\tAcme\tRiyad Bank\t100\t\t", "G2\tAcme\tRiyad Bank\t200\t\t"))
    make_guarantee("M1")  # a manual entry: its own daily batch
    second = confirm(pasted("G3\tBeta\tSNB\t300\t\t", "G1\t\t\t150\t\tcut"), user="other")
    assert second.batch_id == first.batch_id
    assert second.preview.counts == {"new": 1, "update": 1, "unchanged": 0, "error": 0}
    batch = db.session.get(ImportBatch, first.batch_id)
    assert batch.total_records == 4
    assert count(ImportBatch, ImportBatch.batch_type == "text_paste") == 1
    assert count(ImportBatch, ImportBatch.batch_type == "manual_batch") == 1
    items = db.session.scalars(
        sa.select(ImportBatchItem).where(ImportBatchItem.batch_id == batch.id).order_by(ImportBatchItem.id)
    ).all()
    assert [(i.row_number, i.outcome, i.created_by) for i in items] == [
        (1, "created", "clerk"), (2, "created", "clerk"), (3, "created", "other"), (4, "updated", "other"),
    ]  # fmt: skip
    assert items[3].changes == {"amount": ["100.00", "150.00"], "comment": [None, "cut"]}
    g1 = db.session.scalar(sa.select(Guarantee).where(Guarantee.guarantee_number == "G1"))
    assert (str(g1.amount), g1.comment, g1.version) == ("150.00", "cut", 2)
    assert count(ImportSession, ImportSession.session_type == "smart_paste") == 1
    assert db.session.get(ImportSession, batch.legacy_session_id).record_count == 4


def test_a_paste_without_a_valid_row_writes_nothing_not_even_the_batch(app):
    with pytest.raises(NothingToImport):
        confirm(pasted("G1\t\t\t\t\t", "G2\tAcme\t\tabc\t\t"))
    assert count(ImportBatch) == 0 and count(Guarantee) == 0 and count(ImportedRecord) == 0


def test_a_paste_that_cannot_be_read_is_refused_with_its_reason_and_nothing_kept(app, tmp_path):
    with pytest.raises(BadWorkbook, match="single column"):
        paste.receive("G1\nG2\n", user="clerk")
    with pytest.raises(BadWorkbook, match="Nothing to read"):
        paste.receive(" \r\n", user="clerk")
    pending = tmp_path / "uploads" / "pending"
    assert not pending.exists() or not any(pending.iterdir())


def test_without_a_header_the_template_order_is_previewed_and_the_mapping_can_be_corrected(app):
    upload, _job = paste.receive("G1\tRiyad Bank\tAcme\t500\r\n", user="clerk")
    assert upload.meta["has_header"] is False
    row = upload.preview().page(None, 1, 10).items[0]
    assert (row.outcome, row.values["supplier"], row.values["bank"]) == ("new", "Riyad Bank", "Acme")
    upload.remap(None, {**upload.overrides, "supplier": "Column C", "bank": "Column B"}, user="clerk", locale=None)
    row = upload.preview().page(None, 1, 10).items[0]
    assert (row.values["supplier"], row.values["bank"]) == ("Acme", "Riyad Bank")
    result = upload.commit(user="clerk", confirm_duplicate=False)
    g = db.session.get(Guarantee, result.preview.rows[0].guarantee_id)
    assert (g.raw_supplier_name, g.raw_bank_name) == ("Acme", "Riyad Bank")


def test_dual_write_off_writes_only_the_new_tables(app):
    app.config["DUAL_WRITE"] = False
    result = confirm(pasted("G1\tAcme\tRiyad Bank\t100\t\t"))
    assert db.session.get(ImportBatch, result.batch_id).legacy_session_id is None
    assert count(ImportedRecord) == 0 and count(ImportSession) == 0 and count(Guarantee) == 1


# -- a race for the day's batch, as manual entry has (tests/production/test_concurrency.py) ------------------------

PROCESSES = 4
spawn = multiprocessing.get_context("spawn")


def paste_in(url, folder, barrier, number, results):
    """Paste and confirm one row once the barrier opens (in its own process, with its own app)."""
    from guarantees import create_app

    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 32, "UPLOAD_FOLDER": folder}
    app = create_app(config)
    with app.app_context():
        from guarantees.services import paste as service

        upload, _job = service.receive(pasted(f"{number}\tSupplier\tBank\t100\t\t"), user=number)
        barrier.wait()
        try:
            result = upload.commit(user=number, confirm_duplicate=False)
            results.put(("ok", result.batch_id))
        except Exception as error:  # reported to the test, which decides
            results.put(("error", f"{type(error).__name__}: {error}\n{traceback.format_exc()}"))


@pytest.mark.slow
def test_simultaneous_pastes_share_one_daily_batch(app, database, tmp_path):
    barrier = spawn.Barrier(PROCESSES)
    results = spawn.Queue()
    numbers = [f"RACE-{n}" for n in range(PROCESSES)]
    processes = [
        spawn.Process(target=paste_in, args=(database, str(tmp_path), barrier, number, results)) for number in numbers
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert len({batch for _, batch in outcomes}) == 1
    assert count(ImportBatch) == 1
    batch = db.session.scalar(sa.select(ImportBatch))
    assert batch.total_records == PROCESSES
    assert sorted(db.session.scalars(sa.select(Guarantee.guarantee_number))) == numbers
    assert sorted(db.session.scalars(sa.select(ImportedRecord.guarantee_number))) == numbers
    # each paste took the next row numbers of the batch: none twice
    assert sorted(db.session.scalars(sa.select(ImportBatchItem.row_number))) == list(range(1, PROCESSES + 1))
