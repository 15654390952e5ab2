"""Filters and sorting of the EPA list and the gateways to decide, from the query string."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from apprentices.listing import SearchAndSort
from epa.models import Epa, GatewayAttempt


@dataclass(frozen=True)
class EpaListQuery:
    DEADLINES = {"": "Any end date", "30": "Ends within 30 days", "overdue": "Period ended"}
    status: str = ""
    deadline: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest) -> EpaListQuery:
        status = request.GET.get("status", "")
        deadline = request.GET.get("deadline", "")
        return cls(
            status=status if status in Epa.Status.values else "",
            deadline=deadline if deadline in cls.DEADLINES else "",
        )

    def apply(self, epas: QuerySet[Epa]) -> QuerySet[Epa]:
        """The filters on EPAs already scoped by Epa.objects.visible_to (an assessor's are the
        ones assigned to them)."""
        if self.status:
            epas = epas.filter(status=self.status)
        today = timezone.localdate()
        if self.deadline == "30":
            epas = epas.filter(
                period_end__gte=today, period_end__lte=today + datetime.timedelta(days=30)
            )
        elif self.deadline == "overdue":
            epas = epas.filter(period_end__lt=today).exclude(status=Epa.Status.FINAL)
        return (
            epas.select_related(
                "apprentice__user", "apprentice__standard_version__standard", "assessor"
            )
            .prefetch_related("assessments__method")
            .order_by("period_end", "id")
        )

    def querystring(self, **changes: str) -> str:
        values = {"status": self.status, "deadline": self.deadline, **changes}
        return urlencode({k: v for k, v in values.items() if v})

    @property
    def statuses(self) -> list[tuple[str, str]]:
        return list(Epa.Status.choices)


@dataclass(frozen=True)
class GatewayQueueQuery(SearchAndSort):
    """The gateways to decide: search by apprentice, ULN or training provider; sort by
    waiting time or name."""

    SORTS = {
        "submitted": ("submitted_at", "id"),
        "-submitted": ("-submitted_at", "-id"),
        "apprentice": ("apprentice__user__last_name", "apprentice__user__first_name", "id"),
    }
    SORT_LABELS = {
        "submitted": "Waiting longest first",
        "-submitted": "Newest first",
        "apprentice": "Apprentice’s last name",
    }

    def apply(self, attempts: QuerySet[GatewayAttempt]) -> QuerySet[GatewayAttempt]:
        """The search and sort on attempts already scoped and filtered
        (GatewayAttempt.objects.visible_to(user).to_decide())."""
        if self.q:
            attempts = attempts.filter(
                Q(apprentice__user__first_name__icontains=self.q)
                | Q(apprentice__user__last_name__icontains=self.q)
                | Q(apprentice__uln__startswith=self.q)
                | Q(apprentice__training_provider__name__icontains=self.q)
            )
        return (
            attempts.select_related(
                "apprentice__user",
                "apprentice__standard_version__standard",
                "apprentice__training_provider",
            )
            .defer("pack")  # the frozen portfolio: the list shows none of it
            .order_by(*self.order)
        )
