"""Background work of the progress app: emailing review signing links.

Signing links are rows of the outbox of emails (psp.outbox): send_signing_link is sent after
the commit that made the link, or by the email sweep if the broker never got or lost the
message; it claims the link's email, so however often it runs, one email goes.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils import timezone

from progress import reviews
from progress.models import ReviewSigningLink
from psp import outbox
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
