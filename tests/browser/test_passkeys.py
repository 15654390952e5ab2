"""Two-factor sign-in with a passkey (django-allauth's WebAuthn), in Chromium with its virtual
authenticator (DevTools' WebAuthn domain): a member of staff who must use two-factor
authentication adds a passkey, signs out, and signs in with the password and the passkey."""

import re

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from psp.roles import Role
from tests.factories import make_organisation, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "correct-horse-battery"


def add_virtual_authenticator(page):
    """A platform authenticator that says yes at once (user present and verified)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp


def sign_in_with_password(page, origin, user):
    page.goto(f"{origin}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_staff_add_a_passkey_and_sign_in_with_it(new_page, live_server, settings):
    settings.PSP_REQUIRE_STAFF_2FA = True
    settings.AXES_ENABLED = False
    # WebAuthn needs a host name (not an address) for its relying party: localhost, over
    # HTTP, which browsers treat as secure and allauth accepts with this setting.
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    origin = live_server.url.replace("127.0.0.1", "localhost")
    user = make_user(role=Role.PROVIDER, organisation=make_organisation(kind="provider"))
    page = new_page()
    add_virtual_authenticator(page)

    # Staff without an authenticator are sent to set one up.
    sign_in_with_password(page, origin, user)
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor authentication")
    page.get_by_role("link", name="Add a passkey").click()
    # allauth asks for the password again before an authenticator is added.
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile("/webauthn/add/"))
    # The button works once the page's scripts have hooked it (allauth's webauthn.js asks
    # the browser for the passkey): clicking before that sends the form without one.
    page.wait_for_load_state("load")
    page.get_by_role("button", name="Add a passkey").click()  # the browser makes it
    page.wait_for_url(lambda url: "/webauthn/add/" not in url, timeout=30_000)
    passkey = Authenticator.objects.get(user=user, type=Authenticator.Type.WEBAUTHN)

    # Signed out, the password alone is not enough: the passkey is the second step.
    page.context.clear_cookies()
    sign_in_with_password(page, origin, user)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    page.wait_for_load_state("load")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(lambda url: "/two-factor/authenticate/" not in url, timeout=30_000)
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Enter your code")
    assert "/accounts/login/" not in page.url
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None
