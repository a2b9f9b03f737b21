"""`flask attachments verify`: every stored attachment against its hash.

Exit status: 0 every file is there and unchanged; 1 a file is missing or altered (each named, with the attachments
that point at it).
"""

import json

import click
from flask.cli import AppGroup

from guarantees.services import attachments as service

attachments = AppGroup("attachments", help="Attachments kept under ATTACHMENTS_DIR.")


@attachments.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def verify(as_json: bool) -> None:
    """Check that every stored file exists and that its SHA-256 is the one recorded."""

    def progress(done: int, total: int) -> None:
        if not as_json and (done % 1000 == 0 or done == total):
            click.echo(f"checked {done} of {total} file(s)", err=True)

    outcome = service.verify(progress)
    if as_json:
        click.echo(json.dumps(outcome.as_json(), ensure_ascii=False))
    else:
        for bad in outcome.bad:
            ids = ", ".join(str(i) for i in bad.attachment_ids)
            click.echo(f"{bad.problem}: {bad.path} (attachments {ids})")
        state = "all match their hash" if not outcome.bad else f"{len(outcome.bad)} missing or altered"
        click.echo(f"{outcome.files} file(s) for {outcome.attachments} attachment(s): {state}.")
    if outcome.bad:
        raise SystemExit(1)
