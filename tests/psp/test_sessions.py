"""Sessions: time limits (psp.middleware.SessionTimeoutMiddleware), idle and absolute, and
ending the other sessions of a user (psp.models.User.end_sessions)."""

import time
from datetime import timedelta

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.usersessions.models import UserSession
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from psp.middleware import SEEN_KEY, STARTED_KEY
from psp.models import AuditEntry, User
from psp.roles import Role
from tests.factories import make_apprentice, make_user

HOUR = 60 * 60


@pytest.fixture
def signed_in(client, db):
    user = make_user(role=Role.APPRENTICE, username="alex")
    client.post(reverse("login"), {"username": "alex", "password": "correct-horse-battery"})
    assert client.session["_auth_user_id"] == str(user.pk)
    return client


def set_times(client, *, started_ago: int, seen_ago: int) -> None:
    session = client.session
    now = int(time.time())
    session[STARTED_KEY] = now - started_ago
    session[SEEN_KEY] = now - seen_ago
    session.save()


def test_signing_in_records_when(signed_in):
    now = int(time.time())
    assert now - 5 <= signed_in.session[STARTED_KEY] <= now
    assert signed_in.session[SEEN_KEY] == signed_in.session[STARTED_KEY]


def test_a_session_used_within_the_idle_limit_carries_on(signed_in, settings):
    settings.PSP_SESSION_IDLE_MINUTES = 60
    set_times(signed_in, started_ago=2 * HOUR, seen_ago=59 * 60)
    assert signed_in.get(reverse("home"), follow=True).status_code == 200
    assert "_auth_user_id" in signed_in.session
    assert int(time.time()) - signed_in.session[SEEN_KEY] < 5  # the request counts as use


def test_an_idle_session_is_signed_out_with_the_reason(signed_in, settings):
    settings.PSP_SESSION_IDLE_MINUTES = 30
    set_times(signed_in, started_ago=HOUR, seen_ago=31 * 60)
    response = signed_in.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "_auth_user_id" not in signed_in.session
    assert "signed out because you had not used psp for 30 minutes" in response.content.decode()


def test_a_busy_session_still_ends_after_the_session_age(signed_in, settings):
    settings.SESSION_COOKIE_AGE = 8 * HOUR
    set_times(signed_in, started_ago=8 * HOUR + 60, seen_ago=60)
    response = signed_in.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "_auth_user_id" not in signed_in.session
    assert "you signed in more than 8 hours ago" in response.content.decode()


def test_the_last_use_is_recorded_once_a_minute(signed_in):
    row = UserSession.objects.get(session_key=signed_in.session.session_key)
    UserSession.objects.filter(pk=row.pk).update(last_seen_at=timezone.now() - timedelta(hours=1))
    set_times(signed_in, started_ago=600, seen_ago=61)
    signed_in.get(reverse("home"), follow=True)
    row.refresh_from_db()
    assert timezone.now() - row.last_seen_at < timedelta(seconds=5)


def test_the_session_is_written_at_most_once_a_minute_for_the_idle_check(signed_in):
    set_times(signed_in, started_ago=600, seen_ago=10)
    seen = signed_in.session[SEEN_KEY]
    signed_in.get(reverse("home"), follow=True)
    assert signed_in.session[SEEN_KEY] == seen


# Ending other sessions (ASVS 7.4.3, 7.5.2)


def signed_in_twice(user):
    here, elsewhere = Client(), Client()
    for client in (here, elsewhere):
        client.force_login(user)
        assert is_signed_in(client)
    return here, elsewhere


def is_signed_in(client) -> bool:
    """Not sent to sign in (a session waiting for a two-factor code is signed in)."""
    response = client.get(reverse("password_change"))
    return not (response.status_code == 302 and response["Location"].startswith(reverse("login")))


FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 "
    "Safari/537.36"
)


