"""The standard guarantee types: one mapping from a type as written, its SQL twin in migration 0019, the labels."""

import importlib.util
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_migrate import downgrade, upgrade

from guarantees import create_app
from guarantees.domain import guarantee_types as types
from guarantees.extensions import db
from guarantees.models import Guarantee
from tests.conftest import shared_fixture
from tests.legacy.conftest import write_legacy

MIGRATION = Path(__file__).parents[2] / "migrations" / "versions" / "20260119_0019_reports_views.py"
# Spellings from the real workbooks and legacy rows, the usual others, and near misses that are not a type.
SAMPLES = {
    "FINAL": "performance", "Final": "performance", "final ": "performance", " FINAL\u00a0": "performance",
    "ADVANCED": "advance_payment", "Advance Payment": "advance_payment", "advance-payment": "advance_payment",
    "Advance  Payment": "advance_payment", "ADVANCE_PAYMENT": "advance_payment", "Bid Bond": "bid",
    "Initial": "bid", "INITIAL": "bid", "Tender": "bid", "Performance Bond": "performance",
    "Retention": "retention", "RETENTION MONEY": "retention", "ابتدائي": "bid", "إبتدائى": "bid",
    "ضمان ابتدائي": "bid", "نهائي": "performance", "نهائى": "performance", "ضمان نهائي": "performance",
    "حسن التنفيذ": "performance", "دفعة مقدمة": "advance_payment", "دفعه مقدمه": "advance_payment",
    "دفعـة مقدمة": "advance_payment", "محتجزات": "retention", "ضمان المحتجزات": "retention",
    "Maintenance": "other", "FINALS": "other", "final payment": "other", "نوع آخر": "other", "": "other",
    "   ": "other", "=SUM(A1)": "other", "O'Brien": "other", "FİNAL": "other", "\u212aBID": "other",
    "Ｆｉｎａｌ": "other", "bid\tbond": "bid", "bid\nbond": "bid",
}  # fmt: skip


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0019", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("text", "code"), SAMPLES.items())
def test_each_spelling_maps_to_its_code(text, code):
    assert types.type_code(text) == code


def test_no_type_is_other_and_every_alias_is_a_key_of_one_code():
    assert types.type_code(None) == "other"
    seen = {}
    for code, keys in types.ALIASES.items():
        assert code in types.TYPE_CODES and code != "other"
        for key in keys:
            assert types.type_key(key) == key, key
            assert seen.setdefault(key, code) == code, key


def test_each_code_standard_text_maps_back_to_it():
    for code in types.TYPE_CODES:
        assert types.type_code(types.STANDARD_TEXT.get(code)) == code


def test_a_code_chosen_from_the_list_keeps_the_text_that_already_means_it():
    assert types.chosen_type("performance", "Final") == "Final"
    assert types.chosen_type("performance", None) == "FINAL"
    assert types.chosen_type("bid", "Final") == "BID"
    assert types.chosen_type("other", "Maintenance") == "Maintenance"
    assert types.chosen_type("other", "FINAL") is None
    assert types.chosen_type("Final", None) == "Final"  # free text (a script, an older client) as typed
    assert types.chosen_type(None, "FINAL") is None


def test_original_text_is_shown_only_for_other():
    assert types.original_text("other", "Maintenance") == "Maintenance"
    assert types.original_text("other", None) is None
    assert types.original_text("performance", "Final") is None


def test_labels_in_both_languages():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "DEFAULT_LOCALE": "en"})
    with app.test_request_context():
        assert types.type_label("performance") == "Performance (final)"
        with force_locale("ar"):
            arabic = {code: types.type_label(code) for code in types.TYPE_CODES}
    assert arabic["bid"] == "ابتدائي" and arabic["performance"] == "نهائي (حسن التنفيذ)"
    assert arabic["advance_payment"] == "دفعة مقدمة" and arabic["retention"] == "محتجزات"
    assert types.type_label("unknown") == "unknown" and types.type_label(None) == ""


def test_the_migration_keeps_an_equal_copy_of_the_mapping():
    migration = _migration()
    assert migration.TYPE_CODES == types.TYPE_CODES
    assert migration.KEY_REPLACEMENTS == types.KEY_REPLACEMENTS
    assert migration.ALIASES == types.ALIASES


def test_the_migrations_sql_maps_every_spelling_as_python_does(app):
    migration = _migration()
    values = [*SAMPLES, *(alias.upper() for keys in types.ALIASES.values() for alias in keys)]
    values += [f" {types.STANDARD_TEXT.get(code, 'x')}  " for code in types.TYPE_CODES]
    dialect = db.engine.dialect.name
    with db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TEMPORARY TABLE type_samples (n INTEGER, type TEXT)")
        connection.execute(
            sa.text("INSERT INTO type_samples (n, type) VALUES (:n, :type)"),
            [{"n": n, "type": value} for n, value in enumerate(values)],
        )
        found = dict(
            connection.exec_driver_sql(f"SELECT n, {migration.type_code_sql('type', dialect)} FROM type_samples").all()
        )
    assert {values[n]: code for n, code in found.items()} == {value: types.type_code(value) for value in values}


