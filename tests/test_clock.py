"""The register's days: an instant stored as UTC belongs to the day it is in APP_TIMEZONE."""

from datetime import date, datetime

from flask import Flask

from guarantees.clock import local_day


def test_an_instant_belongs_to_its_day_in_the_registers_time_zone():
    app = Flask(__name__)
    app.config["APP_TIMEZONE"] = "Asia/Riyadh"
    with app.app_context():
        assert local_day(datetime(2026, 12, 31, 22, 30)) == date(2027, 1, 1)  # 01:30 in Riyadh
        assert local_day(datetime(2026, 12, 31, 20, 59)) == date(2026, 12, 31)
    app.config["APP_TIMEZONE"] = "UTC"
    with app.app_context():
        assert local_day(datetime(2026, 12, 31, 22, 30)) == date(2026, 12, 31)


def test_a_test_suite_can_fix_the_registers_day():
    from guarantees.clock import today

    app = Flask(__name__)
    app.config["TODAY"] = date(2026, 1, 15)
    with app.app_context():
        assert today() == date(2026, 1, 15)
    assert today() == date.today()  # outside an app: the machine's day
