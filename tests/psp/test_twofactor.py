"""Two-factor authentication through django-allauth's mfa (psp.twofactor): the second step
of psp's sign-in, staff enrolment (psp.middleware.StaffTwoFactorMiddleware), secrets kept
encrypted, the audit trail, an administrator's reset, and the migration of psp's own devices."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from psp import encryption, twofactor
from psp.models import AuditEntry
from psp.roles import Role
from tests.factories import make_apprentice, make_organisation, make_user

PASSWORD = "correct-horse-battery"


@pytest.fixture
def required(settings):
    settings.PSP_REQUIRE_STAFF_2FA = True
    settings.AXES_ENABLED = False  # sign-in lockout has its own tests


def add_totp(user, secret=None):
    return TOTP.activate(user, secret or generate_totp_secret()).instance


def code_now(authenticator, *, steps_ahead=0):
    secret = encryption.decrypt(authenticator.data["secret"])
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + steps_ahead))


def sign_in(client, user):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD})


def provider():
    return make_user(role=Role.PROVIDER, organisation=make_organisation(kind="provider"))


def reauthenticate(client):
    """allauth asks for the password again before authenticators change."""
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})


def signed_in(client):
    return "_auth_user_id" in client.session


# The secret at rest


def test_the_secret_is_encrypted_in_the_database_and_codes_still_verify(db, settings):
    settings.PSP_FIELD_KEY = "a-field-key-for-this-test-only"
    secret = generate_totp_secret()
    authenticator = add_totp(make_user(password=PASSWORD), secret)
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM mfa_authenticator WHERE id = %s", [authenticator.pk])
        [(stored,)] = cursor.fetchall()
    assert secret not in stored
    assert encryption.decrypt(authenticator.data["secret"]) == secret
    assert TOTP(authenticator).validate_code(code_now(authenticator))


def test_rotating_the_field_key_re_encrypts_secrets_and_seeds(db, settings):
    settings.PSP_FIELD_KEY = "old-key"
    user = make_user()
    authenticator = add_totp(user)
    codes = RecoveryCodes.activate(user).generate_codes()
    secret = encryption.decrypt(authenticator.data["secret"])
    settings.PSP_FIELD_KEY = "new-key,old-key"
    call_command("rotate_field_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.PSP_FIELD_KEY = "new-key"
    authenticator.refresh_from_db()
    assert encryption.decrypt(authenticator.data["secret"]) == secret
    rows = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    assert RecoveryCodes(rows).generate_codes() == codes


# Signing in


def test_with_an_authenticator_the_password_alone_does_not_sign_in(client, db, required):
    user = provider()
    authenticator = add_totp(user)
    response = client.post(
        reverse("login") + "?next=/standards/", {"username": user.username, "password": PASSWORD}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert not signed_in(client)
    page = client.get(reverse("mfa_authenticate"))
    assert b"Enter your code" in page.content
    assert b'autocomplete="one-time-code"' in page.content
    response = client.post(reverse("mfa_authenticate"), {"code": code_now(authenticator)})
    assert response["Location"] == "/standards/"
    assert signed_in(client)
    assert client.get(reverse("standards:standard_list")).status_code == 200


def test_a_wrong_code_is_an_error_on_the_page_and_a_code_works_once(client, db, required):
    user = provider()
    authenticator = add_totp(user)
    sign_in(client, user)
    code = code_now(authenticator)
    wrong = "000000" if code != "000000" else "111111"
    page = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert b"The code is not right" in page.content
    assert b"govuk-error-summary" in page.content
    assert not signed_in(client)
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert signed_in(client)
    client.logout()
    sign_in(client, user)
    page = client.post(reverse("mfa_authenticate"), {"code": code})
    assert b"The code is not right" in page.content  # no replay


def test_a_recovery_code_signs_in_once(client, db, required):
    user = provider()
    add_totp(user)
    codes = RecoveryCodes.activate(user).generate_codes()
    sign_in(client, user)
    client.post(reverse("mfa_authenticate"), {"code": codes[3]})
    assert signed_in(client)
    client.logout()
    sign_in(client, user)
    client.post(reverse("mfa_authenticate"), {"code": codes[3]})
    assert not signed_in(client)


def test_repeated_wrong_codes_are_refused_for_a_while(client, db, required, settings):
    user = provider()
    authenticator = add_totp(user)
    sign_in(client, user)
    code = code_now(authenticator)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(settings.TWO_FACTOR_FAILURE_LIMIT):
        client.post(reverse("mfa_authenticate"), {"code": wrong})
    page = client.post(reverse("mfa_authenticate"), {"code": code})
    assert not signed_in(client)
    assert b"govuk-error-summary" in page.content


# Who must use it


def test_without_the_setting_staff_sign_in_with_a_password(client, db, settings):
    assert settings.PSP_REQUIRE_STAFF_2FA is False  # pyproject's test environment
    sign_in(client, provider())
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("role", sorted(twofactor.STAFF_ROLES))
def test_every_staff_role_is_sent_to_set_it_up_after_signing_in(client, db, required, role):
    user = make_user(role=role, organisation=make_organisation())
    sign_in(client, user)
    assert signed_in(client)
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("mfa_index")


@pytest.mark.parametrize("url", ["/", "/apprentices/", "/standards/", "/admin/"])
def test_staff_without_an_authenticator_reach_nothing_but_setting_one_up(client, db, required, url):
    sign_in(client, provider())
    response = client.get(url)
    assert response["Location"] == reverse("mfa_index")
    page = client.get(reverse("mfa_index"))
    assert b"Your role needs two-factor authentication" in page.content
    reauthenticate(client)
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    assert client.get(reverse("mfa_add_webauthn")).status_code == 200
    assert client.get(reverse("healthz")).status_code in (200, 503)
    assert client.get(reverse("accessibility_statement")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert not signed_in(client)


def test_setting_up_an_app_turns_it_on_with_a_code_and_lets_staff_through(
    client, db, required, django_capture_on_commit_callbacks
):
    user = provider()
    sign_in(client, user)
    reauthenticate(client)
    page = client.get(reverse("mfa_activate_totp"))
    assert b"govuk-button" in page.content
    secret = client.session["mfa.totp.secret"]
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302
    assert twofactor.is_enabled_for(user)
    assert client.get(reverse("standards:standard_list")).status_code == 200
    assert AuditEntry.objects.filter(action="two_factor_added", object_id=str(user.pk)).exists()


def test_an_apprentice_is_offered_two_factor_but_not_made_to_use_it(client, db, required):
    apprentice = make_apprentice()
    sign_in(client, apprentice.user)
    response = client.get(reverse("home"))
    assert response["Location"] == apprentice.get_absolute_url()
    page = client.get(reverse("mfa_index"))
    assert b"Set up" in page.content


def test_a_session_is_stopped_when_the_user_gets_a_staff_role(client, db, required):
    from django.contrib.auth.models import Group

    user = make_user(role=Role.APPRENTICE)
    sign_in(client, user)
    user.groups.set([Group.objects.get(name=Role.PROVIDER.label)])
    response = client.get(reverse("standards:standard_list"))
    assert response["Location"] == reverse("mfa_index")


def test_staff_cannot_remove_their_last_authenticator_but_apprentices_can(
    client, db, required, django_capture_on_commit_callbacks
):
    user = provider()
    add_totp(user)
    client.force_login(user)
    reauthenticate(client)
    client.post(reverse("mfa_deactivate_totp"))
    assert twofactor.is_enabled_for(user)
    apprentice = make_apprentice()
    add_totp(apprentice.user)
    client.force_login(apprentice.user)
    reauthenticate(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not twofactor.is_enabled_for(apprentice.user)
    entry = AuditEntry.objects.get(action="two_factor_removed")
    assert entry.object_id == str(apprentice.user.pk)


def test_the_admin_sites_own_sign_in_form_is_never_used(client, db):
    response = client.get("/admin/login/?next=/admin/")
    assert response["Location"].startswith(reverse("login"))


def test_an_administrator_resets_someones_two_factor(client, db):
    admin = make_user(role=Role.ADMIN)
    user = provider()
    add_totp(user)
    RecoveryCodes.activate(user)
    client.force_login(admin)
    response = client.post(reverse("two_factor_reset"), {"account": user.username})
    assert response["Location"] == reverse("two_factor_reset")
    assert not Authenticator.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(action="two_factor_reset", object_id=str(user.pk)).exists()
    page = client.post(reverse("two_factor_reset"), {"account": "nobody"})
    assert b"No account has that username or email address" in page.content


def test_only_administrators_may_reset_two_factor(client, db):
    client.force_login(provider())
    assert client.get(reverse("two_factor_reset")).status_code == 403
    client.logout()
    response = client.get(reverse("two_factor_reset"))
    assert response["Location"].startswith(reverse("login"))


# The migration from psp's own two-factor devices


# serialized_rollback: the tables are put back as they were for the tests after this one.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_existing_authenticator_apps_go_on_working_after_the_migration(client, settings):
    from django.db.migrations.executor import MigrationExecutor

    settings.PSP_REQUIRE_STAFF_2FA = True
    settings.AXES_ENABLED = False
    old = [("psp", "0013_merge_access_version_and_account_emails")]
    executor = MigrationExecutor(connection)
    executor.migrate(old)
    apps = executor.loader.project_state(old).apps
    User = apps.get_model("psp", "User")
    Device = apps.get_model("psp", "TwoFactorDevice")
    RecoveryCode = apps.get_model("psp", "RecoveryCode")
    from django.contrib.auth.hashers import make_password

    user = User.objects.create(username="kept", password=make_password(PASSWORD))
    secret = generate_totp_secret()
    Device.objects.create(user=user, secret=secret, confirmed_at="2026-01-01T00:00:00Z")
    RecoveryCode.objects.create(user=user, code_hash="a" * 64)
    unconfirmed = User.objects.create(username="unconfirmed", password=make_password(PASSWORD))
    Device.objects.create(user=unconfirmed, secret=generate_totp_secret())

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    [authenticator] = Authenticator.objects.filter(user_id=user.pk)
    assert authenticator.type == Authenticator.Type.TOTP
    assert encryption.decrypt(authenticator.data["secret"]) == secret
    assert not Authenticator.objects.filter(user_id=unconfirmed.pk).exists()
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert "psp_twofactordevice" not in tables
    assert "psp_recoverycode" not in tables

    # Signing in with a code from the old secret.
    client.post(reverse("login"), {"username": "kept", "password": PASSWORD})
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert signed_in(client)
    # No recovery codes came over: the two-factor page says to get new ones.
    page = client.get(reverse("mfa_index"))
    assert b"You have no recovery codes" in page.content
