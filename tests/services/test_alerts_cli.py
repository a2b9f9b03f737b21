"""`flask alerts send`: the --json shape, --dry-run, --today, and its exit status."""

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from guarantees import clock
from guarantees.extensions import db
from guarantees.models import AlertRun
from guarantees.services import users


@pytest.fixture
def today(app) -> date:
    """The register's day (clock.today(): a suite may fix it), which the services' own rules compare with."""
    return clock.today()


def test_json_prints_the_digests_in_the_documented_shape(today, app, runner, make_user, make_guarantee):
    users.set_email(make_user("clerk", "editor").id, "clerk@example.org", user="admin")
    make_guarantee("CLI-1", expiry_date=(today + timedelta(days=20)).isoformat())
    make_guarantee("CLI-2", expiry_date=(today - timedelta(days=2)).isoformat())
    result = runner.invoke(args=["alerts", "send", "--dry-run", "--json", "--today", today.isoformat()])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "today": today.isoformat(),
        "digests": [
            {
                "recipient": "clerk@example.org",
                "guarantees": [
                    {"number": "CLI-2", "expiry_date": (today - timedelta(days=2)).isoformat(), "days_left": -2,
                     "threshold": 0},
                    {"number": "CLI-1", "expiry_date": (today + timedelta(days=20)).isoformat(), "days_left": 20,
                     "threshold": 30},
                ],
            }
        ],
        "sent": 0,
    }  # fmt: skip
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AlertRun)) == 0

    sent = runner.invoke(args=["alerts", "send", "--json"])
    assert sent.exit_code == 0 and json.loads(sent.output)["sent"] == 1
    again = runner.invoke(args=["alerts", "send", "--json"])
    assert json.loads(again.output) == {"today": today.isoformat(), "digests": [], "sent": 0}


def test_plain_output_and_a_bad_day(today, app, runner, make_user, make_guarantee):
    make_user("clerk", "editor")
    make_guarantee("CLI-3", expiry_date=(today + timedelta(days=6)).isoformat())
    result = runner.invoke(args=["alerts", "send", "--dry-run"])
    assert result.exit_code == 0 and "clerk: 1 guarantee(s)" in result.output and "CLI-3" in result.output
    assert "dry run: nothing sent or recorded" in result.output
    bad = runner.invoke(args=["alerts", "send", "--today", "07/12/2026"])
    assert bad.exit_code == 2 and "'07/12/2026' is not a date written YYYY-MM-DD" in bad.output
