"""What epa adds to each role's home page (psp.homepages): gateways for the employer to
confirm, the assessor's EPAs, and the EPAO administrator's moderation, assignment and
gateway decisions.

The employer's and the EPAO administrator's lists and counts are kept in the cache under the
EPA revision (epa.revision: raised by every write to gateways, EPAs, apprentices and the
names shown), for the viewer's organisation, which is all their visible apprentices depend
on; they are plain rows, so a page read from the cache builds no model instance.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db.models import Count, Q

from epa import revision
from epa.models import Epa, GatewayAttempt, GatewayItem
from psp.models import User

CACHE_SECONDS = 86400
# The longest waiting; all of them on their own pages (epa:gateway_queue for the EPAO's
# decisions, epa:gateway_confirmations for the employer's confirmations).
GATEWAYS_ON_HOME = 5


class Confirmation(NamedTuple):
    """A gateway item waiting for the employer to confirm it."""

    apprentice_id: int
    item_id: int
    name: str  # the apprentice's


class GatewayToDecide(NamedTuple):
    """A submitted gateway attempt, named by its apprentice (name and ULN)."""

    apprentice_id: int
    apprentice: str
    submitted_at: datetime.datetime | None


def employer_home(user: User, query: Mapping[str, str]) -> dict[str, Any]:
    key = f"epa:home:employer:{user.organisation_id}:{revision.current()}"
    confirmations: tuple[int, list[Confirmation]] | None = cache.get(key)
    if confirmations is None:
        items = GatewayItem.objects.awaiting_confirmation_by(user)
        confirmations = (
            items.count(),
            [
                Confirmation(item.attempt.apprentice_id, item.pk, item.attempt.apprentice.name)
                for item in items.select_related("attempt__apprentice__user").defer(
                    "attempt__pack"
                )[:GATEWAYS_ON_HOME]
            ],
        )
        cache.set(key, confirmations, CACHE_SECONDS)
    count, shown = confirmations
    return {"gateway_confirmations": shown, "gateway_confirmations_count": count}


def assessor_home(user: User, query: Mapping[str, str]) -> dict[str, Any]:
    return {"assigned": Epa.objects.filter(assessor=user).exclude(status=Epa.Status.FINAL).count()}


def epao_admin_home(user: User, query: Mapping[str, str]) -> dict[str, Any]:
    key = f"epa:home:epao-admin:{user.organisation_id}:{revision.current()}"
    data: dict[str, Any] | None = cache.get(key)
    if data is None:
        data = Epa.objects.visible_to(user).aggregate(
            awaiting_moderation=Count("id", filter=Q(status=Epa.Status.AWAITING_MODERATION)),
            unassigned=Count("id", filter=Q(assessor__isnull=True)),
        )
        attempts = GatewayAttempt.objects.visible_to(user).to_decide()
        data["gateways_to_decide_count"] = attempts.count()
        data["gateways_to_decide"] = [
            GatewayToDecide(attempt.apprentice_id, str(attempt.apprentice), attempt.submitted_at)
            # each is named by its apprentice; the rest are on the gateways page
            for attempt in attempts.select_related("apprentice__user").defer("pack")[
                :GATEWAYS_ON_HOME
            ]
        ]
        cache.set(key, data, CACHE_SECONDS)
    return data
