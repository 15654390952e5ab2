import datetime
from types import SimpleNamespace

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from epa import gateway, grading
from epa.grading import AssessmentRecord, Decision
from psp import notifications, outbox
from psp.celery import app
from psp.models import Notification, NotificationPreference, Organisation
from psp.roles import Role
from psp.tasks import EmailSweep, send_notification_email, send_pending_emails
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
    assert (
        NotificationPreference.objects.filter(user=user, email=False).count()
        == len(Kind.values) - 2
    )
    assert not notifications.wants_email(user, Kind.EVIDENCE_REVIEWED)


# Emails queued while the broker was down: the sweep


@pytest.fixture
def broker(monkeypatch):
    """A broker that can be down; while up, it keeps the ids the email task was sent."""
    state = SimpleNamespace(up=True, queue=[])

    def apply_async(args=(), **options):
        if not state.up:
            raise ConnectionRefusedError("Redis is down")
        state.queue.append(args[0])

    monkeypatch.setattr(send_notification_email, "apply_async", apply_async)
    return state


def deliver(broker, times=1):
    """The worker runs each message the broker holds (each `times` times: redelivery)."""
    messages, broker.queue = broker.queue, []
    for notification_id in messages * times:
        send_notification_email.apply(args=[notification_id])


def age(notification, **delta):
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - datetime.timedelta(**delta)
    )


def test_an_email_queued_while_the_broker_was_down_is_sent_by_the_sweep_exactly_once(
    user, broker, django_capture_on_commit_callbacks, mailoutbox
):
    broker.up = False
    with django_capture_on_commit_callbacks(execute=True):
        notification = notifications.notify(user, Kind.GATEWAY_DECIDED, subject="Gateway accepted")
    notification.refresh_from_db()
    assert (notification.email_status, notification.email_dispatched_at) == ("queued", None)
    assert notifications.dispatch_pending_emails() == (0, 0)  # younger than a minute

    age(notification, minutes=2)
    with pytest.raises(CommandError, match="1 email could not be sent"):
        call_command("send_pending_emails")
    assert broker.queue == []

    broker.up = True
    call_command("send_pending_emails")
    call_command("send_pending_emails")  # handed over just now: not again
    assert broker.queue == [notification.pk]
    deliver(broker, times=2)  # delivered twice, sent once
    notification.refresh_from_db()
    assert notification.email_status == "sent"
    assert notification.email_attempts == 1
    assert [m.subject for m in mailoutbox] == ["Gateway accepted"]

    later = timezone.now() + datetime.timedelta(hours=1)
    assert notifications.dispatch_pending_emails(now=later) == (0, 0)
    assert broker.queue == []


