import io
import re
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.urls import reverse

from psp.demo_accounts import DEMO_ACCOUNTS, seed_demo
from psp.roles import Role
from tests.factories import make_organisation, make_user

HOME_HEADINGS = {
    Role.APPRENTICE: "Your apprenticeship",
    Role.PROVIDER: "Your apprentices",
    Role.EMPLOYER: "Your apprentices",
    Role.ASSESSOR: "Your assessments",
    Role.EPAO_ADMIN: "End-point assessments",
    Role.ADMIN: "Administration",
}


@pytest.mark.parametrize("url_name", ["home", "standards:standard_list", "password_change"])
def test_anonymous_user_is_sent_to_sign_in(client, db, url_name):
    url = reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize(("role", "heading"), HOME_HEADINGS.items())
def test_each_role_lands_on_its_own_home_page(client, db, role, heading):
    client.force_login(make_user(role=role))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert f'<h1 class="govuk-heading-l">{heading}</h1>' in response.content.decode()
    homes = [t.name for t in response.templates if t.name.startswith("psp/home_")]
    assert homes == [f"psp/home_{role.value}.html"]


def test_user_without_a_role_is_told_to_ask_for_one(client, db):
    client.force_login(make_user())
    response = client.get(reverse("home"))
    assert "Your account has no role yet" in response.content.decode()


def test_home_shows_the_users_organisation(client, db):
    organisation = make_organisation(name="Imaginary Training Ltd")
    client.force_login(make_user(role=Role.PROVIDER, organisation=organisation))
    assert "Imaginary Training Ltd" in client.get(reverse("home")).content.decode()


def test_admin_home_lists_versions_with_what_is_not_yet_imported(client, st0494):
    client.force_login(make_user(role=Role.ADMIN))
    page = client.get(reverse("home")).content.decode()
    assert "ST0494 v1.0" in page
    assert "ST0494 v1.1" in page
    assert "Not yet imported" in page


def test_admin_homes_version_table_is_cached_until_the_reference_data_changes(
    client, st0494, django_assert_num_queries
):
    client.force_login(make_user(role=Role.ADMIN))
    client.get(reverse("home"))  # the table, the user's role and permissions, now cached
    with django_assert_num_queries(4):  # session, user, unread notifications, the revision
        page = client.get(reverse("home")).content.decode()
    assert "A renamed version" not in page
    with connection.cursor() as cursor:
        cursor.execute("UPDATE standards_standardversion SET title = 'A renamed version'")
    assert "A renamed version" in client.get(reverse("home")).content.decode()


