"""Emails are Django templates (templates/emails/); their wording is exactly what the tasks
wrote as f-strings before."""

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from progress import reviews
from progress.tasks import signing_link_message
from psp import accounts
from psp.models import AccountEmail, Notification, User
from psp.tasks import notification_message

SIGN_OFF = (
    "You can choose which notifications you get by email on your notification settings page in psp."
)


@pytest.fixture
def site(settings):
    settings.PSP_SITE_URL = "https://psp.example.org/"
    settings.TIME_ZONE = "Europe/London"


def test_a_notification_email_with_a_body_and_a_link(site):
    user = User(username="sam", first_name="Sam", email="sam@example.org")
    notification = Notification(
        user=user,
        subject="Your evidence “Widget log” was accepted",
        body="Pat Provider reviewed your evidence.",
        url="/apprentices/evidence/7/",
    )
    assert notification_message(notification) == (
        "Your evidence “Widget log” was accepted",
        "Hello Sam,\n\n"
        "Your evidence “Widget log” was accepted.\n\n"
        "Pat Provider reviewed your evidence.\n\n"
        "Open it in psp: https://psp.example.org/apprentices/evidence/7/\n\n" + SIGN_OFF,
        "sam@example.org",
    )


def test_a_notification_email_without_a_body_or_a_link_greets_by_username(site):
    user = User(username="sam", email="sam@example.org")
    notification = Notification(user=user, subject="Gateway accepted for Sam <Smith> & Co")
    subject, body, _ = notification_message(notification)
    assert subject == "Gateway accepted for Sam <Smith> & Co"  # never HTML-escaped
    assert body == "Hello sam,\n\nGateway accepted for Sam <Smith> & Co.\n\n" + SIGN_OFF


def test_a_signing_link_email(site, monkeypatch):
    monkeypatch.setattr(reviews, "signing_path", lambda link: "/progress-reviews/sign/abc/")
    apprentice = SimpleNamespace(name="Sam O'Neil", training_provider="Acme Training & Co")
    review = SimpleNamespace(apprentice=apprentice, held_on=datetime.date(2025, 4, 7))
    expires = datetime.datetime(2025, 4, 21, 9, 5, tzinfo=ZoneInfo("Europe/London"))
    link = SimpleNamespace(
        name="Robin", email="robin@example.org", created_by="Pat Provider", review=review
    )
    link.expires_at = expires
    assert signing_link_message(link) == (  # type: ignore[arg-type]
        "Please sign the progress review of Sam O'Neil",
        "Hello Robin,\n\n"
        "Pat Provider of Acme Training & Co asks you to read and sign, for the employer, the "
        "progress review of Sam O'Neil, held on 07/04/2025.\n\n"
        "Open this link to read the review and sign it. It works once and expires on "
        "21/04/2025 at 09:05:\n\n"
        "https://psp.example.org/progress-reviews/sign/abc/\n\n"
        "If you did not expect this email, you can ignore it.\n",
        "robin@example.org",
    )


@pytest.mark.parametrize(
    ("kind", "subject", "what"),
    [
        (
            AccountEmail.Kind.ADDRESS_CHANGED,
            "The email address of your psp account was changed",
            "the email address of your psp account (sam) from this address to "
            "new@example.org. Emails about your account, password reset links included, now "
            "go there",
        ),
        (
            AccountEmail.Kind.PASSWORD_CHANGED,
            "The password of your psp account was changed",
            "the password of your psp account (sam)",
        ),
    ],
)
def test_the_notice_of_a_change_by_staff(kind, subject, what):
    user = User(username="sam", first_name="Sam")
    row = AccountEmail(user=user, kind=kind, detail="Pat Admin|new@example.org")
    assert accounts.render(row) == (
        subject,
        "Hello Sam,\n\n"
        f"Pat Admin changed {what}.\n\n"
        "The signatures of progress reviews still waiting for signatures were removed, so "
        "nobody can sign one as you with the changed account: they are signed again.\n\n"
        "If you did not expect this, tell your training provider and the psp administrator "
        "straight away.\n",
    )
