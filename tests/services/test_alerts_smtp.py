"""The digest over real SMTP: a local aiosmtpd server started by the test, one that accepts and one that refuses."""

import email
import json
import socket
from datetime import date, timedelta
from email import policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from guarantees.extensions import db
from guarantees.models import AlertAnnouncement, AlertRun
from guarantees.services import alerts, users

TODAY = date.today()
BASE_URL = "https://register.example.org/bg"


class Inbox:
    """An aiosmtpd handler: keeps each message, or refuses every recipient with a 5xx."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.messages: list[email.message.EmailMessage] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    """smtp(refuse=False) → (the handler, its port), the server stopped after the test."""
    started = []

    def start(refuse: bool = False):
        handler = Inbox(refuse)
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        started.append(controller)
        return handler, controller.port

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def mail_app(make_app, database):
    """An app that sends through SMTP to the test's server, on a fresh database."""

    def make(port: int):
        return make_app(
            database, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=10, BASE_URL=BASE_URL
        )

    return make


def prepare(app) -> int:
    """An editor with an address and a guarantee 5 days from expiry, in `app`'s database; the guarantee's id."""
    from guarantees.models import User
    from guarantees.services import guarantees

    with app.app_context():
        account = User(username="clerk", role="editor", active=True)
        account.set_password("pw-clerk")
        db.session.add(account)
        db.session.commit()
        users.set_email(account.id, "clerk@example.org", user="admin")
        fields = {
            "guarantee_number": "SMTP-1",
            "raw_supplier_name": "Lana Medical Company",
            "raw_bank_name": "Riyad Bank",
            "amount": "25200.00",
            "expiry_date": (TODAY + timedelta(days=5)).isoformat(),
        }
        guarantee_id = guarantees.create(fields, user="tester").id
        db.session.remove()
        return guarantee_id


def test_the_digest_arrives_with_its_text_and_html_parts_and_absolute_links(smtp, mail_app):
    inbox, port = smtp()
    app = mail_app(port)
    guarantee_id = prepare(app)
    with app.app_context():
        outcome = alerts.send(TODAY)
        assert outcome.sent == 1 and not outcome.failed
        db.session.remove()
    (message,) = inbox.messages
    assert message["To"] == "clerk@example.org" and "1 guarantee needs attention" in message["Subject"]
    link = f"{BASE_URL}/guarantees/{guarantee_id}"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    expiry = (TODAY + timedelta(days=5)).isoformat()
    for part in (text, html):
        assert link in part and "SMTP-1" in part and "Lana Medical Company" in part and "Riyad Bank" in part
        assert expiry in part
    assert f'<a href="{link}">SMTP-1</a>' in html and "<table" in html
    assert "Days left: 5" in text


def test_a_refusing_server_fails_the_command_and_nothing_is_recorded(smtp, mail_app):
    _, port = smtp(refuse=True)
    app = mail_app(port)
    prepare(app)
    result = app.test_cli_runner().invoke(args=["alerts", "send", "--json", "--today", TODAY.isoformat()])
    assert result.exit_code == 1, result.output
    printed = json.loads(result.stdout)
    assert printed["sent"] == 0 and [d["recipient"] for d in printed["digests"]] == ["clerk@example.org"]
    assert "Not sent to clerk@example.org" in result.stderr and "550" in result.stderr
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AlertAnnouncement)) == 0
        assert db.session.scalar(sa.select(AlertRun.failed)) == 1
        db.session.remove()
