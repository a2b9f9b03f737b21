"""The digest as an e-mail (plain text and HTML, in the recipient's language) and its sending through SMTP.

Links are absolute, built from BASE_URL: a digest is made by a command, outside any request, and read in a mail
client. Each message goes over its own connection, so one recipient refused leaves the others unaffected.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, ngettext
from flask_mailman import EmailMultiAlternatives

from guarantees.extensions import mail


def link(endpoint: str, **values) -> str:
    """An absolute address of a page of the register, under BASE_URL."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


def message(address: str, locale: str, lines: list, today: date) -> EmailMultiAlternatives:
    """The digest for one address: the plain text body with the HTML as its alternative."""
    with force_locale(locale):
        subject = ngettext(
            "Guarantee register: %(num)d guarantee needs attention (%(day)s)",
            "Guarantee register: %(num)d guarantees need attention (%(day)s)",
            len(lines),
            day=today.isoformat(),
        )
        context = {
            "lines": [(line, link("guarantees.show", guarantee_id=line.guarantee_id)) for line in lines],
            "today": today,
            "lang": locale,
            "register": link("dashboard.index"),
        }
        text = render_template("alerts/digest.txt", **context)
        html = render_template("alerts/digest.html", **context)
    email = EmailMultiAlternatives(subject, text, to=[address])
    email.attach_alternative(html, "text/html")
    return email


def send(email: EmailMultiAlternatives) -> None:
    """Hand the message to the mail server; raises (smtplib.SMTPException, OSError) when it is not accepted."""
    with mail.get_connection() as connection:
        connection.send_messages([email])
