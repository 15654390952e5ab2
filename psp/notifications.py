"""Notifications: an in-app list for every user and, if they want it, an email.

`notify()` is what workflows call. It writes a Notification row and, when the user's
preference allows, marks its email pending and hands the email task to the broker after the
transaction commits; a Celery task sends it with retries (psp.tasks). Nothing here ever
raises into the action that called it, and a failure to send never undoes that action.

The pending email is a transactional outbox, as for PDF reports (epa.reports): if the broker
was down, the row stays pending and undispatched, and `dispatch_pending_emails` hands it to
the broker later (every worker runs it every SWEEP_SECONDS, see psp.tasks.EmailSweep, and so
does the `send_pending_emails` command). Sending is idempotent: the task claims the row
(pending → being sent) in one conditional UPDATE, so however often it is delivered, one
delivery sends.

The functions below `notify()` say what each event tells whom. Workflows in other apps call
them once, through `transaction.on_commit`, so nothing is said about an action that rolled back.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from psp.models import Notification, NotificationPreference, User
from psp.roles import Role

logger = logging.getLogger(__name__)

Kind = Notification.Kind
# For the reports pipeline: notify(user, REPORT_READY, subject=..., body=..., url=...).
REPORT_READY = Kind.REPORT_READY
Email = Notification.Email

SWEEP_SECONDS = 30
# A pending email never handed to the broker (it was down) is sent by the sweep after this.
RESEND_AFTER = datetime.timedelta(minutes=1)
# One handed to the broker this long ago and still pending was lost: send it again. Longer
# than the longest retry countdown (psp.tasks.retry_delay), so a retry is never doubled.
REDISPATCH_AFTER = datetime.timedelta(minutes=10)
# A claim this old belongs to a task that died while sending. It may have sent, so it is
# marked failed rather than sent again: an email is never sent twice.
CLAIM_STALE_AFTER = datetime.timedelta(minutes=15)
SWEEP_BATCH = 200


def wants_email(user: Any, kind: str) -> bool:
    if not (user.is_active and user.email):
        return False
    return not NotificationPreference.objects.filter(user=user, kind=kind, email=False).exists()


def notify(
    user: Any, kind: str, *, subject: str, body: str = "", url: str = ""
) -> Notification | None:
    """Tell one user: an in-app notification, and an email if they want one.

    Returns the notification, or None if it could not be recorded (which is logged, never raised).
    """
    try:
        with transaction.atomic():  # a savepoint: a failure here leaves the caller's work intact
            email = wants_email(user, kind)
            notification = Notification.objects.create(
                user=user,
                kind=kind,
                subject=subject[:200],
                body=body,
                url=url,
                email_status=Email.QUEUED if email else Email.NOT_WANTED,
            )
    except Exception:
        logger.exception("Could not record a %s notification for user %s", kind, user.pk)
        return None
    if email:
        transaction.on_commit(partial(dispatch_email, notification.pk), robust=True)
    return notification


def dispatch_email(notification_id: int) -> bool:
    """Hand the email task to the broker; never raises. Called after the notification is
    committed; what it could not send, dispatch_pending_emails sends later."""
    from psp.tasks import send_notification_email

    try:
        send_notification_email.apply_async(args=(notification_id,), retry=False)
    except Exception:
        logger.warning(
            "The email of notification %s was not sent to the broker; it will be sent when "
            "the broker is back",
            notification_id,
            exc_info=True,
        )
        return False
    Notification.objects.filter(pk=notification_id).update(email_dispatched_at=timezone.now())
    return True


def emails_to_dispatch(*, now: datetime.datetime | None = None) -> QuerySet[Notification]:
    """Pending emails never handed to the broker for RESEND_AFTER, or handed to it
    REDISPATCH_AFTER ago (the message was lost), oldest first."""
    now = now or timezone.now()
    return (
        Notification.objects.filter(
            Q(email_dispatched_at__isnull=True, created_at__lt=now - RESEND_AFTER)
            | Q(email_dispatched_at__lt=now - REDISPATCH_AFTER),
            email_status=Email.QUEUED,
        )
        .select_related("user")
        .order_by("created_at", "id")
    )


def dispatch_pending_emails(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Send the pending emails the broker has not got, as their users' preferences now say;
    stop at the first failure (the broker is down). Returns (sent, still waiting).

    Sending one twice is harmless: the task claims the row, and only one claim succeeds.
    """
    now = now or timezone.now()
    abandoned = Notification.objects.filter(
        email_status=Email.SENDING, email_claimed_at__lt=now - CLAIM_STALE_AFTER
    ).update(
        email_status=Email.FAILED,
        email_error="Sending stopped part way; not sent again, so it is never sent twice.",
    )
    if abandoned:
        logger.warning("%s notification emails were abandoned while being sent", abandoned)
    waiting = []
    for notification in emails_to_dispatch(now=now)[:SWEEP_BATCH]:
        if wants_email(notification.user, notification.kind):
            waiting.append(notification.pk)
        else:
            Notification.objects.filter(pk=notification.pk, email_status=Email.QUEUED).update(
                email_status=Email.NOT_WANTED
            )
    sent = 0
    for notification_id in waiting:
        if not dispatch_email(notification_id):
            break
        sent += 1
    return sent, len(waiting) - sent


def claim_email(notification_id: int) -> Notification | None:
    """Take a pending email to send it, or None if it is not pending (sent, being sent by
    another task, failed) or its user no longer wants it (it is then marked not wanted)."""
    pending = Notification.objects.filter(pk=notification_id, email_status=Email.QUEUED)
    notification = pending.select_related("user").first()
    if notification is None:
        return None
    if not wants_email(notification.user, notification.kind):
        pending.update(email_status=Email.NOT_WANTED)
        return None
    # One conditional UPDATE: of two deliveries at once, only one changes the row.
    claimed = pending.update(
        email_status=Email.SENDING,
        email_claimed_at=timezone.now(),
        email_attempts=F("email_attempts") + 1,
    )
    return notification if claimed else None


