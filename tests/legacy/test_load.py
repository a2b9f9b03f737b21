"""`flask legacy load`: any legacy variant copied with its ids; refusals change nothing."""

import sqlite3

import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models.dictionary import Bank, Supplier
from guarantees.models.legacy import ImportedRecord, ImportSession
from tests.legacy.conftest import count, schema


def records() -> dict[int, ImportedRecord]:
    return {r.id: r for r in db.session.scalars(sa.select(ImportedRecord))}


def test_load_keeps_ids_and_renumbers_missing_and_repeated_ones(app, cli, legacy_file):
    code, output, report = cli("load", str(legacy_file()), "--json")
    assert code == 0, output
    assert report["copied"] == {"import_sessions": 11, "imported_records": 19, "suppliers": 2, "banks": 2}
    assert report["renumbered_total"] == 2
    assert [(r["source_rowid"], r["old_id"], r["new_id"]) for r in report["renumbered"]] == [(6, None, 18), (7, 5, 19)]
    assert report["tables_not_copied"] == ["learning_log"]
    assert report["columns_not_copied"] == {"suppliers": ["supplier_normalized_key"]}
    assert report["columns_absent"] == {"imported_records": ["contract_source"]}
    loaded = records()
    assert sorted(loaded) == list(range(1, 20))
    assert loaded[1].guarantee_number == "jlg6900350 " and loaded[1].amount == "1,234.50"  # exactly as it was
    assert loaded[1].raw_supplier_name == "شركة الخليج الطبية المحدودة"
    assert (loaded[18].guarantee_number, loaded[19].guarantee_number) == ("XYZ300", "xyz300 ")
    assert (loaded[5].guarantee_number, loaded[2].record_type) == ("ABC200", None)
    assert db.session.get(ImportSession, 2).session_type == "list-january.xlsx"
    assert db.session.get(Bank, 1).short_code == "ANB" and db.session.get(Supplier, 2).official_name


def test_new_rows_after_a_load_get_fresh_ids(app, cli, legacy_file, make_guarantee):
    assert cli("load", str(legacy_file()))[0] == 0
    make_guarantee("NEW-1")  # dual-write: one legacy session and one legacy row, after the loaded ones
    assert max(records()) == 20
    assert db.session.scalar(sa.select(sa.func.max(ImportSession.id))) == 12


def test_a_second_load_is_refused_and_changes_nothing(app, cli, legacy_file, database):
    path = str(legacy_file())
    assert cli("load", path)[0] == 0
    code, output, _ = cli("load", path)
    assert code == 1
    assert "already holds legacy rows" in output and "Nothing was changed" in output
    assert count(database, "imported_records") == 19
    code, _, report = cli("load", path, "--json")
    assert code == 1 and report["ok"] is False and "already holds legacy rows" in report["error"]


def test_a_register_used_with_dual_write_refuses_a_load(app, cli, legacy_file, make_guarantee, database):
    make_guarantee("APP-1")
    code, output, _ = cli("load", str(legacy_file()))
    assert code == 1 and "already holds legacy rows (import_sessions: 1, imported_records: 1)" in output
    assert count(database, "imported_records") == 1


def test_files_that_are_not_legacy_databases_are_refused(app, cli, tmp_path, database):
    text = tmp_path / "notes.sqlite"
    text.write_text("this is not a database at all, just some text " * 100)
    code, output, _ = cli("load", str(text))
    assert code == 1 and "is not an SQLite database" in output
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE things (id INTEGER)")
    con.close()
    code, output, _ = cli("load", str(other))
    assert (
        code == 1 and "is not a legacy guarantee database: it has no import_sessions and no imported_records" in output
    )
    code, output, _ = cli("load", str(tmp_path / "missing.sqlite"))
    assert code != 0
    assert count(database, "import_sessions") == 0


def test_early_variant_with_contract_source_and_no_record_type(app, cli, legacy_file):
    code, output, report = cli("load", str(legacy_file("early")), "--json")
    assert code == 0, output
    assert report["renumbered_total"] == 0
    assert report["columns_absent"] == {"imported_records": ["related_to", "record_type"]}
    assert report["columns_not_copied"]["imported_records"] == ["extra_legacy_column"]
    loaded = records()
    assert loaded[2].contract_source == "po" and loaded[2].record_type is None
    code, output, summary = cli("migrate", "--json")
    assert code == 0 and summary["action_rows"] == 0 and summary["guarantees_created"] == 7
    code, output, verified = cli("verify", "--json")
    assert code == 0 and verified["ok"], output


def test_minimal_variant_without_dictionaries(app, cli, legacy_file):
    code, output, report = cli("load", str(legacy_file("minimal")), "--json")
    assert code == 0, output
    assert report["tables_absent"] == ["suppliers", "banks"]
    assert "record_type" in report["columns_absent"]["imported_records"]
    assert cli("migrate")[0] == 0
    code, output, verified = cli("verify", "--json")
    assert code == 0 and verified["ok"], output
    assert verified["counts"]["guarantees"] == 7


def test_cells_of_unexpected_types_are_reported(app, cli, legacy_file):
    rows = [
        {"id": 1, "session_id": 1, "guarantee_number": 12345, "amount": 1500.5, "created_at": "2025-01-01"},
        {"id": "2", "session_id": "1", "guarantee_number": "G-2", "supplier_id": "not a number"},
        {"id": 2.5, "session_id": 1, "guarantee_number": "G-3", "raw_bank_name": b"Riyad Bank"},
    ]
    code, output, report = cli("load", str(legacy_file(rows=rows)), "--json")
    assert code == 0, output
    loaded = records()
    assert loaded[1].guarantee_number == "12345" and loaded[1].amount == "1500.5"
    assert loaded[2].session_id == 1 and loaded[2].supplier_id is None
    assert report["altered_total"] == 1 and report["altered"][0]["column"] == "supplier_id"
    assert report["renumbered_total"] == 1 and loaded[3].raw_bank_name == "Riyad Bank"


def test_rows_needing_conversion_keep_their_order_among_rows_copied_as_they_are(app, cli, legacy_file):
    rows = [
        {"id": 1, "session_id": 1, "guarantee_number": "G-1", "comment": "a\x00b"},
        {"id": 2, "session_id": 1, "guarantee_number": "G-2", "comment": "plain"},
        {"id": "7", "session_id": 1, "guarantee_number": "G-7 text id"},
        {"id": 7, "session_id": 1, "guarantee_number": "G-7 integer id"},
        {"id": 3, "session_id": 1, "guarantee_number": "G-3", "bank_id": "4"},
    ]
    code, output, report = cli("load", str(legacy_file(rows=rows)), "--json")
    assert code == 0, output
    loaded = records()
    assert sorted(loaded) == [1, 2, 3, 7, 8]
    assert (loaded[1].comment, loaded[2].comment) == ("ab", "plain")
    assert (loaded[7].guarantee_number, loaded[8].guarantee_number) == ("G-7 text id", "G-7 integer id")
    assert loaded[3].bank_id == 4
    assert [(r["id"], r["column"]) for r in report["altered"]] == [(1, "comment")]
    assert [(r["old_id"], r["new_id"]) for r in report["renumbered"]] == [(7, 8)]


def test_a_load_leaves_every_index_as_it_was(cli, legacy_file, database):
    """On PostgreSQL the load builds imported_records' indexes after the copy: they come back as they were."""
    before = schema(database)
    assert cli("load", str(legacy_file()))[0] == 0
    assert schema(database) == before
    code, output, _ = cli("load", str(legacy_file()))  # refused, and still nothing changed
    assert code == 1 and schema(database) == before
