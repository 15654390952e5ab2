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
delivery sends. Other tables that send one email per row (the review signing links of
progress.reviews) inherit psp.models.EmailOutbox and register_outbox() with their task:
they share this outbox, its sweep and its once-only sending.

What each event says, and to whom, is the app's that owns the event (apprentices.notices,
epa.notices, the progress reviews' own module): its workflows call it once, through
`transaction.on_commit`, so nothing is said about an action that rolled back. Bodies stay
short and free of grades and comments: an email is less private than the service, so the
detail is one sign-in away.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from psp.models import EmailOutbox, Notification, NotificationPreference, User
from psp.roles import Role

logger = logging.getLogger(__name__)

Kind = Notification.Kind
# Sent by the reports pipeline (epa.reports) when a report someone asked for is built.
REPORT_READY = Kind.REPORT_READY
Email = EmailOutbox.Email

SWEEP_SECONDS = 30
# A pending email never handed to the broker (it was down) is sent by the sweep after this.
RESEND_AFTER = datetime.timedelta(minutes=1)
# One handed to the broker this long ago and still pending was lost: send it again. A task
# that retries counts its email as handed over when the retry is due (release_email), so a
# retry waiting out its countdown is never doubled.
REDISPATCH_AFTER = datetime.timedelta(minutes=1)
# A claim this old belongs to a task that died while sending. It may have sent, so it is
# marked failed rather than sent again: an email is never sent twice.
CLAIM_STALE_AFTER = datetime.timedelta(minutes=15)
SWEEP_BATCH = 200


def wants_email(user: User, kind: str) -> bool:
    if not (user.is_active and user.email):
        return False
    return not NotificationPreference.objects.filter(user=user, kind=kind, email=False).exists()


def notify(
    user: User, kind: str, *, subject: str, body: str = "", url: str = ""
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


@dataclass(frozen=True)
class Outbox:
    """A table of emails to send (psp.models.EmailOutbox): the task that sends one row by
    id, whether a row's email is still wanted (checked by the sweep and by the task), and
    the time the row was made (the sweep waits RESEND_AFTER from then)."""

    model: type[EmailOutbox]
    task: Any
    wanted: Callable[[Any], bool]
    created: str = "created_at"
    related: tuple[str, ...] = ()


_outboxes: dict[type[EmailOutbox], Outbox] = {}


def register_outbox(outbox: Outbox) -> None:
    """Each app registers its tables of emails (the notifications, review signing links)."""
    _outboxes[outbox.model] = outbox


def _outbox(model: type[EmailOutbox]) -> Outbox:
    return _outboxes[model]  # registered by each app's tasks module, imported in ready()


def dispatch_email(row_id: int, model: type[EmailOutbox] = Notification) -> bool:
    """Hand the email task to the broker; never raises. Called after the row is committed;
    what it could not send, dispatch_pending_emails sends later."""
    try:
        _outbox(model).task.apply_async(args=(row_id,), retry=False)
    except Exception:
        logger.warning(
            "The email of %s %s was not sent to the broker; it will be sent when the broker "
            "is back",
            model._meta.verbose_name,
            row_id,
            exc_info=True,
        )
        return False
    model._default_manager.filter(pk=row_id).update(email_dispatched_at=timezone.now())
    return True


def emails_to_dispatch(
    model: type[EmailOutbox] = Notification, *, now: datetime.datetime | None = None
) -> QuerySet[Any]:
    """Pending emails never handed to the broker for RESEND_AFTER, or handed to it
    REDISPATCH_AFTER ago (the message was lost), oldest first."""
    now = now or timezone.now()
    outbox = _outbox(model)
    return (
        model._default_manager.filter(
            Q(email_dispatched_at__isnull=True, **{f"{outbox.created}__lt": now - RESEND_AFTER})
            | Q(email_dispatched_at__lt=now - REDISPATCH_AFTER),
            email_status=Email.QUEUED,
        )
        .select_related(*outbox.related)
        .order_by(outbox.created, "id")
    )


def dispatch_pending_emails(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Send the pending emails of every outbox the broker has not got, if still wanted;
    stop at the first failure (the broker is down). Returns (sent, still waiting).

    Sending one twice is harmless: the task claims the row, and only one claim succeeds.
    """
    now = now or timezone.now()
    sent = waiting_total = 0
    models: list[type[EmailOutbox]] = [
        Notification,
        *(m for m in _outboxes if m is not Notification),
    ]
    for model in models:
        rows = model._default_manager
        abandoned = rows.filter(
            email_status=Email.SENDING, email_claimed_at__lt=now - CLAIM_STALE_AFTER
        ).update(
            email_status=Email.FAILED,
            email_error="Sending stopped part way; not sent again, so it is never sent twice.",
        )
        if abandoned:
            logger.warning("%s emails (%s) were abandoned while being sent", abandoned, model)
        waiting = []
        wanted = _outbox(model).wanted
        for row in emails_to_dispatch(model, now=now)[:SWEEP_BATCH]:
            if wanted(row):
                waiting.append(row.pk)
            else:
                rows.filter(pk=row.pk, email_status=Email.QUEUED).update(
                    email_status=Email.NOT_WANTED
                )
        waiting_total += len(waiting)
        for row_id in waiting:
            if not dispatch_email(row_id, model):
                return sent, waiting_total - sent
            sent += 1
    return sent, waiting_total - sent


def claim_email(row_id: int, model: type[EmailOutbox] = Notification) -> Any:
    """Take a pending email to send it, or None if it is not pending (sent, being sent by
    another task, failed) or no longer wanted (it is then marked not wanted)."""
    outbox = _outbox(model)
    pending = model._default_manager.filter(pk=row_id, email_status=Email.QUEUED)
    row = pending.select_related(*outbox.related).first()
    if row is None:
        return None
    if not outbox.wanted(row):
        pending.update(email_status=Email.NOT_WANTED)
        return None
    # One conditional UPDATE: of two deliveries at once, only one changes the row.
    claimed = pending.update(
        email_status=Email.SENDING,
        email_claimed_at=timezone.now(),
        email_attempts=F("email_attempts") + 1,
    )
    return row if claimed else None


def release_email(
    row_id: int, model: type[EmailOutbox] = Notification, *, retry_in: int = 0
) -> None:
    """Give a claimed email back, pending, for the task's own retry in `retry_in` seconds
    (counted as handed to the broker then, so the sweep leaves it to the retry and resends
    it only if that message is lost too)."""
    due = timezone.now() + datetime.timedelta(seconds=retry_in)
    model._default_manager.filter(pk=row_id, email_status=Email.SENDING).update(
        email_status=Email.QUEUED, email_dispatched_at=due
    )


def finish_email(
    row_id: int, model: type[EmailOutbox] = Notification, *, error: str | None
) -> None:
    """Record that the claimed email was sent, or failed for good."""
    claimed = model._default_manager.filter(pk=row_id, email_status=Email.SENDING)
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


def unread_count(user: User) -> int:
    """One COUNT on an index, for the header on every page."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_all_read(user: User) -> int:
    return Notification.objects.visible_to(user).unread().update(read_at=timezone.now())


@transaction.atomic
def set_preferences(user: User, emailed_kinds: Iterable[str]) -> None:
    """Email the kinds given and no others; the in-app list always has every notification."""
    wanted = set(emailed_kinds)
    for kind in Kind.values:
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"email": kind in wanted}
        )


def emailed_kinds(user: User) -> set[str]:
    refused = set(
        NotificationPreference.objects.filter(user=user, email=False).values_list("kind", flat=True)
    )
    return set(Kind.values) - refused
