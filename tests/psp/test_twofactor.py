import base64
import datetime
import hashlib
import io
import re
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from psp import encryption, twofactor
from psp.models import RecoveryCode, TwoFactorDevice
from psp.roles import Role
from tests.factories import make_apprentice, make_organisation, make_user

PASSWORD = "correct-horse-battery"


@pytest.fixture
def required(settings):
    settings.PSP_REQUIRE_STAFF_2FA = True
    settings.AXES_ENABLED = False  # sign-in lockout has its own tests


def make_device(user, *, confirmed=True):
    return TwoFactorDevice.objects.create(
        user=user,
        secret=twofactor.new_secret(),
        confirmed_at=timezone.now() if confirmed else None,
    )


def code_now(device, *, steps_ahead=0):
    return twofactor.code_at(device.secret, twofactor.step_at(timezone.now()) + steps_ahead)


def sign_in(client, user):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD})


def provider():
    return make_user(role=Role.PROVIDER, organisation=make_organisation(kind="provider"))


# The secret at rest


def test_the_secret_is_encrypted_in_the_database_and_codes_still_verify(db, settings):
    from django.db import connection

    settings.PSP_FIELD_KEY = "a-field-key-for-this-test-only"
    user = make_user(password=PASSWORD)
    device = make_device(user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM psp_twofactordevice WHERE id = %s", [device.pk])
        [(stored,)] = cursor.fetchall()
    assert device.secret not in stored
    assert base64.b32encode(base64.b32decode(device.secret)).decode() not in stored
    assert stored.startswith("gAAAAA")
    assert TwoFactorDevice.objects.get(pk=device.pk).secret == device.secret
    assert twofactor.verify(user, code_now(device)) == "app"
    # Another key cannot read it; a new key first, the old one after, can (rotation).
    settings.PSP_FIELD_KEY = "another-key"
    with pytest.raises(encryption.DecryptionError, match="PSP_FIELD_KEY"):
        TwoFactorDevice.objects.get(pk=device.pk)
    settings.PSP_FIELD_KEY = "another-key, a-field-key-for-this-test-only"
    assert TwoFactorDevice.objects.get(pk=device.pk).secret == device.secret


def test_rotate_field_key_re_encrypts_every_secret_with_the_new_key(db, settings):
    settings.PSP_FIELD_KEY = "the-old-key"
    device = make_device(make_user(password=PASSWORD))
    settings.PSP_FIELD_KEY = "the-new-key,the-old-key"
    call_command("rotate_field_key", stdout=(out := io.StringIO()))
    assert "Re-encrypted 1 two-factor secrets" in out.getvalue()
    settings.PSP_FIELD_KEY = "the-new-key"
    assert TwoFactorDevice.objects.get(pk=device.pk).secret == device.secret


def test_without_a_field_key_the_key_comes_from_the_secret_key(settings):
    settings.PSP_FIELD_KEY = ""
    token = encryption.encrypt("JBSWY3DPEHPK3PXP")
    assert encryption.decrypt(token) == "JBSWY3DPEHPK3PXP"
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert encryption.decrypt(token) == "JBSWY3DPEHPK3PXP"  # the old key is a fallback
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(encryption.DecryptionError):
        encryption.decrypt(token)


def test_the_migration_encrypts_existing_secrets(db):
    import importlib

    from django.db import connection

    migration = importlib.import_module("psp.migrations.0008_two_factor_secret_encrypted")
    editor = SimpleNamespace(connection=connection)
    user = make_user(password=PASSWORD)
    device = make_device(user)

    def stored():
        with connection.cursor() as cursor:
            cursor.execute("SELECT secret FROM psp_twofactordevice WHERE id = %s", [device.pk])
            return cursor.fetchone()[0]

    # As it was before the migration: in clear, without the constraint.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks, to alter
            cursor.execute(
                "ALTER TABLE psp_twofactordevice DROP CONSTRAINT two_factor_secret_encrypted"
            )
        else:
            cursor.execute("PRAGMA ignore_check_constraints = ON")
    try:
        migration.decrypt_secrets(None, editor)
        assert stored() == device.secret
        migration.encrypt_secrets(None, editor)
        token = stored()
        migration.encrypt_secrets(None, editor)  # running it again changes nothing
        assert stored() == token
    finally:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA ignore_check_constraints = OFF")
    assert token.startswith("gAAAAA")
    assert device.secret not in token
    assert TwoFactorDevice.objects.get(pk=device.pk).secret == device.secret
    assert twofactor.verify(user, code_now(device)) == "app"


# The codes themselves


@pytest.mark.parametrize(
    ("unix_time", "code"),
    [
        (59, "287082"),
        (1111111109, "081804"),
        (1111111111, "050471"),
        (1234567890, "005924"),
        (2000000000, "279037"),
        (20000000000, "353130"),
    ],
)
def test_codes_match_the_rfc_6238_test_vectors(unix_time, code):
    # RFC 6238 appendix B (SHA-1), last six of its eight digits.
    secret = base64.b32encode(b"12345678901234567890").decode()
    moment = datetime.datetime.fromtimestamp(unix_time, tz=datetime.UTC)
    assert twofactor.code_at(secret, twofactor.step_at(moment)) == code


def test_a_code_one_step_either_side_is_accepted_but_not_two():
    secret = twofactor.new_secret()
    now = timezone.now()
    step = twofactor.step_at(now)
    for delta in (-1, 0, 1):
        code = twofactor.code_at(secret, step + delta)
        assert twofactor.matching_step(secret, code, now=now) == step + delta
    far = twofactor.code_at(secret, step + 2)
    if far not in {twofactor.code_at(secret, step + d) for d in (-1, 0, 1)}:
        assert twofactor.matching_step(secret, far, now=now) is None


def test_a_code_cannot_be_used_twice(db):
    device = make_device(make_user())
    code = code_now(device)
    assert twofactor.verify(device.user, code) == "app"
    with pytest.raises(twofactor.TwoFactorError, match="not right"):
        twofactor.verify(device.user, code)


def test_recovery_codes_are_ten_single_use_120_bit_codes_stored_only_as_hashes(db):
    device = make_device(make_user(), confirmed=False)
    codes = twofactor.confirm_enrolment(device, code_now(device))
    assert len(codes) == len(set(codes)) == 10
    assert all(len(code.replace("-", "")) == 24 for code in codes)  # 24 x 5 bits
    stored = set(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert not stored & set(codes)
    assert hashlib.sha256(codes[0].replace("-", "").encode()).hexdigest() in stored
    # Typed in capitals, with spaces, or an O for a zero: still the same code.
    typed = codes[0].upper().replace("-", " ").replace("0", "O")
    assert twofactor.verify(device.user, typed) == "recovery"
    with pytest.raises(twofactor.TwoFactorError):
        twofactor.verify(device.user, codes[0])
    assert twofactor.remaining_recovery_codes(device.user) == 9


def test_five_wrong_codes_lock_code_entry_for_the_cool_off(db, settings):
    settings.TWO_FACTOR_FAILURE_LIMIT = 5
    settings.TWO_FACTOR_COOLOFF_MINUTES = 15
    device = make_device(make_user())
    wrong = "000000" if code_now(device) != "000000" else "111111"
    for _ in range(4):
        with pytest.raises(twofactor.TwoFactorError, match="not right"):
            twofactor.verify(device.user, wrong)
    with pytest.raises(twofactor.TwoFactorLocked, match="15 minutes"):
        twofactor.verify(device.user, wrong)
    # Even the right code is refused until the cool-off ends.
    with pytest.raises(twofactor.TwoFactorLocked):
        twofactor.verify(device.user, code_now(device))
    later = timezone.now() + datetime.timedelta(minutes=16)
    code = twofactor.code_at(device.secret, twofactor.step_at(later))
    assert twofactor.verify(device.user, code, now=later) == "app"


def test_regenerating_recovery_codes_replaces_the_old_ones(db):
    device = make_device(make_user(), confirmed=False)
    old = twofactor.confirm_enrolment(device, code_now(device))
    new = twofactor.regenerate_recovery_codes(device.user)
    assert not set(old) & set(new)
    with pytest.raises(twofactor.TwoFactorError):
        twofactor.verify(device.user, old[0])
    assert twofactor.verify(device.user, new[0]) == "recovery"


# Who must use it


def test_with_the_setting_off_staff_sign_in_with_a_password_only(client, db, settings):
    settings.AXES_ENABLED = False
    assert settings.PSP_REQUIRE_STAFF_2FA is False  # pyproject's test environment
    user = provider()
    sign_in(client, user)
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("role", sorted(twofactor.STAFF_ROLES))
def test_every_staff_role_is_sent_to_set_it_up_after_signing_in(client, db, required, role):
    user = make_user(role=role, organisation=make_organisation())
    response = sign_in(client, user)
    assert response.status_code == 302
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('two_factor_setup')}?next=/"


@pytest.mark.parametrize(
    "url",
    ["/", "/apprentices/", "/standards/", "/admin/", "/accounts/password_change/"],
)
def test_an_unverified_staff_session_reaches_nothing_but_the_two_factor_pages(
    client, db, required, url
):
    user = provider()
    make_device(user)
    sign_in(client, user)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_verify"))


def test_an_unverified_session_can_still_sign_out_and_reach_health_and_public_pages(
    client, db, required
):
    user = provider()
    make_device(user)
    sign_in(client, user)
    assert client.get(reverse("two_factor_verify")).status_code == 200
    assert client.get(reverse("healthz")).status_code in (200, 503)
    assert client.get(reverse("accessibility_statement")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_an_apprentice_is_offered_two_factor_but_not_made_to_use_it(client, db, required):
    apprentice = make_apprentice()
    sign_in(client, apprentice.user)
    response = client.get(reverse("home"))
    assert response["Location"] == apprentice.get_absolute_url()
    page = client.get(reverse("two_factor_manage"))
    assert b"Set up two-factor authentication" in page.content


def test_an_exempt_session_is_stopped_when_the_user_gets_a_staff_role(client, db, required):
    from django.contrib.auth.models import Group

    user = make_user(role=Role.APPRENTICE)
    sign_in(client, user)
    user.groups.set([Group.objects.get(name=Role.PROVIDER.label)])
    response = client.get(reverse("standards:standard_list"))
    assert response["Location"].startswith(reverse("two_factor_setup"))


# Setting it up


def test_enrolment_shows_a_qr_code_as_inline_svg_and_turns_on_with_a_code(client, db, required):
    user = provider()
    sign_in(client, user)
    page = client.get(reverse("two_factor_setup") + "?next=/standards/")
    content = page.content.decode()
    assert page.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in content
    # The strict CSP allows no inline style or script: the QR code has neither.
    svg = content[content.index("<svg") : content.index("</svg>")]
    assert "style" not in svg
    assert "<script" not in svg
    device = TwoFactorDevice.objects.get(user=user)
    assert twofactor.grouped(device.secret) in content
    assert page["Cache-Control"].startswith("max-age=0")
    # Reloading the page keeps the same secret, so a scanned code stays valid.
    client.get(reverse("two_factor_setup"))
    assert TwoFactorDevice.objects.get(user=user).secret == device.secret

    session_before = client.session.session_key
    response = client.post(
        reverse("two_factor_setup") + "?next=/standards/",
        {"code": code_now(device), "next": "/standards/"},
    )
    assert response.status_code == 200
    codes = re.findall(r"<code>([a-z0-9]{4}(?:-[a-z0-9]{4}){5})</code>", response.content.decode())
    assert len(codes) == 10
    assert 'href="/standards/"' in response.content.decode()
    assert client.session.session_key != session_before
    assert client.get(reverse("standards:standard_list")).status_code == 200


def test_a_wrong_code_at_enrolment_is_an_error_on_the_page(client, db, required):
    user = provider()
    sign_in(client, user)
    client.get(reverse("two_factor_setup"))
    device = TwoFactorDevice.objects.get(user=user)
    wrong = "000000" if code_now(device) != "000000" else "111111"
    response = client.post(reverse("two_factor_setup"), {"code": wrong})
    assert b"The code is not right" in response.content
    assert b"govuk-error-summary" in response.content
    device.refresh_from_db()
    assert device.confirmed_at is None


# Signing in with it


def test_sign_in_asks_for_the_code_and_then_goes_where_the_user_was_going(client, db, required):
    user = provider()
    device = make_device(user)
    sign_in(client, user)
    response = client.get("/standards/")
    assert response["Location"] == f"{reverse('two_factor_verify')}?next=/standards/"
    wrong = "000000" if code_now(device) != "000000" else "111111"
    page = client.post(response["Location"], {"code": wrong, "next": "/standards/"})
    assert b"The code is not right" in page.content
    response = client.post(response["Location"], {"code": code_now(device), "next": "/standards/"})
    assert response["Location"] == "/standards/"
    assert client.get("/standards/").status_code == 200


def test_sign_in_with_a_recovery_code_warns_how_many_are_left(client, db, required):
    user = provider()
    device = make_device(user, confirmed=False)
    codes = twofactor.confirm_enrolment(device, code_now(device))
    sign_in(client, user)
    response = client.post(reverse("two_factor_verify"), {"code": codes[3]}, follow=True)
    assert b"You have 9 left" in response.content


def test_verification_never_redirects_to_another_site(client, db, required):
    user = provider()
    device = make_device(user)
    sign_in(client, user)
    response = client.post(
        reverse("two_factor_verify"), {"code": code_now(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_after_five_wrong_codes_the_sign_in_page_says_to_wait(client, db, required):
    user = provider()
    device = make_device(user)
    sign_in(client, user)
    wrong = "000000" if code_now(device) != "000000" else "111111"
    for _ in range(5):
        response = client.post(reverse("two_factor_verify"), {"code": wrong})
    assert b"Too many wrong codes" in response.content
    response = client.post(reverse("two_factor_verify"), {"code": code_now(device)})
    assert b"Too many wrong codes" in response.content
    assert client.get("/").status_code == 302


# Managing it


def test_an_apprentice_can_turn_it_off_with_a_code_but_staff_cannot(client, db, required):
    apprentice = make_apprentice()
    device = make_device(apprentice.user)
    client.force_login(apprentice.user)
    client.post(reverse("two_factor_verify"), {"code": code_now(device)})
    response = client.post(
        reverse("two_factor_disable"),
        {"password": PASSWORD, "code": code_now(device, steps_ahead=1)},
    )
    assert response["Location"] == reverse("two_factor_manage")
    assert not TwoFactorDevice.objects.filter(user=apprentice.user).exists()

    staff = provider()
    staff_device = make_device(staff)
    client.force_login(staff)
    client.post(reverse("two_factor_verify"), {"code": code_now(staff_device)})
    assert client.get(reverse("two_factor_disable")).status_code == 403


def test_new_recovery_codes_need_the_password_and_the_current_code(client, db, required):
    user = provider()
    device = make_device(user)
    client.force_login(user)
    client.post(reverse("two_factor_verify"), {"code": code_now(device)})
    code = code_now(device, steps_ahead=1)
    wrong = "000000" if code != "000000" else "111111"
    url = reverse("two_factor_recovery_codes")
    response = client.post(url, {"password": PASSWORD, "code": wrong})
    assert b"The password or the code is not right" in response.content
    response = client.post(url, {"password": "not-my-password", "code": code})
    assert b"The password or the code is not right" in response.content
    assert not RecoveryCode.objects.filter(user=user).exists()
    # Wrong passwords count towards the lockout, so a stolen session cannot guess them.
    assert TwoFactorDevice.objects.get(user=user).failed_attempts == 2
    response = client.post(url, {"password": PASSWORD, "code": code})
    assert b"Your new recovery codes" in response.content
    assert RecoveryCode.objects.filter(user=user).count() == 10


def test_an_administrator_resets_someones_two_factor(client, db):
    admin = make_user(role=Role.ADMIN)
    user = provider()
    make_device(user)
    twofactor.regenerate_recovery_codes(user)
    client.force_login(admin)
    response = client.post(reverse("two_factor_reset"), {"account": user.username})
    assert response["Location"] == reverse("two_factor_reset")
    assert not TwoFactorDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
    page = client.post(reverse("two_factor_reset"), {"account": "nobody"})
    assert b"No account has that username or email address" in page.content


def test_only_administrators_may_reset_two_factor(client, db):
    client.force_login(provider())
    assert client.get(reverse("two_factor_reset")).status_code == 403
    client.logout()
    response = client.get(reverse("two_factor_reset"))
    assert response["Location"].startswith(reverse("login"))