def test_sign_in_with_valid_password_lands_on_home(client, db):
    make_user(role=Role.APPRENTICE, username="pat", password="a-long-enough-password")
    response = client.post(
        reverse("login"), {"username": "pat", "password": "a-long-enough-password"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_sign_in_with_wrong_password_shows_error_summary(client, db):
    make_user(role=Role.APPRENTICE, username="pat", password="a-long-enough-password")
    response = client.post(reverse("login"), {"username": "pat", "password": "wrong"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in page
    assert "Please enter a correct username and password" in page
    assert "<title>Error: Sign in" in page


def test_repeated_failures_lock_that_username_from_that_address(client, db, settings):
    settings.AXES_FAILURE_LIMIT = 3
    make_user(role=Role.APPRENTICE, username="pat", password="a-long-enough-password")
    for _ in range(3):
        client.post(reverse("login"), {"username": "pat", "password": "wrong"})
    locked = client.post(
        reverse("login"), {"username": "pat", "password": "a-long-enough-password"}
    )
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    elsewhere = client.post(
        reverse("login"),
        {"username": "pat", "password": "a-long-enough-password"},
        REMOTE_ADDR="192.0.2.44",
    )
    assert elsewhere.status_code == 302


def test_sign_in_page_lists_demo_accounts_only_in_demo_mode(client, db, settings):
    settings.PSP_DEMO_ACCOUNTS = False
    assert "Demo accounts" not in client.get(reverse("login")).content.decode()
    settings.PSP_DEMO_ACCOUNTS = True
    page = client.get(reverse("login")).content.decode()
    assert "These are demo accounts with fictional data" in page
    for account in DEMO_ACCOUNTS:
        assert f"<code>{account.username}</code>" in page
        assert f"<code>{account.password}</code>" in page


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda a: a.username)
def test_demo_accounts_sign_in_with_the_listed_password(client, db, account):
    seed_demo()
    response = client.post(
        reverse("login"), {"username": account.username, "password": account.password}
    )
    assert response.status_code == 302
    home = client.get(reverse("home"))
    assert HOME_HEADINGS[account.role] in home.content.decode()


def test_seed_demo_can_run_twice(db):
    seed_demo()
    users = seed_demo()
    assert len(users) == len(DEMO_ACCOUNTS)
    assert {u.role for u in users} == set(Role)


def test_sign_out_is_a_post_and_ends_the_session(client, db):
    client.force_login(make_user(role=Role.APPRENTICE))
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_change_rejects_a_weak_password(client, db):
    user = make_user(role=Role.APPRENTICE, password="a-long-enough-password")
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "a-long-enough-password",
            "new_password1": "password",
            "new_password2": "password",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This password is too short" in page
    user.refresh_from_db()
    assert user.check_password("a-long-enough-password")


def test_password_reset_sends_a_link_that_sets_a_new_password(
    client, db, mailoutbox, send_emails_inline, django_capture_on_commit_callbacks
):
    user = make_user(role=Role.APPRENTICE, email="pat@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "pat@example.org"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/reset/" in line)
    path = urlsplit(link.strip()).path  # on PSP_SITE_URL: the email leaves the request
    form_page = client.get(path, follow=True)
    assert "Set a new password" in form_page.content.decode()
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"},
    )
    user.refresh_from_db()
    assert user.check_password("a-brand-new-passphrase")


def test_password_reset_for_unknown_email_says_the_same_and_sends_nothing(
    client, db, mailoutbox, send_emails_inline, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mailoutbox == []


def test_accessibility_statement_is_public(client, db):
    response = client.get(reverse("accessibility_statement"))
    assert response.status_code == 200
    assert "Accessibility statement for psp" in response.content.decode()


def test_base_template_has_skip_link_navigation_phase_banner_and_footer(client, db):
    client.force_login(make_user(role=Role.PROVIDER))
    page = client.get(reverse("home")).content.decode()
    assert 'href="#main-content"' in page
    assert 'id="main-content"' in page
    assert "govuk-service-navigation" in page
    assert "govuk-phase-banner" in page
    assert reverse("accessibility_statement") in page
    assert "<script>" not in page  # no inline scripts: the CSP forbids them


def test_navigation_offers_user_management_to_admins_only(client, db):
    client.force_login(make_user(role=Role.PROVIDER))
    assert "Users and organisations" not in client.get(reverse("home")).content.decode()
    client.force_login(make_user(role=Role.ADMIN))
    assert "Users and organisations" in client.get(reverse("home")).content.decode()


def test_unknown_page_is_a_404_with_the_service_layout(client, db):
    client.force_login(make_user(role=Role.APPRENTICE))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_demo_shows_psps_own_404_page_not_djangos_technical_one(client, db, settings, caplog):
    settings.DEBUG = True
    settings.PSP_DEMO_ACCOUNTS = True
    client.force_login(make_user(role=Role.APPRENTICE))
    with caplog.at_level("INFO", logger="psp.middleware"):
        unknown = client.get("/no-such-page/")
        not_yours = client.get(reverse("apprentices:apprentice_detail", args=[999999]))
    for response in (unknown, not_yours):
        assert response.status_code == 404
        page = response.content.decode()
        assert "Page not found" in page
        assert "govuk-header" in page
        assert "URLconf" not in page
        assert "Raised by" not in page
    # The developer still learns what was not found, in the console.
    assert "Not found: /no-such-page/ (no page at this address)" in caplog.text
    assert "Not found: /apprentices/999999/" in caplog.text


def test_debug_without_the_demo_keeps_djangos_technical_404(client, db, settings):
    settings.DEBUG = True
    settings.PSP_DEMO_ACCOUNTS = False
    client.force_login(make_user(role=Role.APPRENTICE))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "URLconf" in response.content.decode()


def test_full_demo_seeding_is_repeatable_and_covers_every_stage(st0494):
    from django.core.management import call_command

    from apprentices.models import Apprentice
    from epa.models import EpaResult
    from standards.models import StandardVersion

    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    statuses = set(Apprentice.objects.values_list("status", flat=True))
    assert {"on_programme", "break", "gateway", "in_epa", "completed"} <= statuses
    assert list(EpaResult.objects.values_list("overall_grade", flat=True)) == ["merit", "fail"]
    on_st0494 = Apprentice.objects.filter(standard_version__standard__reference="ST0494")
    assert on_st0494.filter(standard_version__version="1.0").count() == 4
    # ST0494 stays as its sources say: the demo adds no grade table to v1.1.
    v1_1 = StandardVersion.objects.get(standard__reference="ST0494", version="1.1")
    assert not v1_1.epa_plan.combination_imported
    assert not v1_1.epa_plan.grade_combinations.exists()
    # The whole EPA runs on the fictional ST9999, whose plan is complete.
    demo = StandardVersion.objects.get(standard__reference="ST9999", version="1.0")
    assert "fictional" in demo.title.lower()
    assert demo.epa_plan.resits_imported
    assert demo.epa_plan.combination_imported
    assert on_st0494.count() + Apprentice.objects.filter(standard_version=demo).count() == (
        Apprentice.objects.count()
    )


# Issue 15, finding 7: password reset outside the request, rate limited, and for accounts
# with no password yet.


def test_password_reset_sends_nothing_inside_the_request(client, db, mailoutbox, monkeypatch):
    from psp.models import AccountEmail
    from psp.tasks import send_account_email

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("Redis is down")

    monkeypatch.setattr(send_account_email, "apply_async", broker_down)
    make_user(role=Role.APPRENTICE, email="pat@example.org")
    response = client.post(reverse("password_reset"), {"email": "pat@example.org"})
    assert response.status_code == 302
    assert mailoutbox == []
    assert AccountEmail.objects.get().email_status == "queued"  # the sweep sends it


def test_an_apprentice_whose_welcome_link_expired_can_reset_their_password(
    client, db, mailoutbox, send_emails_inline, django_capture_on_commit_callbacks
):
    user = make_user(role=Role.APPRENTICE, email="new@example.org")
    user.set_unusable_password()
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "new@example.org"})
    [email] = mailoutbox
    link = next(line for line in email.body.splitlines() if "/accounts/reset/" in line)
    form_page = client.get(urlsplit(link.strip()).path, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"},
    )
    user.refresh_from_db()
    assert user.check_password("a-brand-new-passphrase")


def test_password_reset_emails_are_rate_limited_per_account(
    client, db, mailoutbox, send_emails_inline, django_capture_on_commit_callbacks
):
    from psp import accounts

    make_user(role=Role.APPRENTICE, email="pat@example.org")
    for _ in range(accounts.RESET_LIMIT + 3):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("password_reset"), {"email": "PAT@example.org"})
        assert response.status_code == 302
    assert len(mailoutbox) == accounts.RESET_LIMIT