def test_the_sweep_resends_a_lost_message_once_and_the_first_delivery_then_sends_nothing(
    user, broker, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notifications.notify(user, Kind.GATEWAY_DECIDED, subject="Gateway accepted")
    assert broker.queue == [notification.pk]
    lost, broker.queue = broker.queue, []
    assert notifications.dispatch_pending_emails() == (0, 0)  # with the broker: not lost yet
    later = timezone.now() + outbox.REDISPATCH_AFTER + datetime.timedelta(minutes=1)
    assert notifications.dispatch_pending_emails(now=later) == (1, 0)
    deliver(broker)
    broker.queue = lost  # the first message turns up after all
    deliver(broker)
    assert len(mailoutbox) == 1


def test_the_sweep_respects_a_preference_changed_while_the_email_was_pending(
    user, broker, django_capture_on_commit_callbacks, mailoutbox
):
    broker.up = False
    with django_capture_on_commit_callbacks(execute=True):
        notification = notifications.notify(user, Kind.GATEWAY_DECIDED, subject="Gateway accepted")
    age(notification, minutes=2)
    notifications.set_preferences(user, [Kind.REVIEW_DUE])
    broker.up = True
    assert notifications.dispatch_pending_emails() == (0, 0)
    notification.refresh_from_db()
    assert notification.email_status == "not_wanted"
    send_notification_email.apply(args=[notification.pk])
    assert mailoutbox == []


def test_the_task_does_not_send_an_email_another_task_has_claimed(user, mailoutbox):
    notification = notifications.notify(user, Kind.GATEWAY_DECIDED, subject="Gateway accepted")
    assert outbox.claim_email(notification.pk, Notification) is not None
    send_notification_email.apply(args=[notification.pk])
    assert mailoutbox == []
    assert Notification.objects.get(pk=notification.pk).email_status == "sending"


def test_an_email_whose_sender_died_is_marked_failed_not_sent_again(user, broker, mailoutbox):
    notification = notifications.notify(user, Kind.GATEWAY_DECIDED, subject="Gateway accepted")
    outbox.claim_email(notification.pk, Notification)
    age(notification, hours=1)
    soon = timezone.now() + datetime.timedelta(minutes=1)
    assert notifications.dispatch_pending_emails(now=soon) == (0, 0)
    assert Notification.objects.get(pk=notification.pk).email_status == "sending"
    later = timezone.now() + outbox.CLAIM_STALE_AFTER + datetime.timedelta(minutes=1)
    assert notifications.dispatch_pending_emails(now=later) == (0, 0)
    notification.refresh_from_db()
    assert notification.email_status == "failed"
    assert "never sent twice" in notification.email_error
    assert broker.queue == []
    assert mailoutbox == []


def test_each_worker_sweeps_emails_through_the_broker(monkeypatch):
    sent = []
    monkeypatch.setattr(
        send_pending_emails, "apply_async", lambda **options: sent.append(options["queue"])
    )
    sweep = EmailSweep(SimpleNamespace())
    sweep.queue = "celery"
    sweep.sweep()
    assert sent == ["celery"]
    assert EmailSweep in app.steps["worker"]


def test_a_sweep_that_cannot_reach_the_broker_fails_quietly(monkeypatch):
    def broker_down(**options):
        raise ConnectionRefusedError("Redis is down")

    monkeypatch.setattr(send_pending_emails, "apply_async", broker_down)
    EmailSweep(SimpleNamespace()).sweep()  # logged, not raised


def test_a_lost_message_is_sent_again_after_a_minute_but_a_waiting_retry_is_not_doubled(
    user, broker, django_capture_on_commit_callbacks
):
    # Issue 15, finding 6: lost messages waited ten minutes for the sweep.
    with django_capture_on_commit_callbacks(execute=True):
        notification = notifications.notify(user, Kind.GATEWAY_DECIDED, subject="Gateway accepted")
    broker.queue = []  # lost
    now = timezone.now()
    assert notifications.dispatch_pending_emails(now=now + datetime.timedelta(seconds=30)) == (0, 0)
    assert notifications.dispatch_pending_emails(now=now + datetime.timedelta(seconds=75)) == (1, 0)
    # A task that failed to send gives the email back for its retry in 4 minutes.
    broker.queue = []
    outbox.claim_email(notification.pk, Notification)
    outbox.release_email(notification.pk, Notification, retry_in=240)
    assert notifications.dispatch_pending_emails(now=now + datetime.timedelta(minutes=4)) == (0, 0)
    assert broker.queue == []
    assert notifications.dispatch_pending_emails(now=now + datetime.timedelta(minutes=6)) == (1, 0)


def test_unread_count_counts_only_this_users_unread_as_the_orm_would(user):
    other = make_user()
    for n in range(4):
        notifications.notify(user, Kind.REVIEW_DUE, subject=f"Review {n}")
    notifications.notify(other, Kind.REVIEW_DUE, subject="Someone else's")
    Notification.objects.filter(user=user).order_by("pk").first().mark_read()
    assert notifications.unread_count(user) == 3
    assert notifications.unread_count(other) == 1
    assert notifications.unread_count(make_user()) == 0
    for person in (user, other):
        expected = Notification.objects.filter(user=person, read_at__isnull=True).count()
        assert notifications.unread_count(person) == expected
