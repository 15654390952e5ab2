"""Background work of the psp app: sending notification emails, and sweeping up unsent ones.

send_notification_email and send_account_email are handed to the broker by psp.outbox: after
the commit that created the row, or by the sweep for emails the broker never got or lost.
send_pending_emails is sent by every worker's EmailSweep (and run by the command).
checkpoint_audit is sent by every worker's AuditCheckpointSweep (psp.checkpoints).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from psp import accounts, checkpoints, notifications, outbox
from psp.models import AccountEmail, Notification
from psp.outbox import EMAIL_MAX_RETRIES, render_email
from psp.sweeping import WorkerSweep, register_sweep

logger = logging.getLogger(__name__)


def notification_message(notification: Notification) -> tuple[str, str, str]:
    link = outbox.site_url(notification.url) if notification.url else ""
    context = {"notification": notification, "user": notification.user, "link": link}
    return (*render_email("notification", context), notification.user.email)


@shared_task(bind=True, max_retries=EMAIL_MAX_RETRIES, acks_late=True, ignore_result=True)
def send_notification_email(self: Any, notification_id: int) -> None:
    """Email one notification to its user. Sent once: the task claims the pending email, so
    a repeated delivery (or one sent again by the sweep) sends nothing.

    Failures are retried with backoff; after the last try the notification is marked as
    not sent (the user still has it in the service) and nothing is raised.
    """
    outbox.deliver_email(self, Notification, notification_id, notification_message)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=60, time_limit=90)
def send_pending_emails() -> None:
    sent, waiting = notifications.dispatch_pending_emails()
    if sent or waiting:
        logger.info("Notification emails sent to the broker: %s; still waiting: %s", sent, waiting)


outbox.register(
    outbox.Outbox(
        Notification,
        task=send_notification_email.name,
        due=outbox.emails_due(Notification),
        wanted=lambda row: notifications.wants_email(row.user, row.kind),
        related=("user",),
    )
)


@shared_task(bind=True, max_retries=EMAIL_MAX_RETRIES, acks_late=True, ignore_result=True)
def send_account_email(self: Any, row_id: int) -> None:
    """Send one account email (psp.accounts): claimed, so sent once; retried with backoff."""
    outbox.deliver_email(self, AccountEmail, row_id, lambda row: (*accounts.render(row), row.to))


outbox.register(
    outbox.Outbox(
        AccountEmail,
        task=send_account_email.name,
        due=outbox.emails_due(AccountEmail),
        # A notice to the old address goes even if the account was closed since.
        wanted=lambda row: row.user.is_active or row.kind == AccountEmail.Kind.ADDRESS_CHANGED,
        related=("user",),
    )
)


class EmailSweep(WorkerSweep):
    """Every SWEEP_SECONDS each worker sends send_pending_emails, which re-sends the emails
    the broker never got (it was down when they were queued) or lost (psp.sweeping)."""

    task = send_pending_emails
    seconds = notifications.SWEEP_SECONDS
    label = "Email sweep"


register_sweep(EmailSweep)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=120, time_limit=150)
def checkpoint_audit() -> None:
    """Check the audit entries added since the last checkpoint and write a new one."""
    try:
        checkpoints.write()
    except checkpoints.CheckpointRefused as refused:
        logger.error("The audit trail does not match its last checkpoint: %s", refused)


class AuditCheckpointSweep(WorkerSweep):
    """Every minute each worker sends checkpoint_audit (psp.checkpoints)."""

    task = checkpoint_audit
    seconds = 60
    label = "Audit checkpoint"


register_sweep(AuditCheckpointSweep)