def release_email(notification_id: int) -> None:
    """Give a claimed email back, pending, for the task's own retry (counted as handed to
    the broker now, so the sweep leaves it to the retry)."""
    Notification.objects.filter(pk=notification_id, email_status=Email.SENDING).update(
        email_status=Email.QUEUED, email_dispatched_at=timezone.now()
    )


def finish_email(notification_id: int, *, error: str | None) -> None:
    """Record that the claimed email was sent, or failed for good."""
    claimed = Notification.objects.filter(pk=notification_id, email_status=Email.SENDING)
    if error is None:
        claimed.update(email_status=Email.SENT, emailed_at=timezone.now(), email_error="")
    else:
        claimed.update(email_status=Email.FAILED, email_error=error[:300])


def notify_all(
    users: Iterable[Any], kind: str, *, subject: str, body: str = "", url: str = ""
) -> list[Notification]:
    """notify() each user once, however often they appear."""
    sent: list[Notification] = []
    seen: set[int] = set()
    for user in users:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        notification = notify(user, kind, subject=subject, body=body, url=url)
        if notification is not None:
            sent.append(notification)
    return sent


def enqueue_after_commit(task: Any, *args: Any) -> None:
    """Queue a Celery task once the current transaction commits; a broker that is down is
    logged, never raised (the row that records the work stays, so it can be sent later)."""

    def send() -> None:
        try:
            task.apply_async(args=args, retry=False)
        except Exception:
            logger.exception("Could not queue %s%r", getattr(task, "name", task), args)

    transaction.on_commit(send, robust=True)


def staff_of(organisation_id: int | None, role: Role) -> QuerySet[User]:
    """Active users of an organisation who hold a role."""
    if organisation_id is None:
        return User.objects.none()
    return User.objects.filter(
        organisation_id=organisation_id, groups__name=role.label, is_active=True
    ).distinct()


# What each event says, and to whom. Bodies stay short and free of grades and comments:
# an email is less private than the service, so the detail is one sign-in away.


def evidence_reviewed(evidence: Any) -> None:
    accepted = evidence.status == "accepted"
    outcome = "was accepted" if accepted else "needs changes"
    notify(
        evidence.apprentice.user,
        Kind.EVIDENCE_REVIEWED,
        subject=f"Your evidence “{evidence.title}” {outcome}",
        body=(
            f"{evidence.reviewed_by} reviewed your evidence."
            + ("" if accepted else " Open it to see what to change, then submit it again.")
        ),
        url=evidence.get_absolute_url(),
    )


def gateway_decided(attempt: Any) -> None:
    apprentice = attempt.apprentice
    accepted = attempt.status == "accepted"
    notify_all(
        [apprentice.user, *staff_of(apprentice.training_provider_id, Role.PROVIDER)],
        Kind.GATEWAY_DECIDED,
        subject=(f"Gateway {'accepted' if accepted else 'not accepted'} for {apprentice.name}"),
        body=(
            "The end-point assessment organisation accepted the gateway: the EPA period has "
            "started."
            if accepted
            else "The end-point assessment organisation did not accept the gateway. The "
            "reasons are on the gateway page; a new attempt can be started."
        ),
        url=attempt.get_absolute_url(),
    )


def epa_scheduled(assessment: Any) -> None:
    when = timezone.localtime(assessment.scheduled_for)
    notify(
        assessment.epa.apprentice.user,
        Kind.EPA_SCHEDULED,
        subject=f"{assessment.method.name} scheduled for {when.day} {when:%B %Y at %H:%M}",
        body="Your end-point assessment page has the place or link and any adjustments.",
        url=assessment.epa.get_absolute_url(),
    )


def result_released(result: Any) -> None:
    apprentice = result.epa.apprentice
    notify_all(
        [
            apprentice.user,
            *staff_of(apprentice.training_provider_id, Role.PROVIDER),
            *staff_of(apprentice.employer_id, Role.EMPLOYER),
        ],
        Kind.RESULT_RELEASED,
        subject=f"End-point assessment result released for {apprentice.name}",
        body="The result has been moderated and is final. Sign in to see it.",
        url=result.epa.get_absolute_url(),
    )


def welcome(user: Any, *, provider: str) -> None:
    """A new apprentice's account: the email carries a fresh link to choose a password,
    made when it is sent (psp.tasks), so no link is kept in the notification."""
    notify(
        user,
        Kind.WELCOME,
        subject="Your psp account",
        body=(
            f"{provider} has set up your apprenticeship portfolio in psp. Your username is "
            f"{user.username}. To choose your password, open the link below: it works once "
            "and expires after 3 days. If it has expired, use “Forgotten your password?” on "
            "the sign-in page."
        ),
    )


def unread_count(user: Any) -> int:
    """One COUNT on an index, for the header on every page."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_all_read(user: Any) -> int:
    return Notification.objects.visible_to(user).unread().update(read_at=timezone.now())


@transaction.atomic
def set_preferences(user: Any, emailed_kinds: Iterable[str]) -> None:
    """Email the kinds given and no others; the in-app list always has every notification."""
    wanted = set(emailed_kinds)
    for kind in Kind.values:
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"email": kind in wanted}
        )


def emailed_kinds(user: Any) -> set[str]:
    refused = set(
        NotificationPreference.objects.filter(user=user, email=False).values_list("kind", flat=True)
    )
    return set(Kind.values) - refused
