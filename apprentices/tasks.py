"""Background work of the apprentices app: emailing review signing links.

Signing links are rows of the outbox of emails (psp.outbox): send_signing_link is sent after
the commit that made the link, or by the email sweep if the broker never got or lost the
message; it claims the link's email, so however often it runs, one email goes. The
onboarding tasks are queued by name (psp.outbox.queue_after_commit) by apprentices.onboarding.
"""

from __future__ import annotations

import contextlib
from typing import Any

from celery import shared_task
from django.utils import timezone

from apprentices import onboarding, reviews
from apprentices.models import OnboardingBatch, ReviewSigningLink
from psp import audit, outbox
from psp.outbox import EMAIL_MAX_RETRIES


def signing_link_message(link: ReviewSigningLink) -> tuple[str, str, str]:
    context = {
        "link": link,
        "review": link.review,
        "apprentice": link.review.apprentice,
        "expires": timezone.localtime(link.expires_at),
        "url": outbox.site_url(reviews.signing_path(link)),
    }
    return (*outbox.render_email("signing_link", context), link.email)


@shared_task(bind=True, max_retries=EMAIL_MAX_RETRIES, acks_late=True, ignore_result=True)
def send_signing_link(self: Any, link_id: int) -> None:
    """Email an employer contact their link to sign one review; retried with backoff."""
    outbox.deliver_email(self, ReviewSigningLink, link_id, signing_link_message)


outbox.register(
    outbox.Outbox(
        ReviewSigningLink,
        task=send_signing_link.name,
        due=outbox.emails_due(ReviewSigningLink),
        wanted=reviews.link_wanted,
        related=(
            "review__apprentice__user",
            "review__apprentice__training_provider",
            "created_by",
        ),
    )
)


@shared_task(acks_late=True, ignore_result=True)
def check_onboarding(batch_id: int) -> None:
    """Check a large uploaded file of apprentices (apprentices.onboarding)."""
    batch = OnboardingBatch.objects.filter(pk=batch_id, status="checking").first()
    if batch is not None:
        onboarding.check_batch(batch)


@shared_task(acks_late=True, ignore_result=True)
def apply_onboarding(batch_id: int) -> None:
    """Apply a large confirmed file of apprentices in one transaction."""
    batch = OnboardingBatch.objects.filter(pk=batch_id, status="applying").first()
    if batch is None:
        return
    # A refusal leaves the batch ready, with a fresh preview and the error saying what to fix.
    with audit.acting_as(batch.applied_by), contextlib.suppress(onboarding.OnboardingError):
        onboarding.apply_batch(batch)
