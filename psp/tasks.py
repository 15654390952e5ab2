"""Background work of the psp app: sending notification emails, and sweeping up unsent ones.

send_notification_email is sent by psp.notifications.dispatch_email: after the commit that
created the notification, or by the sweep for emails the broker never got.
send_pending_emails is sent by every worker's EmailSweep (and run by the command).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from psp import notifications
from psp.accounts import set_password_path
from psp.sweeping import WorkerSweep, register_sweep

logger = logging.getLogger(__name__)

EMAIL_MAX_RETRIES = 5


def retry_delay(retries: int) -> int:
    """Seconds before the next try: 30 s, 1 min, 2 min, 4 min, 8 min."""
    return 30 * 2**retries


def send_or_retry(
    task: Any,
    send: Callable[[], object],
    *,
    what: str,
    before_retry: Callable[[], object] | None = None,
) -> str | None:
    """Send an email from a bound task. On failure, retry with backoff (calling before_retry
    first); after the last try, log and return the error (never raise it). None when sent."""
    try:
        send()
    except Exception as error:
        if task.request.retries >= EMAIL_MAX_RETRIES:
            logger.warning("Gave up emailing %s: %s", what, error)
            return str(error)
        if before_retry is not None:
            before_retry()
        raise task.retry(exc=error, countdown=retry_delay(task.request.retries)) from error
    return None


@shared_task(bind=True, max_retries=EMAIL_MAX_RETRIES, acks_late=True, ignore_result=True)
def send_notification_email(self: Any, notification_id: int) -> None:
    """Email one notification to its user. Sent once: the task claims the pending email, so
    a repeated delivery (or one sent again by the sweep) sends nothing.

    Failures are retried with backoff; after the last try the notification is marked as
    not sent (the user still has it in the service) and nothing is raised.
    """
    notification = notifications.claim_email(notification_id)
    if notification is None:
        return
    url, label = notification.url, "Open it in psp"
    if notification.kind == notifications.Kind.WELCOME:
        # Made when sent, never stored: the notification row holds no password link.
        url, label = set_password_path(notification.user), "Choose your password"
    link = f"{settings.PSP_SITE_URL.rstrip('/')}{url}" if url else ""
    body = "\n\n".join(
        part
        for part in (
            f"Hello {notification.user.first_name or notification.user.username},",
            notification.subject + ".",
            notification.body,
            f"{label}: {link}" if link else "",
            "You can choose which notifications you get by email on your notification settings "
            "page in psp.",
        )
        if part
    )
    error = send_or_retry(
        self,
        lambda: send_mail(notification.subject, body, None, [notification.user.email]),
        what=f"notification {notification_id}",
        before_retry=partial(notifications.release_email, notification_id),
    )
    notifications.finish_email(notification_id, error=error)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=60, time_limit=90)
def send_pending_emails() -> None:
    sent, waiting = notifications.dispatch_pending_emails()
    if sent or waiting:
        logger.info("Notification emails sent to the broker: %s; still waiting: %s", sent, waiting)


class EmailSweep(WorkerSweep):
    """Every SWEEP_SECONDS each worker sends send_pending_emails, which re-sends the emails
    the broker never got (it was down when they were queued) or lost (psp.sweeping)."""

    task = send_pending_emails
    seconds = notifications.SWEEP_SECONDS
    label = "Email sweep"


register_sweep(EmailSweep)
