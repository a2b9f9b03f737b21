"""`flask alerts send`: the daily expiry digest, by e-mail and in the app (run it from cron, once a day).

Exit status: 0 every digest delivered (or previewed with --dry-run, or nothing to send); 1 a digest could not be
sent, whose recipient gets it again on the next run (nothing was recorded for them); 2 a usage error.
"""

import getpass
import json
from datetime import date

import click
from flask.cli import AppGroup

from guarantees.services import alerts as service

alerts = AppGroup("alerts", help="Expiry alerts.")


def _day(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date written YYYY-MM-DD.") from None


def _run_by() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@alerts.command("send")
@click.option("--dry-run", is_flag=True, help="Show the digests; send and record nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the digests as JSON.")
@click.option("--today", callback=_day, metavar="YYYY-MM-DD", help="The day to run for (default: today).")
def send(dry_run: bool, as_json: bool, today: date | None) -> None:
    """Send each recipient the guarantees reaching an alert threshold, and those expired but not released."""
    outcome = service.send(today, dry_run=dry_run, run_by=_run_by())
    if as_json:
        click.echo(json.dumps(outcome.as_json(), ensure_ascii=False))
    else:
        for digest in outcome.digests:
            click.echo(f"{digest.recipient.name}: {len(digest.lines)} guarantee(s)")
            for line in digest.lines:
                state = "expired" if line.expired else f"{line.days_left} day(s) left"
                click.echo(f"  {line.number}  {line.expiry_date.isoformat()}  {state}")
        done = "dry run: nothing sent or recorded" if dry_run else f"{outcome.sent} sent"
        click.echo(f"{outcome.today.isoformat()}: {len(outcome.digests)} digest(s), {done}.")
    for name, reason in outcome.failed:
        click.echo(f"Not sent to {name}: {reason}", err=True)
    if outcome.failed:
        raise SystemExit(1)
