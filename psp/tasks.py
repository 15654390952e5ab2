"""Background work of the psp app: sending notification emails."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F
from django.utils import timezone

from psp.models import Notification

logger = logging.getLogger(__name__)

EMAIL_MAX_RETRIES = 5


def retry_delay(retries: int) -> int:
    """Seconds before the next try: 30 s, 1 min, 2 min, 4 min, 8 min."""
    return 30 * 2**retries


def send_or_retry(task: Any, send: Callable[[], object], *, what: str) -> str | None:
    """Send an email from a bound task. On failure, retry with backoff; after the last try,
    log and return the error (never raise it). None when it was sent."""
    try:
        send()
    except Exception as error:
        if task.request.retries >= EMAIL_MAX_RETRIES:
            logger.warning("Gave up emailing %s: %s", what, error)
            return str(error)
        raise task.retry(exc=error, countdown=retry_delay(task.request.retries)) from error
    return None


@shared_task(bind=True, max_retries=EMAIL_MAX_RETRIES, acks_late=True, ignore_result=True)
def send_notification_email(self: Any, notification_id: int) -> None:
    """Email one notification to its user. Sent once: a repeated delivery sends nothing.

    Failures are retried with backoff; after the last try the notification is marked as
    not sent (the user still has it in the service) and nothing is raised.
    """
    notification = (
        Notification.objects.select_related("user")
        .filter(pk=notification_id, email_status=Notification.Email.QUEUED)
        .first()
    )
    if notification is None:
        return
    Notification.objects.filter(pk=notification_id).update(email_attempts=F("email_attempts") + 1)
    link = f"{settings.PSP_SITE_URL.rstrip('/')}{notification.url}" if notification.url else ""
    body = "\n\n".join(
        part
        for part in (
            f"Hello {notification.user.first_name or notification.user.username},",
            notification.subject + ".",
            notification.body,
            f"Open it in psp: {link}" if link else "",
            "You can choose which notifications you get by email on your notification settings "
            "page in psp.",
        )
        if part
    )
    error = send_or_retry(
        self,
        lambda: send_mail(notification.subject, body, None, [notification.user.email]),
        what=f"notification {notification_id}",
    )
    if error is not None:
        Notification.objects.filter(pk=notification_id).update(
            email_status=Notification.Email.FAILED, email_error=error[:300]
        )
        return
    Notification.objects.filter(pk=notification_id).update(
        email_status=Notification.Email.SENT, emailed_at=timezone.now(), email_error=""
    )
