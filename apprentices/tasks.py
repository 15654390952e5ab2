"""Background work of the apprentices app: checking and applying large onboarding files.

The onboarding tasks are queued by name (psp.outbox.queue_after_commit) by
apprentices.onboarding.
"""

from __future__ import annotations

import contextlib

from celery import shared_task

from apprentices import onboarding
from apprentices.models import OnboardingBatch
from psp import audit


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
