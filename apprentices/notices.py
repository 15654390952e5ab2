"""What apprentices' events tell whom (psp.notifications sends them): called once, after
the commit, by the workflow (Evidence.accept and request_changes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from psp import notifications
from psp.models import Notification

if TYPE_CHECKING:
    from apprentices.models import Evidence


def evidence_reviewed(evidence: Evidence) -> None:
    accepted = evidence.status == "accepted"
    outcome = "was accepted" if accepted else "needs changes"
    notifications.notify(
        evidence.apprentice.user,
        Notification.Kind.EVIDENCE_REVIEWED,
        subject=f"Your evidence “{evidence.title}” {outcome}",
        body=(
            f"{evidence.reviewed_by} reviewed your evidence."
            + ("" if accepted else " Open it to see what to change, then submit it again.")
        ),
        url=evidence.get_absolute_url(),
    )
