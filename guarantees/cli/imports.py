"""`flask import-excel FILE`: the import the web page does, from the command line (through services.imports).

Exit status: 0 done (or previewed); 1 the file or its rows were refused (bad file, no
header, nothing to import, a conflict), with one message on stderr and nothing written;
2 a usage error (bad --map); 3 the file was imported before and --confirm-duplicate-file
was not given.
"""

from __future__ import annotations

import getpass
import json
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import click
from flask.cli import with_appcontext

from guarantees.services import imports
from guarantees.services.errors import DomainError, ValidationFailed
from guarantees.services.imports import FIELDS

DUPLICATE_EXIT = 3
SHOWN_ERRORS = 10


class Refused(click.ClickException):
    """A refusal with its own exit status."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def parse_overrides(items: Iterable[str]) -> dict[str, str | None]:
    """["supplier=CONTRACTOR NAME", "comment="] -> {"supplier": "CONTRACTOR NAME", "comment": None}."""
    overrides: dict[str, str | None] = {}
    for item in items:
        name, sep, header = item.partition("=")
        name = name.strip().lower().replace("-", "_")
        if not sep or not name:
            raise ValidationFailed(
                f"Write a column mapping as FIELD=HEADER (e.g. supplier=CONTRACTOR NAME), not {item!r}."
            )
        if name not in FIELDS:
            raise ValidationFailed(f"Unknown field {name!r} in {item!r}. Fields: {', '.join(FIELDS)}.")
        if name in overrides:
            raise ValidationFailed(f"The field {name!r} is mapped twice.")
        overrides[name] = header.strip() or None
    return overrides


def _default_user() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _summary(preview: imports.ImportPreview) -> list[str]:
    lines = [
        f"File:    {preview.filename}  (sha256 {preview.sha256[:12]}...)",
        f"Sheet:   {preview.sheet}, header on row {preview.header_row}"
        + (f"  (sheets: {', '.join(preview.sheets)})" if len(preview.sheets) > 1 else ""),
        "Columns:",
    ]
    width = max(len(name) for name in FIELDS)
    for name in FIELDS:
        lines.append(f"  {name:<{width}}  {preview.columns.get(name, '-- not in this file')}")
    if preview.ignored:
        lines.append(f"Ignored: {', '.join(str(text).strip() for text in preview.ignored)}")
    counts = preview.counts
    lines.append(
        f"Rows:    {counts['new']} new, {counts['update']} update, {counts['unchanged']} unchanged, "
        f"{counts['error']} error" + (f"  ({len(preview.skipped)} other rows skipped)" if preview.skipped else "")
    )
    for batch in preview.duplicate_of:
        lines.append(f"Note:    this file was imported before: {imports.describe_batch(batch)}")
    errors = preview.errors
    if errors:
        lines.append(f"Errors (first {min(len(errors), SHOWN_ERRORS)} of {len(errors)}):")
        lines.extend(f"  row {row.row_number}: {row.reason}" for row in errors[:SHOWN_ERRORS])
    return lines


def _dry_run_errors(preview: imports.ImportPreview) -> str:
    folder = Path(tempfile.mkdtemp(prefix="import-errors-"))
    path = folder / f"{Path(preview.filename).stem or 'import'}-errors.xlsx"
    imports.write_errors(preview, path)
    return str(path)


@click.command("import-excel")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sheet", metavar="NAME", help="Read this sheet (default: the sheet with a recognisable header).")
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="FIELD=HEADER",
    help=f"Map a field to a header of the file (repeatable; empty HEADER unmaps). Fields: {', '.join(FIELDS)}.",
)
@click.option("--dry-run", is_flag=True, help="Show what the import would do; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the summary.")
@click.option("--user", metavar="NAME", help="Record this user as the importer (default: cli:<login>).")
@click.option("--confirm-duplicate-file", is_flag=True, help="Import a file that was already imported.")
@with_appcontext
def import_excel(
    file: Path,
    sheet: str | None,
    mappings: tuple[str, ...],
    dry_run: bool,
    as_json: bool,
    user: str | None,
    confirm_duplicate_file: bool,
) -> None:
    """Import guarantees from an Excel FILE: one batch, new/update/unchanged/error per row."""
    try:
        overrides = parse_overrides(mappings)
    except ValidationFailed as error:
        raise click.BadParameter(error.message, param_hint="--map") from error
    if not as_json and sys.stderr.isatty():  # progress for a person watching; scripts get one message or none
        click.echo(f"Reading {file} ...", err=True)
    try:
        if dry_run:
            preview = imports.evaluate(file, file.name, sheet=sheet, overrides=overrides)
            report = preview.as_json()
            if preview.errors:
                report["error_workbook"] = _dry_run_errors(preview)
        else:
            result = imports.commit(
                file,
                file.name,
                sheet=sheet,
                overrides=overrides,
                user=user or _default_user(),
                confirm_duplicate=confirm_duplicate_file,
            )
            preview = result.preview
            report = result.as_json()
    except imports.DuplicateFile as error:
        raise Refused(
            f"This file was already imported ({imports.describe_batch(error.batches[-1])}). "
            "Add --confirm-duplicate-file to import it again.",
            DUPLICATE_EXIT,
        ) from error
    except DomainError as error:
        raise Refused(error.message) from error
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    lines = _summary(preview)
    if dry_run:
        lines.append("Dry run: nothing was written.")
    else:
        lines.append(f"Imported as batch {report['batch_id']}.")
    if report.get("error_workbook"):
        lines.append(f"Rejected rows: {report['error_workbook']}")
    click.echo("\n".join(lines))
