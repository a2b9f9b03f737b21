"""`flask legacy rollback --yes`: back to the legacy-only schema with every legacy row intact, and back again."""

import sqlalchemy as sa
from flask_migrate import upgrade

from guarantees.extensions import db
from guarantees.legacy.rollback import checksums
from tests.legacy.conftest import count, snapshot


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_rollback_refuses_without_yes(app, cli, database):
    code, output, _ = cli("rollback")
    assert code == 1 and "Refusing to roll back without --yes" in output
    assert "guarantees" in tables(database)


def test_rollback_keeps_every_legacy_row_and_the_round_trip_works(app, cli, legacy_file, database, make_guarantee):
    assert cli("load", str(legacy_file()))[0] == 0
    assert cli("migrate")[0] == 0
    migrated = snapshot(database)
    make_guarantee("APP-1")  # app activity: a dual-written legacy row that must survive too
    db.session.remove()
    before = checksums(db.engine)

    code, output, report = cli("rollback", "--yes", "--json")
    assert code == 0, output
    assert report["ok"] and report["revision"] == "0001_legacy" and report["differ"] == []
    assert report["after"]["imported_records"]["rows"] == 20 and report["after"] == before
    assert {"guarantees", "import_batches", "guarantee_actions"}.isdisjoint(tables(database))
    engine = sa.create_engine(database)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("imported_records")}
    engine.dispose()
    assert "migrated_guarantee_id" not in columns and count(database, "imported_records") == 20

    code, output, _ = cli("rollback", "--yes")
    assert code == 0 and "Already at 0001_legacy" in output

    upgrade()
    db.engine.dispose()
    code, output, summary = cli("migrate", "--json")
    assert code == 0, output
    assert summary["guarantees_created"] == 10 and summary["import_rows"] == 13
    again = snapshot(database)
    assert again["guarantees"].pop("APP-1")["import_type"] == "manual"  # the app's row, migrated as legacy now
    for key in ("guarantees", "actions", "sessions"):
        assert again[key] == migrated[key], key
    assert cli("verify")[0] == 0
