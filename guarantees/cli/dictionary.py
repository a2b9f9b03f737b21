"""`flask dictionary import|export`: the supplier and bank dictionaries in and out (through
services.dictionary_import), as the admin pages do.

Exit status: 0 done (or previewed; error rows are reported and left out, as the guarantee import does);
1 the file was refused (unreadable, no header, no valid row), with one message on stderr and nothing
written; 2 a usage error.
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from guarantees.services import dictionary_import as service
from guarantees.services.errors import DomainError

KINDS = {"banks": "bank", "suppliers": "supplier"}
SHOWN_ROWS = 20


def _default_user() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _summary(preview: service.DictionaryPreview) -> list[str]:
    lines = [f"File:    {preview.filename}  ({preview.format}" + (f", sheet {preview.sheet}" if preview.sheet else "")]
    lines[0] += f", header on row {preview.header_row})"
    lines.append("Columns:")
    width = max((len(name) for name in preview.columns), default=0)
    lines.extend(f"  {name:<{width}}  {header}" for name, header in preview.columns.items())
    if preview.ignored:
        lines.append(f"Ignored: {', '.join(preview.ignored)}")
    counts = preview.counts
    lines.append(
        f"Rows:    {counts['new']} new, {counts['update']} update, {counts['unchanged']} unchanged, "
        f"{counts['error']} error"
    )
    shown = [row for row in preview.rows if row.outcome != "unchanged"][:SHOWN_ROWS]
    for row in shown:
        detail = row.reason if row.outcome == "error" else ", ".join(change.column for change in row.changes)
        lines.append(f"  row {row.row_number}: {row.outcome:<6} {row.label}" + (f"  ({detail})" if detail else ""))
    return lines


@click.group("dictionary")
def dictionary() -> None:
    """The supplier and bank dictionaries: import a file, load the starter banks, export."""


@dictionary.command("import")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--starter", is_flag=True, help="Load the starter list of the banks operating in Saudi Arabia.")
@click.option("--dry-run", is_flag=True, help="Show what the import would do; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the summary.")
@click.option("--user", metavar="NAME", help="Record this user as the importer (default: cli:<login>).")
@with_appcontext
def import_dictionary(kind: str, file: Path | None, starter: bool, dry_run: bool, as_json: bool, user: str | None):
    """Import a dictionary FILE (.xlsx or .csv, Arabic or English headers): new / update / unchanged / error rows."""
    entity = KINDS[kind]
    if starter == (file is not None):
        raise click.UsageError("Give either FILE or --starter.")
    if starter and entity != "bank":
        raise click.UsageError("The starter list is of banks: flask dictionary import banks --starter.")
    if starter:
        data, name = service.starter_banks(), service.STARTER_BANKS.name
    else:
        try:
            data, name = file.read_bytes(), file.name
        except OSError as error:
            raise click.ClickException(f"{file}: {error.strerror or error}") from error
    try:
        if dry_run:
            preview = service.evaluate(entity, data, name)
            report = preview.as_json()
        else:
            result = service.apply(entity, data, name, user=user or _default_user())
            preview = result.preview
            report = result.as_json()
    except DomainError as error:
        raise click.ClickException(error.message) from error
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        return
    lines = _summary(preview)
    if dry_run:
        lines.append("Dry run: nothing was written.")
    else:
        rematched = report["rematched"]
        lines.append(f"Applied {report['applied']} rows.")
        lines.append(
            f"Guarantees matched again: {rematched['names']} names now matched, "
            f"{rematched['guarantees_ready']} guarantees ready."
        )
    click.echo("\n".join(lines))


@dictionary.command("export")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.option("--format", "fmt", type=click.Choice(service.FORMATS), default="xlsx", show_default=True)
@click.option("--to", "target", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default: stdout).")
@with_appcontext
def export_dictionary(kind: str, fmt: str, target: Path | None) -> None:
    """Export a dictionary in the layout `flask dictionary import` reads."""
    data = service.export(KINDS[kind], fmt)
    if target is None:
        if fmt == "xlsx" and sys.stdout.isatty():
            raise click.UsageError("An .xlsx is not for a terminal: add --to FILE (or --format csv).")
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        target.write_bytes(data)
    except OSError as error:
        raise click.ClickException(f"{target}: {error.strerror or error}") from error
    click.echo(f"Wrote {target}.", err=True)
