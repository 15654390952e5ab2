"""What epa adds to each role's home page (psp.homepages): gateways for the employer to
confirm, the assessor's EPAs, and the EPAO administrator's moderation, assignment and
gateway decisions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Q

from epa.models import Epa, GatewayAttempt, GatewayItem
from psp.models import User


def employer_home(user: User, query: Mapping[str, str]) -> dict[str, Any]:
    return {
        "gateway_confirmations": GatewayItem.objects.filter(
            kind=GatewayItem.Kind.EMPLOYER,
            confirmed_at__isnull=True,
            attempt__status=GatewayAttempt.Status.PREPARING,
            attempt__apprentice__employer_id=user.organisation_id or 0,
        ).select_related("attempt__apprentice__user")
    }


def assessor_home(user: User, query: Mapping[str, str]) -> dict[str, Any]:
    return {"assigned": Epa.objects.filter(assessor=user).exclude(status=Epa.Status.FINAL).count()}


def epao_admin_home(user: User, query: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = Epa.objects.visible_to(user).aggregate(
        awaiting_moderation=Count("id", filter=Q(status=Epa.Status.AWAITING_MODERATION)),
        unassigned=Count("id", filter=Q(assessor__isnull=True)),
    )
    data["gateways_to_decide"] = (
        GatewayAttempt.objects.visible_to(user)
        .filter(status=GatewayAttempt.Status.SUBMITTED)
        .select_related("apprentice__user")  # each is named by its apprentice
    )
    return data
