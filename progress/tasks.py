"""Background work of the progress app: emailing review signing links.

Signing links are rows of the notifications' outbox (psp.notifications): send_signing_link
is sent after the commit that made the link, or by the email sweep if the broker never got
or lost the message; it claims the link's email, so however often it runs, one email goes.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from progress import reviews
from progress.models import ReviewSigningLink
from psp import notifications
from psp.tasks import EMAIL_MAX_RETRIES, send_or_retry


@shared_task(bind=True, max_retries=EMAIL_MAX_RETRIES, acks_late=True, ignore_result=True)
def send_signing_link(self: Any, link_id: int) -> None:
    """Email an employer contact their link to sign one review; retried with backoff."""
    link = notifications.claim_email(link_id, ReviewSigningLink)
    if link is None:
        return
    apprentice = link.review.apprentice
    expires = timezone.localtime(link.expires_at)
    body = (
        f"Hello {link.name},\n\n"
        f"{link.created_by} of {apprentice.training_provider} asks you to read and sign, for "
        f"the employer, the progress review of {apprentice.name}, held on "
        f"{link.review.held_on:%d/%m/%Y}.\n\n"
        f"Open this link to read the review and sign it. It works once and expires on "
        f"{expires:%d/%m/%Y at %H:%M}:\n\n"
        f"{settings.PSP_SITE_URL.rstrip('/')}{reviews.signing_path(link)}\n\n"
        "If you did not expect this email, you can ignore it.\n"
    )
    error = send_or_retry(
        self,
        lambda: send_mail(
            f"Please sign the progress review of {apprentice.name}", body, None, [link.email]
        ),
        what=f"review signing link {link_id}",
        before_retry=lambda countdown: notifications.release_email(
            link_id, ReviewSigningLink, retry_in=countdown
        ),
    )
    notifications.finish_email(link_id, ReviewSigningLink, error=error)


notifications.register_outbox(
    notifications.Outbox(
        ReviewSigningLink,
        task=send_signing_link,
        wanted=reviews.link_wanted,
        related=(
            "review__apprentice__user",
            "review__apprentice__training_provider",
            "created_by",
        ),
    )
)
