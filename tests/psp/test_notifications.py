import datetime

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from epa import gateway, grading
from epa.grading import AssessmentRecord, Decision
from psp import notifications
from psp.models import Notification, NotificationPreference, Organisation
from psp.roles import Role
from psp.tasks import send_notification_email
from tests.factories import (
    make_apprentice,
    make_evidence,
    make_full_plan,
    make_organisation,
    make_staff,
    make_user,
    make_version,
)

Kind = Notification.Kind


class BrokenEmailBackend(BaseEmailBackend):
    """An email server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("The email server refused the connection")


@pytest.fixture
def user(db):
    return make_user(role=Role.APPRENTICE, email="pat@example.org", first_name="Pat")


def test_notify_records_it_in_the_service_and_queues_an_email(
    user, django_capture_on_commit_callbacks, send_emails_inline, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notifications.notify(
            user, Kind.EVIDENCE_REVIEWED, subject="Your evidence was accepted", url="/x/"
        )
    notification.refresh_from_db()
    assert notification.email_status == "sent"
    assert mailoutbox[0].to == ["pat@example.org"]
    assert mailoutbox[0].subject == "Your evidence was accepted"
    assert "http://127.0.0.1:8000/x/" in mailoutbox[0].body


def test_a_user_who_turned_an_email_off_still_sees_it_in_the_service(
    user, django_capture_on_commit_callbacks, send_emails_inline, mailoutbox
):
    notifications.set_preferences(user, [Kind.REVIEW_DUE])
    with django_capture_on_commit_callbacks(execute=True):
        notification = notifications.notify(user, Kind.EVIDENCE_REVIEWED, subject="Accepted")
    assert notification.email_status == "not_wanted"
    assert mailoutbox == []
    assert notifications.emailed_kinds(user) == {Kind.REVIEW_DUE}


def test_the_email_is_sent_once_however_often_the_task_runs(user, mailoutbox):
    notification = notifications.notify(user, Kind.GATEWAY_DECIDED, subject="Gateway accepted")
    send_notification_email.apply(args=[notification.pk])
    send_notification_email.apply(args=[notification.pk])
    assert len(mailoutbox) == 1


def test_an_email_server_that_is_down_never_fails_the_action(
    db, settings, django_capture_on_commit_callbacks, send_emails_inline, mailoutbox
):
    settings.EMAIL_BACKEND = "tests.psp.test_notifications.BrokenEmailBackend"
    apprentice = make_apprentice(user=make_user(role=Role.APPRENTICE, email="a@example.org"))
    evidence = make_evidence(apprentice=apprentice, status="submitted")
    reviewer = make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)
    with django_capture_on_commit_callbacks(execute=True):
        evidence.accept(by=reviewer, comment="Good")
    evidence.refresh_from_db()
    assert evidence.status == "accepted"
    notification = Notification.objects.get(user=apprentice.user)
    assert notification.email_status == "failed"
    assert notification.email_attempts == 6  # the first try and five retries with backoff
    assert "refused the connection" in notification.email_error


def test_a_broker_that_is_down_never_fails_the_action(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("Redis is down")

    monkeypatch.setattr(send_notification_email, "apply_async", broker_down)
    apprentice = make_apprentice(user=make_user(role=Role.APPRENTICE, email="a@example.org"))
    evidence = make_evidence(apprentice=apprentice, status="submitted")
    reviewer = make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)
    with django_capture_on_commit_callbacks(execute=True):
        evidence.request_changes(by=reviewer, comment="Add the date")
    assert Notification.objects.get().email_status == "queued"  # kept, to send later


def test_a_notification_that_cannot_be_recorded_leaves_the_callers_work_intact(user, monkeypatch):
    def broken(**fields):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Notification.objects, "create", broken)
    assert notifications.notify(user, Kind.REPORT_READY, subject="Report ready") is None
    assert Notification.objects.count() == 0  # the transaction is still usable


def test_evidence_reviewed_tells_the_apprentice(db, django_capture_on_commit_callbacks):
    apprentice = make_apprentice()
    evidence = make_evidence(apprentice=apprentice, status="submitted", title="Widget log")
    reviewer = make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)
    with django_capture_on_commit_callbacks(execute=True):
        evidence.request_changes(by=reviewer, comment="Add the date")
    notification = Notification.objects.get()
    assert (notification.user, notification.kind) == (apprentice.user, "evidence_reviewed")
    assert notification.subject == "Your evidence “Widget log” needs changes"
    assert notification.url == evidence.get_absolute_url()


@pytest.fixture
def epa_people(db):
    version = make_version(ksbs={"K": ["Knows widgets"], "S": ["Fixes widgets"]})
    make_full_plan(version=version)
    epao = make_organisation(kind=Organisation.Kind.EPAO)
    apprentice = make_apprentice(version=version, epao=epao)
    make_evidence(apprentice=apprentice, status="accepted", ksbs=list(version.ksbs.all()))
    return {
        "apprentice": apprentice,
        "provider": make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider),
        "employer": make_staff(role=Role.EMPLOYER, organisation=apprentice.employer),
        "epao_admin": make_staff(role=Role.EPAO_ADMIN, organisation=epao),
        "assessor": make_staff(role=Role.ASSESSOR, organisation=epao),
    }


def _decided_epa(people, capture):
    apprentice, provider, employer = people["apprentice"], people["provider"], people["employer"]
    attempt = gateway.start_gateway(apprentice, by=provider)
    for item in attempt.items.all():
        extra = {"english_maths": "level_2"} if item.kind == "english_maths" else {}
        gateway.confirm_item(item, by=employer if item.kind == "employer" else provider, **extra)
    gateway.submit_gateway(attempt, by=provider)
    with capture(execute=True):
        epa = gateway.decide_gateway(
            attempt,
            {i.pk: ("accepted", "") for i in attempt.items.all()},
            by=people["epao_admin"],
            gateway_date=datetime.date(2031, 3, 3),
        )
    grading.assign_assessor(epa, people["assessor"], by=people["epao_admin"])
    return epa


def recipients(kind):
    return set(Notification.objects.filter(kind=kind).values_list("user", flat=True))


def test_gateway_decision_tells_the_apprentice_and_their_provider(
    epa_people, django_capture_on_commit_callbacks
):
    _decided_epa(epa_people, django_capture_on_commit_callbacks)
    assert recipients("gateway_decided") == {
        epa_people["apprentice"].user.pk,
        epa_people["provider"].pk,
    }
    assert Notification.objects.get(user=epa_people["provider"]).subject.startswith(
        "Gateway accepted for"
    )


def test_scheduling_and_releasing_results_tell_the_right_people(
    epa_people, django_capture_on_commit_callbacks
):
    epa = _decided_epa(epa_people, django_capture_on_commit_callbacks)
    first, second = epa.assessments.order_by("method__number")
    with django_capture_on_commit_callbacks(execute=True):
        grading.schedule(
            first,
            by=epa_people["epao_admin"],
            scheduled_for=datetime.datetime(
                2031, 4, 1, 10, 0, tzinfo=timezone.get_current_timezone()
            ),
            location="Room 1",
            adjustments="",
        )
    scheduled = Notification.objects.get(kind="epa_scheduled")
    assert scheduled.user == epa_people["apprentice"].user
    assert scheduled.subject == "Imaginary interview scheduled for 1 April 2031 at 10:00"
    for assessment in (first, second):
        criteria = list(assessment.method.grading_criteria.all())
        grading.record_assessment(
            assessment,
            AssessmentRecord(
                assessed_on=datetime.date(2031, 4, 1),
                duration_minutes=60,
                questions=[(f"Q{n}", "") for n in range(3)],
                evidence_referred="",
                judgement="Fine",
                decisions=[Decision(c, True, False) for c in criteria],
            ),
            by=epa_people["assessor"],
            seen_version=assessment.version,
        )
    epa.refresh_from_db()
    grading.submit_for_moderation(epa, by=epa_people["assessor"])
    epa.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        grading.moderate(epa, by=epa_people["epao_admin"], confirm=True)
    assert recipients("result_released") == {
        epa_people["apprentice"].user.pk,
        epa_people["provider"].pk,
        epa_people["employer"].pk,
    }
    assert "pass" not in Notification.objects.filter(kind="result_released").first().body


# Pages


def test_anonymous_user_is_sent_to_sign_in(client, db):
    assert client.get(reverse("notification_list"))["Location"].startswith(reverse("login"))


def test_a_user_without_a_role_cannot_see_notifications(client, db):
    client.force_login(make_user())
    assert client.get(reverse("notification_list")).status_code == 403


def test_the_header_shows_the_unread_count(client, user):
    for n in range(3):
        notifications.notify(user, Kind.REVIEW_DUE, subject=f"Review {n}")
    client.force_login(user)
    html = client.get(reverse("notification_list")).content.decode()
    assert '<span class="psp-count">3<span class="govuk-visually-hidden"> unread</span>' in html


@pytest.mark.parametrize("count", [3, 60])
def test_notification_list_uses_a_fixed_number_of_queries(
    client, user, count, django_assert_max_num_queries
):
    Notification.objects.bulk_create(
        Notification(user=user, kind=Kind.REVIEW_DUE, subject=f"Review {n}", url="/")
        for n in range(count)
    )
    client.force_login(user)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("notification_list"))
    assert len(page.context["page"].object_list) == min(count, 25)


def test_marking_read_and_opening(client, user):
    notification = notifications.notify(user, Kind.REVIEW_DUE, subject="Review", url="/somewhere/")
    client.force_login(user)
    response = client.post(reverse("notification_read", args=[notification.pk]), {"open": "1"})
    assert response["Location"] == "/somewhere/"
    notification.refresh_from_db()
    assert notification.is_read


def test_mark_all_read_marks_only_the_users_own(client, user):
    other = make_user(role=Role.APPRENTICE)
    notifications.notify(user, Kind.REVIEW_DUE, subject="Mine")
    notifications.notify(other, Kind.REVIEW_DUE, subject="Theirs")
    client.force_login(user)
    client.post(reverse("notification_read_all"))
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=other, read_at__isnull=True).exists()


def test_another_users_notification_is_404(client, user):
    theirs = notifications.notify(make_user(role=Role.APPRENTICE), Kind.REVIEW_DUE, subject="x")
    client.force_login(user)
    assert client.post(reverse("notification_read", args=[theirs.pk])).status_code == 404


def test_preferences_page_saves_which_kinds_are_emailed(client, user):
    client.force_login(user)
    page = client.get(reverse("notification_preferences"))
    assert page.content.decode().count(" checked") == len(Kind.values)  # all on by default
    client.post(reverse("notification_preferences"), {"emailed": ["review_due", "report_ready"]})
    assert notifications.emailed_kinds(user) == {"review_due", "report_ready"}
    assert NotificationPreference.objects.filter(user=user, email=False).count() == 5
    assert not notifications.wants_email(user, Kind.EVIDENCE_REVIEWED)
