"""`flask legacy ...` commands: load, migrate, verify, rollback, retire, archive."""

import getpass
import json
import sys
from contextlib import contextmanager

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup
from tqdm import tqdm

from guarantees.extensions import db
from guarantees.legacy.migrate import CHUNK_ROWS

legacy = AppGroup("legacy", help="Load, migrate, verify, roll back, retire and archive legacy data.")


@contextmanager
def _progress(description: str, total: int | None):
    """A progress bar on stderr when it is a terminal (never in --json output or pipes)."""
    bar = tqdm(
        total=total, desc=description, unit="rows", unit_scale=True, file=sys.stderr,
        disable=not sys.stderr.isatty(), leave=False,
    )  # fmt: skip
    try:
        yield bar.update
    finally:
        bar.close()


@contextmanager
def _owner_engine():
    """The engine of the role that owns the tables (MIGRATE_DATABASE_URL) when it is set, else the app's: the
    cut-over commands set id sequences (load) and drop tables (archive), which the app's role may not."""
    owner_url = current_app.config.get("MIGRATE_DATABASE_URL")
    if not owner_url:
        yield db.engine
        return
    engine = sa.create_engine(owner_url, poolclass=sa.pool.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def _echo_json(data: dict) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _require_legacy_tables(as_json: bool) -> None:
    """Refuse once the legacy tables were archived and dropped: nothing is left to load into or migrate from."""
    from guarantees.legacy.verify import archive_record

    with db.engine.connect() as conn:
        archived = archive_record(conn)
    if archived:
        _fail(
            f"The legacy tables were archived on {archived['archived_at']:%Y-%m-%d %H:%M} to "
            f"{archived['file_name']} and dropped: there are no legacy tables any more.",
            as_json,
        )


def _require_upgraded(as_json: bool) -> None:
    _require_legacy_tables(as_json)
    inspector = sa.inspect(db.engine)
    upgraded = inspector.has_table("guarantees") and "migrated_guarantee_id" in {
        column["name"] for column in inspector.get_columns("imported_records")
    }
    if not upgraded:
        _fail("The register has no new-architecture tables: run `flask db upgrade` first.", as_json)


def _fail(message: str, as_json: bool) -> None:
    if as_json:
        _echo_json({"ok": False, "error": message})
        sys.exit(1)
    raise click.ClickException(message)


@legacy.command("load")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def load_command(path: str, as_json: bool) -> None:
    """Copy the legacy SQLite database at PATH into the register's legacy tables (ids kept).

    Refuses, changing nothing, when PATH is not a legacy database or the register already holds
    legacy rows. Rows without an id or with a repeated one get new ids after the highest (reported). On PostgreSQL
    it runs as the owner of the tables (MIGRATE_DATABASE_URL): it sets the id sequences.
    """
    from guarantees.legacy.load import LoadRefused, load, open_legacy

    _require_legacy_tables(as_json)
    try:
        source, _ = open_legacy(path)
        total = source.execute("select count(*) from imported_records").fetchone()[0]
        source.close()
        with _progress("load", total) as progress, _owner_engine() as engine:
            report = load(engine, path, progress=progress)
    except LoadRefused as error:
        _fail(str(error), as_json)
    data = report.as_dict()
    if as_json:
        _echo_json({"ok": True, **data})
        return
    copied = ", ".join(f"{count} {table}" for table, count in report.copied.items())
    click.echo(f"Loaded {path}: {copied} in {report.seconds:.2f} s ({data['rows_per_second'] or '-'} rows/s).")
    if report.renumbered_total:
        click.echo(f"{report.renumbered_total} rows had no id or a repeated id and were given new ids:")
        for entry in report.renumbered:
            click.echo(
                f"  {entry['table']} source row {entry['source_rowid']}: id {entry['old_id']!r} → {entry['new_id']}"
            )
    if report.altered_total:
        click.echo(f"{report.altered_total} values could not be stored as they were:")
        for entry in report.altered:
            click.echo(f"  {entry['table']} {entry['id']} {entry['column']}: {entry['value']} → {entry['stored']!r}")
    for table, columns in report.columns_not_copied.items():
        click.echo(f"Not copied (the register has no such column): {table}.{', '.join(columns)}")
    for table, columns in report.columns_absent.items():
        click.echo(f"Absent from this legacy variant (left empty): {table}.{', '.join(columns)}")
    if report.tables_absent:
        click.echo(f"Tables absent from the legacy file: {', '.join(report.tables_absent)}")
    if report.tables_not_copied:
        click.echo(f"Legacy tables the register does not keep: {', '.join(report.tables_not_copied)}")


@legacy.command("migrate")
@click.option("--dry-run", is_flag=True, help="Compute and print the summary; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--chunk-rows", type=click.IntRange(min=1), default=CHUNK_ROWS, show_default=True,
              help="About how many legacy rows each chunk holds.")  # fmt: skip
def migrate_command(dry_run: bool, as_json: bool, chunk_rows: int) -> None:
    """Migrate legacy rows to batches, guarantees, items, actions and action sessions, back-linked.

    Whole guarantee numbers are migrated a chunk at a time, each chunk committed with its back-links. Idempotent
    (a second run changes nothing) and resumable: after a crash, running it again finishes the job. On PostgreSQL
    it runs as the owner of the tables (MIGRATE_DATABASE_URL), like the load.
    """
    from guarantees.legacy.migrate import MigrateBusy, migrate

    _require_upgraded(as_json)
    try:
        with _progress("migrate" + (" (dry run)" if dry_run else ""), None) as progress, _owner_engine() as engine:
            summary = migrate(engine, dry_run=dry_run, chunk_rows=chunk_rows, progress=progress)
    except MigrateBusy as busy:
        _fail(str(busy), as_json)
    except sa.exc.SQLAlchemyError as error:
        _fail(
            f"The migration stopped: {error.__class__.__name__}: {str(error).splitlines()[0]}. The chunk it was "
            "writing was rolled back; the chunks committed before stay, and running the command again resumes.",
            as_json,
        )
    data = summary.as_dict()
    if as_json:
        _echo_json({"ok": True, **data})
    else:
        _print_migrate(summary, data)


def _print_migrate(summary, data: dict) -> None:
    prefix = "Dry run, nothing written: would migrate" if summary.dry_run else "Migrated"
    click.echo(
        f"{summary.legacy_rows} legacy rows read in {summary.seconds:.2f} s ({data['rows_per_second'] or '-'} rows/s)."
    )
    if summary.nothing_to_do:
        click.echo(f"Nothing to migrate: all {summary.already_linked} migratable legacy rows are already linked.")
    else:
        click.echo(f"{prefix} {summary.import_rows} import rows and {summary.action_rows} action rows "
                   f"({summary.already_linked} already linked, {summary.relinked} links restored).")  # fmt: skip
        batches = ", ".join(f"{n} {kind}" for kind, n in sorted(summary.batches_created.items())) or "none"
        click.echo(f"  batches created: {batches}; reused: {summary.batches_reused}")
        click.echo(
            f"  guarantees created: {summary.guarantees_created}; merged into existing: {summary.guarantees_merged}"
        )
        items = ", ".join(f"{n} {outcome}" for outcome, n in sorted(summary.items.items())) or "none"
        click.echo(f"  batch items: {items}")
        actions = ", ".join(f"{n} {kind}" for kind, n in sorted(summary.actions.items())) or "none"
        click.echo(f"  actions: {actions}; action sessions created: {summary.action_sessions_created}")
        verb = "to write" if summary.dry_run else "written"
        click.echo(f"  links {verb}: {summary.links}; {summary.chunks} chunks, each committed with its links")
    if summary.unmigrated:
        click.echo(f"{data['unmigrated_rows']} rows stay unmigrated (see `flask legacy verify`):")
        for reason, n in sorted(summary.unmigrated.items()):
            click.echo(f"  {n}: {reason}")
    if summary.values_not_carried:
        listed = ", ".join(f"{field} {n}" for field, n in sorted(summary.values_not_carried.items()))
        click.echo(f"Values the register cannot hold, kept in the legacy rows and items only: {listed}")


@legacy.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def verify_command(as_json: bool) -> None:
    """Check tables, columns, triggers, links and counts; exits 1 on anything unexplained."""
    from guarantees.legacy.verify import verify

    report = verify(db.engine)
    if as_json:
        _echo_json(report)
    else:
        if report["retired"]:
            retired = report["retired"]
            click.echo(f"Dual-write off: retired on {retired['retired_at']:%Y-%m-%d %H:%M} by {retired['retired_by']}.")
        if report["archived"]:
            archived = report["archived"]
            click.echo(
                f"Legacy tables archived on {archived['archived_at']:%Y-%m-%d %H:%M} by {archived['archived_by']} to "
                f"{archived['file_name']} (sha256 {archived['file_sha256']}) and dropped; their rows are kept in "
                "legacy_archive_records."
            )
        counts = ", ".join(f"{name} {n}" for name, n in report["counts"].items())
        click.echo(f"Counts: {counts}")
        for entry in report["unmigrated"]:
            click.echo(f"  unmigrated row {entry['id']}: {entry['reason']}")
        if report["unmigrated_total"] > len(report["unmigrated"]):
            click.echo(f"  ... {report['unmigrated_total'] - len(report['unmigrated'])} more unmigrated rows")
        for problem in report["problems"]:
            click.echo(f"PROBLEM: {problem}")
        click.echo("Verified: OK" if report["ok"] else f"Verify FAILED: {len(report['problems'])} kinds of problem")
    if not report["ok"]:
        sys.exit(1)


@legacy.command("rollback")
@click.option("--yes", is_flag=True, help="Confirm: the new tables and their data are dropped.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def rollback_command(yes: bool, as_json: bool) -> None:
    """Downgrade to the legacy-only revision 0001_legacy and prove that every legacy row is unchanged.

    Drops the new tables (guarantees, batches, actions, ...) and the transition columns; the legacy
    tables stay. Refuses without --yes; refuses, changing nothing, when the new tables hold rows the
    legacy tables lack (written with dual-write off) and once the legacy tables were archived.
    """
    from guarantees.legacy.rollback import LEGACY_REVISION, RollbackFailed, RollbackRefused, rollback

    if not yes:
        _fail("Refusing to roll back without --yes: the new tables and everything in them would be dropped.", as_json)
    try:
        report = rollback(db.engine)
    except RollbackRefused as refused:
        if as_json:
            _echo_json({"ok": False, "error": str(refused), "missing": refused.missing})
            sys.exit(1)
        _fail(str(refused), as_json)
    except RollbackFailed as error:
        _fail(str(error), as_json)
    if as_json:
        _echo_json(report)
    else:
        if report["already_rolled_back"]:
            click.echo(f"Already at {LEGACY_REVISION}: nothing to downgrade.")
        else:
            click.echo(f"Downgraded from {report['from_revision']} to {report['revision']}.")
        for table, after in report["after"].items():
            same = "unchanged" if table not in report["differ"] else "CHANGED"
            click.echo(f"  {table}: {after['rows']} rows, {same} (sha256 {after['sha256'][:16]}…)")
        click.echo("Every legacy row is still there and unchanged." if report["ok"] else "Rollback FAILED.")
    if not report["ok"]:
        sys.exit(1)


def _os_user() -> str:
    try:
        return getpass.getuser() or "cli"
    except (KeyError, OSError):
        return "cli"


def _step(as_json: bool):
    """Progress lines on stderr (never in --json output)."""
    return (lambda _text: None) if as_json else (lambda text: click.echo(f"... {text}", err=True))


@legacy.command("retire")
@click.option("--dry-run", is_flag=True, help="Run every check and say what would happen; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--user", default=None, help="Who retires (recorded; default: the operating-system user, or cli).")
def retire_command(dry_run: bool, as_json: bool, user: str | None) -> None:
    """Turn dual-write off for good (the guide's phase 6), recording when and by whom.

    Refuses, changing nothing, unless `flask legacy verify` passes and every row of the new tables
    (batches, items, guarantees, issued actions, edits, review decisions) has its legacy counterpart.
    A second run says it is already retired. Afterwards the legacy tables are no longer written.
    """
    from guarantees.legacy.retire import RetireRefused, retire

    if not _archived():  # (archived: retired long ago, and said so below)
        _require_upgraded(as_json)
    try:
        report = retire(db.engine, user=user or _os_user(), dry_run=dry_run, progress=_step(as_json))
    except RetireRefused as refused:
        if as_json:
            _echo_json({**refused.report, "error": str(refused)})
            sys.exit(1)
        raise click.ClickException(f"Refusing to retire: {refused}") from None
    if as_json:
        _echo_json(report)
    elif report["already_retired"]:
        when = f" on {report['retired_at']:%Y-%m-%d %H:%M} by {report['retired_by']}" if "retired_at" in report else ""
        click.echo(f"Already retired{when}: dual-write is off.")
    elif dry_run:
        click.echo("Dry run, nothing changed: verify passes and every new-table row has its legacy counterpart; "
                   "`flask legacy retire` would turn dual-write off.")  # fmt: skip
    else:
        click.echo(
            f"Retired: dual-write is off from {report['retired_at']:%Y-%m-%d %H:%M} (by {report['retired_by']}). "
            "The legacy tables are no longer written; archive them with `flask legacy archive --to FILE.sqlite`."
        )


def _archived() -> bool:
    from guarantees.legacy.verify import archive_record

    with db.engine.connect() as conn:
        return archive_record(conn) is not None


@legacy.command("archive")
@click.option("--to", "path", required=True, type=click.Path(dir_okay=False), help="The new SQLite file to write.")
@click.option("--dry-run", is_flag=True, help="Run the checks and count the rows; write and drop nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--user", default=None, help="Who archives (recorded; default: the operating-system user, or cli).")
def archive_command(path: str, dry_run: bool, as_json: bool, user: str | None) -> None:
    """Write the legacy tables to a new SQLite file in the legacy schema, verify it, then drop them.

    Refuses unless retired (`flask legacy retire`) and when FILE exists. The copy is compared with the
    register row by row before anything is dropped; the rows stay readable in the history (kept in
    legacy_archive_records). On PostgreSQL it runs as the owner of the tables (MIGRATE_DATABASE_URL).
    """
    from guarantees.legacy.archive import ArchiveRefused, archive

    try:
        with _progress("archive", None) as progress, _owner_engine() as engine:
            report = archive(engine, path, user=user or _os_user(), dry_run=dry_run, progress=progress,
                             say=_step(as_json))  # fmt: skip
    except ArchiveRefused as refused:
        _fail(f"Refusing to archive: {refused}", as_json)
    if as_json:
        _echo_json(report)
        return
    counts = ", ".join(f"{n} {table}" for table, n in report["counts"].items())
    if dry_run:
        click.echo(f"Dry run, nothing written: would archive {counts} to {report['file']}, then drop "
                   "imported_records and import_sessions.")  # fmt: skip
        return
    click.echo(f"Archived {counts} to {report['file']} (sha256 {report['sha256']}), compared row by row: equal.")
    click.echo(
        f"Dropped {', '.join(report['dropped'])} (and their transition columns); their rows stay in the history "
        "(legacy_archive_records). Suppliers and banks stay in the register."
    )