def test_the_real_legacy_types_map_to_standard_codes():
    path = shared_fixture("legacy", "bgl-2025-12-17.sqlite")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as source:
        found = {row[0] for row in source.execute("SELECT DISTINCT type FROM imported_records")}
    assert {value: types.type_code(value) for value in found if value} == {
        "FINAL": "performance",
        "Final": "performance",
        "ADVANCED": "advance_payment",
    }


def test_the_migration_fills_type_code_from_the_stored_type(make_app, empty_database):
    app = make_app(empty_database)
    with app.app_context():
        upgrade(revision="0018_bank_answers_voids")
        insert = sa.text(
            "INSERT INTO guarantees (guarantee_number, type, currency, match_status, status, is_locked, version, "
            "created_at, updated_at) VALUES (:number, :type, 'SAR', 'needs_review', 'active', :locked, 1, "
            "'2025-01-01 00:00:00', '2025-01-01 00:00:00')"
        )
        rows = {"G1": "Final", "G2": "ADVANCED", "G3": "Maintenance", "G4": None, "G5": "نهائى"}
        with db.engine.begin() as connection:
            for number, kind in rows.items():
                connection.execute(insert, {"number": number, "type": kind, "locked": number == "G1"})
        upgrade()
        found = dict(db.session.execute(sa.select(Guarantee.guarantee_number, Guarantee.type_code)).all())
        assert found == {"G1": "performance", "G2": "advance_payment", "G3": "other", "G4": "other",
                         "G5": "performance"}  # fmt: skip
        db.session.remove()
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            connection.exec_driver_sql("UPDATE guarantees SET type_code = 'final' WHERE guarantee_number = 'G3'")
        downgrade(revision="0018_bank_answers_voids")
        columns = {column["name"] for column in sa.inspect(db.engine).get_columns("guarantees")}
        assert "type_code" not in columns and "report_exposure" not in sa.inspect(db.engine).get_view_names()
        db.session.remove()
        db.engine.dispose()


def _codes() -> dict[str, tuple[str | None, str]]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(Guarantee.guarantee_number, Guarantee.type, Guarantee.type_code)).all()
    return {number: (text, code) for number, text, code in rows}


def test_manual_entry_and_inline_edits_set_the_code(app):
    from guarantees.services import guarantees as service

    base = {"raw_supplier_name": "Lana", "raw_bank_name": "Riyad Bank", "amount": "100", "expiry_date": "2030-01-01"}
    chosen = service.create({**base, "guarantee_number": "M1", "type": "advance_payment"}, user="clerk")
    typed = service.create({**base, "guarantee_number": "M2", "type": "Final"}, user="clerk")
    service.create({**base, "guarantee_number": "M3", "type": "Maintenance"}, user="clerk")
    service.create({**base, "guarantee_number": "M4"}, user="clerk")
    assert _codes() == {"M1": ("ADVANCE PAYMENT", "advance_payment"), "M2": ("Final", "performance"),
                        "M3": ("Maintenance", "other"), "M4": (None, "other")}  # fmt: skip
    same = service.update(typed.id, {"type": "performance"}, expected_version=typed.version, user="clerk")
    assert same.version == typed.version  # the same type chosen again: the imported text kept, nothing written
    service.update(chosen.id, {"type": "retention"}, expected_version=chosen.version, user="clerk")
    service.update(typed.id, {"type": "other"}, expected_version=typed.version, user="clerk")
    codes = _codes()
    assert codes["M1"] == ("RETENTION", "retention") and codes["M2"] == (None, "other")


def test_an_import_sets_the_code_of_new_and_changed_guarantees(app, xlsx_bytes):
    from guarantees.services import imports

    header = ["BANK GUARANTEE NUMBER", "SUPPLIER", "BANK NAME", "AMOUNT", "EXPIRY DATE", "TYPE"]
    rows = [["I-1", "Lana", "Riyad Bank", 100, "2030-01-01", "FINAL"], ["I-2", "Noor", "SNB", 200, None, "ابتدائي"],
            ["I-3", "Noor", "SNB", 300, None, "Maintenance"]]  # fmt: skip
    imports.commit(xlsx_bytes([header, *rows]), "types.xlsx", user="clerk")
    assert _codes() == {"I-1": ("FINAL", "performance"), "I-2": ("ابتدائي", "bid"), "I-3": ("Maintenance", "other")}
    imports.commit(xlsx_bytes([header, ["I-3", None, None, None, None, "دفعة مقدمة"]]), "again.xlsx", user="clerk")
    assert _codes()["I-3"] == ("دفعة مقدمة", "advance_payment")


def test_the_legacy_migration_sets_the_code(app, tmp_path):
    runner = app.test_cli_runner()
    db.session.remove()  # the commands work on their own connections
    assert runner.invoke(args=["legacy", "load", str(write_legacy(tmp_path / "legacy.sqlite"))]).exit_code == 0
    assert runner.invoke(args=["legacy", "migrate"]).exit_code == 0
    found = _codes().values()
    assert ("FINAL", "performance") in found and all(code == types.type_code(text) for text, code in found)
