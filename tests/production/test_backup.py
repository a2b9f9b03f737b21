"""The README's backup and restore (pg_dump / pg_restore), done once: data, links and triggers come back."""

import shutil
import subprocess
from datetime import timedelta

import pytest
import sqlalchemy as sa

from guarantees.clock import today
from guarantees.extensions import db
from guarantees.services import actions

TABLES = ("guarantees", "guarantee_actions", "import_batches", "import_batch_items", "imported_records")


def counts(engine):
    with engine.connect() as connection:
        return {t: connection.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in TABLES}


def libpq(url: str) -> str:
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_pg_dump_and_restore_round_trip(backend, database, app, make_guarantee, tmp_path):
    if not hasattr(backend, "admin"):
        pytest.skip("backups are documented for PostgreSQL")
    for tool in ("pg_dump", "pg_restore"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed")
    g = make_guarantee("BACKUP-1", expiry_date=(today() + timedelta(days=60)).isoformat())
    actions.extend(g.id, user="clerk")
    db.session.remove()
    dump = tmp_path / "register.dump"
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", libpq(database)], check=True)
    restored = backend.fresh(None)
    try:
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={libpq(restored)}", str(dump)], check=True)
        original, copy = sa.create_engine(database), sa.create_engine(restored)
        assert counts(copy) == counts(original) and counts(copy)["guarantee_actions"] == 1
        with pytest.raises(sa.exc.IntegrityError), copy.begin() as connection:
            connection.execute(sa.text("UPDATE guarantee_actions SET notes = 'tampered'"))
        original.dispose()
        copy.dispose()
    finally:
        backend.drop(restored)
