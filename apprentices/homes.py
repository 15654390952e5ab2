"""What apprentices adds to each role's home page (psp.homepages): the apprentice's own
record, counts of apprentices and evidence to review, employer moves, whether uploads are
scanned. The provider's progress flags are progress.flags'."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db.models import Count, QuerySet

from apprentices import revision
from apprentices.models import Apprentice, EmployerMove, Evidence
from apprentices.scanning import configured_clamd
from psp.homepages import OrganisationName
from psp.models import User
from psp.roles import Role

# The sections registered with psp.homepages (ApprenticesConfig.ready()): each returns what
# the role's home page template shows.


def apprentice_home(user: User, query: Mapping[str, str]) -> dict[str, Any]:
    """The apprentice's own record: their home is their portfolio (psp.views.home)."""
    return {"apprentice": Apprentice.objects.filter(user=user).first()}


def staff_home(user: User, query: Mapping[str, str]) -> dict[str, Any]:
    """The provider's evidence to review; employers' and EPAO administrators' apprentices by
    status (the provider's are in its cached overview: progress.flags), and the employer's
    incoming moves. Only the provider's page shows the evidence to review, so only the
    provider's counts it. With them, the name and kind of the user's organisation for the
    account summary (psp.homepages reads it when no section brings it).

    All of it is kept in the cache under the evidence revision (raised by every write to
    evidence, apprentices and employer moves, and by changes of the names the moves show and
    of an organisation's name or kind), for the role and organisation, which is all their
    visible apprentices depend on (Apprentice.objects.visible_to)."""
    role = user.role
    key = f"apprentices:home:{role}:{user.organisation_id}:{revision.current()}"
    data: dict[str, Any] | None = cache.get(key)
    if data is None:
        visible = Apprentice.objects.visible_to(user)
        data = {"organisation": OrganisationName.of(user.organisation)}
        if role == Role.PROVIDER:
            data["awaiting_review"] = awaiting_review(visible)
        else:
            data["apprentice_counts"] = counts_by_status(visible)
        if role == Role.EMPLOYER:
            data["incoming_moves"] = incoming_moves(user)
        cache.set(key, data, 86400)
    return data


class IncomingMove(NamedTuple):
    """An apprentice moving to the employer, waiting for it to accept."""

    pk: int  # the move's
    name: str  # the apprentice's
    from_employer: str
    reason: str


def awaiting_review(visible: QuerySet[Apprentice]) -> int:
    """How many items the provider's apprentices have submitted."""
    return Evidence.objects.filter(apprentice__in=visible).awaiting_review().count()


def incoming_moves(user: User) -> list[IncomingMove]:
    """Apprentices moving to the employer, waiting for it to accept."""
    moves = EmployerMove.objects.filter(
        status=EmployerMove.Status.PENDING, to_employer_id=user.organisation_id or 0
    ).select_related("apprentice__user", "from_employer")
    return [
        IncomingMove(move.pk, move.apprentice.name, str(move.from_employer), move.reason)
        for move in moves
    ]


def admin_home(user: User, query: Mapping[str, str]) -> dict[str, Any]:
    return {"virus_scanning": configured_clamd() is not None}


def counts_by_status(apprentices: QuerySet[Apprentice]) -> list[tuple[str, str, int]]:
    counts = dict(apprentices.values_list("status").annotate(n=Count("id")).order_by())
    return [(value, label, counts.get(value, 0)) for value, label in Apprentice.Status.choices]
