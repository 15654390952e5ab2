"""What the EPA's events tell whom (psp.notifications sends them): called once, after the
commit, by the workflows of epa.gateway and epa.grading."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from psp import notifications
from psp.models import Notification
from psp.roles import Role

if TYPE_CHECKING:
    from epa.models import EpaResult, GatewayAttempt, MethodAssessment


def gateway_decided(attempt: GatewayAttempt) -> None:
    apprentice = attempt.apprentice
    accepted = attempt.status == "accepted"
    notifications.notify_all(
        [apprentice.user, *notifications.staff_of(apprentice.training_provider_id, Role.PROVIDER)],
        Notification.Kind.GATEWAY_DECIDED,
        subject=(f"Gateway {'accepted' if accepted else 'not accepted'} for {apprentice.name}"),
        body=(
            "The end-point assessment organisation accepted the gateway: the EPA period has "
            "started."
            if accepted
            else "The end-point assessment organisation did not accept the gateway. The "
            "reasons are on the gateway page; a new attempt can be started."
        ),
        url=attempt.get_absolute_url(),
    )


def epa_scheduled(assessment: MethodAssessment) -> None:
    when = timezone.localtime(assessment.scheduled_for)
    notifications.notify(
        assessment.epa.apprentice.user,
        Notification.Kind.EPA_SCHEDULED,
        subject=f"{assessment.method.name} scheduled for {when.day} {when:%B %Y at %H:%M}",
        body="Your end-point assessment page has the place or link and any adjustments.",
        url=assessment.epa.get_absolute_url(),
    )


def result_released(result: EpaResult) -> None:
    apprentice = result.epa.apprentice
    notifications.notify_all(
        [
            apprentice.user,
            *notifications.staff_of(apprentice.training_provider_id, Role.PROVIDER),
            *notifications.staff_of(apprentice.employer_id, Role.EMPLOYER),
        ],
        Notification.Kind.RESULT_RELEASED,
        subject=f"End-point assessment result released for {apprentice.name}",
        body="The result has been moderated and is final. Sign in to see it.",
        url=result.epa.get_absolute_url(),
    )