def sign_in_with_browser(user, user_agent: str) -> Client:
    client = Client(HTTP_USER_AGENT=user_agent)
    response = client.post(
        reverse("login"), {"username": user.username, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    return client


def reauthenticate(client):
    client.post(reverse("account_reauthenticate"), {"password": "correct-horse-battery"})


def test_signing_in_records_the_session_with_its_browser_and_address(db):
    user = make_user(role=Role.PROVIDER)
    client = sign_in_with_browser(user, FIREFOX)
    row = UserSession.objects.get(user=user)
    assert row.session_key == client.session.session_key
    assert (row.ip, row.user_agent) == ("127.0.0.1", FIREFOX)


def test_the_list_shows_every_session_and_marks_this_one(db):
    user = make_user(role=Role.PROVIDER)
    make_user(role=Role.PROVIDER, username="someone_else")
    sign_in_with_browser(user, FIREFOX)
    here = sign_in_with_browser(user, CHROME)
    sign_in_with_browser(User.objects.get(username="someone_else"), FIREFOX)
    page = here.get(reverse("usersessions_list")).content.decode()
    assert page.count('<tr class="govuk-table__row">') == 3  # the header row and two sessions
    assert "Firefox on Windows" in page
    assert 'Chrome on Linux <strong class="govuk-tag govuk-tag--blue">This session</strong>' in page
    assert "Sign out of the other sessions" in page


def test_with_no_other_session_there_is_nothing_to_sign_out(db):
    here = sign_in_with_browser(make_user(role=Role.APPRENTICE), CHROME)
    page = here.get(reverse("usersessions_list")).content.decode()
    assert "You are not signed in anywhere else." in page
    assert "Sign out of the other sessions" not in page


def test_the_account_summary_links_to_the_list(client, db):
    client.force_login(make_user(role=Role.EMPLOYER))
    page = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("usersessions_list")}">See where you are signed in' in page


# With CACHE_URL (a cache every process shares) sessions are read from the cache
# (psp.settings): ending one must end it there too.
ENGINES = ["django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"]


@pytest.mark.parametrize("engine", ENGINES)
def test_signing_out_of_the_other_sessions_needs_the_password_and_ends_them_at_once(
    db, settings, engine
):
    settings.SESSION_ENGINE = engine
    settings.AXES_ENABLED = False
    user = make_user(role=Role.PROVIDER)
    elsewhere = sign_in_with_browser(user, FIREFOX)
    here = sign_in_with_browser(user, CHROME)
    url = reverse("usersessions_list")
    response = here.post(url)
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert is_signed_in(elsewhere)
    reauthenticate(here)
    response = here.post(url, follow=True)
    assert not is_signed_in(elsewhere)
    assert is_signed_in(here)
    assert list(UserSession.objects.filter(user=user)) == [
        UserSession.objects.get(session_key=here.session.session_key)
    ]
    entry = AuditEntry.objects.get(action="session_ended")
    assert entry.summary.startswith("Signed out of Firefox on Windows")


def test_turning_off_two_factor_ends_the_other_sessions(
    db, settings, django_capture_on_commit_callbacks
):
    settings.AXES_ENABLED = False
    apprentice = make_apprentice()
    TOTP.activate(apprentice.user, generate_totp_secret())
    here, elsewhere = signed_in_twice(apprentice.user)
    reauthenticate(here)
    with django_capture_on_commit_callbacks(execute=True):
        here.post(reverse("mfa_deactivate_totp"))
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)


@pytest.mark.parametrize("engine", ENGINES)
def test_an_administrators_reset_signs_the_user_out_everywhere(db, settings, engine):
    settings.SESSION_ENGINE = engine
    user = make_user(role=Role.PROVIDER)
    first, second = signed_in_twice(user)
    admin = Client()
    admin.force_login(make_user(role=Role.ADMIN, is_staff=True))
    response = admin.post(reverse("two_factor_reset"), {"account": user.username}, follow=True)
    assert "who is signed out everywhere" in response.content.decode()
    assert not is_signed_in(first)
    assert not is_signed_in(second)
    assert is_signed_in(admin)
