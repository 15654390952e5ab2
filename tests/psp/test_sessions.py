"""Session time limits (psp.middleware.SessionTimeoutMiddleware): idle and absolute."""

import time

import pytest
from django.urls import reverse

from psp.middleware import SEEN_KEY, STARTED_KEY
from psp.roles import Role
from tests.factories import make_user

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


def test_the_session_is_written_at_most_once_a_minute_for_the_idle_check(signed_in):
    set_times(signed_in, started_ago=600, seen_ago=10)
    seen = signed_in.session[SEEN_KEY]
    signed_in.get(reverse("home"), follow=True)
    assert signed_in.session[SEEN_KEY] == seen