def test_password_reset_is_rate_limited_per_client_address(
    client, db, settings, mailoutbox, send_emails_inline, django_capture_on_commit_callbacks
):
    settings.PSP_PASSWORD_RESET_PER_ADDRESS = 4
    for number in range(4):
        make_user(role=Role.APPRENTICE, email=f"person{number}@example.org")
    url = reverse("password_reset")
    # A different address each time, so the limit per account never bites; addresses
    # without an account count too.
    emails = ["nobody1@example.org", "person0@example.org", "nobody2@example.org"]
    emails += ["person1@example.org", "person2@example.org", "person3@example.org"]
    statuses = []
    for email in emails:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"email": email})
        statuses.append(response.status_code)
    assert statuses == [302, 302, 302, 302, 429, 429]
    assert sorted(message.to[0] for message in mailoutbox) == [
        "person0@example.org",
        "person1@example.org",
    ]
    page = response.content.decode()
    assert "Too many password reset requests have come from your network" in page
    assert re.search(r"Try again in \d+ minutes?,", page)
    assert 'value="person3@example.org"' in page  # what was typed is kept
    assert "govuk-error-summary" in page
    # Another client address is not limited by this one.
    with django_capture_on_commit_callbacks(execute=True):
        other = client.post(url, {"email": "person3@example.org"}, REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 302
    assert len(mailoutbox) == 3


# Issue 15, finding 7: the password asked for again counts towards the lockout.


def test_the_lockout_page_says_how_long_in_words(client, db, settings):
    settings.AXES_FAILURE_LIMIT = 2
    make_user(role=Role.APPRENTICE, username="pat", password="a-long-enough-password")
    for _ in range(3):
        locked = client.post(reverse("login"), {"username": "pat", "password": "wrong"})
    page = locked.content.decode()
    assert "Try again in 15 minutes." in page
    assert "PT15M" not in page


def test_wrong_passwords_on_the_password_change_form_lock_it(client, db, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = make_user(role=Role.APPRENTICE, username="pat", password="a-long-enough-password")
    client.force_login(user)
    form = {"new_password1": "another-long-passphrase", "new_password2": "another-long-passphrase"}
    for _ in range(5):
        client.post(reverse("password_change"), {"old_password": "wrong", **form})
    right = client.post(
        reverse("password_change"), {"old_password": "a-long-enough-password", **form}
    )
    assert right.status_code in (200, 429)
    user.refresh_from_db()
    assert user.check_password("a-long-enough-password")  # not changed: locked


def test_wrong_passwords_before_ending_sessions_lock_it(client, db, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = make_user(role=Role.APPRENTICE, username="pat", password="a-long-enough-password")
    client.force_login(user)
    url = reverse("account_reauthenticate")
    for _ in range(5):
        client.post(url, {"password": "wrong"})
    client.post(url, {"password": "a-long-enough-password"})
    response = client.post(reverse("usersessions_list"))
    assert response["Location"].startswith(url)  # not re-authenticated: locked


def test_a_nul_character_in_a_search_is_a_clear_400(client, db):
    user = make_user(role=Role.ADMIN)
    client.force_login(user)
    response = client.get("/apprentices/?q=a%00b")
    assert response.status_code == 400
    assert "cannot be searched for" in response.content.decode()


def test_a_username_longer_than_any_account_is_a_form_error(client, db):
    response = client.post(reverse("login"), {"username": "u" * 300, "password": "whatever"})
    assert response.status_code == 200
    assert "A username is at most 150 characters" in response.content.decode()


def test_demo_evidence_history_is_dated_as_its_activity_not_the_seeding(db):
    import datetime

    from django.utils import timezone

    from apprentices.models import Evidence
    from demo.seeding import seed_demo_portfolios
    from standards.reference_data import load_reference_data

    load_reference_data()
    seed_demo_portfolios(seed_demo())
    evidence = list(Evidence.objects.prefetch_related("events"))
    assert evidence
    week = datetime.timedelta(days=7)
    for item in evidence:
        days = {timezone.localtime(event.at).date() for event in item.events.all()}
        assert days <= {item.activity_date, item.activity_date + week}, item.title


def test_demo_epa_history_is_spread_over_past_working_days_not_the_seeding_time(db):
    import datetime

    from django.utils import timezone

    from demo.seeding import seed_demo_epa, seed_demo_portfolios
    from epa import gateway
    from epa.models import EpaEvent, GatewayAttempt, MethodAssessment, MethodSubmission
    from standards.reference_data import load_reference_data

    load_reference_data()
    users = seed_demo()
    seeded = timezone.now()
    seed_demo_portfolios(users)
    seed_demo_epa(users)
    moments = [
        *EpaEvent.objects.values_list("at", flat=True),
        *MethodSubmission.objects.values_list("uploaded_at", flat=True),
        *GatewayAttempt.objects.values_list("created_at", flat=True),
        *GatewayAttempt.objects.exclude(submitted_at=None).values_list("submitted_at", flat=True),
        *MethodAssessment.objects.exclude(recorded_at=None).values_list("recorded_at", flat=True),
    ]
    assert len(moments) > 40
    for moment in moments:
        local = timezone.localtime(moment)
        assert local < seeded - datetime.timedelta(days=2), local
        assert local.weekday() < 5, local
        assert datetime.time(9) <= local.time() <= datetime.time(17, 30), local
    assert len({timezone.localtime(m).date() for m in moments}) > 15
    # The timeline reads in the order things happened.
    events = list(EpaEvent.objects.order_by("id"))
    for apprentice_id in {event.apprentice_id for event in events}:
        times = [e.at for e in events if e.apprentice_id == apprentice_id]
        assert times == sorted(times)
    # A hand-in keeps the time its supplement hash was made with.
    for attempt in GatewayAttempt.objects.exclude(pack=None):
        assert gateway.supplement(attempt).verified


def test_demo_v1_1_apprentices_map_evidence_have_coverage_and_the_326_hour_minimum(st0494):
    from django.core.management import call_command

    from apprentices.coverage import coverage_for
    from apprentices.models import Apprentice, EvidenceKSB
    from progress import training

    call_command("seed_demo", stdout=io.StringIO())
    eli = Apprentice.objects.get(user__first_name="Eli")
    assert eli.standard_version.version == "1.1"
    mapped = EvidenceKSB.objects.filter(evidence__apprentice=eli)
    assert {m.ksb.version_id for m in mapped} == {eli.standard_version_id}
    coverage = coverage_for(eli)
    assert coverage.ksbs_imported
    assert len(coverage.rows) == 44
    assert coverage.accepted > 0
    hana = Apprentice.objects.get(user__first_name="Hana")
    requirement = training.working_for(hana).requirement
    assert (requirement.hours, requirement.is_estimate) == (326, False)
