"""Notifications: an in-app list for every user and, if they want it, an email.

`notify()` is what workflows call. It writes a Notification row and, when the user's
preference allows, marks its email pending and hands the email task to the broker after the
transaction commits; a Celery task sends it with retries (psp.tasks). Nothing here ever
raises into the action that called it, and a failure to send never undoes that action.

The pending email is a row of the transactional outbox (psp.outbox), as PDF reports are: if
the broker was down, the row stays pending and undispatched, and `dispatch_pending_emails`
hands it to the broker later (every worker runs it every SWEEP_SECONDS, see
psp.tasks.EmailSweep, and so does the `send_pending_emails` command). Sending is idempotent:
the task claims the row (pending → being sent) in one conditional UPDATE, so however often it
is delivered, one delivery sends. Other tables that send one email per row (account emails,
the review signing links) inherit psp.models.EmailOutbox and register their outbox the same
way (psp.outbox.register, from their app's tasks module): they share its sweep and its
once-only sending.

What each event says, and to whom, is the app's that owns the event (apprentices.notices,
epa.notices, the progress reviews' own module): its workflows call it once, through
`transaction.on_commit`, so nothing is said about an action that rolled back. Bodies stay
short and free of grades and comments: an email is less private than the service, so the
detail is one sign-in away.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from psp import outbox
from psp.models import EmailOutbox, Notification, NotificationPreference, User
from psp.roles import Role

logger = logging.getLogger(__name__)

Kind = Notification.Kind
# Sent by the reports pipeline (reports.building) when a report someone asked for is built.
REPORT_READY = Kind.REPORT_READY
Email = EmailOutbox.Email

SWEEP_SECONDS = 30


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
        outbox.dispatch_after_commit(notification)
    return notification


def dispatch_pending_emails(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Hand to the broker the pending emails of every email outbox it has not got, if still
    wanted (psp.outbox.dispatch_pending). Returns (sent, still waiting)."""
    return outbox.dispatch_pending(outbox.email_outboxes(), now=now)


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


def staff_of(organisation_id: int | None, role: Role) -> QuerySet[User]:
    """Active users of an organisation who hold a role."""
    if organisation_id is None:
        return User.objects.none()
    return User.objects.filter(
        organisation_id=organisation_id, groups__name=role.label, is_active=True
    ).distinct()


# The header's count on every page, in SQL written once: the ORM spends about 0.3 ms of
# CPU building `Notification.objects.filter(user=…, read_at__isnull=True).count()` on each
# request, this 0.08 ms (tests/psp/test_notifications.py compares the two).
_UNREAD_SQL = (
    f"SELECT COUNT(*) FROM {Notification._meta.db_table} WHERE user_id = %s AND read_at IS NULL"
)


def unread_count(user: User) -> int:
    """One COUNT on an index (user, unread), for the header on every page."""
    with connection.cursor() as cursor:
        cursor.execute(_UNREAD_SQL, [user.pk])
        row = cursor.fetchone()
    return int(row[0])


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
